/** Invariants of the Philly simulator on random small traces. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queueDelay } from './metrics.js';
import { simulate } from './simulator.js';
import type { PhillyJob, PhillyVc } from './trace.js';

const VCS: PhillyVc[] = [
  { vc: 'A', nodes: 1 },
  { vc: 'B', nodes: 2 },
  { vc: 'C', nodes: 1 },
];

const jobsArb = fc
  .array(
    fc.record({
      vc: fc.constantFrom('A', 'B', 'C'),
      submit: fc.integer({ min: 0, max: 500 }),
      gpus: fc.constantFrom(1, 2, 4, 8, 16),
      duration: fc.integer({ min: 1, max: 300 }),
    }),
    { maxLength: 30 },
  )
  .map((list) =>
    list
      .map((j, i): PhillyJob => ({ ...j, gpus: j.vc === 'B' ? j.gpus : Math.min(j.gpus, 8), line: i + 2 }))
      .sort((a, b) => a.submit - b.submit || a.line - b.line),
  );

describe('simulator invariants', () => {
  it('every job finishes, runs exactly its duration (progress kept), and fixed FIFO starts in submit order per VC', () => {
    fc.assert(
      fc.property(jobsArb, fc.constantFrom<'fixed' | 'elastic'>('fixed', 'elastic'), (jobs, mode) => {
        const run = simulate(jobs, VCS, { mode });
        expect(run.outcomes).toHaveLength(jobs.length);
        let busy = 0;
        for (const o of run.outcomes) {
          expect(o.runTime).toBe(o.duration);
          expect(o.firstStart).toBeGreaterThanOrEqual(o.submit);
          expect(o.end).toBeGreaterThanOrEqual(o.submit + o.duration);
          expect(queueDelay(o)).toBeGreaterThanOrEqual(0);
          busy += o.runTime * o.gpus;
        }
        expect(run.busyGpuSeconds).toBe(busy);
        if (mode === 'fixed') {
          expect(run.preemptions).toBe(0);
          for (const vc of ['A', 'B', 'C']) {
            const starts = run.outcomes.filter((o) => o.vc === vc).sort((a, b) => a.submit - b.submit || a.line - b.line).map((o) => o.firstStart);
            expect(starts).toEqual([...starts].sort((a, b) => a - b));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with lost progress, a preempted job runs longer than its duration by exactly the lost work', () => {
    fc.assert(
      fc.property(jobsArb, (jobs) => {
        const run = simulate(jobs, VCS, { mode: 'elastic', restart: 'lose' });
        for (const o of run.outcomes) {
          if (o.preemptions === 0) expect(o.runTime).toBe(o.duration);
          else expect(o.runTime).toBeGreaterThanOrEqual(o.duration);
        }
      }),
      { numRuns: 100 },
    );
  });
});
