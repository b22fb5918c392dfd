/**
 * Active reclaim through the real filter verb over loopback, with the in-memory cluster:
 * victim choice, idempotence, fixed pools, followers, device-level (one node) choice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const GPU1 = { 'nvidia.com/gpu': '1' };

/**
 * Pool `train` over the nodes labelled pool=train; queues qa (ns a) and qb (ns b). Elastic: 4
 * guaranteed each, limit 8, lending. Fixed: qb holds all 8 GPUs, qa none (like the e2e intruder).
 */
function quotas(hh: Harness, mode: 'elastic' | 'fixed' = 'elastic'): void {
  hh.cluster.put('pools', { metadata: { name: 'train' }, spec: { mode, nodeSelector: { matchLabels: { pool: 'train' } } } });
  hh.cluster.put('tenants', { metadata: { name: 'ta' }, spec: { namespaces: ['a'], defaultQueue: 'qa' } });
  hh.cluster.put('tenants', { metadata: { name: 'tb' }, spec: { namespaces: ['b'], defaultQueue: 'qb' } });
  const limit = mode === 'elastic' ? { limit: { gpu: '8' } } : {};
  hh.cluster.put('queues', { metadata: { name: 'qa' }, spec: { tenant: 'ta', pool: 'train', guarantee: { gpu: mode === 'elastic' ? '4' : '0' }, ...limit, lendIdle: mode === 'elastic' } });
  hh.cluster.put('queues', { metadata: { name: 'qb' }, spec: { tenant: 'tb', pool: 'train', guarantee: { gpu: mode === 'elastic' ? '4' : '8' }, ...limit, lendIdle: mode === 'elastic' } });
}

/** Filter on `nodes` and bind to the held node; the clock moves 1 s so start times differ. */
async function run(hh: Harness, name: string, ns: string, nodes: string[], o: { priority?: number; resources?: Record<string, string> } = {}): Promise<string> {
  const pod = kubePod(name, { namespace: ns, resources: o.resources ?? GPU1, ...(o.priority !== undefined ? { priority: o.priority } : {}) });
  hh.cluster.put('pods', pod);
  const f = await hh.post('/filter', cacheArgs(pod, nodes));
  const node = hh.service.state.holdings.get(`uid-${name}`)?.decision.node;
  if (node === undefined) throw new Error(`${name} did not fit: ${JSON.stringify(f.json)}`);
  const b = await hh.post('/bind', { PodName: name, PodNamespace: ns, PodUID: `uid-${name}`, Node: node });
  expect(b.json.Error).toBe('');
  hh.clock.now += 1000;
  return node;
}

async function filterOwner(hh: Harness, name: string, nodes: string[], resources: Record<string, string> = GPU1): Promise<{ passed: string[]; failed: Record<string, string>; unresolvable: Record<string, string> }> {
  const pod = kubePod(name, { namespace: 'a', resources, priority: 1000 });
  if (hh.cluster.pod('a', name) === undefined) hh.cluster.put('pods', pod);
  const f = await hh.post('/filter', cacheArgs(pod, nodes));
  expect(f.status).toBe(200);
  return { passed: f.json.NodeNames ?? [], failed: f.json.FailedNodes ?? {}, unresolvable: f.json.FailedAndUnresolvableNodes ?? {} };
}

const evicted = (hh: Harness): string[] => hh.cluster.evictions.map((e) => e.name).sort();

describe('active reclaim', () => {
  it('evicts the lowest-priority, then most recently started borrower, answers resolvable, journals it; then the owner fits', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1'], { priority: i === 2 ? 50 : 100 });
    // 1 GPU: b2 has the lowest priority.
    const r1 = await filterOwner(h, 'o1', ['n1']);
    expect(r1.passed).toEqual([]);
    expect(r1.failed['n1']).toMatch(/being reclaimed/);
    expect(r1.unresolvable['n1']).toBeUndefined();
    expect(evicted(h)).toEqual(['b2']);
    const j = h.service.journal.preemptions()[0]!;
    expect(j).toMatchObject({ kind: 'reclaim', node: 'n1', victims: ['uid-b2'], preemptor: { namespace: 'a', name: 'o1' } });
    expect(j.reason).toMatch(/qa.*guarantee.*qb/);
    expect(await (await fetch(`${h.base}/metrics`)).text()).toMatch(/tessera_extender_reclaims_total\{result="evicted"\} 1/);
    // b2 is gone: the waiting pod is touched (kube-scheduler requeues it) and fits now.
    expect(h.cluster.patches.filter((p) => p.name === 'o1').map((p) => Object.keys(p.annotations))).toEqual([['tessera.io/reclaimed']]);
    // b2 is gone: the owner fits now.
    const again = await filterOwner(h, 'o1', ['n1']);
    expect(again.passed).toEqual(['n1']);
    expect(evicted(h)).toEqual(['b2']);
    // 2 GPUs more: then the most recently started (b7, b6), both needed, nothing else.
    await h.post('/bind', { PodName: 'o1', PodNamespace: 'a', PodUID: 'uid-o1', Node: 'n1' });
    const r2 = await filterOwner(h, 'o2', ['n1'], { 'nvidia.com/gpu': '2' });
    expect(r2.failed['n1']).toMatch(/being reclaimed/);
    expect(evicted(h)).toEqual(['b2', 'b6', 'b7']);
  });

  it('is idempotent: a victim still terminating is not evicted again, and the next owner pod gets a different victim', async () => {
    h = await startHarness();
    h.cluster.evictionGraceful = true;
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    for (let k = 0; k < 3; k++) {
      const r = await filterOwner(h, 'o1', ['n1']);
      expect(r.failed['n1']).toMatch(/being reclaimed/);
    }
    expect(evicted(h)).toEqual(['b7']);
    const r2 = await filterOwner(h, 'o2', ['n1']);
    expect(r2.failed['n1']).toMatch(/being reclaimed/);
    expect(evicted(h)).toEqual(['b6', 'b7']);
    expect(h.service.journal.preemptions()).toHaveLength(2);
  });

  it('a pod whose freed GPU another owner took waits for the evictions in flight instead of evicting more', async () => {
    h = await startHarness();
    h.cluster.evictionGraceful = true;
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    await filterOwner(h, 'o1', ['n1']);
    await filterOwner(h, 'o2', ['n1']);
    expect(evicted(h)).toEqual(['b6', 'b7']);
    // b7 (evicted for o1) goes first, and o2 is scheduled into its GPU before o1 retries.
    h.cluster.remove('pods', 'b/b7');
    expect((await filterOwner(h, 'o2', ['n1'])).passed).toEqual(['n1']);
    const o1 = await filterOwner(h, 'o1', ['n1']);
    expect(o1.passed).toEqual([]);
    expect(o1.failed['n1']).toMatch(/waiting for 1 evicted pod/);
    expect(evicted(h)).toEqual(['b6', 'b7']);
    // b6 goes: o1 is touched again and fits.
    h.cluster.remove('pods', 'b/b6');
    expect(h.cluster.patches.filter((p) => p.name === 'o1')).toHaveLength(2);
    expect((await filterOwner(h, 'o1', ['n1'])).passed).toEqual(['n1']);
    expect(evicted(h)).toEqual(['b6', 'b7']);
  });

  it('a failed eviction (e.g. a PDB) is retried on the next filter call', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    h.cluster.evictionFailures.push('429 Cannot evict pod as it would violate the pod\'s disruption budget');
    await filterOwner(h, 'o1', ['n1']);
    await new Promise((r) => setTimeout(r, 10));
    expect(evicted(h)).toEqual([]);
    await filterOwner(h, 'o1', ['n1']);
    expect(evicted(h)).toEqual(['b7']);
  });

  it('never evicts pods inside their own queue guarantee (devices full but quota not borrowed)', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 4; i++) await run(h, `b${i}`, 'b', ['n1']);
    // Four GPUs taken by a namespace without a tenant (not under quota).
    for (let i = 0; i < 4; i++) await run(h, `x${i}`, 'free', ['n1']);
    const r = await filterOwner(h, 'o1', ['n1']);
    expect(r.passed).toEqual([]);
    expect(JSON.stringify(r)).not.toMatch(/reclaimed/);
    expect(evicted(h)).toEqual([]);
  });

  it('never evicts in a fixed pool', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h, 'fixed');
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    const r = await filterOwner(h, 'o1', ['n1']);
    expect(r.passed).toEqual([]);
    expect(JSON.stringify(r)).not.toMatch(/reclaimed/);
    expect(evicted(h)).toEqual([]);
  });

  it('never evicts a fixed pool\'s pods even when they lie above a lowered guarantee', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h, 'fixed');
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    // The admin moves half of qb's guarantee to qa: qb's last 4 pods are now above its guarantee.
    h.cluster.put('queues', { metadata: { name: 'qb' }, spec: { tenant: 'tb', pool: 'train', guarantee: { gpu: '4' }, lendIdle: false } });
    h.cluster.put('queues', { metadata: { name: 'qa' }, spec: { tenant: 'ta', pool: 'train', guarantee: { gpu: '4' }, lendIdle: false } });
    const r = await filterOwner(h, 'o1', ['n1']);
    // core's reclaimCandidates lists these (mode fixed, above the new guarantee): the extender must refuse them.
    expect(r.passed).toEqual([]);
    expect(JSON.stringify(r)).not.toMatch(/being reclaimed/);
    expect(evicted(h)).toEqual([]);
  });

  it('a follower never evicts', async () => {
    let leader = true;
    h = await startHarness({ isLeader: () => leader });
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    quotas(h);
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', ['n1']);
    leader = false;
    const r = await filterOwner(h, 'o1', ['n1']);
    expect(r.passed).toEqual([]);
    expect(evicted(h)).toEqual([]);
    expect(h.service.journal.preemptions()).toHaveLength(0);
  });

  it('chooses victims on one node where freeing them makes the pod fit', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4), { pool: 'train' }));
    h.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 4), { pool: 'train' }));
    quotas(h);
    // Alternate nodes: the two latest borrowers (b7 on n2, b6 on n1) are on different nodes.
    for (let i = 0; i < 8; i++) await run(h, `b${i}`, 'b', [i % 2 === 0 ? 'n1' : 'n2']);
    const r = await filterOwner(h, 'o2', ['n1', 'n2'], { 'nvidia.com/gpu': '2' });
    expect(r.passed).toEqual([]);
    const victims = h.cluster.evictions.map((e) => e.name);
    expect(victims).toHaveLength(2);
    const nodes = new Set(victims.map((v) => (Number(v.slice(1)) % 2 === 0 ? 'n1' : 'n2')));
    expect(nodes.size).toBe(1);
    const node = [...nodes][0]!;
    expect(r.failed[node]).toMatch(/being reclaimed/);
    const after = await filterOwner(h, 'o2', ['n1', 'n2'], { 'nvidia.com/gpu': '2' });
    expect(after.passed).toEqual([node]);
  });
});
