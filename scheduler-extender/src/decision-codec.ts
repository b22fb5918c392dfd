/**
 * The bind-time pod annotations of docs/handoff.md §1: encode a core Decision into
 * `tessera.io/decision` + per-container keys, and decode/check it back when rebuilding.
 */
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { Compile } from 'typebox/compile';
import {
  POD_CORE_LIMIT,
  POD_DECISION,
  POD_MEMORY_LIMIT,
  POD_VISIBLE_DEVICES,
  containerKey,
  type Decision,
} from '../../core/index.js';

const DecisionSchema = Type.Object({
  version: Type.Literal(1),
  podUid: Type.String(),
  namespace: Type.String(),
  name: Type.String(),
  node: Type.String({ minLength: 1 }),
  isolation: Type.Union(['exclusive', 'hami-core', 'mps', 'mig', 'time-slicing', 'vnpu'].map((s) => Type.Literal(s))),
  containers: Type.Array(
    Type.Object({
      name: Type.String(),
      index: Type.Integer({ minimum: 0 }),
      resource: Type.String(),
      devices: Type.Array(
        Type.Object({
          id: Type.String({ minLength: 1 }),
          index: Type.Integer({ minimum: 0 }),
          memoryMiB: Type.Number({ minimum: 0 }),
          computeMilli: Type.Number({ minimum: 0 }),
          exclusive: Type.Boolean(),
        }),
      ),
    }),
  ),
  pool: Type.Optional(Type.String()),
  queue: Type.Optional(Type.String()),
  decidedAtMs: Type.Number(),
});

/** Compiled once: the informer decodes every decision it sees (the extender's own patches too), and
 *  the interpreted `Value.Check` allocated ~30 KB per decision; the errors (rare) still come from `Value.Errors`. */
const decisionValidator = Compile(DecisionSchema);

/** The annotations bind writes for a decision (one merge patch). */
export function decisionAnnotations(d: Decision): Record<string, string> {
  const out: Record<string, string> = { [POD_DECISION]: JSON.stringify(d) };
  for (const c of d.containers) {
    out[containerKey(POD_VISIBLE_DEVICES, c.index)] = c.devices.map((x) => x.id).join(',');
    const shared = c.devices.some((x) => !x.exclusive);
    if (shared) {
      const mem = Math.min(...c.devices.map((x) => x.memoryMiB));
      const core = Math.max(...c.devices.map((x) => x.computeMilli));
      if (mem > 0) out[containerKey(POD_MEMORY_LIMIT, c.index)] = `${Math.floor(mem)}m`;
      out[containerKey(POD_CORE_LIMIT, c.index)] = String(Math.min(100, Math.round(core / 10)));
    }
  }
  return out;
}

/** The same keys with null values: the patch that removes a decision again. */
export function removalPatch(annotations: Readonly<Record<string, string>>): Record<string, null> {
  const out: Record<string, null> = {};
  for (const k of Object.keys(annotations)) {
    if (k === POD_DECISION || k.startsWith(`${POD_VISIBLE_DEVICES}.`) || k.startsWith(`${POD_MEMORY_LIMIT}.`) || k.startsWith(`${POD_CORE_LIMIT}.`)) {
      out[k] = null;
    }
  }
  return out;
}

/** Decode the decision annotation; returns the decision or a message saying what was wrong. */
export function decodeDecision(text: string, podUid: string): { decision: Decision } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { problem: `annotation ${POD_DECISION}: not JSON` };
  }
  if (!decisionValidator.Check(raw)) {
    const e = Value.Errors(DecisionSchema, raw)[0];
    return { problem: `annotation ${POD_DECISION}: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}` };
  }
  const d = raw as Decision;
  if (podUid !== '' && d.podUid !== podUid) {
    return { problem: `annotation ${POD_DECISION}: written for pod UID ${d.podUid}, this pod is ${podUid} (copied annotation ignored)` };
  }
  return { decision: d };
}
