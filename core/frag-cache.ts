/**
 * Memoised FGD node fragmentation. The cache is plain data the caller owns and passes in
 * (core keeps no hidden state): one cache per workload mix. Keys are the node state that
 * fragmentation depends on: model, free CPU and the sorted vector of per-device free compute.
 */
import { nodeFragmentation, type TaskClass } from './fragmentation.js';

export interface FragCache {
  readonly mix: readonly TaskClass[];
  readonly memo: Map<string, number>;
  /** The memo is cleared when it grows past this many entries. */
  readonly maxEntries: number;
  hits: number;
  misses: number;
}

export function createFragCache(mix: readonly TaskClass[], maxEntries = 1_000_000): FragCache {
  return { mix, memo: new Map(), maxEntries, hits: 0, misses: 0 };
}

const sortScratch: number[] = [];

/**
 * F_n(M) of a node whose healthy devices have the given free compute (first `count`
 * entries of `freeMilli`; negative values count as 0).
 */
export function cachedNodeFragmentation(
  cache: FragCache,
  model: string,
  cpuFreeMilli: number,
  freeMilli: ArrayLike<number>,
  count: number,
): number {
  if (cache.mix.length === 0) return 0;
  sortScratch.length = count;
  for (let i = 0; i < count; i++) {
    const v = freeMilli[i] ?? 0;
    sortScratch[i] = v > 0 ? v : 0;
  }
  // insertion sort: vectors are short (≤ 30)
  for (let i = 1; i < count; i++) {
    const v = sortScratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (sortScratch[j] as number) > v) {
      sortScratch[j + 1] = sortScratch[j] as number;
      j--;
    }
    sortScratch[j + 1] = v;
  }
  const key = stateKey(model, cpuFreeMilli, count);
  const hit = cache.memo.get(key);
  if (hit !== undefined) {
    cache.hits++;
    return hit;
  }
  cache.misses++;
  const value = nodeFragmentation(
    { model, cpuMilli: cpuFreeMilli, deviceFreeMilli: sortScratch.slice(0, count) },
    cache.mix,
  );
  if (cache.memo.size >= cache.maxEntries) cache.memo.clear();
  cache.memo.set(key, value);
  return value;
}

/** Compact key: model, CPU, then one UTF-16 unit per device when values are small integers. */
function stateKey(model: string, cpuFreeMilli: number, count: number): string {
  let compact = true;
  for (let i = 0; i < count; i++) {
    const v = sortScratch[i] as number;
    if (!Number.isInteger(v) || v > 0xffff) {
      compact = false;
      break;
    }
  }
  if (compact) return `${model}\u0001${cpuFreeMilli}\u0001${String.fromCharCode.apply(null, sortScratch)}`;
  let key = `${model}\u0002${cpuFreeMilli}`;
  for (let i = 0; i < count; i++) key += `,${sortScratch[i]}`;
  return key;
}
