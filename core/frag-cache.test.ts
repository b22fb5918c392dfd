import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cachedNodeFragmentation, createFragCache } from './frag-cache.js';
import { DEFAULT_FILL_WEIGHT, nodeFragmentation, placementFragmentation, type TaskClass } from './fragmentation.js';

const MIX: TaskClass[] = [
  { cpuMilli: 4000, deviceCount: 1, computeMilli: 300, weight: 0.4 },
  { cpuMilli: 8000, deviceCount: 1, computeMilli: 1000, weight: 0.3 },
  { cpuMilli: 2000, deviceCount: 2, computeMilli: 1000, weight: 0.2, models: ['V100'] },
  { cpuMilli: 1000, deviceCount: 0, computeMilli: 0, weight: 0.1 },
];

/** A node state: compact ones (integers, ≤ 16 devices) and ones that take the string-key path. */
const state = fc.record({
  model: fc.constantFrom('V100', 'T4', 'A100'),
  cpu: fc.oneof(fc.integer({ min: 0, max: 128_000 }), fc.double({ min: 0, max: 128_000, noNaN: true })),
  free: fc.oneof(
    fc.array(fc.integer({ min: -100, max: 1000 }), { minLength: 0, maxLength: 8 }),
    fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 17, maxLength: 24 }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.double({ min: 0, max: 1000, noNaN: true })), { minLength: 1, maxLength: 6 }),
  ),
});

/** What a default cache (production fill weight) must return for the state. */
function direct(model: string, cpu: number, free: readonly number[]): number {
  const sorted = free.map((v) => (v > 0 ? v : 0)).sort((a, b) => a - b);
  return placementFragmentation({ model, cpuMilli: cpu, deviceFreeMilli: sorted }, MIX, DEFAULT_FILL_WEIGHT);
}

describe('cachedNodeFragmentation (compact table and string keys)', () => {
  it('returns what placementFragmentation computes, on first and repeated lookups, across growth and clears', () => {
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 2000 }), (states, maxEntries) => {
        const cache = createFragCache(MIX, maxEntries);
        for (let round = 0; round < 2; round++) {
          for (const s of states) {
            const got = cachedNodeFragmentation(cache, s.model, s.cpu, s.free, s.free.length);
            expect(got).toBe(direct(s.model, s.cpu, s.free));
            // order of the devices does not matter
            expect(cachedNodeFragmentation(cache, s.model, s.cpu, [...s.free].reverse(), s.free.length)).toBe(got);
          }
        }
        expect(cache.memo.size).toBeLessThanOrEqual(maxEntries);
        expect(cache.hits + cache.misses).toBe(states.length * 4);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps thousands of distinct compact states (the table grows) and hits them all again', () => {
    const cache = createFragCache(MIX, 1_000_000);
    const states: [string, number, number[]][] = [];
    for (let i = 0; i < 5000; i++) states.push([i % 2 === 0 ? 'V100' : 'T4', (i % 97) * 1000, [i % 1001, (i * 7) % 1001, 1000, 0]]);
    for (const [m, c, f] of states) cachedNodeFragmentation(cache, m, c, f, f.length);
    const size = cache.memo.size;
    expect(size).toBeGreaterThan(1024);
    const misses = cache.misses;
    for (const [m, c, f] of states) expect(cachedNodeFragmentation(cache, m, c, f, f.length)).toBe(direct(m, c, f));
    expect(cache.misses).toBe(misses);
    expect(cache.memo.size).toBe(size);
  });

  it('tells apart states that differ only in model, CPU, count or one device', () => {
    const cache = createFragCache(MIX);
    const base = direct('V100', 8000, [300, 1000]);
    expect(cachedNodeFragmentation(cache, 'V100', 8000, [300, 1000], 2)).toBe(base);
    expect(cachedNodeFragmentation(cache, 'T4', 8000, [300, 1000], 2)).toBe(direct('T4', 8000, [300, 1000]));
    expect(cachedNodeFragmentation(cache, 'V100', 0, [300, 1000], 2)).toBe(direct('V100', 0, [300, 1000]));
    expect(cachedNodeFragmentation(cache, 'V100', 8000, [300, 1000, 0], 3)).toBe(direct('V100', 8000, [300, 1000, 0]));
    expect(cachedNodeFragmentation(cache, 'V100', 8000, [300, 999], 2)).toBe(direct('V100', 8000, [300, 999]));
    expect(cache.memo.size).toBe(5);
  });

  it('with fill weight 0 memoises FGD\'s F exactly (the benchmark metric)', () => {
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 50 }), (states) => {
        const cache = createFragCache(MIX, undefined, 0);
        for (const s of states) {
          const sorted = s.free.map((v) => (v > 0 ? v : 0)).sort((a, b) => a - b);
          expect(cachedNodeFragmentation(cache, s.model, s.cpu, s.free, s.free.length)).toBe(
            nodeFragmentation({ model: s.model, cpuMilli: s.cpu, deviceFreeMilli: sorted }, MIX),
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a negative or non-finite fill weight', () => {
    expect(() => createFragCache(MIX, undefined, -0.1)).toThrow(/fillWeight/);
    expect(() => createFragCache(MIX, undefined, Number.NaN)).toThrow(/fillWeight/);
  });
});
