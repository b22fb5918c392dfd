/** Quota outcomes as values: admitted, needs reclaim, or refused with the figures behind it. */
import type { Amount, QuotaDimension } from './amount.js';
import type { Allocation, PoolMode, QuotaMode } from './types.js';

/** A queue's standing, in the units of amount.ts. */
export interface QueueFigures {
  readonly queue: string;
  readonly tenant: string;
  readonly pool: string;
  readonly poolMode: PoolMode;
  readonly model: string | null;
  readonly priority: number;
  readonly guarantee: Amount;
  readonly limit: Amount;
  readonly used: Amount;
  /** Use above the guarantee, on capacity others lend. */
  readonly borrowed: Amount;
  /** Part of this queue's idle guarantee that borrowers use now. */
  readonly lent: Amount;
  /** Idle capacity others lend that nobody borrows yet (what this queue could still borrow). */
  readonly availableToBorrow: Amount;
  readonly allocations: number;
}

export type QuotaRefusal =
  | { readonly kind: 'unknown-queue'; readonly queue: string }
  | {
      readonly kind: 'model-mismatch';
      readonly queue: string;
      readonly queueModel: string;
      readonly podModel: string;
    }
  | {
      /** Fixed pools and fixed-mode pods never borrow: the guarantee is the ceiling. */
      readonly kind: 'over-guarantee';
      readonly why: 'fixed-pool' | 'fixed-mode' | 'no-limit';
      readonly dimension: QuotaDimension;
      readonly requested: Amount;
      readonly figures: QueueFigures;
    }
  | {
      readonly kind: 'over-limit';
      readonly dimension: QuotaDimension;
      readonly requested: Amount;
      readonly figures: QueueFigures;
    }
  | {
      /** Borrowing would be within the limit, but others do not lend enough idle capacity. */
      readonly kind: 'no-idle-capacity';
      readonly dimension: QuotaDimension;
      readonly requested: Amount;
      readonly figures: QueueFigures;
    }
  | {
      /** Within the guarantee, but the pool is full and nothing can be reclaimed. */
      readonly kind: 'pool-full';
      readonly dimension: QuotaDimension;
      readonly requested: Amount;
      readonly poolCapacity: Amount;
      readonly poolUsed: Amount;
      readonly figures: QueueFigures;
    }
  | {
      /** planReclaim found no set of allowed victims that makes room. */
      readonly kind: 'no-victims';
      readonly requested: Amount;
      readonly because: QuotaRefusal | null;
      readonly figures: QueueFigures;
    };

export type AdmitDecision =
  | {
      readonly kind: 'admitted';
      /** `guarantee`: all of it within the queue's guarantee; `borrowing`: part of it borrowed. */
      readonly how: 'guarantee' | 'borrowing';
      readonly borrowed: Amount;
      readonly mode: QuotaMode;
    }
  | {
      /** Within the guarantee, but borrowers hold the capacity: call planReclaim. */
      readonly kind: 'needs-reclaim';
      readonly shortfall: Amount;
      readonly figures: QueueFigures;
    }
  | { readonly kind: 'refused'; readonly refusal: QuotaRefusal };

export interface Victim {
  readonly allocation: Allocation;
  /** `reclaim`: a borrower giving back lent guarantee; `priority`: lower priority in the same queue. */
  readonly reason: 'reclaim' | 'priority';
}

export type ReclaimPlan =
  | { readonly kind: 'none-needed' }
  | { readonly kind: 'victims'; readonly victims: readonly Victim[]; readonly freed: Amount }
  | { readonly kind: 'impossible'; readonly refusal: QuotaRefusal };
