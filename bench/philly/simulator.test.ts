import { describe, expect, it } from 'vitest';
import { compareWithFixed, jainIndex, queueDelay, summarize } from './metrics.js';
import { simulate } from './simulator.js';
import type { PhillyJob, PhillyVc } from './trace.js';

const VCS: PhillyVc[] = [
  { vc: 'A', nodes: 1 },
  { vc: 'B', nodes: 1 },
];

function job(line: number, vc: string, submit: number, gpus: number, duration: number): PhillyJob {
  return { line, vc, submit, gpus, duration };
}

// j1: A at 0, 8 GPUs, 100 s; j2: A at 10, 8 GPUs, 50 s; j3: B at 20, 4 GPUs, 30 s.
const TRACE = [job(1, 'A', 0, 8, 100), job(2, 'A', 10, 8, 50), job(3, 'B', 20, 4, 30)];

function byLine(run: ReturnType<typeof simulate>) {
  return Object.fromEntries(run.outcomes.map((o) => [o.line, o]));
}

describe('Philly simulator on a hand-computed trace', () => {
  it('fixed: each VC on its own node, FIFO', () => {
    const run = simulate(TRACE, VCS, { mode: 'fixed' });
    const o = byLine(run);
    // j1 0–100; j2 waits for A's node: 100–150 (delay 90); j3 20–50 on B (delay 0)
    expect([o[1]?.firstStart, o[1]?.end, o[2]?.firstStart, o[2]?.end, o[3]?.firstStart, o[3]?.end]).toEqual([0, 100, 100, 150, 20, 50]);
    const s = summarize(run);
    expect(s.avgQueueDelaySec).toBe(30); // (0 + 90 + 0) / 3
    expect(s.perVc.A?.avgQueueDelaySec).toBe(45);
    expect(s.preemptions).toBe(0);
  });

  it('elastic: A borrows B’s idle node, B reclaims it, A resumes when B is done', () => {
    const run = simulate(TRACE, VCS, { mode: 'elastic' });
    const o = byLine(run);
    // j2 borrows at 10; j3 (inside B's guarantee) reclaims at 20: j2 has run 10 s.
    // j2 cannot borrow 8 while j3 holds 4 of B's 8; resumes at 50 with 40 s left → ends 90.
    expect(o[2]?.firstStart).toBe(10);
    expect(o[2]?.end).toBe(90);
    expect(o[2]?.runTime).toBe(50);
    expect(queueDelay(o[2]!)).toBe(30); // JCT 80 − 50 run
    expect([o[3]?.firstStart, o[3]?.end]).toEqual([20, 50]);
    expect(run.preemptions).toBe(1);
    const cmp = compareWithFixed(run, simulate(TRACE, VCS, { mode: 'fixed' }));
    expect(summarize(run).avgQueueDelaySec).toBe(10); // (0 + 30 + 0) / 3
    expect(cmp.sharingSafetyViolations).toEqual([]);
    // ρ: j1 100/100, j2 80/140, j3 30/30
    expect(cmp.finishTimeFairness.maxRho).toBe(1);
    expect(cmp.finishTimeFairness.medianRho).toBe(1);
    expect(cmp.queueDelayReduction).toBe(3);
  });

  it('elastic with lost progress: the preempted job starts over', () => {
    const o = byLine(simulate(TRACE, VCS, { mode: 'elastic', restart: 'lose' }));
    // j2 ran 10 s, lost it; restarts at 50 for 50 s → ends 100; ran 60 s in all
    expect([o[2]?.end, o[2]?.runTime]).toEqual([100, 60]);
  });

  it('fixed with priorities: a high-priority job preempts a lower one of its own VC', () => {
    const trace = [job(1, 'A', 0, 8, 100), job(2, 'A', 10, 4, 10)];
    const o = byLine(simulate(trace, VCS, { mode: 'fixed', priorities: [0, 1] }));
    // j2 preempts j1 at 10 and runs 10–20; j1 resumes at 20 with 90 s left → ends 110
    expect([o[2]?.firstStart, o[2]?.end, o[1]?.end]).toEqual([10, 20, 110]);
    expect(queueDelay(o[1]!)).toBe(10);
  });

  it('a job larger than its private VC is reported, not run, in fixed mode', () => {
    const run = simulate([job(1, 'A', 0, 16, 10)], VCS, { mode: 'fixed' });
    expect(run.unschedulable).toEqual([1]);
    expect(simulate([job(1, 'A', 0, 16, 10)], VCS, { mode: 'elastic' }).outcomes).toHaveLength(1);
  });
});

describe('Jain index', () => {
  it('is 1 for equal values and 1/n for one non-zero', () => {
    expect(jainIndex([2, 2, 2])).toBe(1);
    expect(jainIndex([3, 0, 0])).toBeCloseTo(1 / 3);
  });
});
