import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAscendNode, buildNvidiaNode } from './builders.js';
import { bestConnectedSet, lowestBits, maskToPositions, pickRingSet, popcount } from './device-select.js';
import { pairScoreMatrix } from './link-score.js';
import { DGX1_V100, DGX_A100, DGX_H100, FIXTURE_FILES, PCIE_2SOCKET, RTX8000_PAIRS } from './test-support/topologies.js';
import { wholeOn, type PickOutcome } from './test-support/helpers.js';
import { SHARED_FIXTURES } from '../bench/shared-dir.js';

const dgx1 = buildNvidiaNode({ name: 'dgx1', gpus: 8, model: 'Tesla V100-SXM2-32GB', links: DGX1_V100 });
const a100 = buildNvidiaNode({ name: 'a100', gpus: 8, links: DGX_A100 });
const h100 = buildNvidiaNode({ name: 'h100', gpus: 8, model: 'NVIDIA H100 80GB HBM3', links: DGX_H100 });
const pcie = buildNvidiaNode({ name: 'pcie', gpus: 8, model: 'NVIDIA L40S', links: PCIE_2SOCKET });
const rtx = buildNvidiaNode({ name: 'rtx', gpus: 4, model: 'Quadro RTX 8000', links: RTX8000_PAIRS });
const a910 = buildAscendNode({ name: 'atlas800', chip: '910' });
const b910 = buildAscendNode({ name: 'atlas800-b', chip: '910B' });

describe('topology fixtures copied into test-support', () => {
  it.each(Object.entries(FIXTURE_FILES))('%s equals the shared fixture (when present)', (file, matrix) => {
    const path = `${SHARED_FIXTURES}/nvidia-smi/topo/${file}`;
    if (!existsSync(path)) return;
    expect(JSON.parse(readFileSync(path, 'utf8')).matrix).toEqual(matrix);
  });
});

interface Case {
  name: string;
  node: typeof dgx1;
  busy: number[];
  count: number;
  want: PickOutcome;
}

// Pair scores: NV<n> = 10 + n (NV1 11, NV2 12, NV12 22, NV18 28), PIX 5, PHB 3, SYS 1.
// DGX-1V: every GPU has two NV1 and two NV2 links and three SYS: 11+11+12+12+3 = 49 per GPU;
// all pairs: 8 NV2 (96) + 8 NV1 (88) + 12 SYS (12) = 196.
const cases: Case[] = [
  // NV2 pairs score 12; each leaves 196 − 12 − (49−12)·2 = 110 for the rest: tie → lowest (0,3).
  { name: 'DGX-1V 2 GPUs empty → first NV2 pair', node: dgx1, busy: [], count: 2, want: { positions: [0, 3] } },
  // quads {0,1,2,3} and {4,5,6,7}: 11+11+12+12+11+12 = 69 each, every other quad ≤ 49.
  { name: 'DGX-1V 4 GPUs empty → a fully linked quad', node: dgx1, busy: [], count: 4, want: { positions: [0, 1, 2, 3] } },
  // triples with 35 (NV2+NV2+NV1): {0,2,3},{1,2,3},{4,6,7},{5,6,7}; all leave 196−35−(3·49−70) = 84 → lowest.
  { name: 'DGX-1V 3 GPUs empty → NV2,NV2,NV1 triple', node: dgx1, busy: [], count: 3, want: { positions: [0, 2, 3] } },
  // GPU 0 busy; free total 196−49 = 147. NV2 pairs and what stays free:
  // (1,2) 147−12−(26+26) = 83; (1,5) 73; (2,3) 147−12−(26+25) = 84; (4,7) 74; (5,6) 63; (6,7) 63 → (2,3),
  // keeping the quad 4–7 whole.
  { name: 'DGX-1V 2 GPUs with 0 busy → (2,3) keeps the other quad whole', node: dgx1, busy: [0], count: 2, want: { positions: [2, 3] } },
  // {0,1,2,3} partly busy: only {4,5,6,7} scores 69.
  { name: 'DGX-1V 4 GPUs with 1 busy → other quad', node: dgx1, busy: [1], count: 4, want: { positions: [4, 5, 6, 7] } },
  { name: 'DGX-1V 8 GPUs with one busy → devices', node: dgx1, busy: [5], count: 8, want: { unfit: 'devices', unresolvable: false } },
  { name: 'DGX-1V 9 GPUs → more than the node has (unresolvable)', node: dgx1, busy: [], count: 9, want: { unfit: 'device-count', unresolvable: true } },
  // all NV12: every set ties on both objectives → lowest free positions.
  { name: 'DGX A100 3 GPUs with 1 busy → lowest free', node: a100, busy: [1], count: 3, want: { positions: [0, 2, 3] } },
  { name: 'DGX H100 8 GPUs empty → all', node: h100, busy: [], count: 8, want: { positions: [0, 1, 2, 3, 4, 5, 6, 7] } },
  { name: 'DGX H100 2 GPUs with 0,1 busy → 2,3', node: h100, busy: [0, 1], count: 2, want: { positions: [2, 3] } },
  // PCIe: per socket 2 PIX (10) + 4 PHB (12) = 22; 16 SYS across → total 60; GPU sums 5+3+3+4 = 15.
  { name: 'PCIe 2 GPUs empty → PIX pair', node: pcie, busy: [], count: 2, want: { positions: [0, 1] } },
  // GPU 0 busy: free total 45; (2,3): 45−5−(7+7) = 26; (4,5) and (6,7): 45−5−(9+9) = 22 → (2,3).
  { name: 'PCIe 2 GPUs with 0 busy → PIX pair on the same socket', node: pcie, busy: [0], count: 2, want: { positions: [2, 3] } },
  { name: 'PCIe 4 GPUs empty → one socket (22 > any mixed quad)', node: pcie, busy: [], count: 4, want: { positions: [0, 1, 2, 3] } },
  // with 1 busy, {0,2,3,x} ≤ 3+3+5+3 = 14 < 22 of socket 1.
  { name: 'PCIe 4 GPUs with 1 busy → other socket', node: pcie, busy: [1], count: 4, want: { positions: [4, 5, 6, 7] } },
  // RTX 8000: NV2 pairs (0,3) and (1,2); 0-1 and 2-3 NODE, 0-2 and 1-3 SYS.
  { name: 'RTX 8000 2 GPUs → NVLink bridge pair', node: rtx, busy: [], count: 2, want: { positions: [0, 3] } },
  { name: 'RTX 8000 2 GPUs with 0 busy → the other bridge', node: rtx, busy: [0], count: 2, want: { positions: [1, 2] } },
  // Ascend 910: rings {0,1,2,3} and {4,5,6,7}.
  { name: '910 1 chip: ring with 1 free beats 4 free', node: a910, busy: [4, 5, 6], count: 1, want: { positions: [7] } },
  { name: '910 1 chip: ring with 3 free beats 2 free', node: a910, busy: [0, 4, 5], count: 1, want: { positions: [1] } },
  { name: '910 1 chip: ring with 2 free beats 4 free', node: a910, busy: [0, 1], count: 1, want: { positions: [2] } },
  { name: '910 1 chip: both rings 4 free → first ring', node: a910, busy: [], count: 1, want: { positions: [0] } },
  { name: '910 2 chips: ring with 2 free beats 3 free', node: a910, busy: [0, 4, 5], count: 2, want: { positions: [6, 7] } },
  { name: '910 2 chips: ring with 4 free beats 3 free', node: a910, busy: [4], count: 2, want: { positions: [0, 1] } },
  { name: '910 2 chips: one free per ring → topology', node: a910, busy: [0, 1, 2, 4, 5, 6], count: 2, want: { unfit: 'topology', unresolvable: false } },
  { name: '910 4 chips: needs a whole ring', node: a910, busy: [0], count: 4, want: { positions: [4, 5, 6, 7] } },
  { name: '910 4 chips: 3+3 free → topology', node: a910, busy: [0, 4], count: 4, want: { unfit: 'topology', unresolvable: false } },
  { name: '910 8 chips: both rings', node: a910, busy: [], count: 8, want: { positions: [0, 1, 2, 3, 4, 5, 6, 7] } },
  { name: '910 3 chips: not 1/2/4/8 (unresolvable)', node: a910, busy: [], count: 3, want: { unfit: 'device-count', unresolvable: true } },
  { name: '910 6 chips: not 1/2/4/8 (unresolvable)', node: a910, busy: [], count: 6, want: { unfit: 'device-count', unresolvable: true } },
  { name: '910B 3 chips: full mesh takes any count', node: b910, busy: [0], count: 3, want: { positions: [1, 2, 3] } },
  { name: '910B 5 chips', node: b910, busy: [], count: 5, want: { positions: [0, 1, 2, 3, 4] } },
];

describe('whole-device set selection', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(wholeOn(c.node, c.busy, c.count)).toEqual(c.want);
  });

  it('910 1 chip: an unhealthy chip is not free (ring A then has 3 free, preferred over 4)', () => {
    const sick = buildAscendNode({ name: 'sick', chip: '910', unhealthy: [0] });
    expect(wholeOn(sick, [], 1)).toEqual({ positions: [1] });
  });
});

describe('bit helpers', () => {
  it.each([
    { name: 'popcount 0b1011 = 3', got: popcount(0b1011), want: 3 },
    { name: 'lowestBits(0b11010, 2) = 0b1010', got: lowestBits(0b11010, 2), want: 0b1010 },
    { name: 'lowestBits short → -1', got: lowestBits(0b1, 2), want: -1 },
  ])('$name', ({ got, want }) => expect(got).toBe(want));
  it('maskToPositions', () => expect(maskToPositions(0b10100101)).toEqual([0, 2, 5, 7]));
  it('pickRingSet with uneven ring size uses best fit', () => {
    // rings of 3: free counts 3 and 2 → for 2 chips the ring with 2 free
    expect(pickRingSet([[0, 1, 2], [3, 4, 5]], 0b110111, 2)).toBe(0b110000);
  });
  it('bestConnectedSet returns -1 when too few free', () => {
    expect(bestConnectedSet(pairScoreMatrix(dgx1), 8, 0b11, 3)).toBe(-1);
  });
});

describe('large nodes', () => {
  it('a 24-device node picks 12 devices greedily without enumerating C(24,12)', () => {
    // two NVLink islands of 12 (NV12 inside, SYS across): greedy stays inside one island
    const links = Array.from({ length: 24 }, (_, i) =>
      Array.from({ length: 24 }, (_, j) => (i === j ? 'X' : Math.floor(i / 12) === Math.floor(j / 12) ? 'NV12' : 'SYS')),
    );
    const big = buildNvidiaNode({ name: 'big', gpus: 24, links });
    expect(wholeOn(big, [0], 12)).toEqual({ positions: [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23] });
  });
});
