/**
 * F* as a tie-break only (`createFragCache(mix, _, w, true)`): FGD's binned F decides among
 * nodes and F decides among share devices; F + w·F* orders only what F leaves tied.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildNvidiaNode, sharePod, wholePod } from './builders.js';
import { createFragCache } from './frag-cache.js';
import { compilePod, fitNode } from './fit.js';
import { Ledger } from './ledger.js';
import { createPolicyScorer } from './policy.js';
import { scheduleOne } from './schedule.js';
import { fragmentationAfter, fragmentationDelta } from './score-context.js';
import { fgdBinnedScore } from './terms/fgd-term.js';
import { placementFragmentation, withHostScarcity, type TaskClass } from './fragmentation.js';
import type { PodRequest } from './request.js';

const MIX: TaskClass[] = [
  { cpuMilli: 10_000, deviceCount: 1, computeMilli: 1000, weight: 0.4 },
  { cpuMilli: 6000, deviceCount: 1, computeMilli: 500, weight: 0.3 },
  { cpuMilli: 2000, deviceCount: 1, computeMilli: 300, weight: 0.2 },
  { cpuMilli: 16_000, deviceCount: 2, computeMilli: 1000, weight: 0.1 },
];

describe('createFragCache with fillTiesOnly', () => {
  it('carries FGD\'s F over the same mix as its primary, only when the fill weight is > 0', () => {
    const lex = createFragCache(MIX, 1000, 0.05, true);
    expect(lex.fillWeight).toBe(0.05);
    expect(lex.primary?.fillWeight).toBe(0);
    expect(lex.primary?.mix).toBe(MIX);
    expect(lex.primary?.primary).toBeUndefined();
    expect(createFragCache(MIX, 1000, 0, true).primary).toBeUndefined();
    expect(createFragCache(MIX, 1000, 0.05, false).primary).toBeUndefined();
  });

  it('with host scarcity, the primary adds the F* of scarce classes by their excess scale', () => {
    const mix: TaskClass[] = [
      { cpuMilli: 0, deviceCount: 1, computeMilli: 1000, weight: 0.5, fillScale: 1 },
      { cpuMilli: 0, deviceCount: 1, computeMilli: 500, models: ['T4'], weight: 0.5, fillScale: 4 },
    ];
    const lex = createFragCache(mix, 1000, 0.05, true);
    expect(lex.primary?.fillWeight).toBe(0.05);
    expect(lex.primary?.mix.map((t) => t.fillScale)).toEqual([0, 3]);
    // T4 node, free [1000, 700]: F = 0.5·700 (1000s strand the 700) + 0.5·0 = 350;
    // F* (T4 class) = 1700 − 3 copies·500 = 200, excess scale 3 → 350 + 0.05·0.5·3·200 = 365
    // (the 1000 class, scale 1, adds no F* to the primary)
    const state = { model: 'T4', cpuMilli: 64_000, deviceFreeMilli: [1000, 700] };
    expect(placementFragmentation(state, lex.primary?.mix ?? [], 0.05)).toBeCloseTo(365, 9);
  });
});

describe('F* only breaks ties', () => {
  it('sends a CPU-heavy share to the node whose CPU still feeds its GPUs when FGD ties', () => {
    // as in fill-fragmentation.test.ts: FGD Δ −500 on both nodes (one bin, ties → a);
    // Δ(F + 0.05·F*): a −575 (bin 36), b −525 (bin 37) → b.
    const mix: TaskClass[] = [{ cpuMilli: 10_000, deviceCount: 1, computeMilli: 1000, weight: 1 }];
    const ledger = Ledger.fromNodes([
      buildNvidiaNode({ name: 'a', gpus: 3, cpuMilli: 30_000 }),
      buildNvidiaNode({ name: 'b', gpus: 3, cpuMilli: 60_000 }),
    ]);
    const pod = { ...sharePod({ count: 1, computeMilli: 500 }), cpuMilli: 12_000 };
    const r = scheduleOne(ledger, pod, 0, { fragCache: createFragCache(mix, undefined, 0.05, true) });
    expect(r.ok && r.node).toBe('b');
  });

  const nodeArb = (name: string) =>
    fc.record({ gpus: fc.integer({ min: 1, max: 8 }), cores: fc.integer({ min: 4, max: 128 }) }).map(({ gpus, cores }) =>
      buildNvidiaNode({ name, gpus, cpuMilli: cores * 1000 }),
    );
  const podArb: fc.Arbitrary<PodRequest> = fc.oneof(
    fc.record({ milli: fc.integer({ min: 50, max: 950 }), cores: fc.integer({ min: 0, max: 24 }) }).map(({ milli, cores }) => ({
      ...sharePod({ count: 1, computeMilli: milli }),
      cpuMilli: cores * 1000,
    })),
    fc.record({ n: fc.constantFrom(1, 2, 4), cores: fc.integer({ min: 0, max: 40 }) }).map(({ n, cores }) => ({ ...wholePod(n), cpuMilli: cores * 1000 })),
  );
  const scenario = fc.record({
    nodes: fc.integer({ min: 2, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(`n${i}`)))),
    before: fc.array(podArb, { maxLength: 25 }),
    pod: podArb,
    w: fc.constantFrom(0.05, 0.1, 0.5),
  });

  /** A ledger with the `before` pods placed by plain FGD. */
  function ledgerAfter(nodes: readonly ReturnType<typeof buildNvidiaNode>[], before: readonly PodRequest[]): Ledger {
    const ledger = Ledger.fromNodes(nodes);
    const fgd = createFragCache(MIX, undefined, 0);
    before.forEach((p, i) => {
      const pod = { ...p, uid: `b${i}`, name: `b${i}` };
      const r = scheduleOne(ledger, pod, i, { fragCache: fgd });
      if (r.ok) ledger.reserve(pod.uid, r.placement);
    });
    return ledger;
  }

  it('the chosen node is in the best FGD bin (F + w·F* never overrides FGD)', () => {
    const scorer = createPolicyScorer({ name: 'fgd-only', weights: { fgd: 1 } });
    fc.assert(
      fc.property(scenario, ({ nodes, before, pod, w }) => {
        const ledger = ledgerAfter(nodes, before);
        const lex = createFragCache(MIX, undefined, w, true);
        const fgd = lex.primary;
        if (fgd === undefined) throw new Error('no primary');
        const cp = compilePod(ledger, pod);
        let bestBin = -Infinity;
        for (let i = 0; i < ledger.nodeCount; i++) {
          const f = fitNode(ledger, i, cp, { fragCache: lex });
          if (f.ok) bestBin = Math.max(bestBin, fgdBinnedScore(fragmentationDelta(ledger.view(i), pod, f.fit, fgd)));
        }
        const r = scheduleOne(ledger, pod, 0, { fragCache: lex, scorer });
        if (!r.ok) {
          expect(bestBin).toBe(-Infinity);
          return;
        }
        expect(fgdBinnedScore(fragmentationDelta(ledger.view(r.fit.nodeIndex), pod, r.fit, fgd))).toBe(bestBin);
      }),
      { numRuns: 60 },
    );
  });

  it('the chosen share device leaves the same F as FGD\'s own pick', () => {
    fc.assert(
      fc.property(scenario, ({ nodes, before, pod, w }) => {
        const ledger = ledgerAfter(nodes, before);
        const lex = createFragCache(MIX, undefined, w, true);
        const fgd = createFragCache(MIX, undefined, 0);
        const cp = compilePod(ledger, pod);
        for (let i = 0; i < ledger.nodeCount; i++) {
          const a = fitNode(ledger, i, cp, { fragCache: lex });
          const b = fitNode(ledger, i, cp, { fragCache: fgd });
          expect(a.ok).toBe(b.ok);
          if (!a.ok || !b.ok) continue;
          const v = ledger.view(i);
          expect(fragmentationAfter(v, pod, a.fit, fgd)).toBeCloseTo(fragmentationAfter(v, pod, b.fit, fgd), 9);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('withHostScarcity', () => {
  const nodes = [
    { model: 'T4', devices: 2, cpuMilli: 104_000 },
    { model: 'G2', devices: 8, cpuMilli: 96_000 },
    { model: 'G3', devices: 8, cpuMilli: 128_000 },
  ];
  it.each([
    // 18 devices in all
    { name: 'unconstrained 1-GPU: every node hosts it', t: { cpuMilli: 8000, deviceCount: 1, computeMilli: 1000 }, scale: 1 },
    { name: 'T4 only: 2 of 18 devices', t: { cpuMilli: 4000, deviceCount: 1, computeMilli: 500, models: ['t4'] }, scale: 9 },
    { name: '8 GPUs at 120 cores: only G3', t: { cpuMilli: 120_000, deviceCount: 8, computeMilli: 1000 }, scale: 18 / 8 },
    { name: '4 GPUs: G2 and G3', t: { cpuMilli: 0, deviceCount: 4, computeMilli: 1000 }, scale: 18 / 16 },
    { name: 'no host at all keeps 1', t: { cpuMilli: 0, deviceCount: 1, computeMilli: 1000, models: ['A100'] }, scale: 1 },
  ])('$name → F* × $scale', ({ t, scale }) => {
    const [scaled] = withHostScarcity([{ ...t, weight: 1 }], nodes);
    expect(scaled?.fillScale).toBeCloseTo(scale, 12);
    expect(scaled?.weight).toBe(1);
  });

  it('scales only the F* part of the placement measure', () => {
    // T4-only 1-GPU class on a T4 node with 2 free GPUs and CPU for one copy: F = 0, F* = 1000
    const t: TaskClass = { cpuMilli: 60_000, deviceCount: 1, computeMilli: 1000, models: ['T4'], weight: 1 };
    const state = { model: 'T4', cpuMilli: 100_000, deviceFreeMilli: [1000, 1000] };
    const [scaled] = withHostScarcity([t], nodes);
    if (scaled === undefined) throw new Error('no class');
    expect(placementFragmentation(state, [t], 0.05)).toBeCloseTo(0.05 * 1000, 9);
    expect(placementFragmentation(state, [scaled], 0.05)).toBeCloseTo(0.05 * 9 * 1000, 9);
    expect(placementFragmentation(state, [scaled], 0)).toBe(0);
  });
});
