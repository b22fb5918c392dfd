/**
 * Interconnect quality of a device pair, as a small integer (higher is better).
 * Order: NV# (more bonded links better) > PIX > PXB > PHB > NODE > SYS.
 */
import type { LinkClass, Node, Topology } from './model.js';

/** Score of the best link we rank (NV18, the H100 NVSwitch fabric); higher NV counts clamp to it. */
export const MAX_NV_LINKS = 18;
export const NV_BASE_SCORE = 10;
export const MAX_LINK_SCORE = NV_BASE_SCORE + MAX_NV_LINKS;

/**
 * Pair score of one link class: NV<n> = 10 + n (NV1 = 11 … NV18 = 28), PIX = 5, PXB = 4,
 * PHB = 3, NODE = 2, SYS = 1, X (self) = 0. Unknown strings count as SYS.
 */
export function linkScore(link: LinkClass | string): number {
  switch (link) {
    case 'PIX':
      return 5;
    case 'PXB':
      return 4;
    case 'PHB':
      return 3;
    case 'NODE':
      return 2;
    case 'SYS':
      return 1;
    case 'X':
      return 0;
    default: {
      const m = /^NV(\d+)$/.exec(link);
      if (m === null) return 1;
      const n = Math.min(Number(m[1]), MAX_NV_LINKS);
      return n > 0 ? NV_BASE_SCORE + n : 1;
    }
  }
}

/** Link score of an HCCS pair: same group (ring or full mesh) is like a fast NVLink, across rings like SYS. */
export const HCCS_SAME_GROUP_SCORE = NV_BASE_SCORE + 6;

/**
 * Flat n×n matrix of pair scores for a node, indexed [i * n + j] by device position.
 * `none`: every pair is SYS (1).
 */
export function pairScoreMatrix(node: Node): Uint8Array {
  const n = node.devices.length;
  const out = new Uint8Array(n * n);
  const topo: Topology = node.topology;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      out[i * n + j] = pairScore(topo, i, j);
    }
  }
  return out;
}

function pairScore(topo: Topology, i: number, j: number): number {
  switch (topo.kind) {
    case 'none':
      return 1;
    case 'nvlink': {
      const link = topo.links[i]?.[j];
      return link === undefined ? 1 : linkScore(link);
    }
    case 'hccs': {
      if (topo.fullMesh) return HCCS_SAME_GROUP_SCORE;
      for (const g of topo.groups) {
        if (g.includes(i) && g.includes(j)) return HCCS_SAME_GROUP_SCORE;
      }
      return 1;
    }
  }
}

/** Sum of pair scores over all pairs of the positions in `mask` (bit i = position i). */
export function maskPairSum(pair: Uint8Array, n: number, mask: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if ((mask & (1 << i)) === 0) continue;
    for (let j = i + 1; j < n; j++) {
      if ((mask & (1 << j)) !== 0) sum += pair[i * n + j] ?? 0;
    }
  }
  return sum;
}
