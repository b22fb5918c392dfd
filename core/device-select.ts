/**
 * Choosing devices on one node for whole-device requests.
 * - NVLink / PCIe: the set of `count` free devices with the largest sum of pair scores;
 *   ties go to the set that leaves the remaining free devices best connected, then to the
 *   lowest positions. Exhaustive over combinations (memoised per node by free mask).
 * - Ascend 910 (HCCS rings, not full mesh): 1/2/4/8 chips only; ≤ 4 inside one ring by the
 *   fragment preference (1 chip: ring with 1 free, then 3, 2, 4; 2 chips: 2, then 4, then 3;
 *   4 chips: a ring with 4 free); 8 chips take two whole rings.
 * - 910B full mesh and nodes without topology: the lowest free positions.
 * Sets are bit masks of device positions.
 */
import type { Node } from './model.js';
import { maskPairSum } from './link-score.js';

export function popcount(mask: number): number {
  let m = mask >>> 0;
  let c = 0;
  while (m !== 0) {
    m &= m - 1;
    c++;
  }
  return c;
}

export function maskToPositions(mask: number): number[] {
  const out: number[] = [];
  for (let i = 0; mask >>> i !== 0 && i < 32; i++) if ((mask & (1 << i)) !== 0) out.push(i);
  return out;
}

/** The `count` lowest set bits of `mask`, or -1 when it has fewer. */
export function lowestBits(mask: number, count: number): number {
  let out = 0;
  let left = count;
  for (let i = 0; i < 32 && left > 0; i++) {
    if ((mask & (1 << i)) !== 0) {
      out |= 1 << i;
      left--;
    }
  }
  return left === 0 ? out : -1;
}

/** Ascend 910 (two 4-chip rings): chip counts a node can give one container. */
export const ASCEND_RING_COUNTS: readonly number[] = [1, 2, 4, 8];

/** Ring preference by free chips in the ring, per requested count (ring size 4). */
export const RING_PREFERENCE: Readonly<Record<number, readonly number[]>> = {
  1: [1, 3, 2, 4],
  2: [2, 4, 3],
  4: [4],
};

/** True when `node` is HCCS with separate rings (Ascend 910 Atlas 800), where ring rules apply. */
export function hasRingRules(node: Node): boolean {
  return node.topology.kind === 'hccs' && !node.topology.fullMesh;
}

/**
 * Ascend ring choice. `freeMask`: free eligible chips. Returns the chosen mask or -1.
 * For ring sizes other than 4, or counts with no preference row, the ring with the fewest
 * free chips that still fit wins (best fit).
 */
export function pickRingSet(groups: readonly (readonly number[])[], freeMask: number, count: number): number {
  const ringMasks = groups.map((g) => g.reduce((m, p) => m | (1 << p), 0));
  const ringSize = groups[0]?.length ?? 0;
  if (count > ringSize) {
    // whole rings only: take fully free rings, lowest first, until count is covered
    let out = 0;
    let got = 0;
    for (const rm of ringMasks) {
      if (got >= count) break;
      if ((freeMask & rm) === rm) {
        out |= rm;
        got += popcount(rm);
      }
    }
    return got === count ? out : -1;
  }
  const prefs = ringSize === 4 ? RING_PREFERENCE[count] : undefined;
  let best = -1;
  let bestRank = Infinity;
  ringMasks.forEach((rm, r) => {
    const free = popcount(freeMask & rm);
    if (free < count) return;
    let rank: number;
    if (prefs !== undefined) {
      const at = prefs.indexOf(free);
      if (at < 0) return;
      rank = at;
    } else {
      rank = free;
    }
    if (rank < bestRank) {
      bestRank = rank;
      best = r;
    }
  });
  if (best < 0) return -1;
  return lowestBits(freeMask & (ringMasks[best] as number), count);
}

/** Objective of a whole set: pair sum of the set, then pair sum of what stays free. */
export function wholeSetObjective(pair: Uint8Array, n: number, freeMask: number, set: number): [number, number] {
  return [maskPairSum(pair, n, set), maskPairSum(pair, n, freeMask & ~set)];
}

/** Above this many candidate sets the search is greedy instead of exhaustive. */
export const EXHAUSTIVE_SET_LIMIT = 20_000;

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * Best-connected set of `count` positions from `freeMask`: exhaustive search (exact for
 * every node up to 8 devices, and whenever C(free, count) ≤ EXHAUSTIVE_SET_LIMIT), else
 * greedy. Returns -1 when fewer than `count` are free.
 */
export function bestConnectedSet(pair: Uint8Array, n: number, freeMask: number, count: number): number {
  const free = maskToPositions(freeMask);
  if (free.length < count) return -1;
  if (count === 0) return 0;
  if (free.length === count) return freeMask;
  if (binomial(free.length, count) > EXHAUSTIVE_SET_LIMIT) return greedySet(pair, n, free, count);
  let bestMask = -1;
  let bestIn = -1;
  let bestOut = -1;
  const chosen: number[] = [];
  // total pair sum of all free devices, to derive the remaining sum cheaply:
  // out = total − in − cross(set, rest)
  const total = maskPairSum(pair, n, freeMask);
  const recurse = (start: number, mask: number, inSum: number): void => {
    if (chosen.length === count) {
      let cross = 0;
      for (const a of chosen) {
        for (const b of free) if ((mask & (1 << b)) === 0) cross += pair[a * n + b] ?? 0;
      }
      const outSum = total - inSum - cross;
      if (inSum > bestIn || (inSum === bestIn && outSum > bestOut)) {
        bestIn = inSum;
        bestOut = outSum;
        bestMask = mask;
      }
      return;
    }
    const need = count - chosen.length;
    for (let k = start; k <= free.length - need; k++) {
      const p = free[k] as number;
      let add = 0;
      for (const q of chosen) add += pair[p * n + q] ?? 0;
      chosen.push(p);
      recurse(k + 1, mask | (1 << p), inSum + add);
      chosen.pop();
    }
  };
  recurse(0, 0, 0);
  return bestMask;
}

/** Greedy from every start device: add the device with the largest link sum to the set; keep the best result. */
function greedySet(pair: Uint8Array, n: number, free: readonly number[], count: number): number {
  let freeMask = 0;
  for (const p of free) freeMask |= 1 << p;
  let bestMask = -1;
  let bestIn = -1;
  let bestOut = -1;
  for (const start of free) {
    let mask = 1 << start;
    for (let size = 1; size < count; size++) {
      let best = -1;
      let bestGain = -1;
      for (const p of free) {
        if ((mask & (1 << p)) !== 0) continue;
        let gain = 0;
        for (const q of free) if ((mask & (1 << q)) !== 0) gain += pair[p * n + q] ?? 0;
        if (gain > bestGain) {
          bestGain = gain;
          best = p;
        }
      }
      mask |= 1 << best;
    }
    const inSum = maskPairSum(pair, n, mask);
    const outSum = maskPairSum(pair, n, freeMask & ~mask);
    if (inSum > bestIn || (inSum === bestIn && outSum > bestOut)) {
      bestIn = inSum;
      bestOut = outSum;
      bestMask = mask;
    }
  }
  return bestMask;
}
