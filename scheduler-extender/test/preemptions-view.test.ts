/** /api/v1/preemptions never shows a tenant member the pods of another tenant. */
import { afterEach, describe, expect, it } from 'vitest';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

const TOKENS = {
  'tok-alice': { username: 'alice', groups: ['team-a'] },
  'tok-bob': { username: 'bob', groups: ['team-b'] },
  'tok-eve': { username: 'eve', groups: ['nobody'] },
  'tok-root': { username: 'root', groups: ['system:masters'] },
};

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function get(path: string, token: string): Promise<any> {
  const res = await fetch(`${h!.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return res.json();
}

describe('/api/v1/preemptions tenant filtering', () => {
  it('redacts victims and preemptors of other tenants; shows each tenant its own side', async () => {
    h = await startHarness({ clusterOptions: { tokens: TOKENS, clusterAdmins: ['root'] } });
    const c = h.cluster;
    c.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'train' }));
    c.put('pools', { metadata: { name: 'train' }, spec: { mode: 'elastic', nodeSelector: { matchLabels: { pool: 'train' } } } });
    c.put('tenants', { metadata: { name: 'ta' }, spec: { namespaces: ['a'], members: { groups: ['team-a'] }, defaultQueue: 'qa' } });
    c.put('tenants', { metadata: { name: 'tb' }, spec: { namespaces: ['b'], members: { groups: ['team-b'] }, defaultQueue: 'qb' } });
    for (const [q, t] of [['qa', 'ta'], ['qb', 'tb']]) {
      c.put('queues', { metadata: { name: q }, spec: { tenant: t, pool: 'train', guarantee: { gpu: '4' }, limit: { gpu: '8' }, lendIdle: true } });
    }
    for (let i = 0; i < 8; i++) {
      const pod = kubePod(`b${i}`, { namespace: 'b' });
      c.put('pods', pod);
      await h.post('/filter', cacheArgs(pod, ['n1']));
      expect((await h.post('/bind', { PodName: `b${i}`, PodNamespace: 'b', PodUID: `uid-b${i}`, Node: 'n1' })).json.Error).toBe('');
      h.clock.now += 1000;
    }
    const owner = kubePod('o1', { namespace: 'a' });
    c.put('pods', owner);
    await h.post('/filter', cacheArgs(owner, ['n1'])); // reclaims b7 (evicted: gone from the cache too)
    expect(c.evictions.map((e) => e.name)).toEqual(['b7']);

    const root = (await get('/api/v1/preemptions', 'tok-root')).items;
    expect(root).toHaveLength(1);
    expect(root[0]).toMatchObject({ kind: 'reclaim', preemptor: { namespace: 'a', name: 'o1' }, victims: ['uid-b7'] });
    expect(root[0].reason).toMatch(/qb/);
    expect(root[0].namespaces).toBeUndefined();

    // The preemptor's tenant sees its pod, not the other tenant's victim (nor the queue names).
    const alice = (await get('/api/v1/preemptions', 'tok-alice')).items;
    expect(alice).toHaveLength(1);
    expect(alice[0]).toMatchObject({ preemptor: { namespace: 'a', name: 'o1' }, victims: [], hiddenVictims: 1 });
    expect(JSON.stringify(alice)).not.toMatch(/uid-b7|"b"|qb/);

    // The victim's tenant sees that its pod was evicted, not by whom.
    const bob = (await get('/api/v1/preemptions', 'tok-bob')).items;
    expect(bob).toHaveLength(1);
    expect(bob[0]).toMatchObject({ preemptor: { namespace: '(hidden)', name: '(hidden)', uid: '' }, victims: ['uid-b7'], hiddenVictims: 0 });
    expect(JSON.stringify(bob)).not.toMatch(/o1|uid-o1/);

    // Someone in no tenant sees nothing.
    expect((await get('/api/v1/preemptions', 'tok-eve')).items).toEqual([]);
  });
});
