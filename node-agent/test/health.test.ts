import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../core/index.js';
import type { Discovery, HealthEvent } from '../src/backends/types.js';
import { DEFAULT_IGNORED_XIDS, HealthTracker, parseIgnoredXids, type HealthState } from '../src/health.js';

const dev = (health: Device['health'] = 'healthy'): Device => ({ id: 'GPU-a', index: 0, vendor: 'nvidia', model: 'm', memoryMiB: 1, computeMilli: 1000, numa: null, health });
const poll = (health: Device['health'], events: HealthEvent[] = []): Discovery => ({
  vendor: 'nvidia',
  devices: [dev(health)],
  topology: { kind: 'none' },
  reasons: health === 'unhealthy' ? { 'GPU-a': 'row remapping failure' } : {},
  telemetry: [],
  events,
  warnings: [],
});
const xid = (code: number): HealthEvent => ({ deviceId: 'GPU-a', kind: 'xid', code, message: `XID ${code}` });

describe('health state machine', () => {
  const cases: { name: string; polls: Discovery[]; want: HealthState[] }[] = [
    { name: 'stays healthy', polls: [poll('healthy'), poll('healthy')], want: ['healthy', 'healthy'] },
    { name: 'critical XID 79 → unhealthy, then 3 good polls → healthy', polls: [poll('healthy', [xid(79)]), poll('healthy'), poll('healthy'), poll('healthy')], want: ['unhealthy', 'recovering', 'recovering', 'healthy'] },
    { name: 'ignored application XID 13 changes nothing', polls: [poll('healthy', [xid(13)])], want: ['healthy'] },
    { name: 'a bad poll while recovering goes back to unhealthy', polls: [poll('unhealthy'), poll('healthy'), poll('unhealthy'), poll('healthy')], want: ['unhealthy', 'recovering', 'unhealthy', 'recovering'] },
    { name: 'ECC increase is critical', polls: [poll('healthy', [{ deviceId: 'GPU-a', kind: 'ecc', code: 2, message: 'ecc' }])], want: ['unhealthy'] },
  ];
  it.each(cases)('$name', ({ polls, want }) => {
    let t = 0;
    const h = new HealthTracker({ recoverAfterPolls: 3, ignoredXids: DEFAULT_IGNORED_XIDS, nowMs: () => (t += 1000) });
    const got = polls.map((p) => {
      h.observe(p);
      return h.record('GPU-a')!.state;
    });
    expect(got).toEqual(want);
  });

  it('keeps the reason, the time it went bad (injected clock) and the last XID', () => {
    let t = 0;
    const h = new HealthTracker({ recoverAfterPolls: 2, ignoredXids: [], nowMs: () => t });
    t = 5000;
    const tr = h.observe(poll('healthy', [xid(79)]));
    expect(tr).toEqual([{ deviceId: 'GPU-a', from: 'healthy', to: 'unhealthy', reason: 'XID 79' }]);
    t = 9000;
    h.observe(poll('healthy'));
    expect(h.record('GPU-a')).toMatchObject({ state: 'recovering', reason: 'XID 79', sinceMs: 9000, lastXid: 79, xidCount: 1 });
  });

  it('parses the ignore list like DP_DISABLE_HEALTHCHECKS', () => {
    expect(parseIgnoredXids(undefined)).toEqual([13, 31, 43, 45, 68, 109]);
    expect(parseIgnoredXids('all')).toBe('all');
    expect(parseIgnoredXids('48, 13')).toEqual([13, 31, 43, 45, 48, 68, 109]);
    expect(() => parseIgnoredXids('48,x')).toThrow(/expected 'all' or a comma list/);
    const h = new HealthTracker({ recoverAfterPolls: 1, ignoredXids: 'all', nowMs: () => 0 });
    h.observe(poll('healthy', [xid(79)]));
    expect(h.record('GPU-a')!.state).toBe('healthy');
  });

  it('property: offered only after N consecutive good polls since the last bad one', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (goods, n) => {
        const h = new HealthTracker({ recoverAfterPolls: n, ignoredXids: [], nowMs: () => 0 });
        let everBad = false;
        let run = 0;
        for (const good of goods) {
          h.observe(poll(good ? 'healthy' : 'unhealthy'));
          if (!good) {
            everBad = true;
            run = 0;
          } else run++;
          const healthy = h.record('GPU-a')!.state === 'healthy';
          // Reference model: healthy iff never bad, or the good run since the last bad poll reached n.
          expect(healthy).toBe(!everBad || run >= n);
          if (healthy && everBad) run = Infinity;
        }
      }),
    );
  });
});
