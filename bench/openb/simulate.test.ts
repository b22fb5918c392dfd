import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OpenbNode, OpenbPod } from './csv.js';
import { POLICY_NAMES, runSimulation } from './simulate.js';

function pod(name: string, gpuCount: number, gpuMilli: number, cpuMilli = 1000, models: string[] = []): OpenbPod {
  return { name, cpuMilli, memoryMiB: 1024, gpuCount, gpuMilli, models };
}

describe('runSimulation', () => {
  it('places what fits and fails what does not, on a hand-sized cluster', () => {
    // One node, 2 GPUs (capacity 2000 milli). Shares 600 + 600 + 800 = 2000 = 1.0 × capacity,
    // so tune 1.0 adds nothing (the first draw would overshoot). In any order exactly one pod
    // fails: 600/600 take one GPU each and 800 finds no GPU with 800 free, or 800 and a 600
    // take the GPUs and the other 600 finds 200 / 400 free.
    const nodes: OpenbNode[] = [{ name: 'n', cpuMilli: 32000, memoryMiB: 65536, gpuCount: 2, model: 'T4' }];
    const pods = [pod('a', 1, 600), pod('b', 1, 600), pod('c', 1, 800)];
    for (const policy of ['tessera', 'bestfit', 'fgd', 'packing'] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const r = runSimulation({ nodes, pods, policy, seed, tune: 1.0 });
        expect(r.pods).toBe(3);
        expect(r.failedPods).toBe(1);
        // Arrived reaches 100 % with the last attempt; allocated is 1200 or 1400 of 2000.
        expect([40, 30]).toContain(Math.round(r.curves.unallocatedPct[100] as number));
      }
    }
  });

  it('respects gpu_spec: a pod constrained to an absent model fails everywhere', () => {
    // A10 exists on node b only, and b has no CPU left for the 40-core pod.
    const nodes: OpenbNode[] = [
      { name: 'a', cpuMilli: 64000, memoryMiB: 65536, gpuCount: 2, model: 'T4' },
      { name: 'b', cpuMilli: 8000, memoryMiB: 65536, gpuCount: 1, model: 'A10' },
    ];
    const r = runSimulation({ nodes, pods: [pod('x', 1, 1000, 40000, ['A10'])], policy: 'tessera', seed: 1, tune: 0.34 });
    // Capacity 3000 × 0.34 = 1020 ≥ the 1000-milli pod, and one more draw would overshoot.
    expect(r.pods).toBe(1);
    expect(r.failedPods).toBe(1);
  });

  it('never allocates more than arrived or than capacity, for every policy (property)', () => {
    const nodeArb = fc.record({
      gpuCount: fc.constantFrom(1, 2, 4, 8),
      cpuMilli: fc.constantFrom(8000, 32000, 96000),
      model: fc.constantFrom('T4', 'G2'),
    });
    const podArb = fc.oneof(
      fc.record({ gpuCount: fc.constant(1), gpuMilli: fc.integer({ min: 1, max: 999 }) }),
      fc.record({ gpuCount: fc.constantFrom(0, 1, 2, 4, 8), gpuMilli: fc.constant(1000) }).map((p) => (p.gpuCount === 0 ? { gpuCount: 0, gpuMilli: 0 } : p)),
    );
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 5 }),
        fc.array(podArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...POLICY_NAMES),
        fc.integer({ min: 0, max: 1000 }),
        (ns, ps, policy, seed) => {
          const nodes = ns.map((n, i) => ({ name: `n${i}`, memoryMiB: 1 << 20, ...n }));
          const pods = ps.map((p, i) => pod(`p${i}`, p.gpuCount, p.gpuMilli, 2000));
          const r = runSimulation({ nodes, pods, policy, seed, tune: 1.3 });
          for (let x = 0; x <= 130; x++) {
            const a = r.curves.allocatedPct[x];
            if (a === null || a === undefined) continue;
            expect(a).toBeGreaterThanOrEqual(0);
            expect(a).toBeLessThanOrEqual(100 + 1e-9);
            // Averages over samples within x ± 1 of arrived: allocated ≤ arrived (+1 for the window, +rounding).
            expect(a).toBeLessThanOrEqual(x + 1.5);
            const f = r.curves.fragmentationPct[x] as number;
            expect(f).toBeGreaterThanOrEqual(-1e-9);
            expect(f).toBeLessThanOrEqual(100 - a + 1e-6);
          }
          expect(r.failedPods).toBeLessThanOrEqual(r.pods);
        },
      ),
      { numRuns: 60 },
    );
  });
});
