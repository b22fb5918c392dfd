/** Pools, tenants and queues as core sees them (the CRDs of docs/crds.md after parsing). */
import type { IsolationMode } from '../request.js';
import type { Amount } from './amount.js';

export type PoolMode = 'elastic' | 'fixed' | 'mixed';
/** How one allocation counts: `fixed` never borrows and is never a reclaim victim of borrowers. */
export type QuotaMode = 'elastic' | 'fixed';

export interface PoolSpec {
  readonly name: string;
  readonly mode: PoolMode;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly isolation?: IsolationMode;
  /** >= 1: elastic shares may overcommit compute by this ratio. */
  readonly computeOvercommit?: number;
  /** Physical capacity per model ("" = any). Absent: the sum of the pool's queue guarantees. */
  readonly capacity?: Readonly<Record<string, Amount>>;
}

export interface TenantSpec {
  readonly name: string;
  readonly namespaces: readonly string[];
  readonly defaultPool?: string;
  readonly defaultQueue?: string;
}

export interface QueueSpec {
  readonly name: string;
  readonly tenant: string;
  readonly pool: string;
  /** Device model the amounts apply to (e.g. "H100", "Ascend910"); absent = any model. */
  readonly model?: string;
  readonly guarantee: Amount;
  /** The most the queue may use with borrowing; absent = guarantee (no borrowing). */
  readonly limit?: Amount;
  /** Whether idle guarantee may be lent (ignored in fixed pools: never). */
  readonly lendIdle: boolean;
  /** Higher wins contention for idle capacity and is reclaimed later. */
  readonly priority: number;
}

/** One admitted pod (or simulated job) holding quota. */
export interface Allocation {
  readonly id: string;
  readonly queue: string;
  readonly amount: Amount;
  /** Pod priority; lower is preempted first. */
  readonly priority: number;
  /** When it started (seconds or ms, the caller's clock); later starts are preempted first. */
  readonly startedAt: number;
  readonly mode: QuotaMode;
}

/** What the caller asks to admit. */
export interface AdmitRequest {
  readonly id: string;
  readonly queue: string;
  readonly amount: Amount;
  readonly priority: number;
  /** The pod's `tessera.io/quota-mode` label; used in mixed pools only (default fixed). */
  readonly quotaMode?: QuotaMode;
  /** Device model the pod will use, when known; must match the queue's model if it names one. */
  readonly model?: string;
}

export interface QuotaBookInput {
  readonly pools: readonly PoolSpec[];
  readonly tenants: readonly TenantSpec[];
  readonly queues: readonly QueueSpec[];
  readonly allocations?: readonly Allocation[];
}
