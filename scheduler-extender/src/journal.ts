/**
 * What the admin API shows about recent scheduling: the last filter outcome of each pod
 * still pending, and a bounded log of preemptions / reclaims the extender approved.
 */
export interface PendingEntry {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly atMs: number;
  /** Main reason class (quota, cpu, devices, topology, …). */
  readonly reason: string;
  readonly summary: string;
  /** Up to `sampleSize` node → reason entries. */
  readonly nodes: Readonly<Record<string, string>>;
  readonly queue: string | null;
}

export interface PreemptionEntry {
  readonly atMs: number;
  readonly preemptor: { readonly namespace: string; readonly name: string; readonly uid: string; readonly priority: number };
  readonly node: string;
  readonly victims: readonly string[];
  readonly dropped: readonly { readonly uid: string; readonly why: string }[];
  readonly kind: 'priority' | 'reclaim';
  /** Why, in a sentence (reclaims: whose guarantee, which borrowers). */
  readonly reason?: string;
  /** Namespace of each victim / spared pod, recorded while the pods still exist (tenant filtering). */
  readonly namespaces?: Readonly<Record<string, string>>;
}

export class Journal {
  readonly pending = new Map<string, PendingEntry>();
  private readonly preemptionLog: PreemptionEntry[] = [];

  constructor(private readonly maxPreemptions = 200) {}

  setPending(e: PendingEntry): void {
    this.pending.set(e.uid, e);
  }

  clearPending(uid: string): void {
    this.pending.delete(uid);
  }

  addPreemption(e: PreemptionEntry): void {
    this.preemptionLog.push(e);
    if (this.preemptionLog.length > this.maxPreemptions) this.preemptionLog.shift();
  }

  preemptions(): readonly PreemptionEntry[] {
    return [...this.preemptionLog].reverse();
  }

  /** Pending pods per reason class. */
  pendingByReason(): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.pending.values()) m.set(p.reason, (m.get(p.reason) ?? 0) + 1);
    return m;
  }
}
