import { describe, expect, it } from 'vitest';
import { buildNvidiaNode, podWith, sharePod, wholePod } from './builders.js';
import { Ledger, type Placement } from './ledger.js';
import { compilePod, fitNode, modelMatches, type PlacementOptions, type Unfit } from './fit.js';
import { createFragCache } from './frag-cache.js';
import type { PodRequest } from './request.js';

const base = { name: 'n1', gpus: 2, memoryMiB: 16384, cpuMilli: 8000, hostMemoryMiB: 65536 } as const;

function grant(uid: string, dev: number, memoryMiB: number, computeMilli: number, cpuMilli = 0, exclusive = false): [string, Placement] {
  return [
    uid,
    {
      node: 'n1',
      cpuMilli,
      memoryMiB: 0,
      priority: 0,
      containers: [{ name: 'm', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: `GPU-n1-${dev}`, index: dev, memoryMiB, computeMilli, exclusive }] }],
    },
  ];
}

function ledgerWith(grants: [string, Placement][], spec: Parameters<typeof buildNvidiaNode>[0] = base): Ledger {
  const l = Ledger.fromNodes([buildNvidiaNode(spec)]);
  for (const g of grants) {
    const r = l.reserve(g[0], g[1], { computeOvercommit: 10 });
    if (!r.ok) throw new Error(r.reason);
  }
  return l;
}

function fit(l: Ledger, pod: PodRequest, opts: PlacementOptions = {}) {
  return fitNode(l, 0, compilePod(l, pod), opts);
}

type Want = Omit<Unfit, 'node'>;
const unfitCases: { name: string; ledger: () => Ledger; pod: PodRequest; opts?: PlacementOptions; want: Want }[] = [
  {
    name: 'cpu larger than the node (unresolvable)',
    ledger: () => ledgerWith([]),
    pod: wholePod(1, { cpuMilli: 9000 }),
    want: { resource: 'cpu', requested: 9000, free: 8000, used: 0, capacity: 8000, unit: 'milli-cpu', unresolvable: true },
  },
  {
    // 8000 − 5000 used = 3000 free < 4000
    name: 'cpu taken by others (resolvable)',
    ledger: () => ledgerWith([grant('x', 0, 100, 100, 5000)]),
    pod: wholePod(1, { cpuMilli: 4000 }),
    want: { resource: 'cpu', requested: 4000, free: 3000, used: 5000, capacity: 8000, unit: 'milli-cpu', unresolvable: false },
  },
  {
    name: 'host memory larger than the node',
    ledger: () => ledgerWith([]),
    pod: wholePod(1, { memoryMiB: 70000 }),
    want: { resource: 'memory', requested: 70000, free: 65536, used: 0, capacity: 65536, unit: 'MiB', unresolvable: true },
  },
  {
    name: 'allow list excludes the model',
    ledger: () => ledgerWith([]),
    pod: wholePod(1, {}, { allow: ['H100'] }),
    want: { container: 'main', resource: 'accelerator-model', requested: 1, free: 0, used: 0, capacity: 0, unit: 'devices', unresolvable: true },
  },
  {
    name: 'deny list names the model (case-insensitive substring)',
    ledger: () => ledgerWith([]),
    pod: wholePod(1, {}, { deny: ['a100'] }),
    want: { container: 'main', resource: 'accelerator-model', requested: 1, free: 0, used: 0, capacity: 0, unit: 'devices', unresolvable: true },
  },
  {
    name: 'other vendor',
    ledger: () => ledgerWith([]),
    pod: wholePod(1, {}, { vendor: 'ascend' }),
    want: { container: 'main', resource: 'accelerator-model', requested: 1, free: 0, used: 0, capacity: 0, unit: 'devices', unresolvable: true },
  },
  {
    name: 'whole: one of two busy',
    ledger: () => ledgerWith([grant('x', 1, 16384, 1000, 0, true)]),
    pod: wholePod(2),
    want: { container: 'main', resource: 'devices', requested: 2, free: 1, used: 1, capacity: 2, unit: 'devices', unresolvable: false },
  },
  {
    name: 'whole: a device with a share is not free',
    ledger: () => ledgerWith([grant('x', 0, 10, 10)]),
    pod: wholePod(2),
    want: { container: 'main', resource: 'devices', requested: 2, free: 1, used: 1, capacity: 2, unit: 'devices', unresolvable: false },
  },
  {
    name: 'whole: all devices unhealthy (resolvable: health recovers)',
    ledger: () => ledgerWith([], { ...base, unhealthy: [0, 1] }),
    pod: wholePod(1),
    want: { container: 'main', resource: 'devices', requested: 1, free: 0, used: 2, capacity: 2, unit: 'devices', unresolvable: false },
  },
  {
    name: 'whole: adapter rejects the count',
    ledger: () => ledgerWith([]),
    pod: wholePod(2),
    opts: { validWholeCount: (_n, c) => c === 1 },
    want: { container: 'main', resource: 'device-count', requested: 2, free: 0, used: 0, capacity: 2, unit: 'devices', unresolvable: true },
  },
  {
    name: 'share: three devices on a two-device node',
    ledger: () => ledgerWith([]),
    pod: sharePod({ count: 3, computeMilli: 100 }),
    want: { container: 'main', resource: 'device-count', requested: 3, free: 2, used: 0, capacity: 2, unit: 'devices', unresolvable: true },
  },
  {
    name: 'share: memory larger than any device',
    ledger: () => ledgerWith([]),
    pod: sharePod({ count: 1, memoryMiB: 20000 }),
    want: { container: 'main', resource: 'device-memory', requested: 20000, free: 16384, used: 0, capacity: 16384, unit: 'MiB', unresolvable: true },
  },
  {
    // 16384 − 10000 = 6384 free on each device < 8000
    name: 'share: memory taken by others',
    ledger: () => ledgerWith([grant('x', 0, 10000, 10), grant('y', 1, 10000, 10)]),
    pod: sharePod({ count: 1, memoryMiB: 8000 }),
    want: { container: 'main', resource: 'device-memory', requested: 8000, free: 6384, used: 10000, capacity: 16384, unit: 'MiB', unresolvable: false },
  },
  {
    // 1000 − 500 = 500 free < 600
    name: 'share: compute taken by others',
    ledger: () => ledgerWith([grant('x', 0, 10, 500), grant('y', 1, 10, 500)]),
    pod: sharePod({ count: 1, computeMilli: 600 }),
    want: { container: 'main', resource: 'device-compute', requested: 600, free: 500, used: 500, capacity: 1000, unit: 'milli-device', unresolvable: false },
  },
  {
    name: 'share: compute larger than a device',
    ledger: () => ledgerWith([]),
    pod: sharePod({ count: 1, computeMilli: 1500 }),
    want: { container: 'main', resource: 'device-compute', requested: 1500, free: 1000, used: 0, capacity: 1000, unit: 'milli-device', unresolvable: true },
  },
  {
    name: 'share: exclusive device does not take shares',
    ledger: () => ledgerWith([grant('x', 0, 16384, 1000, 0, true), grant('y', 1, 16000, 10)]),
    pod: sharePod({ count: 1, memoryMiB: 1000 }),
    want: { container: 'main', resource: 'device-memory', requested: 1000, free: 384, used: 16000, capacity: 16384, unit: 'MiB', unresolvable: false },
  },
];

describe('fitNode: does-not-fit values', () => {
  it.each(unfitCases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const r = fit(c.ledger(), c.pod, c.opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.unfit).toEqual({ node: 'n1', ...c.want });
  });
});

describe('fitNode: fits', () => {
  it('compute overcommit lets a share in (500 + 600 = 1100 ≤ 1000 × 1.2)', () => {
    const l = ledgerWith([grant('x', 0, 10, 500), grant('y', 1, 10, 500)]);
    const r = fit(l, sharePod({ count: 1, computeMilli: 600 }), { computeOvercommit: 1.2 });
    expect(r.ok).toBe(true);
  });

  it('memoryPercent is taken of the chosen device (50 % of 16384 = 8192)', () => {
    const r = fit(ledgerWith([]), sharePod({ count: 1, memoryPercent: 50, computeMilli: 100 }));
    expect(r.ok && r.fit.containers[0]).toMatchObject({ memoryMiB: [8192], computeMilli: [100], exclusive: false });
  });

  it('a share count of 2 uses two distinct devices', () => {
    const r = fit(ledgerWith([]), sharePod({ count: 2, computeMilli: 100 }));
    expect(r.ok && [...r.fit.containers[0]!.positions].sort()).toEqual([0, 1]);
  });

  it('two containers of one pod never share a device', () => {
    const pod = podWith([
      { name: 'a', index: 0, accel: { kind: 'share', vendor: 'nvidia', count: 1, computeMilli: 100 } },
      { name: 'b', index: 1, accel: { kind: 'share', vendor: 'nvidia', count: 1, computeMilli: 100 } },
    ]);
    const r = fit(ledgerWith([]), pod);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.fit.containers.map((c) => c.positions[0]).sort()).toEqual([0, 1]);
    const three = podWith([...pod.containers, { name: 'c', index: 2, accel: { kind: 'whole', vendor: 'nvidia', count: 1 } }]);
    const r3 = fit(ledgerWith([]), three);
    expect(r3.ok).toBe(false);
  });

  it('a pod without accelerators only needs CPU and memory', () => {
    const r = fit(ledgerWith([], { ...base, unhealthy: [0, 1] }), podWith([], { cpuMilli: 100 }));
    expect(r).toEqual({ ok: true, fit: { node: 'n1', nodeIndex: 0, containers: [] } });
  });

  it('rejects nonsense counts with a RequestError', () => {
    const l = ledgerWith([]);
    expect(() => compilePod(l, wholePod(0))).toThrow(/count must be an integer/);
    expect(() => compilePod(l, sharePod({ count: 1, memoryPercent: 150 }))).toThrow(/memoryPercent/);
  });
});

describe('share device choice', () => {
  // 4 GPUs; device 1 has 300 granted (700 free), device 2 has 500 granted (500 free).
  const spec = { ...base, gpus: 4 };
  const l = (): Ledger => ledgerWith([grant('x', 1, 10, 300), grant('y', 2, 10, 500)], spec);
  const pod = sharePod({ count: 1, computeMilli: 200 });

  it('without a mix: best fit — device 2 (500 − 200 = 300 left, the least)', () => {
    const r = fit(l(), pod);
    expect(r.ok && r.fit.containers[0]!.positions).toEqual([2]);
  });

  it('with a mix of 500-milli tasks: least fragmentation — device 1', () => {
    // mix: one class, 1 GPU × 500 milli. Free after the share:
    // on 1: [1000, 500, 500, 1000] → no device below 500 → F = 0
    // on 2: [1000, 700, 300, 1000] → 300 stranded → F = 300
    // on 0 or 3: [800, 700, 500, 1000] → F = 0 as well, but best fit breaks the tie: 700−200 = 500 left on 1 < 800 on 0
    const fragCache = createFragCache([{ cpuMilli: 0, deviceCount: 1, computeMilli: 500, weight: 1 }]);
    const r = fit(l(), pod, { fragCache });
    expect(r.ok && r.fit.containers[0]!.positions).toEqual([1]);
  });

  it('a custom share picker is used', () => {
    const r = fit(l(), pod, { pickShareDevice: (_v, cands) => cands[cands.length - 1] as number });
    expect(r.ok && r.fit.containers[0]!.positions).toEqual([3]);
  });

  it('a picker that returns a non-candidate is an error, not a silent over-allocation', () => {
    expect(() => fit(l(), sharePod({ count: 1, computeMilli: 600 }), { pickShareDevice: () => 2 })).toThrow(/not a candidate/);
  });
});

describe('heterogeneous devices', () => {
  it('a 2-device share that only one device is large enough for is unresolvable', () => {
    const node = buildNvidiaNode({ ...base, name: 'n1' });
    const small = { ...node.devices[1]!, memoryMiB: 8192 };
    const l = Ledger.fromNodes([{ ...node, devices: [node.devices[0]!, small] }]);
    const r = fit(l, sharePod({ count: 2, memoryMiB: 10000 }));
    expect(r.ok).toBe(false);
    // capacity = devices that could hold the share even when empty: only the 16384 MiB one
    if (!r.ok) expect(r.unfit).toMatchObject({ resource: 'device-count', requested: 2, capacity: 1, unresolvable: true });
  });
});

describe('share slot cap (Node.maxSharesPerDevice)', () => {
  // one device with 16384 MiB / 1000 milli: memory and compute would take 16 shares of
  // 1000 MiB / 50 milli, but the node advertises only 2 slots per device
  const capped = (grants: [string, Placement][]) => {
    const l = Ledger.fromNodes([{ ...buildNvidiaNode({ ...base, gpus: 1 }), maxSharesPerDevice: 2 }]);
    for (const g of grants) {
      const r = l.reserve(g[0], g[1]);
      if (!r.ok) throw new Error(r.reason);
    }
    return l;
  };
  const share = sharePod({ count: 1, memoryMiB: 1000, computeMilli: 50 });

  it('accepts shares while a slot is free', () => {
    const r = fit(capped([grant('a', 0, 1000, 50)]), share);
    expect(r.ok).toBe(true);
  });

  it('refuses a share once every slot is taken, naming the slot limit', () => {
    const r = fit(capped([grant('a', 0, 1000, 50), grant('b', 0, 1000, 50)]), share);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.unfit.resource).toBe('device-slots');
      expect(r.unfit.free).toBe(0);
      expect(r.unfit.used).toBe(1);
    }
  });

  it('the ledger itself refuses a share beyond the slot limit', () => {
    const l = capped([grant('a', 0, 1000, 50), grant('b', 0, 1000, 50)]);
    const [uid, placement] = grant('c', 0, 1000, 50);
    const r = l.reserve(uid, placement);
    expect(r.ok).toBe(false);
  });
});

describe('modelMatches (allow/deny lists name models by whole tokens)', () => {
  const cases: { name: string; model: string; patterns: string[]; want: boolean }[] = [
    { name: 'family name', model: 'NVIDIA A100-SXM4-80GB', patterns: ['A100'], want: true },
    { name: 'shorter family is not a prefix match', model: 'NVIDIA A100-SXM4-80GB', patterns: ['A10'], want: false },
    { name: 'A10 matches A10', model: 'NVIDIA A10', patterns: ['a10'], want: true },
    { name: 'several tokens in order', model: 'NVIDIA A100-SXM4-80GB', patterns: ['a100-sxm4'], want: true },
    { name: 'tokens out of order', model: 'NVIDIA A100-SXM4-80GB', patterns: ['sxm4 a100'], want: false },
    { name: 'any pattern of the list', model: 'NVIDIA H100 80GB HBM3', patterns: ['A100', 'H100'], want: true },
    { name: 'openb model names', model: 'V100M16', patterns: ['V100M16'], want: true },
    { name: 'chip family covers its variants', model: 'Ascend910B', patterns: ['Ascend910'], want: true },
    { name: 'variant letter is part of the family name', model: 'V100M16', patterns: ['V100'], want: true },
    { name: 'a digit continues the number: 910 is not 9100', model: 'Ascend9100', patterns: ['Ascend910'], want: false },
    { name: 'empty pattern matches nothing', model: 'NVIDIA T4', patterns: [''], want: false },
  ];
  it.each(cases)('$name', ({ model, patterns, want }) => {
    expect(modelMatches(model, patterns)).toBe(want);
  });
});
