import { describe, expect, it } from 'vitest';
import { buildNvidiaNode } from './builders.js';
import { Ledger, type Placement } from './ledger.js';

const node = buildNvidiaNode({ name: 'n1', gpus: 2, memoryMiB: 16384, cpuMilli: 8000, hostMemoryMiB: 65536 });

function share(uid: string, dev: number, memoryMiB: number, computeMilli: number, cpuMilli = 1000): [string, Placement] {
  return [
    uid,
    {
      node: 'n1',
      cpuMilli,
      memoryMiB: 1024,
      priority: 0,
      containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: `GPU-n1-${dev}`, index: dev, memoryMiB, computeMilli, exclusive: false }] }],
    },
  ];
}

function whole(uid: string, dev: number): [string, Placement] {
  return [
    uid,
    {
      node: 'n1',
      cpuMilli: 0,
      memoryMiB: 0,
      priority: 5,
      containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: `GPU-n1-${dev}`, index: dev, memoryMiB: 16384, computeMilli: 1000, exclusive: true }] }],
    },
  ];
}

describe('Ledger.reserve / release', () => {
  it('records usage and release restores the exact prior state', () => {
    const l = Ledger.fromNodes([node]);
    const before = l.view(0);
    const snap = { mem: [...before.devMemUsed], comp: [...before.devComputeUsed], cpu: before.cpuUsedMilli };
    expect(l.reserve(...share('a', 0, 4000, 300))).toEqual({ ok: true });
    const v = l.view(0);
    expect([v.devMemUsed[0], v.devComputeUsed[0], v.devShares[0], v.cpuUsedMilli, v.memoryUsedMiB]).toEqual([4000, 300, 1, 1000, 1024]);
    expect(l.release('a')?.node).toBe('n1');
    expect({ mem: [...v.devMemUsed], comp: [...v.devComputeUsed], cpu: v.cpuUsedMilli }).toEqual(snap);
    expect(v.devShares[0]).toBe(0);
    expect(l.release('a')).toBeUndefined();
  });

  it.each([
    // 16384 MiB device: 10000 + 7000 = 17000 > 16384
    { name: 'memory over device capacity', first: share('a', 0, 10000, 100), second: share('b', 0, 7000, 100), opts: {}, want: /memory over capacity/ },
    // 600 + 500 = 1100 > 1000 × 1
    { name: 'compute over capacity without overcommit', first: share('a', 0, 100, 600), second: share('b', 0, 100, 500), opts: {}, want: /compute over capacity/ },
    { name: 'share on an exclusive device', first: whole('a', 0), second: share('b', 0, 100, 100), opts: {}, want: /held exclusively/ },
    { name: 'whole on a shared device', first: share('a', 1, 100, 100), second: whole('b', 1), opts: {}, want: /is shared/ },
    // cpu 8000: 5000 + 4000 = 9000 > 8000
    { name: 'node cpu', first: share('a', 0, 100, 100, 5000), second: share('b', 1, 100, 100, 4000), opts: {}, want: /cpu/ },
    { name: 'same pod twice', first: share('a', 0, 100, 100), second: share('a', 1, 100, 100), opts: {}, want: /already holds/ },
  ])('rejects $name', ({ first, second, opts, want }) => {
    const l = Ledger.fromNodes([node]);
    expect(l.reserve(...first).ok).toBe(true);
    const r = l.reserve(second[0], second[1], opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(want);
  });

  it('accepts compute overcommit up to the ratio, memory never', () => {
    const l = Ledger.fromNodes([node]);
    // ratio 1.5: 600 + 900 = 1500 ≤ 1500
    expect(l.reserve(...share('a', 0, 100, 600), { computeOvercommit: 1.5 }).ok).toBe(true);
    expect(l.reserve(...share('b', 0, 100, 900), { computeOvercommit: 1.5 }).ok).toBe(true);
    // 1500 + 1 > 1500
    expect(l.reserve(...share('c', 0, 100, 1), { computeOvercommit: 1.5 }).ok).toBe(false);
    // memory: 200 + 16185 = 16385 > 16384 whatever the ratio
    expect(l.reserve(...share('d', 0, 16185, 0), { computeOvercommit: 10 }).ok).toBe(false);
  });

  it('rejects two grants of one pod on one device', () => {
    const l = Ledger.fromNodes([node]);
    const [, p] = share('a', 0, 100, 100);
    const dev = p.containers[0]?.devices[0];
    if (dev === undefined) throw new Error('test setup');
    const twice: Placement = { ...p, containers: [{ ...p.containers[0]!, devices: [dev, dev] }] };
    const r = l.reserve('a', twice);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/granted twice/) });
  });

  it('rejects unknown nodes and devices', () => {
    const l = Ledger.fromNodes([node]);
    const [, p] = share('a', 0, 100, 100);
    expect(l.reserve('a', { ...p, node: 'nope' }).ok).toBe(false);
    expect(l.reserve('b', share('b', 7, 100, 100)[1]).ok).toBe(false);
  });

  it('clone is independent in both directions', () => {
    const l = Ledger.fromNodes([node]);
    l.reserve(...share('a', 0, 100, 100));
    const c = l.clone();
    c.reserve(...share('b', 1, 100, 200));
    c.release('a');
    expect(l.view(0).devComputeUsed[1]).toBe(0);
    expect(l.view(0).devComputeUsed[0]).toBe(100);
    expect(l.reservation('a')).toBeDefined();
    expect(c.view(0).devComputeUsed[1]).toBe(200);
    expect(c.view(0).version).not.toBe(l.view(0).version);
  });

  it('health changes bump the version and upsertNode re-applies reservations', () => {
    const l = Ledger.fromNodes([node]);
    l.reserve(...whole('w', 1));
    const v0 = l.view(0).version;
    expect(l.setDeviceHealth('n1', 'GPU-n1-0', 'unhealthy')).toBe(true);
    expect(l.view(0).devHealthy[0]).toBe(0);
    expect(l.view(0).version).not.toBe(v0);
    expect(l.setDeviceHealth('n1', 'GPU-x', 'healthy')).toBe(false);
    l.upsertNode(buildNvidiaNode({ name: 'n1', gpus: 2, memoryMiB: 16384, cpuMilli: 8000, hostMemoryMiB: 65536 }));
    expect(l.view(0).devExclusive[1]).toBe(1);
    expect(l.view(0).devHealthy[0]).toBe(1);
    expect(l.view(0).computeByPriority.get(5)).toBe(1000);
    l.release('w');
    expect(l.view(0).devExclusive[1]).toBe(0);
    expect(l.view(0).computeByPriority.size).toBe(0);
  });
});
