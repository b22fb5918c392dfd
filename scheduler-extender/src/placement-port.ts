/**
 * The seam between the extender and core's placement engine: judge a pod on a list of
 * nodes against the ledger, giving per node either a scored decision or a structured
 * reason. `core-placement.ts` implements it with core; tests may use it directly.
 */
import type { Decision, PodRequest } from '../../core/index.js';
import type { Ledger } from '../../core/index.js';

export interface NodeFits {
  readonly node: string;
  readonly fits: true;
  /** Extender score 0–10 (higher is better). */
  readonly score: number;
  /** Raw engine score, for tie-breaking and explanations. */
  readonly rawScore: number;
  /** The Decision for this node (built on first call; valid while the ledger is unchanged). */
  decide(): Decision;
}

export interface NodeUnfit {
  readonly node: string;
  readonly fits: false;
  /** Sentence for FailedNodes: names no node, so kube-scheduler's event groups equal reasons. */
  readonly reason: string;
  /** Full sentence for the why endpoint (node, free / used / capacity); defaults to `reason`. */
  readonly detail?: string;
  /** Class for metrics and pending-pod summaries (cpu, memory, devices, topology, …). */
  readonly reasonClass: string;
  /** True when no preemption on this node could help. */
  readonly unresolvable: boolean;
}

export type NodeVerdict = NodeFits | NodeUnfit;

export interface EvaluateInput {
  readonly ledger: Ledger;
  readonly pod: PodRequest;
  /** Node names known to the ledger (the caller handles unknown and broken nodes). */
  readonly nodes: readonly string[];
  readonly nowMs: number;
  /** Compute overcommit of a node's pool (1 when none). */
  readonly computeOvercommit: (node: string) => number;
  /** True when `ledger` is the live ledger: per-node results may be memoised across calls. */
  readonly cache?: boolean;
}

export interface PlacementPort {
  evaluate(input: EvaluateInput): NodeVerdict[];
}

