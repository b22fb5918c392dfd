import { describe, expect, it } from 'vitest';
import { buildNvidiaNode, sharePod, wholePod } from '../builders.js';
import { Ledger, type Placement } from '../ledger.js';
import { compilePod, fitNode, type NodeFit } from '../fit.js';
import { createFragCache } from '../frag-cache.js';
import type { PodRequest } from '../request.js';
import type { TaskClass } from '../fragmentation.js';
import { DGX1_V100, PCIE_2SOCKET } from '../test-support/topologies.js';
import { SCORE_TERMS, fgdBinnedScore, fgdScore, setQuality, sigmoid, type TermInput } from './index.js';
import { pairScoreMatrix } from '../link-score.js';

function grantOn(node: string, dev: number, computeMilli: number, priority = 0, exclusive = false): Placement {
  return {
    node,
    cpuMilli: 0,
    memoryMiB: 0,
    priority,
    containers: [{ name: 'm', index: 0, resource: 'r', devices: [{ id: `GPU-${node}-${dev}`, index: dev, memoryMiB: 0, computeMilli, exclusive }] }],
  };
}

/** Term input; `fillWeight` 0 (default here) = FGD's F, so the hand-computed FGD values below hold. */
function input(ledger: Ledger, pod: PodRequest, mix: readonly TaskClass[] = [], fillWeight = 0): TermInput {
  const fragCache = createFragCache(mix, undefined, fillWeight);
  const r = fitNode(ledger, 0, compilePod(ledger, pod));
  if (!r.ok) throw new Error(`test setup: ${r.unfit.resource}`);
  const fit: NodeFit = r.fit;
  return { view: ledger.view(0), pod, fit, ctx: { ledger, options: {}, fragCache } };
}

const term = (name: string) => {
  const t = SCORE_TERMS[name];
  if (t === undefined) throw new Error(`no term ${name}`);
  return t;
};

describe('sigmoid / fgdScore', () => {
  it.each([
    { name: 'Δ 0 → 0.5', delta: 0, want: 0.5 },
    // 1 / (1 + e^-1) = 0.7310585786
    { name: 'Δ +1000 → 0.7311', delta: 1000, want: 0.7310585786 },
    // 1 / (1 + e^2) = 0.1192029220
    { name: 'Δ −2000 → 0.1192', delta: -2000, want: 0.119202922 },
  ])('$name', ({ delta, want }) => expect(fgdScore(delta)).toBeCloseTo(want, 9));
  it('is monotone', () => expect(sigmoid(1)).toBeGreaterThan(sigmoid(0.5)));
});

describe('fragmentation term', () => {
  const mix: TaskClass[] = [{ cpuMilli: 0, deviceCount: 1, computeMilli: 500, weight: 1 }];
  const cases = [
    {
      // before: free [1000, 700] → F = 0 (both ≥ 500). share 300 goes (best fit) to device 1: [1000, 400]
      // → 400 stranded: Δ = 0 − 400 = −400 → sigmoid(−0.4) = 0.4013
      name: 'share that strands 400 milli',
      grants: [grantOn('n', 1, 300)],
      pod: sharePod({ count: 1, computeMilli: 300 }),
      want: 1 / (1 + Math.exp(0.4)),
    },
    {
      // before: [1000, 200] → 200 stranded. share 200 fills device 1: [1000, 0] → F = 0: Δ = +200 → sigmoid(0.2)
      name: 'share that fills a fragment',
      grants: [grantOn('n', 1, 800)],
      pod: sharePod({ count: 1, computeMilli: 200 }),
      want: 1 / (1 + Math.exp(-0.2)),
    },
    {
      // whole GPU on [1000, 1000]: after [0, 1000] → F = 0 both times → 0.5
      name: 'whole device on an empty node',
      grants: [],
      pod: wholePod(1),
      want: 0.5,
    },
  ];
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'n', gpus: 2 })]);
    for (const [i, g] of c.grants.entries()) expect(l.reserve(`g${i}`, g).ok).toBe(true);
    expect(term('fragmentation')(input(l, c.pod, mix))).toBeCloseTo(c.want, 9);
  });
  it('is neutral (0.5) without a mix', () => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'n', gpus: 2 })]);
    expect(term('fragmentation')(input(l, sharePod({ count: 1, computeMilli: 300 })))).toBe(0.5);
  });
});

describe('interconnect term', () => {
  const dgx1 = buildNvidiaNode({ name: 'd', gpus: 8, links: DGX1_V100 });
  const pcie = buildNvidiaNode({ name: 'p', gpus: 8, links: PCIE_2SOCKET });
  it.each([
    // NV2 pair: 12 / 28
    { name: 'DGX-1V pair (NV2)', node: dgx1, positions: [0, 3], want: 12 / 28 },
    // quad 0-3: 69 / 6 pairs / 28
    { name: 'DGX-1V quad', node: dgx1, positions: [0, 1, 2, 3], want: 69 / 6 / 28 },
    // PIX 5 / 28
    { name: 'PCIe PIX pair', node: pcie, positions: [0, 1], want: 5 / 28 },
    // SYS 1 / 28
    { name: 'PCIe cross-socket pair', node: pcie, positions: [0, 4], want: 1 / 28 },
    { name: 'single device', node: pcie, positions: [3], want: 1 },
  ])('setQuality $name', ({ node, positions, want }) => {
    expect(setQuality(pairScoreMatrix(node), 8, positions)).toBeCloseTo(want, 12);
  });
  it('scores the chosen set of a whole request; shares score 1', () => {
    const l = Ledger.fromNodes([dgx1]);
    expect(term('interconnect')(input(l, wholePod(4)))).toBeCloseTo(69 / 6 / 28, 12);
    expect(term('interconnect')(input(l, sharePod({ count: 2, computeMilli: 10 })))).toBe(1);
  });
});

describe('binpack / spread terms', () => {
  it.each([
    // 4 GPUs, 1000 granted + whole GPU 1000 → 2000 / 4000
    { name: 'one busy GPU + whole GPU', grants: [grantOn('n', 0, 1000, 0, true)], pod: wholePod(1), want: 0.5 },
    // 300 + 200 (share) = 500 / 4000
    { name: 'share beside a share', grants: [grantOn('n', 0, 300)], pod: sharePod({ count: 1, computeMilli: 200 }), want: 0.125 },
    { name: 'empty node + whole GPU', grants: [], pod: wholePod(1), want: 0.25 },
  ])('$name', ({ grants, pod, want }) => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'n', gpus: 4 })]);
    grants.forEach((g, i) => expect(l.reserve(`g${i}`, g).ok).toBe(true));
    const inp = input(l, pod);
    expect(term('binpack')(inp)).toBeCloseTo(want, 12);
    expect(term('spread')(inp)).toBeCloseTo(1 - want, 12);
  });
});

describe('priority term', () => {
  it.each([
    { name: 'empty node is neutral', grants: [] as Placement[], priority: 0, want: 0.5 },
    // 1000 of priority 5, 1000 of priority 0; pod priority 5 → 1000 / 2000
    { name: 'half same priority', grants: [grantOn('n', 0, 1000, 5, true), grantOn('n', 1, 1000, 0, true)], priority: 5, want: 0.5 },
    // 300 of priority 5 and 100 of priority 1 → 300 / 400
    { name: 'mostly same priority', grants: [grantOn('n', 0, 300, 5), grantOn('n', 1, 100, 1)], priority: 5, want: 0.75 },
    { name: 'only other priorities', grants: [grantOn('n', 0, 300, 1)], priority: 5, want: 0 },
  ])('$name', ({ grants, priority, want }) => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'n', gpus: 4 })]);
    grants.forEach((g, i) => expect(l.reserve(`g${i}`, g).ok).toBe(true));
    expect(term('priority')(input(l, wholePod(1, { priority })))).toBeCloseTo(want, 12);
  });
});

describe('fgd term (binned)', () => {
  it.each([
    // ⌊100 · 0.5⌋ / 100
    { name: 'Δ 0 → 0.50', delta: 0, want: 0.5 },
    // sigmoid(−0.03) = 0.49250 → ⌊49.25⌋ = 49
    { name: 'Δ −30 → 0.49', delta: -30, want: 0.49 },
    // sigmoid(0.039) = 0.50975 → 50: ties with Δ 0
    { name: 'Δ +39 → 0.50 (same bin as 0)', delta: 39, want: 0.5 },
    // sigmoid(1) = 0.7311 → 73
    { name: 'Δ +1000 → 0.73', delta: 1000, want: 0.73 },
  ])('$name', ({ delta, want }) => expect(fgdBinnedScore(delta)).toBeCloseTo(want, 12));

  it('scores a placement like the fragmentation term, binned', () => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'n', gpus: 2 })]);
    l.reserve('g', grantOn('n', 1, 300));
    // share 300 on [1000, 700] → device 1 (best fit) → [1000, 400]: Δ = −400 → sigmoid(−0.4) = 0.4013 → 0.40
    const inp = input(l, sharePod({ count: 1, computeMilli: 300 }), [{ cpuMilli: 0, deviceCount: 1, computeMilli: 500, weight: 1 }]);
    expect(term('fgd')(inp)).toBeCloseTo(0.4, 12);
    expect(term('fragmentation')(inp)).toBeCloseTo(0.401312, 6);
  });
});
