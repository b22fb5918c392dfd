/** The usage history ring: bounded, oldest first, filtered by tenant, clock injected. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageHistory, type QueueSample } from './history.js';

const q = (queue: string, tenant: string, used: number): QueueSample => ({ queue, tenant, pool: 'p', guarantee: 1, limit: null, used, borrowed: 0, lent: 0 });

describe('UsageHistory', () => {
  it('keeps the last `capacity` samples, oldest first, for any number of samples', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (capacity, n) => {
        let now = 1000;
        let used = 0;
        const h = new UsageHistory({ capacity, clock: () => now, read: () => [q('a', 't', used)] });
        for (let i = 0; i < n; i++) {
          now += 10;
          used = i;
          h.sample();
        }
        const s = h.samples();
        expect(h.size).toBe(Math.min(n, capacity));
        expect(s.length).toBe(Math.min(n, capacity));
        // The kept samples are exactly the last ones taken, in order.
        expect(s.map((x) => x.queues[0]?.used)).toEqual(Array.from({ length: s.length }, (_, k) => n - s.length + k));
        for (let k = 1; k < s.length; k++) expect(s[k]!.atMs).toBeGreaterThan(s[k - 1]!.atMs);
      }),
    );
  });

  it('filters queues by tenant and samples by time, and copies what it reads', () => {
    let now = 0;
    const live = [q('a', 'vision', 1), q('b', 'nlp', 2)];
    const h = new UsageHistory({ capacity: 4, clock: () => now, read: () => live });
    h.sample();
    now = 100;
    (live[0] as { used: number }).used = 5;
    h.sample();
    expect(h.samples(new Set(['nlp'])).map((s) => s.queues.map((x) => x.queue))).toEqual([['b'], ['b']]);
    expect(h.samples(null, 50).map((s) => s.atMs)).toEqual([100]);
    expect(h.samples().map((s) => s.queues[0]?.used)).toEqual([1, 5]);
    expect(h.samples(new Set())).toEqual([{ atMs: 0, queues: [] }, { atMs: 100, queues: [] }]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new UsageHistory({ capacity: 0, clock: () => 0, read: () => [] })).toThrow(/capacity: expected an integer >= 1, got 0/);
  });
});
