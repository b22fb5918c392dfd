/**
 * CorePlacement's per-shape memo (with the whole-ledger sweep on a new column) must answer
 * exactly what judging afresh answers, while pods are placed and nodes change under it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger, buildNvidiaNode, placementFromDecision, sharePod, wholePod, type PodRequest } from '../../core/index.js';
import { CorePlacement, Judgement, shapeOf } from '../src/core-placement.js';

const NODES = Array.from({ length: 24 }, (_, i) =>
  buildNvidiaNode({ name: `n-${i}`, gpus: [1, 2, 4, 8][i % 4] as number, model: i % 3 === 0 ? 'V100' : 'T4', cpuMilli: 16_000 + (i % 5) * 8_000 }),
);

type Step = { shape: number; cpu: number; start: number; len: number; place: boolean };

function podOf(step: Step, uid: string): PodRequest {
  const spec = { uid, cpuMilli: step.cpu * 1000 };
  if (step.shape < 4) return wholePod([1, 2, 4, 8][step.shape] as number, spec);
  return sharePod({ count: 1, computeMilli: (step.shape - 3) * 100 }, spec);
}

describe('CorePlacement memo', () => {
  it('equals judging afresh on every call, across placements, column evictions and sweeps', () => {
    const step = fc.record({
      shape: fc.integer({ min: 0, max: 12 }),
      cpu: fc.constantFrom(2, 4, 8, 16),
      start: fc.integer({ min: 0, max: NODES.length - 1 }),
      len: fc.integer({ min: 1, max: NODES.length }),
      place: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (steps, shapes) => {
        const ledger = Ledger.fromNodes(NODES);
        const memo = new CorePlacement(shapes);
        const fresh = new CorePlacement(shapes);
        // FGD scores against a mix (the production scorer), in both
        const mix = [shapeOf(sharePod({ count: 1, computeMilli: 300 })), shapeOf(wholePod(1)), shapeOf(wholePod(2, { cpuMilli: 8000 }))];
        memo.setWorkload(mix);
        fresh.setWorkload(mix);
        const a = new Judgement();
        const b = new Judgement();
        steps.forEach((s, t) => {
          const pod = podOf(s, `p-${t}`);
          const index = Int32Array.from({ length: s.len }, (_, k) => (s.start + k) % NODES.length);
          memo.judgeInto(ledger, pod, index, index.length, () => 1, a, true);
          fresh.judgeInto(ledger, pod, index, index.length, () => 1, b, false);
          let best = -1;
          for (let k = 0; k < index.length; k++) {
            const ra = a.raw[k] as number;
            const rb = b.raw[k] as number;
            if (rb !== rb) {
              expect(ra).toBeNaN();
              expect(memo.reasonText(a.reason[k] as number)).toBe(fresh.reasonText(b.reason[k] as number));
            } else {
              expect(ra).toBe(rb);
              if (best < 0 || rb > (b.raw[best] as number)) best = k;
            }
          }
          if (s.place && best >= 0) {
            const d = memo.decideAt(ledger, pod, index[best] as number, 1, t);
            expect(ledger.reserve(pod.uid, placementFromDecision(d, pod)).ok).toBe(true);
          }
        });
      }),
      { numRuns: 60 },
    );
  });

  it('a new column judges the whole ledger once; the next call re-judges only changed nodes', () => {
    const ledger = Ledger.fromNodes(NODES);
    const p = new CorePlacement(8);
    const out = new Judgement();
    const pod = sharePod({ count: 1, computeMilli: 300 }, { uid: 'a' });
    p.judgeInto(ledger, pod, Int32Array.of(0, 1, 2), 3, () => 1, out, true);
    expect(p.judgedFresh).toBe(NODES.length);
    const d = p.decideAt(ledger, pod, 5, 1, 0);
    expect(ledger.reserve('a', placementFromDecision(d, pod)).ok).toBe(true);
    p.judgeInto(ledger, { ...pod, uid: 'b', name: 'b' }, Int32Array.from({ length: 12 }, (_, k) => k), 12, () => 1, out, true);
    expect(p.judgedFresh).toBe(NODES.length + 1);
  });
});
