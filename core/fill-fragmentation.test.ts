import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILL_WEIGHT,
  nodeFragmentation,
  placementFragmentation,
  taskFillFragmentation,
  taskFragmentation,
  type NodeFreeState,
  type TaskClass,
} from './fragmentation.js';
import { createFragCache } from './frag-cache.js';
import { Ledger } from './ledger.js';
import { buildNvidiaNode, sharePod } from './builders.js';
import { scheduleOne } from './schedule.js';

const node = (cpuMilli: number, deviceFreeMilli: number[], model = 'G2'): NodeFreeState => ({ cpuMilli, deviceFreeMilli, model });
const task = (cpuMilli: number, deviceCount: number, computeMilli: number, models?: string[]): TaskClass => ({
  cpuMilli,
  deviceCount,
  computeMilli,
  weight: 1,
  ...(models === undefined ? {} : { models }),
});

describe('taskFillFragmentation (F*), hand-computed', () => {
  it.each([
    // CPU for 2 copies of a 1-GPU task at 8 cores; 4 free GPUs → 2 used, 2000 stranded (FGD's F: 0)
    { name: 'CPU runs out before the GPUs', n: node(20_000, [1000, 1000, 1000, 1000]), t: task(8000, 1, 1000), fill: 2000, fgd: 0 },
    // 470-milli shares: slots 2 + 1 = 3 → 1410 of 1530 used → 120 (F: 0)
    { name: 'share slack', n: node(100_000, [1000, 530]), t: task(0, 1, 470), fill: 120, fgd: 0 },
    // 320s: 3 per GPU → 960 → 40
    { name: 'three 320s leave 40', n: node(100_000, [1000]), t: task(1000, 1, 320), fill: 40, fgd: 0 },
    // does not fit: F* = F = all idle
    { name: 'share too big', n: node(100_000, [300]), t: task(0, 1, 500), fill: 300, fgd: 300 },
    { name: 'CPU-only task', n: node(100_000, [1000, 200]), t: task(4000, 0, 0), fill: 1200, fgd: 1200 },
    { name: 'disallowed model', n: node(100_000, [1000]), t: task(0, 1, 1000, ['T4']), fill: 1000, fgd: 1000 },
    { name: 'no CPU for even one copy', n: node(3000, [1000, 1000]), t: task(4000, 1, 500), fill: 2000, fgd: 2000 },
    // 2-GPU task on 3 free + one half GPU: one copy (2 of 3 slots) → 3500 − 2000 (F: 500)
    { name: 'multi-device whole task', n: node(100_000, [1000, 1000, 1000, 500]), t: task(0, 2, 1000), fill: 1500, fgd: 500 },
    // 2 × 400-milli shares: devices offer 2, 2, 0 slots → 2 copies on distinct devices → 2300 − 1600
    { name: 'multi-device share', n: node(100_000, [1000, 1000, 300]), t: task(0, 2, 400), fill: 700, fgd: 300 },
    // two slots on one device are not two devices
    { name: 'multi-device share on one device', n: node(100_000, [1000]), t: task(0, 2, 100), fill: 1000, fgd: 1000 },
    { name: 'negative free CPU counts as none', n: node(-500, [1000]), t: task(1000, 1, 1000), fill: 1000, fgd: 1000 },
  ])('$name', ({ n, t, fill, fgd }) => {
    expect(taskFillFragmentation(n, t)).toBe(fill);
    expect(taskFragmentation(n, t)).toBe(fgd);
  });
});

const nodeArb = fc.record({
  cpuMilli: fc.integer({ min: 0, max: 128_000 }),
  deviceFreeMilli: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 8 }),
  model: fc.constantFrom('G2', 'T4'),
});
const taskArb = fc.record({
  cpuMilli: fc.integer({ min: 0, max: 32_000 }),
  deviceCount: fc.integer({ min: 0, max: 8 }),
  computeMilli: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 999 })),
  weight: fc.double({ min: 0.01, max: 1, noNaN: true }),
  models: fc.option(fc.constantFrom(['G2'], ['T4'], ['G2', 'T4']), { nil: undefined }),
});

describe('F* properties', () => {
  it('F ≤ F* ≤ idle, and F* = F = idle when the task does not fit', () => {
    fc.assert(
      fc.property(nodeArb, taskArb, (n, t) => {
        const idle = n.deviceFreeMilli.reduce((a, b) => a + b, 0);
        const f = taskFragmentation(n, t);
        const star = taskFillFragmentation(n, t);
        expect(star).toBeGreaterThanOrEqual(f);
        expect(star).toBeLessThanOrEqual(idle);
        if (f === idle) expect(star).toBe(idle);
      }),
      { numRuns: 500 },
    );
  });

  it('placementFragmentation is F + w·Σ p F*, and exactly nodeFragmentation at w = 0', () => {
    fc.assert(
      fc.property(nodeArb, fc.array(taskArb, { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 2, noNaN: true }), (n, mix, w) => {
        expect(placementFragmentation(n, mix, 0)).toBe(nodeFragmentation(n, mix));
        let star = 0;
        for (const t of mix) star += t.weight * taskFillFragmentation(n, t);
        expect(placementFragmentation(n, mix, w)).toBeCloseTo(nodeFragmentation(n, mix) + w * star, 6);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fill fragmentation in the production policy', () => {
  it('sends a CPU-heavy share to the node whose CPU still feeds its GPUs; FGD alone ties and takes the first node', () => {
    // mix: 1-GPU pods at 10 cores. Both nodes: 3 GPUs. Share 500 milli at 12 cores.
    // a (30 cores): after [1000, 1000, 500], 18 cores → F = 500; F* = 2500 − 1 copy = 1500.
    // b (60 cores): after, 48 cores → F = 500; F* = 2500 − 2 copies = 500.
    // FGD Δ: −500 on both (same bin, ties → a). Fill 0.05: a −575 (bin 36), b −525 (bin 37) → b.
    const mix: TaskClass[] = [{ cpuMilli: 10_000, deviceCount: 1, computeMilli: 1000, weight: 1 }];
    const ledger = Ledger.fromNodes([
      buildNvidiaNode({ name: 'a', gpus: 3, cpuMilli: 30_000 }),
      buildNvidiaNode({ name: 'b', gpus: 3, cpuMilli: 60_000 }),
    ]);
    const pod = { ...sharePod({ count: 1, computeMilli: 500 }), cpuMilli: 12_000 };
    const withFill = scheduleOne(ledger, pod, 0, { fragCache: createFragCache(mix) });
    const fgdOnly = scheduleOne(ledger, pod, 0, { fragCache: createFragCache(mix, undefined, 0) });
    expect(DEFAULT_FILL_WEIGHT).toBe(0.05);
    expect(withFill.ok && withFill.node).toBe('b');
    expect(fgdOnly.ok && fgdOnly.node).toBe('a');
  });
});
