import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAscendNode, buildNvidiaNode, podWith } from './builders.js';
import { Ledger, type NodeView } from './ledger.js';
import { filterNodes, scheduleOne, scoreNodes, normalizeScores } from './schedule.js';
import { createFragCache } from './frag-cache.js';
import { createScheduleCache } from './schedule-cache.js';
import { createPolicyScorer, DEFAULT_POLICY, maxPolicyScore } from './policy.js';
import { compilePod, fitNode } from './fit.js';
import { maskPairSum } from './link-score.js';
import type { LinkClass, Node } from './model.js';
import type { ContainerRequest, PodRequest } from './request.js';
import { DGX1_V100, DGX_A100, DGX_H100, PCIE_2SOCKET } from './test-support/topologies.js';

const LINKS: LinkClass[] = ['NV1', 'NV2', 'NV4', 'NV12', 'NV18', 'PIX', 'PXB', 'PHB', 'NODE', 'SYS'];

/** A symmetric random link matrix for n devices. */
const linkMatrix = (n: number) =>
  fc.array(fc.constantFrom(...LINKS), { minLength: (n * (n - 1)) / 2, maxLength: (n * (n - 1)) / 2 }).map((flat) => {
    const m: LinkClass[][] = Array.from({ length: n }, () => Array<LinkClass>(n).fill('X'));
    let k = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const l = flat[k++] as LinkClass;
        (m[i] as LinkClass[])[j] = l;
        (m[j] as LinkClass[])[i] = l;
      }
    return m;
  });

const nodeArb = (name: string): fc.Arbitrary<Node> =>
  fc.oneof(
    fc.record({ gpus: fc.integer({ min: 1, max: 8 }), unhealthy: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }), mem: fc.constantFrom(16384, 32768) }).chain(({ gpus, unhealthy, mem }) =>
      fc.option(linkMatrix(gpus), { nil: undefined }).map((links) =>
        buildNvidiaNode({ name, gpus, memoryMiB: mem, cpuMilli: 16000, hostMemoryMiB: 65536, unhealthy, ...(links === undefined ? {} : { links }) }),
      ),
    ),
    fc.constantFrom(DGX1_V100, DGX_A100, DGX_H100, PCIE_2SOCKET).map((links) => buildNvidiaNode({ name, gpus: 8, links, cpuMilli: 16000, hostMemoryMiB: 65536 })),
    fc.record({ chip: fc.constantFrom('910' as const, '910B' as const), unhealthy: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }) }).map(({ chip, unhealthy }) =>
      buildAscendNode({ name, chip, unhealthy, cpuMilli: 16000, hostMemoryMiB: 65536 }),
    ),
  );

const clusterArb = fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(`n${i}`))));

const containerArb = (index: number): fc.Arbitrary<ContainerRequest> =>
  fc.oneof(
    fc.record({ vendor: fc.constantFrom('nvidia' as const, 'ascend' as const), count: fc.integer({ min: 1, max: 9 }) }).map(({ vendor, count }) => ({
      name: `c${index}`,
      index,
      accel: { kind: 'whole' as const, vendor, count },
    })),
    fc
      .record({
        vendor: fc.constantFrom('nvidia' as const, 'ascend' as const),
        count: fc.integer({ min: 1, max: 3 }),
        mem: fc.option(fc.integer({ min: 0, max: 20000 }), { nil: undefined }),
        pct: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        compute: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      })
      .map(({ vendor, count, mem, pct, compute }) => ({
        name: `c${index}`,
        index,
        accel: {
          kind: 'share' as const,
          vendor,
          count,
          ...(mem === undefined ? {} : { memoryMiB: mem }),
          ...(pct === undefined ? {} : { memoryPercent: pct }),
          ...(compute === undefined ? {} : { computeMilli: compute }),
        },
      })),
  );

type Op = { kind: 'pod'; containers: ContainerRequest[]; cpu: number; priority: number } | { kind: 'release'; pick: number } | { kind: 'health'; node: number; dev: number; healthy: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('pod' as const), containers: fc.integer({ min: 0, max: 2 }).chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => containerArb(i)))), cpu: fc.integer({ min: 0, max: 6000 }), priority: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('health' as const), node: fc.nat(), dev: fc.nat(), healthy: fc.boolean() }) },
);

function snapshot(v: NodeView) {
  return {
    cpu: v.cpuUsedMilli,
    mem: v.memoryUsedMiB,
    devMem: [...v.devMemUsed],
    devCompute: [...v.devComputeUsed],
    excl: [...v.devExclusive],
    shares: [...v.devShares],
    prio: [...v.computeByPriority.entries()].sort((a, b) => a[0] - b[0]),
  };
}

/** Recompute every node's usage from the reservations alone (reference model). */
function checkInvariants(ledger: Ledger, overcommit: number): void {
  for (let i = 0; i < ledger.nodeCount; i++) {
    const v = ledger.view(i);
    const node = v.node;
    expect(v.cpuUsedMilli).toBeLessThanOrEqual(node.cpuMilli);
    expect(v.memoryUsedMiB).toBeLessThanOrEqual(node.memoryMiB);
    const mem = new Array<number>(v.deviceCount).fill(0);
    const comp = new Array<number>(v.deviceCount).fill(0);
    const excl = new Array<number>(v.deviceCount).fill(0);
    const shares = new Array<number>(v.deviceCount).fill(0);
    for (const p of ledger.allReservations().values()) {
      if (p.node !== node.name) continue;
      const seen = new Set<string>();
      for (const c of p.containers)
        for (const d of c.devices) {
          expect(seen.has(d.id), 'two grants of one pod on one device').toBe(false);
          seen.add(d.id);
          const pos = node.devices.findIndex((x) => x.id === d.id);
          mem[pos] = (mem[pos] ?? 0) + d.memoryMiB;
          comp[pos] = (comp[pos] ?? 0) + d.computeMilli;
          if (d.exclusive) excl[pos] = (excl[pos] ?? 0) + 1;
          else shares[pos] = (shares[pos] ?? 0) + 1;
        }
    }
    node.devices.forEach((d, pos) => {
      expect(v.devMemUsed[pos]).toBe(mem[pos]);
      expect(v.devComputeUsed[pos]).toBe(comp[pos]);
      expect(mem[pos]).toBeLessThanOrEqual(d.memoryMiB);
      expect(comp[pos]).toBeLessThanOrEqual(d.computeMilli * overcommit);
      expect(excl[pos]).toBeLessThanOrEqual(1);
      if (excl[pos] === 1) expect(shares[pos]).toBe(0);
    });
  }
}

/** Checks the 910 ring rules; returns how many whole containers it checked. */
function checkAscendRings(ledger: Ledger, podPlacementNode: string, positionsByContainer: number[][]): number {
  const v = ledger.view(ledger.indexOf(podPlacementNode));
  const topo = v.node.topology;
  if (topo.kind !== 'hccs' || topo.fullMesh) return 0;
  for (const positions of positionsByContainer) {
    expect([1, 2, 4, 8]).toContain(positions.length);
    if (positions.length <= 4) {
      const ring = topo.groups.find((g) => g.includes(positions[0] as number));
      expect(positions.every((p) => ring?.includes(p))).toBe(true);
    }
  }
  return positionsByContainer.length;
}

describe('placement properties', () => {
  it('random clusters and request streams never over-allocate; ledger equals the sum of reservations; Ascend ring rules hold; scores in range', () => {
    const max = maxPolicyScore(DEFAULT_POLICY);
    let placed = 0;
    let ringPlaced = 0;
    fc.assert(
      fc.property(clusterArb, fc.array(opArb, { maxLength: 40 }), fc.constantFrom(1, 1.5, 2), (nodes, ops, overcommit) => {
        const ledger = Ledger.fromNodes(nodes);
        const fragCache = createFragCache([
          { cpuMilli: 1000, deviceCount: 1, computeMilli: 500, weight: 0.5 },
          { cpuMilli: 1000, deviceCount: 2, computeMilli: 1000, weight: 0.5 },
        ]);
        const live: string[] = [];
        ops.forEach((op, i) => {
          if (op.kind === 'release') {
            if (live.length === 0) return;
            const uid = live.splice(op.pick % live.length, 1)[0] as string;
            expect(ledger.release(uid)).toBeDefined();
          } else if (op.kind === 'health') {
            const v = ledger.view(op.node % ledger.nodeCount);
            const dev = v.node.devices[op.dev % Math.max(1, v.deviceCount)];
            if (dev !== undefined) ledger.setDeviceHealth(v.node.name, dev.id, op.healthy ? 'healthy' : 'unhealthy');
          } else {
            const pod: PodRequest = podWith(op.containers, { uid: `p${i}`, cpuMilli: op.cpu, memoryMiB: 100, priority: op.priority });
            const r = scheduleOne(ledger, pod, i, { fragCache, computeOvercommit: overcommit });
            if (!r.ok) return;
            expect(r.score).toBeGreaterThanOrEqual(0);
            expect(r.score).toBeLessThanOrEqual(max + 1e-9);
            const v = ledger.view(r.fit.nodeIndex);
            for (const c of r.fit.containers) for (const p of c.positions) expect(v.devHealthy[p], 'no new work on unhealthy devices').toBe(1);
            ringPlaced += checkAscendRings(ledger, r.node, r.fit.containers.filter((c) => c.exclusive).map((c) => [...c.positions]));
            placed++;
            expect(ledger.reserve(pod.uid, r.placement, { computeOvercommit: overcommit })).toEqual({ ok: true });
            live.push(pod.uid);
          }
          checkInvariants(ledger, overcommit);
        });
      }),
      { numRuns: 150 },
    );
    // the generators must actually exercise placements, Ascend ring ones included
    expect(placed).toBeGreaterThan(200);
    expect(ringPlaced).toBeGreaterThan(0);
  });

  it('every Ascend 910 allocation obeys the ring rules (1/2/4/8; ≤ 4 inside one ring)', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 8 }), release: fc.boolean(), unhealthy: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }) }), { maxLength: 30 }),
        (nodeCount, ops) => {
          const nodes = Array.from({ length: nodeCount }, (_, i) => buildAscendNode({ name: `a${i}`, chip: '910' }));
          const ledger = Ledger.fromNodes(nodes);
          const live: string[] = [];
          ops.forEach((op, i) => {
            if (op.unhealthy !== undefined) ledger.setDeviceHealth('a0', `Ascend910-${op.unhealthy}`, i % 2 === 0 ? 'unhealthy' : 'healthy');
            if (op.release && live.length > 0) ledger.release(live.shift() as string);
            const pod = podWith([{ name: 'm', index: 0, accel: { kind: 'whole', vendor: 'ascend', count: op.count } }], { uid: `p${i}`, cpuMilli: 0 });
            const r = scheduleOne(ledger, pod, i);
            if (![1, 2, 4, 8].includes(op.count)) {
              expect(r.ok).toBe(false);
              return;
            }
            if (!r.ok) return;
            checked += checkAscendRings(ledger, r.node, r.fit.containers.map((c) => [...c.positions]));
            if (op.count <= 2) {
              // fragment preference: the chosen ring's free count ranks best among rings that fit
              const pref = op.count === 1 ? [1, 3, 2, 4] : [2, 4, 3];
              const v = ledger.view(r.fit.nodeIndex);
              const freeIn = (ring: readonly number[]) => ring.filter((p) => v.devHealthy[p] === 1 && v.devExclusive[p] === 0).length;
              const topo = v.node.topology;
              if (topo.kind !== 'hccs') throw new Error('test setup');
              const first = r.fit.containers[0]!.positions[0] as number;
              const chosen = topo.groups.find((g) => g.includes(first)) as readonly number[];
              const ranks = topo.groups.map((g) => pref.indexOf(freeIn(g))).filter((k) => k >= 0);
              expect(pref.indexOf(freeIn(chosen))).toBe(Math.min(...ranks));
            }
            expect(ledger.reserve(pod.uid, r.placement).ok).toBe(true);
            live.push(pod.uid);
          });
        },
      ),
      { numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  it('release undoes reserve exactly', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(containerArb(0), { minLength: 1, maxLength: 8 }), (nodes, reqs) => {
        const ledger = Ledger.fromNodes(nodes);
        reqs.slice(0, -1).forEach((c, i) => {
          const pod = podWith([c], { uid: `pre${i}`, cpuMilli: 100 });
          const r = scheduleOne(ledger, pod, 0);
          if (r.ok) ledger.reserve(pod.uid, r.placement);
        });
        const before = Array.from({ length: ledger.nodeCount }, (_, i) => snapshot(ledger.view(i)));
        const pod = podWith([reqs[reqs.length - 1] as ContainerRequest], { uid: 'last', cpuMilli: 100, priority: 7 });
        const r = scheduleOne(ledger, pod, 0);
        if (!r.ok) return;
        expect(ledger.reserve('last', r.placement).ok).toBe(true);
        ledger.release('last');
        const after = Array.from({ length: ledger.nodeCount }, (_, i) => snapshot(ledger.view(i)));
        expect(after).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it('the chosen whole-device set is optimal by brute force (pair sum, then what stays free)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.constant(n), linkMatrix(n), fc.integer({ min: 0, max: (1 << n) - 1 }), fc.integer({ min: 1, max: n }))),
        ([n, links, busyMask, count]) => {
          const node = buildNvidiaNode({ name: 'b', gpus: n, links });
          const ledger = Ledger.fromNodes([node]);
          const busy = Array.from({ length: n }, (_, i) => i).filter((i) => (busyMask & (1 << i)) !== 0);
          busy.forEach((p) => {
            const d = node.devices[p];
            if (d === undefined) return;
            ledger.reserve(`busy${p}`, { node: 'b', cpuMilli: 0, memoryMiB: 0, priority: 0, containers: [{ name: 'm', index: 0, resource: 'r', devices: [{ id: d.id, index: p, memoryMiB: d.memoryMiB, computeMilli: 1000, exclusive: true }] }] });
          });
          const free = ((1 << n) - 1) & ~busyMask;
          const r = fitNode(ledger, 0, compilePod(ledger, podWith([{ name: 'm', index: 0, accel: { kind: 'whole', vendor: 'nvidia', count } }])));
          const pair = ledger.view(0).pair;
          // brute force over all subsets of the free devices with `count` members
          let best: [number, number] | null = null;
          for (let m = 0; m < 1 << n; m++) {
            if ((m & ~free) !== 0) continue;
            let bits = 0;
            for (let x = m; x; x &= x - 1) bits++;
            if (bits !== count) continue;
            const obj: [number, number] = [maskPairSum(pair, n, m), maskPairSum(pair, n, free & ~m)];
            if (best === null || obj[0] > best[0] || (obj[0] === best[0] && obj[1] > best[1])) best = obj;
          }
          if (best === null) {
            expect(r.ok).toBe(false);
            return;
          }
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const mask = r.fit.containers[0]!.positions.reduce((m, p) => m | (1 << p), 0);
          expect([maskPairSum(pair, n, mask), maskPairSum(pair, n, free & ~mask)]).toEqual(best);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('normalised scores are integers in 0–10', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: false }), { maxLength: 20 }), (scores) => {
        for (const s of normalizeScores(scores)) {
          expect(Number.isInteger(s)).toBe(true);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(10);
        }
      }),
    );
  });

  it('the schedule cache never changes a decision', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(opArb, { maxLength: 30 }), (nodes, ops) => {
        const a = Ledger.fromNodes(nodes);
        const b = Ledger.fromNodes(nodes);
        const fragCache = createFragCache([{ cpuMilli: 0, deviceCount: 1, computeMilli: 300, weight: 1 }]);
        const cache = createScheduleCache(4);
        const scorer = createPolicyScorer(DEFAULT_POLICY);
        const live: string[] = [];
        ops.forEach((op, i) => {
          if (op.kind === 'release') {
            if (live.length === 0) return;
            const uid = live.splice(op.pick % live.length, 1)[0] as string;
            a.release(uid);
            b.release(uid);
          } else if (op.kind === 'health') {
            const v = a.view(op.node % a.nodeCount);
            const dev = v.node.devices[op.dev % Math.max(1, v.deviceCount)];
            if (dev === undefined) return;
            a.setDeviceHealth(v.node.name, dev.id, op.healthy ? 'healthy' : 'unhealthy');
            b.setDeviceHealth(v.node.name, dev.id, op.healthy ? 'healthy' : 'unhealthy');
          } else {
            const pod = podWith(op.containers, { uid: `p${i}`, cpuMilli: op.cpu, priority: op.priority });
            const ra = scheduleOne(a, pod, i, { fragCache, scorer });
            // the cached ledger goes through filter + score first (extender order), then scheduleOne
            const fa = filterNodes(a, pod, { fragCache, scorer });
            const fb = filterNodes(b, pod, { fragCache, scorer, cache });
            expect(fb).toEqual(fa);
            expect(scoreNodes(b, pod, fb.feasible, { fragCache, scorer, cache })).toEqual(scoreNodes(a, pod, fa.feasible, { fragCache, scorer }));
            const rb = scheduleOne(b, pod, i, { fragCache, scorer, cache });
            expect(rb).toEqual(ra);
            if (ra.ok && rb.ok) {
              a.reserve(pod.uid, ra.placement);
              b.reserve(pod.uid, rb.placement);
              live.push(pod.uid);
            }
          }
        });
      }),
      { numRuns: 100 },
    );
  });

  it('scheduleOne agrees with filterNodes + scoreNodes (same feasible set, best score, first best node)', () => {
    fc.assert(
      fc.property(clusterArb, fc.array(containerArb(0), { minLength: 1, maxLength: 12 }), (nodes, reqs) => {
        const ledger = Ledger.fromNodes(nodes);
        const fragCache = createFragCache([{ cpuMilli: 0, deviceCount: 1, computeMilli: 500, weight: 1 }]);
        reqs.forEach((c, i) => {
          const pod = podWith([c], { uid: `p${i}`, cpuMilli: 500 });
          const f = filterNodes(ledger, pod, { fragCache });
          expect(f.feasible.length + f.unfit.length).toBe(ledger.nodeCount);
          const r = scheduleOne(ledger, pod, i, { fragCache });
          expect(r.ok).toBe(f.feasible.length > 0);
          if (!r.ok) {
            expect(r.unfit).toEqual(f.unfit);
            return;
          }
          const scores = scoreNodes(ledger, pod, f.feasible, { fragCache });
          const best = Math.max(...scores.map((s) => s.score));
          expect(r.score).toBe(best);
          expect(r.node).toBe(scores.find((s) => s.score === best)?.node);
          expect(r.feasibleCount).toBe(f.feasible.length);
          expect(ledger.reserve(pod.uid, r.placement).ok).toBe(true);
        });
      }),
      { numRuns: 100 },
    );
  });
});
