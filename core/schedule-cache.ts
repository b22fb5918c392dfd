/**
 * Caller-owned memo of per-node fit and score results for `scheduleOne`. A decision changes
 * one node, so for the next pod of the same shape every other node's answer is unchanged:
 * entries are keyed by pod shape and are valid while the node's state object and version
 * are the same. Used only with scorers that declare `cacheable: true` (pure functions of
 * node state, pod shape and fit), and reset when the scorer or placement options change.
 */
import type { PodRequest } from './request.js';
import type { NodeView } from './ledger.js';
import type { FitResult, PlacementOptions } from './fit.js';
import type { NodeScorer } from './policy.js';

interface Entry {
  readonly fit: FitResult;
  readonly score: number;
}

interface NodeMemo {
  state: NodeView;
  version: number;
  entries: Map<number, Entry>;
}

/** Candidate names resolved to ledger positions (−1: unknown), for one candidates array. */
interface ResolvedCandidates {
  ledger: object;
  nodeCount: number;
  names: readonly string[];
  indexes: Int32Array;
}

export interface ScheduleCache {
  owner: readonly unknown[] | null;
  readonly perNode: (NodeMemo | undefined)[];
  /** Pod shape key → small integer id (entries are keyed by id). */
  readonly shapeIds: Map<string, number>;
  resolved: ResolvedCandidates | null;
  /** Shapes kept per node before its memo is cleared. */
  readonly maxShapesPerNode: number;
  hits: number;
  misses: number;
}

export function createScheduleCache(maxShapesPerNode = 64): ScheduleCache {
  return { owner: null, perNode: [], shapeIds: new Map(), resolved: null, maxShapesPerNode, hits: 0, misses: 0 };
}

/** Everything about a pod that fit and score may read (not its identity). */
export function podShapeKey(pod: PodRequest): string {
  let key = `${pod.cpuMilli}|${pod.memoryMiB}|${pod.priority}`;
  for (const c of pod.containers) {
    const a = c.accel;
    key += `|${a.kind}:${a.vendor}:${a.count}:${(a.allow ?? []).join(',')}:${(a.deny ?? []).join(',')}`;
    if (a.kind === 'share') key += `:${a.memoryMiB ?? ''}:${a.memoryPercent ?? ''}:${a.computeMilli ?? ''}:${a.template ?? ''}`;
  }
  return key;
}

/** Reset the cache when it is used with another scorer or other options. */
export function bindScheduleCache(cache: ScheduleCache, scorer: NodeScorer, options: PlacementOptions): void {
  const owner = [
    scorer,
    options.fragCache,
    options.computeOvercommit ?? 1,
    options.pickShareDevice,
    options.pickWholeSet,
    options.validWholeCount,
    options.random,
  ];
  const same = cache.owner !== null && cache.owner.length === owner.length && owner.every((v, i) => Object.is(v, cache.owner?.[i]));
  if (same) return;
  cache.owner = owner;
  cache.perNode.length = 0;
  cache.shapeIds.clear();
}

/** Interned id of a pod shape key. */
export function shapeId(cache: ScheduleCache, shape: string): number {
  let id = cache.shapeIds.get(shape);
  if (id === undefined) {
    if (cache.shapeIds.size >= 1_000_000) {
      // ids must stay unique while entries hold them: drop everything
      cache.shapeIds.clear();
      cache.perNode.length = 0;
    }
    id = cache.shapeIds.size;
    cache.shapeIds.set(shape, id);
  }
  return id;
}

/** Ledger positions of `names` (−1 for unknown names), memoised for the same array and ledger. */
export function resolveCandidates(cache: ScheduleCache | undefined, ledger: { indexOf(name: string): number; readonly nodeCount: number }, names: readonly string[]): Int32Array {
  const r = cache?.resolved;
  if (r !== undefined && r !== null && r.names === names && r.ledger === ledger && r.nodeCount === ledger.nodeCount) return r.indexes;
  const indexes = new Int32Array(names.length);
  for (let k = 0; k < names.length; k++) indexes[k] = ledger.indexOf(names[k] as string);
  if (cache !== undefined) cache.resolved = { ledger, nodeCount: ledger.nodeCount, names, indexes };
  return indexes;
}

export function lookupEntry(cache: ScheduleCache, index: number, view: NodeView, shape: number): Entry | undefined {
  const memo = cache.perNode[index];
  if (memo === undefined || memo.state !== view || memo.version !== view.version) return undefined;
  const e = memo.entries.get(shape);
  if (e !== undefined) cache.hits++;
  return e;
}

export function storeEntry(cache: ScheduleCache, index: number, view: NodeView, shape: number, entry: Entry): void {
  cache.misses++;
  let memo = cache.perNode[index];
  if (memo === undefined || memo.state !== view || memo.version !== view.version) {
    memo = { state: view, version: view.version, entries: new Map() };
    cache.perNode[index] = memo;
  } else if (memo.entries.size >= cache.maxShapesPerNode) {
    memo.entries.clear();
  }
  memo.entries.set(shape, entry);
}
