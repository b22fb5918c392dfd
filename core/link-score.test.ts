import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkScore, MAX_LINK_SCORE, maskPairSum, pairScoreMatrix } from './link-score.js';
import { buildAscendNode, buildNvidiaNode } from './builders.js';
import { cachedNodeFragmentation, createFragCache } from './frag-cache.js';
import { nodeFragmentation, type TaskClass } from './fragmentation.js';

describe('linkScore', () => {
  it.each([
    { link: 'NV18', want: 28 }, // 10 + 18
    { link: 'NV12', want: 22 }, // 10 + 12
    { link: 'NV2', want: 12 },
    { link: 'NV1', want: 11 },
    { link: 'NV24', want: 28 }, // clamps to NV18
    { link: 'PIX', want: 5 },
    { link: 'PXB', want: 4 },
    { link: 'PHB', want: 3 },
    { link: 'NODE', want: 2 },
    { link: 'SYS', want: 1 },
    { link: 'X', want: 0 },
    { link: 'garbage', want: 1 },
  ])('$link → $want', ({ link, want }) => expect(linkScore(link)).toBe(want));
  it('orders NV# > PIX > PXB > PHB > NODE > SYS', () => {
    const order = ['NV1', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'].map(linkScore);
    expect([...order].sort((a, b) => b - a)).toEqual(order);
    expect(MAX_LINK_SCORE).toBe(28);
  });
});

describe('pairScoreMatrix', () => {
  it('Ascend 910: same ring 16, across rings 1; 910B full mesh 16', () => {
    const a = pairScoreMatrix(buildAscendNode({ name: 'a', chip: '910' }));
    expect([a[0 * 8 + 3], a[0 * 8 + 4], a[5 * 8 + 7]]).toEqual([16, 1, 16]);
    const b = pairScoreMatrix(buildAscendNode({ name: 'b', chip: '910B' }));
    expect(b[0 * 8 + 7]).toBe(16);
  });
  it('no topology: every pair SYS; maskPairSum over 3 devices = 3 pairs × 1', () => {
    const m = pairScoreMatrix(buildNvidiaNode({ name: 'n', gpus: 4 }));
    expect(maskPairSum(m, 4, 0b1011)).toBe(3);
  });
});

describe('cachedNodeFragmentation', () => {
  const mix: TaskClass[] = [
    { cpuMilli: 2000, deviceCount: 1, computeMilli: 500, weight: 0.4 },
    { cpuMilli: 0, deviceCount: 2, computeMilli: 1000, weight: 0.3, models: ['G2'] },
    { cpuMilli: 1000, deviceCount: 0, computeMilli: 0, weight: 0.3 },
  ];
  it('equals nodeFragmentation (fill weight 0) for any device order, and hits on repeats', () => {
    const cache = createFragCache(mix, undefined, 0);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -100, max: 1000 }), { maxLength: 8 }), fc.integer({ min: 0, max: 4000 }), fc.constantFrom('G2', 'T4'), (free, cpu, model) => {
        const want = nodeFragmentation({ model, cpuMilli: cpu, deviceFreeMilli: free.map((f) => Math.max(0, f)) }, mix);
        expect(cachedNodeFragmentation(cache, model, cpu, free, free.length)).toBeCloseTo(want, 9);
        expect(cachedNodeFragmentation(cache, model, cpu, [...free].reverse(), free.length)).toBeCloseTo(want, 9);
      }),
    );
    expect(cache.hits).toBeGreaterThan(0);
  });
  it('handles values that do not fit the compact key', () => {
    const cache = createFragCache(mix, undefined, 0);
    const want = nodeFragmentation({ model: 'G2', cpuMilli: 0, deviceFreeMilli: [70000.5, 100] }, mix);
    expect(cachedNodeFragmentation(cache, 'G2', 0, [70000.5, 100], 2)).toBeCloseTo(want, 9);
  });
});

describe('ledger-wide measures', () => {
  it('ledgerFragmentation sums node fragmentation; ledgerComputeMilli sums grants', async () => {
    const { Ledger } = await import('./ledger.js');
    const { ledgerFragmentation, ledgerComputeMilli } = await import('./score-context.js');
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'a', gpus: 2 }), buildNvidiaNode({ name: 'b', gpus: 1 })]);
    const grant = (node: string, dev: number, computeMilli: number) => ({
      node,
      cpuMilli: 0,
      memoryMiB: 0,
      priority: 0,
      containers: [{ name: 'm', index: 0, resource: 'r', devices: [{ id: `GPU-${node}-${dev}`, index: dev, memoryMiB: 0, computeMilli, exclusive: false }] }],
    });
    l.reserve('x', grant('a', 0, 700));
    l.reserve('y', grant('b', 0, 200));
    // one class: 1 GPU × 500 milli. a: free [300, 1000] → 300 stranded; b: free [800] → 0. F = 300.
    const cache = createFragCache([{ cpuMilli: 0, deviceCount: 1, computeMilli: 500, weight: 1 }], undefined, 0);
    expect(ledgerFragmentation(l, cache)).toBe(300);
    // 700 + 200 of 3000
    expect(ledgerComputeMilli(l)).toEqual({ usedMilli: 900, totalMilli: 3000 });
  });
});
