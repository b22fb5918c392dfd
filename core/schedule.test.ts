import { describe, expect, it } from 'vitest';
import { buildAscendNode, buildNvidiaNode, sharePod, wholePod } from './builders.js';
import { Ledger } from './ledger.js';
import { filterNodes, normalizeScores, placementFromDecision, scheduleOne, scoreNodes, resourceName } from './schedule.js';
import { createPolicyScorer, DEFAULT_POLICY, loadPolicyConfig, maxPolicyScore, type NodeScorer } from './policy.js';
import { ConfigError } from './errors.js';
import { explainUnfit, explainUnschedulable } from './explain.js';
import { createScheduleCache } from './schedule-cache.js';
import { DGX1_V100, PCIE_2SOCKET } from './test-support/topologies.js';
import { occupy } from './test-support/helpers.js';

const dgx = buildNvidiaNode({ name: 'dgx', gpus: 8, links: DGX1_V100 });
const pcie = buildNvidiaNode({ name: 'pcie', gpus: 8, links: PCIE_2SOCKET });
const small = buildNvidiaNode({ name: 'small', gpus: 2 });

describe('loadPolicyConfig', () => {
  it('accepts the default policy', () => {
    expect(loadPolicyConfig(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
  });
  it.each([
    { name: 'unknown term', raw: { weights: { fragmentation: 1, magic: 2 } }, field: 'policy.weights.magic' },
    { name: 'negative weight', raw: { weights: { binpack: -1 } }, field: 'policy.weights.binpack' },
    { name: 'string weight', raw: { weights: { binpack: '1' } }, field: 'policy.weights.binpack' },
    { name: 'weights not an object', raw: { weights: [1] }, field: 'policy.weights' },
    { name: 'not an object', raw: 'tessera', field: 'policy' },
    { name: 'empty name', raw: { name: '', weights: {} }, field: 'policy.name' },
    { name: 'unknown field', raw: { weights: {}, wieghts: {} }, field: 'policy.wieghts' },
  ])('rejects $name naming $field', ({ raw, field }) => {
    try {
      loadPolicyConfig(raw);
      expect.unreachable('should throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
      expect((e as Error).message).toContain(field);
    }
  });
  it('maxPolicyScore sums weights (fgd 1 + interconnect 0.5)', () => expect(maxPolicyScore(DEFAULT_POLICY)).toBeCloseTo(1.5, 12));
});

describe('normalizeScores', () => {
  it.each([
    // (s − 1) / (3 − 1) × 10: 1 → 0, 2 → 5, 3 → 10
    { name: 'min–max to 0–10', input: [1, 2, 3], want: [0, 5, 10] },
    // 0.25 → 2.5 → round 3 (Math.round rounds half up)
    { name: 'rounds', input: [0, 0.25, 1], want: [0, 3, 10] },
    { name: 'all equal → max', input: [4, 4], want: [10, 10] },
    { name: 'non-finite → 0', input: [Number.NaN, 1, 2], want: [0, 0, 10] },
    { name: 'empty', input: [], want: [] },
  ])('$name', ({ input, want }) => expect(normalizeScores(input)).toEqual(want));
});

describe('filterNodes', () => {
  it('returns fits with devices and a reason for every other node, including unknown names', () => {
    const l = Ledger.fromNodes([dgx, pcie, small]);
    const r = filterNodes(l, wholePod(4), { candidates: ['dgx', 'small', 'ghost', 'pcie'] });
    expect(r.feasible.map((f) => l.view(f.nodeIndex).node.name)).toEqual(['dgx', 'pcie']);
    expect(r.feasible[0]?.containers[0]?.positions).toEqual([0, 1, 2, 3]);
    expect(r.unfit.map((u) => [u.node, u.resource, u.unresolvable])).toEqual([
      ['small', 'device-count', true],
      ['ghost', 'node', true],
    ]);
  });
});

describe('scheduleOne', () => {
  it('prefers the NVLink box for a 4-GPU job and builds the decision', () => {
    const l = Ledger.fromNodes([pcie, dgx]);
    const r = scheduleOne(l, wholePod(4, { uid: 'u1', name: 'job' }), 1234);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // interconnect: DGX quad 69/6/28 = 0.41 vs PCIe socket 22/6/28 = 0.13; other terms equal
    expect(r.node).toBe('dgx');
    expect(r.feasibleCount).toBe(2);
    expect(r.decision).toMatchObject({ version: 1, podUid: 'u1', name: 'job', node: 'dgx', isolation: 'exclusive', decidedAtMs: 1234 });
    expect(r.decision.containers[0]?.devices.map((d) => d.id)).toEqual(['GPU-dgx-0', 'GPU-dgx-1', 'GPU-dgx-2', 'GPU-dgx-3']);
    expect(r.decision.containers[0]?.resource).toBe('nvidia.com/gpu');
    expect(l.reserve('u1', r.placement)).toEqual({ ok: true });
    // the next 4-GPU job gets the other quad
    const r2 = scheduleOne(l, wholePod(4, { uid: 'u2' }), 1235);
    expect(r2.ok && r2.decision.containers[0]?.devices.map((d) => d.index)).toEqual([4, 5, 6, 7]);
  });

  it('binpacks shares onto the busier node with a binpack policy', () => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'a', gpus: 2 }), buildNvidiaNode({ name: 'b', gpus: 2 })]);
    occupy(l, l.view(1).node, [0]);
    const scorer = createPolicyScorer({ name: 'pack', weights: { binpack: 1 } });
    const r = scheduleOne(l, sharePod({ count: 1, computeMilli: 200 }, { uid: 's' }), 0, { scorer });
    expect(r.ok && r.node).toBe('b');
    expect(r.ok && r.decision.isolation).toBe('hami-core');
  });

  it('reports unschedulable pods with reasons and text', () => {
    const l = Ledger.fromNodes([small]);
    occupy(l, small, [0]);
    const r = scheduleOne(l, wholePod(2), 0);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.unfit).toHaveLength(1);
    expect(explainUnfit(r.unfit[0]!)).toBe('node small: container main needs 2 devices whole, 1 device free (1 used of 2)');
    expect(explainUnschedulable(r.unfit)).toBe('0/1 nodes are available: 1 insufficient devices');
  });

  it('uses an external scorer and its device picker', () => {
    const l = Ledger.fromNodes([buildNvidiaNode({ name: 'a', gpus: 2 }), buildNvidiaNode({ name: 'b', gpus: 2 })]);
    const lastNode: NodeScorer = {
      name: 'last',
      score: (view) => view.index,
      pickShareDevice: (_v, cands) => cands[cands.length - 1] as number,
    };
    const r = scheduleOne(l, sharePod({ count: 1, computeMilli: 100 }), 0, { scorer: lastNode });
    expect(r.ok && [r.node, r.decision.containers[0]?.devices[0]?.index]).toEqual(['b', 1]);
  });

  it('Ascend: resource name and ring placement through the full path', () => {
    const l = Ledger.fromNodes([buildAscendNode({ name: 'npu', chip: '910' })]);
    const r = scheduleOne(l, wholePod(2, { uid: 'a1' }, { vendor: 'ascend' }), 0);
    expect(r.ok && r.decision.containers[0]).toMatchObject({ resource: 'huawei.com/Ascend910' });
    expect(resourceName({ kind: 'share', vendor: 'ascend', count: 1, template: '2c' }, 'Ascend910B')).toBe('huawei.com/Ascend910-2c');
  });

  it('gives the same decisions with and without the schedule cache', () => {
    const nodes = [dgx, pcie, small, buildNvidiaNode({ name: 'x', gpus: 4 })];
    const a = Ledger.fromNodes(nodes);
    const b = Ledger.fromNodes(nodes);
    const cache = createScheduleCache();
    const pods = [wholePod(2), sharePod({ count: 1, computeMilli: 300 }), wholePod(1), sharePod({ count: 1, computeMilli: 300 }), wholePod(4), wholePod(2)];
    pods.forEach((p, i) => {
      const pod = { ...p, uid: `p${i}` };
      const ra = scheduleOne(a, pod, i);
      const rb = scheduleOne(b, pod, i, { cache });
      expect(rb).toEqual(ra);
      if (ra.ok && rb.ok) {
        a.reserve(pod.uid, ra.placement);
        b.reserve(pod.uid, rb.placement);
      }
    });
    expect(cache.hits).toBeGreaterThan(0);
  });

  it('scoreNodes matches the score scheduleOne reports', () => {
    const l = Ledger.fromNodes([dgx, pcie]);
    const pod = wholePod(2);
    const f = filterNodes(l, pod);
    const scores = scoreNodes(l, pod, f.feasible);
    const r = scheduleOne(l, pod, 0);
    expect(r.ok && r.score).toBe(Math.max(...scores.map((s) => s.score)));
    const max = maxPolicyScore(DEFAULT_POLICY);
    for (const s of scores) expect(s.score).toBeLessThanOrEqual(max);
  });

  it('placementFromDecision round-trips through reserve/release (restart recovery)', () => {
    const l = Ledger.fromNodes([dgx]);
    const pod = wholePod(2, { uid: 'r1', cpuMilli: 500, memoryMiB: 256, priority: 3 });
    const r = scheduleOne(l, pod, 0, { scorer: createPolicyScorer({ name: 'only-frag', weights: { fragmentation: 1 } }) });
    if (!r.ok) throw new Error('no fit');
    const rebuilt = Ledger.fromNodes([dgx]);
    expect(rebuilt.reserve('r1', placementFromDecision(r.decision, pod))).toEqual({ ok: true });
    expect(rebuilt.view(0).cpuUsedMilli).toBe(500);
    expect(rebuilt.view(0).computeByPriority.get(3)).toBe(2000);
  });

  it('a cached candidate list sees nodes added later', () => {
    const l = Ledger.fromNodes([small]);
    const cache = createScheduleCache();
    const candidates = ['small', 'late'];
    const r1 = scheduleOne(l, wholePod(4), 0, { candidates, cache });
    expect(r1.ok).toBe(false);
    if (!r1.ok) expect(r1.unfit.map((u) => u.resource)).toEqual(['device-count', 'node']);
    l.upsertNode(buildNvidiaNode({ name: 'late', gpus: 4 }));
    const r2 = scheduleOne(l, wholePod(4), 0, { candidates, cache });
    expect(r2.ok && r2.node).toBe('late');
  });
});
