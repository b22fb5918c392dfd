/** The seam between the extender and core's quota engine (implemented in quota-adapter.ts). */
import type { Decision, PodRequest } from '../../core/index.js';

export type QuotaVerdict =
  | { readonly ok: true; readonly queue: string | null; readonly note: string }
  /** `resolvable`: preemption/reclaim could make room (FailedNodes rather than unresolvable). */
  /** `nodeOnly`: the refusal is about this node (its device model is not the queue's); other nodes may pass. */
  | { readonly ok: false; readonly queue: string | null; readonly reason: string; readonly resolvable: boolean; readonly reasonClass: string; readonly nodeOnly?: boolean };

export interface VictimCandidate {
  readonly uid: string;
  readonly priority: number;
}

export interface QuotaPort {
  /** May this pod take the grant of `decision` under its queue's quota? */
  check(pod: PodRequest, decision: Decision): QuotaVerdict;
  /** The device model the pod's queue holds quota for (`guarantee.model`), or null for any model. */
  queueModel?(pod: PodRequest): string | null;
  /**
   * Which of these victims quota rules allow the preemptor to evict (a pod within its own
   * queue's guarantee is never a reclaim victim of another queue; fixed queues are never
   * preempted for borrowing). Returns the allowed UIDs and a reason for each refused one.
   */
  allowedVictims(preemptor: PodRequest, victims: readonly VictimCandidate[]): { allowed: Set<string>; refused: Map<string, string> };
}

/** No quotas configured: everything is allowed. */
export const NO_QUOTA: QuotaPort = {
  check: () => ({ ok: true, queue: null, note: 'no quota applies' }),
  allowedVictims: (_p, victims) => ({ allowed: new Set(victims.map((v) => v.uid)), refused: new Map() }),
};
