/**
 * Queue usage over time for the resource board: a fixed-size ring of samples taken from the
 * quota book (GPU equivalents), clock injected. Readers get the samples filtered to the
 * tenants they may see, oldest first.
 */
export interface QueueSample {
  readonly queue: string;
  readonly tenant: string;
  readonly pool: string;
  /** GPU equivalents; null = unlimited (limit only). */
  readonly guarantee: number;
  readonly limit: number | null;
  readonly used: number;
  readonly borrowed: number;
  readonly lent: number;
}

export interface UsageSample {
  readonly atMs: number;
  readonly queues: readonly QueueSample[];
}

export interface UsageHistoryOptions {
  /** How many samples are kept (older ones are overwritten). */
  readonly capacity: number;
  readonly clock: () => number;
  /** Where the figures come from (the quota book now). */
  readonly read: () => readonly QueueSample[];
}

export class UsageHistory {
  private readonly ring: (UsageSample | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly opts: UsageHistoryOptions) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) {
      throw new RangeError(`usage history capacity: expected an integer >= 1, got ${opts.capacity}`);
    }
    this.ring = new Array<UsageSample | undefined>(opts.capacity).fill(undefined);
  }

  get size(): number {
    return this.count;
  }

  /** Take one sample now; returns it. */
  sample(): UsageSample {
    const s: UsageSample = { atMs: this.opts.clock(), queues: this.opts.read().map((q) => ({ ...q })) };
    this.ring[this.next] = s;
    this.next = (this.next + 1) % this.ring.length;
    this.count = Math.min(this.count + 1, this.ring.length);
    return s;
  }

  /** Samples oldest first, each limited to the queues of `tenants` (null = all). */
  samples(tenants: ReadonlySet<string> | null = null, sinceMs = -Infinity): UsageSample[] {
    const out: UsageSample[] = [];
    const n = this.ring.length;
    for (let i = 0; i < this.count; i++) {
      const s = this.ring[(this.next - this.count + i + n) % n];
      if (s === undefined || s.atMs < sinceMs) continue;
      out.push(tenants === null ? s : { atMs: s.atMs, queues: s.queues.filter((q) => tenants.has(q.tenant)) });
    }
    return out;
  }
}
