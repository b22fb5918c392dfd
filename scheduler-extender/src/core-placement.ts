/**
 * PlacementPort over core's scheduling API: `filterNodes` for the device choice or the
 * structured Unfit of each node, the production policy for scores, `buildDecision` for
 * the Decision. Scores map to the extender's 0–10 by the policy's maximum (absolute, so a
 * score means the same on every call). The FGD workload mix is refreshed by the service.
 */
import {
  DEFAULT_POLICY,
  buildDecision,
  createFragCache,
  createPolicyScorer,
  explainUnfit,
  filterNodes,
  maxPolicyScore,
  scoreNodes,
  typicalTaskClasses,
  type FragCache,
  type PodRequest,
  type TaskShape,
  type Unfit,
} from '../../core/index.js';
import type { EvaluateInput, NodeVerdict, PlacementPort } from './placement-port.js';

const scorer = createPolicyScorer(DEFAULT_POLICY);
const MAX_SCORE = maxPolicyScore(DEFAULT_POLICY);

export class CorePlacement implements PlacementPort {
  private fragCache: FragCache | undefined;

  /** Set the workload mix FGD scores against (typical shapes of the pods running now). */
  setWorkload(shapes: readonly TaskShape[]): void {
    const mix = typicalTaskClasses(shapes);
    this.fragCache = mix.length === 0 ? undefined : createFragCache(mix, 200_000);
  }

  evaluate(input: EvaluateInput): NodeVerdict[] {
    const { ledger, pod } = input;
    // Group candidates by their pool's compute overcommit (one core call per group).
    const groups = new Map<number, string[]>();
    for (const n of input.nodes) {
      const oc = input.computeOvercommit(n);
      const g = groups.get(oc);
      if (g === undefined) groups.set(oc, [n]);
      else g.push(n);
    }
    const out: NodeVerdict[] = [];
    for (const [computeOvercommit, candidates] of groups) {
      const opts = {
        scorer,
        candidates,
        computeOvercommit,
        ...(this.fragCache === undefined ? {} : { fragCache: this.fragCache }),
      };
      const { feasible, unfit } = filterNodes(ledger, pod, opts);
      const scores = scoreNodes(ledger, pod, feasible, opts);
      feasible.forEach((fit, i) => {
        const raw = scores[i]?.score ?? 0;
        const decision = buildDecision(ledger, pod, fit, input.nowMs);
        out.push({
          node: decision.node,
          fits: true,
          rawScore: raw,
          score: MAX_SCORE > 0 ? Math.max(0, Math.min(10, Math.round((raw / MAX_SCORE) * 10))) : 10,
          decision,
        });
      });
      for (const u of unfit) out.push(unfitVerdict(u));
    }
    return out;
  }
}

export function unfitVerdict(u: Unfit): NodeVerdict {
  return { node: u.node, fits: false, reason: explainUnfit(u), reasonClass: u.resource, unresolvable: u.unresolvable };
}

/** The FGD shape of a pod (first container's request), for the workload mix. */
export function shapeOf(pod: PodRequest): TaskShape {
  const c = pod.containers[0];
  if (c === undefined) return { cpuMilli: pod.cpuMilli, deviceCount: 0, computeMilli: 0 };
  const a = c.accel;
  const computeMilli = a.kind === 'whole' ? 1000 : (a.computeMilli ?? 0);
  return { cpuMilli: pod.cpuMilli, deviceCount: a.count, computeMilli, ...(a.allow !== undefined ? { models: a.allow } : {}) };
}
