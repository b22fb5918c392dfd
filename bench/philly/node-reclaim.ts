/**
 * Node-aware victim choice for the simulator: among core's reclaim candidates for a request
 * (in core's victim order), the fewest jobs whose removal frees a placement for the job and
 * lets the quota check pass. Jobs are identified by their index (the allocation id).
 */
import { GPUS_PER_NODE } from './cluster.js';
import type { Cluster, Placement } from './cluster.js';
import { quotaMath, reclaimCandidates } from '../../core/index.js';
import type { AdmitRequest, QuotaBook, Victim } from '../../core/index.js';

export interface NodeReclaimInput {
  readonly book: QuotaBook;
  readonly cluster: Cluster;
  readonly req: AdmitRequest;
  readonly gpus: number;
  /** `home`: only that VC's nodes (fixed); `prefer`: that VC's nodes first on ties (elastic). */
  readonly where: { readonly home?: string; readonly prefer?: string };
  readonly reasons: ReadonlySet<Victim['reason']>;
}

export interface NodeReclaimPlan {
  readonly victims: number[];
  readonly placement: Placement[];
}

export function planNodeReclaim(input: NodeReclaimInput): NodeReclaimPlan | null {
  const { book, cluster, req, gpus, where, reasons } = input;
  const rank = new Map<number, number>();
  reclaimCandidates(book, req).forEach((v, i) => {
    if (reasons.has(v.reason)) rank.set(Number(v.allocation.id), i);
  });
  if (rank.size === 0) return null;
  const nodes: number[] = [];
  for (let n = 0; n < cluster.size; n++) {
    if (where.home === undefined || cluster.homeOf(n) === where.home) nodes.push(n);
  }
  const homeFirst = (n: number): number => (cluster.homeOf(n) === (where.prefer ?? where.home) ? 0 : 1);
  const passes = (victims: readonly number[]): boolean => quotaPassesWithout(book, req, victims);
  return gpus <= GPUS_PER_NODE ? onOneNode(cluster, nodes, gpus, rank, homeFirst, passes) : onWholeNodes(cluster, nodes, gpus, rank, homeFirst, passes);
}

function onOneNode(
  cluster: Cluster,
  nodes: readonly number[],
  gpus: number,
  rank: ReadonlyMap<number, number>,
  homeFirst: (n: number) => number,
  passes: (victims: readonly number[]) => boolean,
): NodeReclaimPlan | null {
  const plans: { victims: number[]; node: number; cost: number[] }[] = [];
  for (const n of nodes) {
    let free = cluster.freeGpus(n);
    const on = cluster.jobsOn(n);
    if (free < gpus && [...on.keys()].every((id) => !rank.has(id))) continue;
    const cands = [...on.entries()].filter(([id]) => rank.has(id)).sort((a, b) => (rank.get(a[0]) ?? 0) - (rank.get(b[0]) ?? 0));
    const taken: [number, number][] = [];
    for (const c of cands) {
      if (free >= gpus) break;
      taken.push(c);
      free += c[1];
    }
    if (free < gpus) continue;
    // Give back victims not needed, last taken first.
    for (let i = taken.length - 1; i >= 0; i--) {
      const g = taken[i]?.[1] ?? 0;
      if (free - g >= gpus) {
        free -= g;
        taken.splice(i, 1);
      }
    }
    plans.push({ victims: taken.map(([id]) => id), node: n, cost: [taken.length, taken.reduce((s, [, g]) => s + g, 0), homeFirst(n), n] });
  }
  plans.sort((a, b) => compareCost(a.cost, b.cost));
  // The cheapest plan whose victims also satisfy the quota check.
  const best = plans.find((p) => passes(p.victims));
  return best === undefined ? null : { victims: best.victims, placement: [{ node: best.node, gpus }] };
}

/** A large job: whole nodes that are free or hold only allowed victims, fewest victims first. */
function onWholeNodes(
  cluster: Cluster,
  nodes: readonly number[],
  gpus: number,
  rank: ReadonlyMap<number, number>,
  homeFirst: (n: number) => number,
  passes: (victims: readonly number[]) => boolean,
): NodeReclaimPlan | null {
  const k = Math.ceil(gpus / GPUS_PER_NODE);
  const options: { node: number; victims: number[]; cost: number[] }[] = [];
  for (const n of nodes) {
    const on = [...cluster.jobsOn(n).keys()];
    if (on.some((id) => !rank.has(id))) continue;
    options.push({ node: n, victims: on, cost: [on.length, homeFirst(n), n] });
  }
  if (options.length < k) return null;
  options.sort((a, b) => compareCost(a.cost, b.cost));
  const chosen = options.slice(0, k);
  const victims = [...new Set(chosen.flatMap((o) => o.victims))];
  if (!passes(victims)) return null;
  let left = gpus;
  const placement = chosen.map((o) => {
    const g = Math.min(GPUS_PER_NODE, left);
    left -= g;
    return { node: o.node, gpus: g };
  });
  return { victims, placement };
}

function quotaPassesWithout(book: QuotaBook, req: AdmitRequest, victims: readonly number[]): boolean {
  const used = book.usedSnapshot();
  for (const v of victims) {
    const a = book.allocation(String(v));
    if (a !== undefined) used.set(a.queue, quotaMath.sub(used.get(a.queue) ?? quotaMath.ZERO, a.amount));
  }
  return book.evaluate(req, used).kind === 'admitted';
}

function compareCost(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}
