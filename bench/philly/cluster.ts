/**
 * GPU nodes with "consolidate" placement (Helios): a job of ≤ 8 GPUs goes to the node with the
 * fewest free GPUs that still fits it; a larger job takes whole free nodes (⌈g/8⌉ of them).
 * Nodes are kept in buckets by free-GPU count, per placement domain, so a fit is O(8).
 */
export const GPUS_PER_NODE = 8;

export interface Placement {
  readonly node: number;
  readonly gpus: number;
}

interface NodeState {
  readonly index: number;
  /** The VC whose guarantee this node backs (its "home"). */
  readonly home: string;
  free: number;
  readonly jobs: Map<number, number>;
}

/** Per-domain buckets: byFree[f] = nodes with f free GPUs (insertion order on ties). */
class Buckets {
  readonly byFree: Set<number>[] = Array.from({ length: GPUS_PER_NODE + 1 }, () => new Set<number>());
  move(node: number, from: number, to: number): void {
    this.byFree[from]?.delete(node);
    this.byFree[to]?.add(node);
  }
  freeNodes(): Set<number> {
    return this.byFree[GPUS_PER_NODE] ?? new Set();
  }
}

export class Cluster {
  private readonly nodes: NodeState[] = [];
  private readonly domains = new Map<string, Buckets>();
  private readonly all = new Buckets();
  private readonly placements = new Map<number, Placement[]>();

  /** `homes`: per VC, how many nodes back its guarantee. */
  constructor(homes: ReadonlyArray<{ vc: string; nodes: number }>) {
    for (const h of homes) {
      const b = new Buckets();
      this.domains.set(h.vc, b);
      for (let i = 0; i < h.nodes; i++) {
        const index = this.nodes.length;
        this.nodes.push({ index, home: h.vc, free: GPUS_PER_NODE, jobs: new Map() });
        b.byFree[GPUS_PER_NODE]?.add(index);
        this.all.byFree[GPUS_PER_NODE]?.add(index);
      }
    }
  }

  get size(): number {
    return this.nodes.length;
  }

  freeGpus(node: number): number {
    return this.nodes[node]?.free ?? 0;
  }

  homeOf(node: number): string {
    return this.nodes[node]?.home ?? '';
  }

  /** Jobs on a node with their GPU counts. */
  jobsOn(node: number): ReadonlyMap<number, number> {
    return this.nodes[node]?.jobs ?? new Map();
  }

  placementOf(job: number): readonly Placement[] | undefined {
    return this.placements.get(job);
  }

  /**
   * Where a job of `gpus` GPUs would go, or null. `home`: only that VC's nodes; `prefer`:
   * that VC's nodes first, then any node.
   */
  find(gpus: number, opts: { home?: string; prefer?: string } = {}): Placement[] | null {
    if (opts.home !== undefined) return this.findIn(gpus, this.domains.get(opts.home));
    if (opts.prefer !== undefined) {
      const own = this.findIn(gpus, this.domains.get(opts.prefer));
      if (own !== null) return own;
      if (gpus > GPUS_PER_NODE) return this.findWholeNodes(gpus, opts.prefer);
    }
    return this.findIn(gpus, this.all);
  }

  private findIn(gpus: number, b: Buckets | undefined): Placement[] | null {
    if (b === undefined) return null;
    if (gpus <= GPUS_PER_NODE) {
      for (let f = gpus; f <= GPUS_PER_NODE; f++) {
        const set = b.byFree[f];
        if (set !== undefined && set.size > 0) {
          // First in the bucket (deterministic: the order nodes reached this free count).
          for (const n of set) return [{ node: n, gpus }];
        }
      }
      return null;
    }
    const k = Math.ceil(gpus / GPUS_PER_NODE);
    const free = [...b.freeNodes()].sort((x, y) => x - y);
    if (free.length < k) return null;
    return spread(free.slice(0, k), gpus);
  }

  /** Whole free nodes for a large job: the VC's own free nodes first, then others. */
  private findWholeNodes(gpus: number, prefer: string): Placement[] | null {
    const k = Math.ceil(gpus / GPUS_PER_NODE);
    const own = [...(this.domains.get(prefer)?.freeNodes() ?? [])].sort((x, y) => x - y);
    const others = [...this.all.freeNodes()].filter((n) => this.nodes[n]?.home !== prefer).sort((x, y) => x - y);
    const chosen = [...own, ...others].slice(0, k);
    return chosen.length < k ? null : spread(chosen, gpus);
  }

  place(job: number, placement: readonly Placement[]): void {
    if (this.placements.has(job)) throw new Error(`job ${job} is already placed`);
    for (const p of placement) {
      const n = this.nodes[p.node];
      if (n === undefined || n.free < p.gpus) throw new Error(`node ${p.node} cannot hold ${p.gpus} more GPUs`);
      this.setFree(n, n.free - p.gpus);
      n.jobs.set(job, p.gpus);
    }
    this.placements.set(job, [...placement]);
  }

  remove(job: number): void {
    const placement = this.placements.get(job);
    if (placement === undefined) return;
    for (const p of placement) {
      const n = this.nodes[p.node];
      if (n === undefined) continue;
      this.setFree(n, n.free + p.gpus);
      n.jobs.delete(job);
    }
    this.placements.delete(job);
  }

  private setFree(n: NodeState, free: number): void {
    this.all.move(n.index, n.free, free);
    this.domains.get(n.home)?.move(n.index, n.free, free);
    n.free = free;
  }
}

/** Put 8 GPUs on each chosen node, the remainder on the last. */
function spread(nodes: readonly number[], gpus: number): Placement[] {
  let left = gpus;
  return nodes.map((node) => {
    const g = Math.min(GPUS_PER_NODE, left);
    left -= g;
    return { node, gpus: g };
  });
}
