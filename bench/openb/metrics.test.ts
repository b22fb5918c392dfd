import { describe, expect, it } from 'vitest';
import type { NodeFreeState, TaskClass } from '../../core/index.js';
import { atReportPoints, clusterFragmentation, curvesFrom, discretise, roundHalfEven, type Sample } from './metrics.js';

describe('fragmentation metric on hand-computed clusters', () => {
  // Mix: 50 % one whole GPU (4 cores), 30 % a 500-milli share (2 cores), 20 % CPU-only.
  const mix: TaskClass[] = [
    { cpuMilli: 4000, deviceCount: 1, computeMilli: 1000, weight: 0.5 },
    { cpuMilli: 2000, deviceCount: 1, computeMilli: 500, weight: 0.3 },
    { cpuMilli: 1000, deviceCount: 0, computeMilli: 0, weight: 0.2 },
  ];
  const cases: { name: string; nodes: NodeFreeState[]; want: number }[] = [
    {
      // Free GPUs 1000, 300. whole: usable 1, stranded 300 → 300. share(500): stranded 300 → 300.
      // CPU-only: all idle 1300. F = 0.5·300 + 0.3·300 + 0.2·1300 = 150 + 90 + 260 = 500.
      name: 'one node, one whole and one partly used GPU',
      nodes: [{ cpuMilli: 8000, deviceFreeMilli: [1000, 300], model: 'T4' }],
      want: 500,
    },
    {
      // CPU short of the whole-GPU task (3000 < 4000): whole → idle 1600.
      // share: free 600, 1000 both ≥ 500 → 0. CPU-only → 1600.
      // F = 0.5·1600 + 0 + 0.2·1600 = 800 + 320 = 1120.
      name: 'CPU-starved node strands everything for the big task',
      nodes: [{ cpuMilli: 3000, deviceFreeMilli: [600, 1000], model: 'T4' }],
      want: 1120,
    },
    {
      // Node A: free [0, 0] → idle 0 → F = 0.
      // Node B: free [200] → whole: stranded 200, usable 0 < 1 → idle 200; share: idle 200; CPU-only 200.
      //   F_B = 200. F = 0 + 200 = 200.
      name: 'two nodes: a full one and a sliver',
      nodes: [
        { cpuMilli: 8000, deviceFreeMilli: [0, 0], model: 'T4' },
        { cpuMilli: 8000, deviceFreeMilli: [200], model: 'T4' },
      ],
      want: 200,
    },
  ];
  it.each(cases)('$name', ({ nodes, want }) => {
    expect(clusterFragmentation(nodes, mix)).toBeCloseTo(want, 9);
  });
});

describe('discretisation (§2.1 step 6)', () => {
  const cap = 10_000; // 10 GPUs
  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.51].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3]);
  });

  it('averages samples per integer arrived %, falling back to ±1 when a point has none', () => {
    // arrived 100 → 1 %, 120 → 1 % (1.2 rounds to 1), 300 → 3 %, 500 → 5 %.
    // x=1: mean of used 50 and 70 = 60 milli → 0.6 %.
    // x=2: no sample; window 1…3 holds 50, 70, 200 → mean 106.67 → 1.0667 %.
    // x=4: no sample; window 3…5 holds 200, 400 → 300 → 3 %.
    // x=7: nothing within ±1 → null.
    const samples: Sample[] = [
      { arrivedMilli: 100, usedMilli: 50, fragMilli: 0 },
      { arrivedMilli: 120, usedMilli: 70, fragMilli: 0 },
      { arrivedMilli: 300, usedMilli: 200, fragMilli: 0 },
      { arrivedMilli: 500, usedMilli: 400, fragMilli: 0 },
    ];
    const alloc = discretise(samples, cap, (s) => (s.usedMilli / cap) * 100);
    expect(alloc[1]).toBeCloseTo(0.6, 9);
    expect(alloc[2]).toBeCloseTo(((50 + 70 + 200) / 3 / cap) * 100, 9);
    expect(alloc[4]).toBeCloseTo(3, 9);
    expect(alloc[7]).toBeNull();
    expect(alloc).toHaveLength(131);
  });

  it('derives unallocated, fragmentation amount and ratio from the same samples', () => {
    // One sample at 100 % arrived: used 8000 of 10000, frag 1500.
    // unallocated = 100 − 80 = 20; frag amount = 15 %; ratio = 1500 / 2000 = 75 %.
    const c = curvesFrom([{ arrivedMilli: 10_000, usedMilli: 8000, fragMilli: 1500 }], cap);
    expect(c.unallocatedPct[100]).toBeCloseTo(20, 9);
    expect(c.fragmentationPct[100]).toBeCloseTo(15, 9);
    expect(c.fragmentationRatioPct[100]).toBeCloseTo(75, 9);
    expect(atReportPoints(c.unallocatedPct)).toEqual({ '80': null, '90': null, '95': null, '100': 20, '110': null, '120': null, '130': null });
  });
});
