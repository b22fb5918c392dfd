/**
 * Memoised FGD node fragmentation. The cache is plain data the caller owns and passes in
 * (core keeps no hidden state): one cache per workload mix. Keys are the node state that
 * fragmentation depends on: model, free CPU and the sorted vector of per-device free compute.
 *
 * The usual key (integer CPU, at most 16 devices with integer free compute 0…65535) lives in
 * an open-addressing table of typed arrays: a lookup builds no string and an entry is no JS
 * object (the scheduler extender looks up thousands per pod; string keys were most of its
 * per-decision garbage, and the entries added were young-generation survivors). Other keys
 * (fractions, larger values, more devices) use a Map of string keys. The value is the same
 * either way: `placementFragmentation` of the key with the cache's fill weight — FGD's
 * F_n(M) (`nodeFragmentation`) when the weight is 0, as for the benchmark metric.
 */
import { ConfigError } from './errors.js';
import { DEFAULT_FILL_WEIGHT, placementFragmentation, type TaskClass } from './fragmentation.js';

/** Devices a compact key holds (two 16-bit free-compute values per 32-bit word). */
const MAX_COMPACT = 16;
/** Int32 words per table slot: model id + 1 (0: empty), CPU, count, packed values. */
const STRIDE = 3 + MAX_COMPACT / 2;

/** The memo behind a FragCache: `size` entries in all. */
export class FragMemo {
  /** Keys that do not fit the compact table. */
  private readonly other = new Map<string, number>();
  private readonly models = new Map<string, number>();
  private keys = new Int32Array(0);
  private values = new Float64Array(0);
  private mask = -1;
  private used = 0;

  get size(): number {
    return this.used + this.other.size;
  }

  clear(): void {
    this.other.clear();
    this.models.clear();
    this.keys = new Int32Array(0);
    this.values = new Float64Array(0);
    this.mask = -1;
    this.used = 0;
  }

  /** Slot of the compact key in `kw` (or the empty slot where it would go); −1 when the table is empty. */
  private find(kw: Int32Array, words: number): number {
    if (this.mask < 0) return -1;
    let h = 0x811c9dc5;
    for (let w = 0; w < words; w++) h = Math.imul(h ^ (kw[w] as number), 0x01000193);
    h ^= h >>> 15;
    const keys = this.keys;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const at = i * STRIDE;
      if (keys[at] === 0) return i;
      let same = true;
      for (let w = 0; w < words; w++) {
        if (keys[at + w] !== kw[w]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
  }

  /** Model id + 1 (never 0). */
  modelId(model: string): number {
    let id = this.models.get(model);
    if (id === undefined) {
      id = this.models.size + 1;
      this.models.set(model, id);
    }
    return id;
  }

  getCompact(kw: Int32Array, words: number): number | undefined {
    const i = this.find(kw, words);
    if (i < 0 || this.keys[i * STRIDE] === 0) return undefined;
    return this.values[i];
  }

  setCompact(kw: Int32Array, words: number, value: number): void {
    if (this.mask < 0 || (this.used + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const i = this.find(kw, words);
    const at = i * STRIDE;
    if (this.keys[at] === 0) this.used++;
    for (let w = 0; w < words; w++) this.keys[at + w] = kw[w] as number;
    for (let w = words; w < STRIDE; w++) this.keys[at + w] = 0;
    this.values[i] = value;
  }

  getOther(key: string): number | undefined {
    return this.other.get(key);
  }

  setOther(key: string, value: number): void {
    this.other.set(key, value);
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const oldSlots = this.mask + 1;
    const slots = Math.max(1024, oldSlots * 2);
    this.keys = new Int32Array(slots * STRIDE);
    this.values = new Float64Array(slots);
    this.mask = slots - 1;
    this.used = 0;
    const kw = new Int32Array(STRIDE);
    for (let i = 0; i < oldSlots; i++) {
      const at = i * STRIDE;
      if (oldKeys[at] === 0) continue;
      for (let w = 0; w < STRIDE; w++) kw[w] = oldKeys[at + w] as number;
      const words = 3 + (((oldKeys[at + 2] as number) + 1) >> 1);
      const j = this.find(kw, words);
      for (let w = 0; w < STRIDE; w++) this.keys[j * STRIDE + w] = kw[w] as number;
      this.values[j] = oldValues[i] as number;
      this.used++;
    }
  }
}

export interface FragCache {
  readonly mix: readonly TaskClass[];
  /**
   * Weight of fill fragmentation F* in the memoised value (`placementFragmentation`): the
   * production default `DEFAULT_FILL_WEIGHT`; 0 = FGD's F_n(M) (metric, FGD baseline).
   */
  readonly fillWeight: number;
  /**
   * Set when F* only breaks ties (`createFragCache(…, fillTiesOnly = true)`, fillWeight > 0):
   * the cache of FGD's F over the same mix (fill weight 0) — or, when classes carry a
   * `fillScale` above 1 (`withHostScarcity`), F + fillWeight · Σ p_m (fillScale_m − 1) F*_m:
   * the scarce classes' extra F* decides with F. Scorers and pickers decide on the primary
   * first and use this cache's measure only among nodes in one FGD bin and devices with equal
   * primary (`fgdTerm`, `pickLeastFragmentation`).
   */
  readonly primary?: FragCache;
  readonly memo: FragMemo;
  /** The memo is cleared when it grows past this many entries. */
  readonly maxEntries: number;
  hits: number;
  misses: number;
}

/**
 * Where F* enters the production measure: `false` — F + w·F* is the measure (scored in FGD's
 * bins); `true` — FGD's F (plus the excess F* of classes with few hosts, when the mix carries
 * `withHostScarcity` scales) decides and F + w·F* only breaks ties (see `FragCache.primary`).
 * The production policy uses `true` with a host-scarcity mix (bench/RESULTS.md, openb "third
 * pass": the only variant no worse than published FGD on all nine published workloads).
 */
export const DEFAULT_FILL_TIES_ONLY = true;

export function createFragCache(
  mix: readonly TaskClass[],
  maxEntries = 1_000_000,
  fillWeight = DEFAULT_FILL_WEIGHT,
  fillTiesOnly = DEFAULT_FILL_TIES_ONLY,
): FragCache {
  if (!Number.isFinite(fillWeight) || fillWeight < 0) throw new ConfigError('fillWeight', `expected a finite number ≥ 0, got ${fillWeight}`);
  const cache: FragCache = { mix, fillWeight, memo: new FragMemo(), maxEntries, hits: 0, misses: 0 };
  if (!fillTiesOnly || fillWeight === 0) return cache;
  // The primary measure: F, plus the F* of classes scaled above 1 (`withHostScarcity`) by
  // their excess scale only — so a plain mix gives FGD's F exactly.
  const excess = mix.map((t) => ({ ...t, fillScale: Math.max(0, (t.fillScale ?? 1) - 1) }));
  const scarce = excess.some((t) => t.fillScale > 0);
  return { ...cache, primary: createFragCache(scarce ? excess : mix, maxEntries, scarce ? fillWeight : 0, false) };
}

const sortScratch: number[] = [];
const keyWords = new Int32Array(STRIDE);

/**
 * The cache's fragmentation (F_n(M) + fillWeight · F*) of a node whose healthy devices have
 * the given free compute (first `count` entries of `freeMilli`; negative values count as 0).
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
  const memo = cache.memo;
  const words = compactKey(memo, model, cpuFreeMilli, count);
  const key = words > 0 ? '' : stateKey(model, cpuFreeMilli, count);
  const hit = words > 0 ? memo.getCompact(keyWords, words) : memo.getOther(key);
  if (hit !== undefined) {
    cache.hits++;
    return hit;
  }
  cache.misses++;
  const value = placementFragmentation(
    { model, cpuMilli: cpuFreeMilli, deviceFreeMilli: sortScratch.slice(0, count) },
    cache.mix,
    cache.fillWeight,
  );
  if (memo.size >= cache.maxEntries) memo.clear();
  if (words > 0) memo.setCompact(keyWords, compactKey(memo, model, cpuFreeMilli, count), value);
  else memo.setOther(key, value);
  return value;
}

/**
 * The sorted state in `sortScratch` as table key words in `keyWords`: the number of words
 * used, or 0 when it does not fit the compact form.
 */
function compactKey(memo: FragMemo, model: string, cpuFreeMilli: number, count: number): number {
  if (count > MAX_COMPACT || !Number.isInteger(cpuFreeMilli) || cpuFreeMilli < -0x80000000 || cpuFreeMilli > 0x7fffffff) return 0;
  for (let i = 0; i < count; i++) {
    const v = sortScratch[i] as number;
    if (!Number.isInteger(v) || v > 0xffff) return 0;
  }
  keyWords[0] = memo.modelId(model);
  keyWords[1] = cpuFreeMilli;
  keyWords[2] = count;
  const words = 3 + ((count + 1) >> 1);
  for (let w = 3; w < words; w++) {
    const i = (w - 3) * 2;
    const lo = i < count ? (sortScratch[i] as number) : 0;
    const hi = i + 1 < count ? (sortScratch[i + 1] as number) : 0;
    keyWords[w] = lo | (hi << 16);
  }
  return words;
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
