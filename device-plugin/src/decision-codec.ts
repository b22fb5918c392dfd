/**
 * Reads the extender's `tessera.io/decision` pod annotation. The value is untrusted text
 * until every field has been checked; the result names what was wrong.
 */
import type { ContainerAssignment, Decision, DeviceShare, IsolationMode } from '../../core/index.js';

const ISOLATION: readonly IsolationMode[] = ['exclusive', 'hami-core', 'mps', 'mig', 'time-slicing', 'vnpu'];

export type DecodeResult = { ok: true; decision: Decision } | { ok: false; error: string };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Error(`${where}.${k}: expected string, got ${JSON.stringify(v) ?? 'undefined'}`);
  return v;
}
function int(o: Record<string, unknown>, k: string, where: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new Error(`${where}.${k}: expected non-negative integer, got ${JSON.stringify(v) ?? 'undefined'}`);
  return v;
}

function decodeShare(v: unknown, where: string): DeviceShare {
  if (!isObj(v)) throw new Error(`${where}: expected object`);
  const exclusive = v['exclusive'];
  if (typeof exclusive !== 'boolean') throw new Error(`${where}.exclusive: expected boolean`);
  return {
    id: str(v, 'id', where),
    index: int(v, 'index', where),
    memoryMiB: int(v, 'memoryMiB', where),
    computeMilli: int(v, 'computeMilli', where),
    exclusive,
  };
}

function decodeContainer(v: unknown, where: string): ContainerAssignment {
  if (!isObj(v)) throw new Error(`${where}: expected object`);
  const devices = v['devices'];
  if (!Array.isArray(devices)) throw new Error(`${where}.devices: expected array`);
  return {
    name: str(v, 'name', where),
    index: int(v, 'index', where),
    resource: str(v, 'resource', where),
    devices: devices.map((d, i) => decodeShare(d, `${where}.devices[${i}]`)),
  };
}

/** Decode and check a decision annotation against the pod that carries it. */
export function decodeDecision(raw: string, expect: { uid: string; node?: string }): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return { ok: false, error: `tessera.io/decision: expected JSON, got ${raw.slice(0, 40)}… (${(err as Error).message})` };
  }
  try {
    if (!isObj(parsed)) throw new Error('decision: expected object');
    if (parsed['version'] !== 1) throw new Error(`decision.version: expected 1, got ${JSON.stringify(parsed['version'])}`);
    const isolation = parsed['isolation'];
    if (typeof isolation !== 'string' || !ISOLATION.includes(isolation as IsolationMode))
      throw new Error(`decision.isolation: expected one of ${ISOLATION.join('|')}, got ${JSON.stringify(isolation)}`);
    const containers = parsed['containers'];
    if (!Array.isArray(containers)) throw new Error('decision.containers: expected array');
    const decidedAtMs = parsed['decidedAtMs'];
    const decision: Decision = {
      version: 1,
      podUid: str(parsed, 'podUid', 'decision'),
      namespace: str(parsed, 'namespace', 'decision'),
      name: str(parsed, 'name', 'decision'),
      node: str(parsed, 'node', 'decision'),
      isolation: isolation as IsolationMode,
      containers: containers.map((c, i) => decodeContainer(c, `decision.containers[${i}]`)),
      decidedAtMs: typeof decidedAtMs === 'number' && Number.isFinite(decidedAtMs) ? decidedAtMs : 0,
      ...(typeof parsed['pool'] === 'string' ? { pool: parsed['pool'] } : {}),
      ...(typeof parsed['queue'] === 'string' ? { queue: parsed['queue'] } : {}),
    };
    if (decision.podUid !== expect.uid)
      return { ok: false, error: `decision.podUid: expected the pod's own uid ${expect.uid}, got ${decision.podUid}` };
    if (expect.node !== undefined && decision.node !== expect.node)
      return { ok: false, error: `decision.node: expected ${expect.node}, got ${decision.node}` };
    return { ok: true, decision };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
