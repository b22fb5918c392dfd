/** Invariants of the quota book under random admit / release / reclaim sequences. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as A from './amount.js';
import { borrowersOf, planReclaim } from './reclaim.js';
import { makeBook } from './test/builders.js';
import type { QuotaBook } from './quota-book.js';
import type { AdmitRequest, QuotaMode } from './types.js';

const QUEUES = ['a', 'b', 'c', 'm'] as const;

// Elastic pool a, b, c (g 8 / limit 20, c does not lend); mixed pool m+n (g 4 / limit 8); fixed pool f.
function world(): QuotaBook {
  return makeBook({ el: 'elastic', mx: 'mixed', fx: 'fixed' }, [
    { name: 'a', pool: 'el', guarantee: 8, limit: 20, priority: 1 },
    { name: 'b', pool: 'el', guarantee: 8, limit: 20, priority: 2 },
    { name: 'c', pool: 'el', guarantee: 8, limit: 20, lend: false },
    { name: 'm', pool: 'mx', guarantee: 4, limit: 8 },
    { name: 'n', pool: 'mx', guarantee: 4, limit: 8 },
    { name: 'f', pool: 'fx', guarantee: 6, limit: 12 },
  ]);
}

type Op =
  | { kind: 'admit'; queue: string; milli: number; priority: number; mode: QuotaMode }
  | { kind: 'release'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('admit' as const),
    queue: fc.constantFrom(...QUEUES, 'n', 'f'),
    milli: fc.constantFrom(250, 500, 1000, 2000, 4000, 8000),
    priority: fc.integer({ min: 0, max: 3 }),
    mode: fc.constantFrom<QuotaMode>('elastic', 'fixed'),
  }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

/**
 * Drive the book like a scheduler: admit; when the request is inside its guarantee and borrowers
 * hold the capacity, run one reclaim step (release the planned victims) and admit again.
 * Returns the number of failed "one reclaim step" attempts (must stay 0).
 */
function drive(book: QuotaBook, ops: Op[], onStep?: (victimsFixed: boolean, insideVictim: boolean) => void): number {
  let n = 0;
  let failures = 0;
  for (const op of ops) {
    n++;
    if (op.kind === 'release') {
      const all = book.allocations();
      const victim = all[op.pick % Math.max(1, all.length)];
      if (victim !== undefined) book.release(victim.id);
      continue;
    }
    const r: AdmitRequest = { id: `j${n}`, queue: op.queue, amount: { gpuMilli: op.milli, memoryMiB: 0 }, priority: op.priority, quotaMode: op.mode };
    const d = book.admit(r, n);
    if (d.kind !== 'needs-reclaim') continue;
    const borrowerIds = new Set(book.groupMates(op.queue).flatMap((q) => borrowersOf(book, q).map((a) => a.id)));
    const plan = planReclaim(book, r);
    if (plan.kind !== 'victims') {
      failures++;
      continue;
    }
    const reclaimed = plan.victims.filter((v) => v.reason === 'reclaim').map((v) => v.allocation);
    onStep?.(reclaimed.some((a) => a.mode === 'fixed'), reclaimed.some((a) => !borrowerIds.has(a.id)));
    for (const v of plan.victims) book.release(v.allocation.id);
    if (book.admit(r, n).kind !== 'admitted') failures++;
  }
  return failures;
}

describe('quota invariants', () => {
  it('usage equals the sum of reservations, and no pool group exceeds its capacity', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const book = world();
        drive(book, ops);
        for (const f of book.usage()) {
          const sum = A.sum(book.allocationsOf(f.queue).map((a) => a.amount));
          expect(f.used).toEqual(sum);
          expect(A.fits(f.used, f.limit)).toBe(true);
        }
        for (const group of [['a', 'b', 'c'], ['m', 'n'], ['f']]) {
          const used = A.sum(group.map((q) => book.usedOf(q)));
          const cap = A.sum(group.map((q) => book.queues.get(q)!.guarantee));
          expect(A.fits(used, cap)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('release undoes admit', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), opArb, (ops, extra) => {
        const book = world();
        drive(book, ops);
        if (extra.kind !== 'admit') return;
        const before = book.usage();
        const r: AdmitRequest = { id: 'extra', queue: extra.queue, amount: { gpuMilli: extra.milli, memoryMiB: 0 }, priority: 0, quotaMode: extra.mode };
        const d = book.admit(r, 1000);
        if (d.kind === 'admitted') expect(book.release('extra')).toBeDefined();
        expect(book.usage()).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('guaranteed capacity taken by borrowers comes back in one reclaim step; reclaim never takes a pod inside its guarantee or a fixed allocation', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const book = world();
        let fixedVictim = false;
        let insideVictim = false;
        const failures = drive(book, ops, (f, i) => {
          fixedVictim ||= f;
          insideVictim ||= i;
        });
        expect(failures).toBe(0);
        expect(fixedVictim).toBe(false);
        expect(insideVictim).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('any queue can always get its whole idle guarantee back (admit, or one reclaim step)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.constantFrom(...QUEUES), (ops, queue) => {
        const book = world();
        drive(book, ops);
        const idle = A.excess(book.queues.get(queue)!.guarantee, book.usedOf(queue));
        if (idle.gpuMilli === 0) return;
        const r: AdmitRequest = { id: 'probe', queue, amount: { gpuMilli: idle.gpuMilli, memoryMiB: 0 }, priority: 0, quotaMode: 'fixed' };
        const first = book.check(r);
        if (first.kind === 'admitted') return;
        expect(first.kind).toBe('needs-reclaim');
        const plan = planReclaim(book, r);
        expect(plan.kind).toBe('victims');
        if (plan.kind !== 'victims') return;
        expect(plan.victims.every((v) => v.reason === 'reclaim' && v.allocation.queue !== queue)).toBe(true);
        for (const v of plan.victims) book.release(v.allocation.id);
        expect(book.check(r).kind).toBe('admitted');
      }),
      { numRuns: 300 },
    );
  });
});
