/** Leader election over the Lease interface, two replicas, injected clock. */
import { describe, expect, it } from 'vitest';
import { LeaderElector } from '../src/leader.js';
import { MemoryCluster } from '../src/memory-cluster.js';
import { silent } from './helpers.js';

describe('LeaderElector', () => {
  it('elects one of two replicas, fails over when the leader stops renewing, and hands over on stop', async () => {
    const store = new MemoryCluster();
    const clock = { now: 1_000_000 };
    const mk = (identity: string): LeaderElector => new LeaderElector({ store, namespace: 'tessera', name: 'tessera-extender', identity, log: silent, clock: () => clock.now });
    const a = mk('a');
    const b = mk('b');
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    // a keeps renewing: b stays a follower.
    clock.now += 5_000;
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    // a goes silent; after the 15 s lease b takes over.
    clock.now += 16_000;
    await b.tick();
    expect(b.isLeader()).toBe(true);
    const lease = await store.getLease('tessera', 'tessera-extender');
    expect(lease).toMatchObject({ holder: 'b', transitions: 1 });
    // a comes back and learns it lost.
    await a.tick();
    expect(a.isLeader()).toBe(false);
    // b stops: gives the lease up, a takes it at once.
    await b.stop();
    expect(b.isLeader()).toBe(false);
    await a.tick();
    expect(a.isLeader()).toBe(true);
  });

  it('a concurrent update loses on the version check', async () => {
    const store = new MemoryCluster();
    await store.createLease('ns', 'l', { holder: 'x', leaseDurationSeconds: 1, renewTimeMs: 0, acquireTimeMs: 0, transitions: 0 });
    const v = (await store.getLease('ns', 'l'))!.version;
    expect(await store.updateLease('ns', 'l', v, { holder: 'a', leaseDurationSeconds: 15, renewTimeMs: 1, acquireTimeMs: 1, transitions: 1 })).toBe(true);
    expect(await store.updateLease('ns', 'l', v, { holder: 'b', leaseDurationSeconds: 15, renewTimeMs: 1, acquireTimeMs: 1, transitions: 1 })).toBe(false);
  });
});
