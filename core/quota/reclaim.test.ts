import { describe, expect, it } from 'vitest';
import { borrowersOf, checkVictims, planReclaim } from './reclaim.js';
import { makeBook, mustAdmit, req } from './test/builders.js';
import type { AdmitRequest } from './types.js';

// Pool of three lending queues, each g8 limit 24: capacity 24.
function pool() {
  return makeBook({ p: 'elastic' }, [
    { name: 'a', guarantee: 8, limit: 24, priority: 1 },
    { name: 'b', guarantee: 8, limit: 24, priority: 2 },
    { name: 'c', guarantee: 8, limit: 24, priority: 3 },
  ]);
}

interface Setup {
  r: AdmitRequest;
  at: number;
}

interface Case {
  name: string;
  setup: Setup[];
  ask: AdmitRequest;
  want: string[] | 'none-needed' | 'impossible';
}

describe('reclaim victim choice', () => {
  const cases: Case[] = [
    // a1 8 fits a's guarantee; b's 8 is idle and lent.
    {
      name: 'no reclaim when idle capacity suffices',
      setup: [{ r: req('a1', 'a', 8), at: 0 }],
      ask: req('x', 'b', 8),
      want: 'none-needed',
    },
    // a: a1 8 (inside), a2 4 (t1), a3 4 (t2) borrow 8; c uses 8 (full own). Used 24 = capacity.
    // b asks 4 inside its guarantee → 4 short; most recently started borrower = a3.
    {
      name: 'most recently started borrower first, only as many as needed',
      setup: [
        { r: req('a1', 'a', 8), at: 0 },
        { r: req('a2', 'a', 4), at: 1 },
        { r: req('a3', 'a', 4), at: 2 },
        { r: req('c1', 'c', 8), at: 3 },
      ],
      ask: req('x', 'b', 4),
      want: ['a3'],
    },
    // Same, but a3 has pod priority 5: keep order a3 (4), a1 (4 + 8 = 12 > 8: borrower), a2 (borrower).
    // Victim order: lowest priority (a1, a2 at 0), then latest start: a2 (t1) before a1 (t0). Need 4 → a2.
    {
      name: 'lowest pod priority is reclaimed first',
      setup: [
        { r: req('a1', 'a', 8), at: 0 },
        { r: req('a2', 'a', 4), at: 1 },
        { r: req('a3', 'a', 4, 5), at: 2 },
        { r: req('c1', 'c', 8), at: 3 },
      ],
      ask: req('x', 'b', 4),
      want: ['a2'],
    },
    // b needs 8 inside its guarantee; borrowers: a2 (4, t1), a3 (4, t2) → both (a1 is inside a's guarantee).
    {
      name: 'several victims, never one inside its own guarantee',
      setup: [
        { r: req('a1', 'a', 8), at: 0 },
        { r: req('a2', 'a', 4), at: 1 },
        { r: req('a3', 'a', 4), at: 2 },
        { r: req('c1', 'c', 8), at: 3 },
      ],
      ask: req('x', 'b', 8),
      want: ['a3', 'a2'],
    },
    // a borrows 8 in one pod a2 (8); b asks 2 → one victim (a2) even though it frees more.
    {
      name: 'a big borrower is taken whole',
      setup: [
        { r: req('a1', 'a', 8), at: 0 },
        { r: req('a2', 'a', 8), at: 1 },
        { r: req('c1', 'c', 8), at: 2 },
      ],
      ask: req('x', 'b', 2),
      want: ['a2'],
    },
    // a is over guarantee (borrowing) and asks more: borrowers cannot be displaced by a borrowing request.
    {
      name: 'a borrowing request cannot reclaim',
      setup: [
        { r: req('a1', 'a', 8), at: 0 },
        { r: req('b1', 'b', 12), at: 1 },
        { r: req('c1', 'c', 4), at: 2 },
      ],
      ask: req('x', 'a', 8),
      want: 'impossible',
    },
    // Within a queue: priority 10 request over a's limit preempts a's lowest-priority, latest pod.
    {
      name: 'higher priority preempts lower priority in the same queue',
      setup: [
        { r: req('a1', 'a', 8, 1), at: 0 },
        { r: req('a2', 'a', 8, 1), at: 1 },
        { r: req('a3', 'a', 8, 3), at: 2 },
      ],
      ask: req('x', 'a', 8, 10),
      want: ['a2'],
    },
    // Equal priority never preempts in the same queue.
    {
      name: 'equal priority does not preempt',
      setup: [
        { r: req('a1', 'a', 8, 1), at: 0 },
        { r: req('a2', 'a', 16, 1), at: 1 },
      ],
      ask: req('x', 'a', 8, 1),
      want: 'impossible',
    },
  ];
  it.each(cases)('$name', ({ setup, ask, want }) => {
    const book = pool();
    for (const s of setup) mustAdmit(book, s.r, s.at);
    const plan = planReclaim(book, ask);
    if (want === 'none-needed' || want === 'impossible') {
      expect(plan.kind).toBe(want);
      return;
    }
    expect(plan.kind).toBe('victims');
    if (plan.kind !== 'victims') return;
    expect(plan.victims.map((v) => v.allocation.id)).toEqual(want);
    for (const v of plan.victims) book.release(v.allocation.id);
    expect(book.admit(ask, 100).kind).toBe('admitted');
  });

  it('borrowersOf lists only what lies above the guarantee', () => {
    const book = pool();
    mustAdmit(book, req('a1', 'a', 6), 0);
    mustAdmit(book, req('a2', 'a', 4), 1); // 6 + 4 = 10 > 8: a2 crosses the line
    expect(borrowersOf(book, 'a').map((a) => a.id)).toEqual(['a2']);
    book.release('a1');
    expect(borrowersOf(book, 'a')).toEqual([]);
  });

  it('eligible restricts victims (e.g. to one node)', () => {
    const book = pool();
    mustAdmit(book, req('a1', 'a', 8), 0);
    mustAdmit(book, req('a2', 'a', 4), 1);
    mustAdmit(book, req('a3', 'a', 4), 2);
    mustAdmit(book, req('c1', 'c', 8), 3);
    const plan = planReclaim(book, req('x', 'b', 4), { eligible: (a) => a.id === 'a2' });
    expect(plan.kind === 'victims' && plan.victims.map((v) => v.allocation.id)).toEqual(['a2']);
    expect(planReclaim(book, req('x', 'b', 4), { eligible: (a) => a.id === 'a1' }).kind).toBe('impossible');
  });
});

describe('checking victims proposed by the scheduler', () => {
  it('keeps borrowers, spares pods inside their guarantee, and says whether that is enough', () => {
    const book = pool();
    mustAdmit(book, req('a1', 'a', 8), 0);
    mustAdmit(book, req('a2', 'a', 4), 1);
    mustAdmit(book, req('a3', 'a', 4), 2);
    mustAdmit(book, req('c1', 'c', 8), 3);
    // b needs 8 inside its guarantee; a2 and a3 borrow b's 8; a1 and c1 are inside their guarantees.
    const partial = checkVictims(book, req('x', 'b', 8), ['a1', 'a3', 'c1']);
    expect(partial.allowed.map((v) => v.allocation.id)).toEqual(['a3']);
    expect(partial.refused).toEqual(['a1', 'c1']);
    expect(partial.sufficient).toBe(false);
    expect(checkVictims(book, req('x', 'b', 8), ['a2', 'a3']).sufficient).toBe(true);
  });
});

describe('fixed allocations above a lowered guarantee are never reclaim victims', () => {
  // An admin lowered queue fx's guarantee from 8 to 2 GPUs while it ran 8 GPUs of fixed
  // work (restored as after a restart): 6 GPUs now sit "above" the guarantee, but they never
  // borrowed, so reclaim must not take them.
  it('fixed pool', () => {
    const book = makeBook({ f: 'fixed' }, [
      { name: 'fx', guarantee: 2 },
      { name: 'o', guarantee: 8 },
    ]);
    book.restore({ id: 'fx1', queue: 'fx', amount: req('fx1', 'fx', 8).amount, priority: 0, startedAt: 0, mode: 'fixed' });
    expect(borrowersOf(book, 'fx')).toEqual([]);
    const plan = planReclaim(book, req('x', 'o', 8));
    expect(plan.kind === 'victims' && plan.victims.some((v) => v.allocation.id === 'fx1')).toBe(false);
  });

  it('fixed-mode pods in a mixed pool', () => {
    const book = makeBook({ m: 'mixed' }, [
      { name: 'mx', guarantee: 2, limit: 10 },
      { name: 'o', guarantee: 8, limit: 10 },
    ]);
    book.restore({ id: 'fixedpod', queue: 'mx', amount: req('fixedpod', 'mx', 6).amount, priority: 0, startedAt: 0, mode: 'fixed' });
    book.restore({ id: 'elasticpod', queue: 'mx', amount: req('elasticpod', 'mx', 2).amount, priority: 0, startedAt: 1, mode: 'elastic' });
    expect(borrowersOf(book, 'mx').map((a) => a.id)).toEqual(['elasticpod']);
  });
});
