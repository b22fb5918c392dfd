/**
 * The default share picker: the device that leaves the node least fragmented (FGD), then
 * best fit. Devices of one model with the same used compute leave the same node state, so
 * their fragmentation is computed once.
 */
import type { SharePicker } from './fit.js';
import { cachedNodeFragmentation, type FragCache } from './frag-cache.js';

const freeScratch = new Float64Array(32);
const seenUsed = new Float64Array(32);
const seenModel = new Int32Array(32);
const seenCap = new Float64Array(32);
const seenFrag = new Float64Array(32);
const seenFrag2 = new Float64Array(32);

/**
 * Default share picker: the device that leaves the node least fragmented (FGD, when a
 * fragmentation cache with a mix is given; when the cache's F* only breaks ties, FGD's F
 * first, then F + w·F*); ties, or no mix: best fit — least free compute
 * left, then least free memory left, then the lowest position.
 */
export const pickLeastFragmentation: SharePicker = (view, candidates, need, ctx) => {
  const n = view.deviceCount;
  const node = view.node;
  const useFrag = ctx.fragCache !== undefined && ctx.fragCache.mix.length > 0;
  let best = candidates[0] as number;
  let bestFrag = Infinity;
  let bestFrag2 = Infinity;
  let bestCompute = Infinity;
  let bestMem = Infinity;
  let seen = 0;
  for (const p of candidates) {
    const dev = node.devices[p];
    if (dev === undefined) continue;
    let frag = 0;
    // the tie-breaking measure (F + w·F*) when the cache's F* only breaks ties; else = frag
    let frag2 = 0;
    // devices of one model with the same used compute leave the same node state: reuse
    const usedHere = (view.devComputeUsed[p] as number) + (ctx.pendingCompute[p] as number);
    let dup = -1;
    for (let k = 0; k < seen; k++) {
      if (seenUsed[k] === usedHere && seenModel[k] === view.devModel[p] && seenCap[k] === dev.computeMilli) {
        dup = k;
        break;
      }
    }
    if (dup >= 0) {
      frag = seenFrag[dup] as number;
      frag2 = seenFrag2[dup] as number;
    } else if (useFrag) {
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (view.devHealthy[i] !== 1) continue;
        const d = node.devices[i];
        const cap = d === undefined ? 0 : d.computeMilli;
        const used = view.devExclusive[i] === 1 ? cap : (view.devComputeUsed[i] as number);
        freeScratch[k++] = cap - used - (ctx.pendingCompute[i] as number) - (i === p ? need.computeMilli : 0);
      }
      const cache = ctx.fragCache as FragCache;
      if (cache.primary === undefined) {
        frag = cachedNodeFragmentation(cache, dev.model, ctx.cpuFreeAfterMilli, freeScratch, k);
        frag2 = frag;
      } else {
        frag = cachedNodeFragmentation(cache.primary, dev.model, ctx.cpuFreeAfterMilli, freeScratch, k);
        frag2 = cachedNodeFragmentation(cache, dev.model, ctx.cpuFreeAfterMilli, freeScratch, k);
      }
    }
    if (dup < 0 && seen < 32) {
      seenUsed[seen] = usedHere;
      seenModel[seen] = view.devModel[p] as number;
      seenCap[seen] = dev.computeMilli;
      seenFrag[seen] = frag;
      seenFrag2[seen] = frag2;
      seen++;
    }
    const computeLeft = dev.computeMilli - (view.devComputeUsed[p] as number) - (ctx.pendingCompute[p] as number) - need.computeMilli;
    const memLeft = dev.memoryMiB - (view.devMemUsed[p] as number) - (need.memoryMiB[p] ?? 0);
    if (
      frag < bestFrag ||
      (frag === bestFrag &&
        (frag2 < bestFrag2 || (frag2 === bestFrag2 && (computeLeft < bestCompute || (computeLeft === bestCompute && memLeft < bestMem)))))
    ) {
      best = p;
      bestFrag = frag;
      bestFrag2 = frag2;
      bestCompute = computeLeft;
      bestMem = memLeft;
    }
  }
  return best;
};
