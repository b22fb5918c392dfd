/** Admin API, auth and metrics over loopback HTTP, with a token-review fake behind KubeAccess. */
import { afterEach, describe, expect, it } from 'vitest';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

const TOKENS = {
  'tok-alice': { username: 'alice', groups: ['vision-team'] },
  'tok-bob': { username: 'bob', groups: ['others'] },
  'tok-root': { username: 'root', groups: ['system:masters'] },
};

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function call(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${h!.base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
}

const pool = { metadata: { name: 'training' }, spec: { nodeSelector: { matchLabels: { 'tessera.io/pool': 'training' } }, mode: 'elastic', isolation: 'hami-core' } };
const tenant = { metadata: { name: 'vision' }, spec: { namespaces: ['ml'], admins: { users: ['carol'] }, members: { groups: ['vision-team'] }, defaultPool: 'training', defaultQueue: 'vision-training' } };
const queue = { metadata: { name: 'vision-training' }, spec: { tenant: 'vision', pool: 'training', guarantee: { gpu: '4' }, limit: { gpu: '6' }, lendIdle: true, priority: 100 } };

async function setup(): Promise<void> {
  h = await startHarness({ clusterOptions: { tokens: TOKENS, clusterAdmins: ['root'] } });
  h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { 'tessera.io/pool': 'training' }));
  expect((await call('POST', '/api/v1/pools', 'tok-root', pool)).status).toBe(201);
  expect((await call('POST', '/api/v1/tenants', 'tok-root', tenant)).status).toBe(201);
  expect((await call('POST', '/api/v1/queues', 'tok-root', queue)).status).toBe(201);
}

async function place(name: string, gpus: number): Promise<string[]> {
  const pod = kubePod(name, { resources: { 'nvidia.com/gpu': String(gpus) } });
  h!.cluster.put('pods', pod);
  const f = await h!.post('/filter', cacheArgs(pod, ['n1']));
  if (f.json.NodeNames.length > 0) expect((await h!.post('/bind', { PodName: name, PodNamespace: 'ml', PodUID: `uid-${name}`, Node: 'n1' })).json.Error).toBe('');
  return f.json.NodeNames;
}

describe('admin API auth', () => {
  it('needs a token, rejects unknown tokens, and lets only RBAC-allowed users write', async () => {
    await setup();
    expect((await call('GET', '/api/v1/pools', null)).status).toBe(401);
    const bad = await call('GET', '/api/v1/pools', 'nope');
    expect(bad.status).toBe(401);
    expect(bad.json.message).toMatch(/not accepted by TokenReview/);
    const denied = await call('POST', '/api/v1/pools', 'tok-alice', { metadata: { name: 'p2' }, spec: { mode: 'fixed' } });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toMatch(/alice may not create pools\.tessera\.io/);
    expect(h!.cluster.accessChecks.some((c) => c.user.username === 'alice' && c.attrs.verb === 'create')).toBe(true);
  });

  it('limits tenant data to members; cluster admins see all', async () => {
    await setup();
    await call('POST', '/api/v1/tenants', 'tok-root', { metadata: { name: 'nlp' }, spec: { namespaces: ['nlp'] } });
    expect((await call('GET', '/api/v1/tenants', 'tok-alice')).json.items.map((t: any) => t.metadata.name)).toEqual(['vision']);
    expect((await call('GET', '/api/v1/tenants', 'tok-bob')).json.items).toEqual([]);
    expect((await call('GET', '/api/v1/tenants', 'tok-root')).json.items.map((t: any) => t.metadata.name).sort()).toEqual(['nlp', 'vision']);
    expect((await call('GET', '/api/v1/queues/vision-training', 'tok-bob')).status).toBe(404);
    expect((await call('GET', '/api/v1/pods/ml/x/why', 'tok-bob')).status).toBe(403);
  });
});

describe('admin API CRUD', () => {
  it('validates bodies by schema and rules, replaces and deletes', async () => {
    await setup();
    const bad = await call('POST', '/api/v1/queues', 'tok-root', { metadata: { name: 'q' }, spec: { tenant: 'vision', pool: 'training', guarantee: { gpu: 'lots' } } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/guarantee\/gpu/);
    const lim = await call('POST', '/api/v1/queues', 'tok-root', { metadata: { name: 'q' }, spec: { tenant: 'vision', pool: 'training', guarantee: { gpu: '4' }, limit: { gpu: '2' } } });
    expect(lim.status).toBe(400);
    expect(lim.json.message).toMatch(/limit\.gpu \(2\) must be >= spec\.guarantee\.gpu \(4\)/);
    expect((await call('POST', '/api/v1/pools', 'tok-root', pool)).status).toBe(409);
    const mismatch = await call('PUT', '/api/v1/pools/training', 'tok-root', { ...pool, metadata: { name: 'other' } });
    expect(mismatch.status).toBe(400);
    const put = await call('PUT', '/api/v1/pools/training', 'tok-root', { ...pool, spec: { ...pool.spec, computeOvercommit: 2 } });
    expect(put.status).toBe(200);
    expect(h!.service.state.pools.get('training')?.spec.computeOvercommit).toBe(2);
    expect((await call('DELETE', '/api/v1/queues/vision-training', 'tok-root')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/queues/vision-training', 'tok-root')).status).toBe(404);
  });
});

describe('usage, nodes, pending, why, metrics', () => {
  it('reports queue usage in GPU equivalents and device occupancy with pods', async () => {
    await setup();
    expect(await place('a', 2)).toEqual(['n1']);
    const usage = (await call('GET', '/api/v1/usage', 'tok-alice')).json.queues;
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ queue: 'vision-training', tenant: 'vision', guarantee: { gpu: 4 }, limit: { gpu: 6 }, used: { gpu: 2 }, borrowed: { gpu: 0 }, pods: 1 });
    const node = (await call('GET', '/api/v1/nodes/n1', 'tok-alice')).json;
    expect(node.pool).toBe('training');
    const used = node.devices.filter((d: any) => d.shares.length > 0);
    expect(used).toHaveLength(2);
    expect(used[0].shares[0]).toMatchObject({ pod: { namespace: 'ml', name: 'a' }, exclusive: true, state: 'bound' });
    expect(node.interconnect.kind).toBe('nvlink');
    const hidden = (await call('GET', '/api/v1/nodes', 'tok-bob')).json.items[0].devices.find((d: any) => d.shares.length > 0);
    expect(hidden.shares[0].pod.name).toBe('(hidden)');
  });

  it('explains a pod refused by quota and lists it as pending', async () => {
    await setup();
    expect(await place('a', 4)).toEqual(['n1']);
    // 4 used, limit 6: 4 more would exceed the limit.
    expect(await place('b', 4)).toEqual([]);
    const pending = (await call('GET', '/api/v1/pending', 'tok-alice')).json.items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ pod: { name: 'b' }, reason: 'quota', queue: 'vision-training' });
    const why = (await call('GET', '/api/v1/pods/ml/b/why', 'tok-alice')).json;
    expect(why.phase).toBe('pending');
    expect(why.quota.ok).toBe(false);
    expect(why.quota.message).toMatch(/quota/);
    expect(why.fit.feasible).toBe(1);
    expect(why.lastFilter.reason).toBe('quota');
  });

  it('explains a pod that fits no node by reason class', async () => {
    await setup();
    const pod = kubePod('huge', { resources: { 'nvidia.com/gpu': '12' } });
    h!.cluster.put('pods', pod);
    await h!.post('/filter', cacheArgs(pod, ['n1']));
    const why = (await call('GET', '/api/v1/pods/ml/huge/why', 'tok-root')).json;
    expect(why.fit).toMatchObject({ nodes: 1, feasible: 0 });
    expect(Object.keys(why.fit.byReason)).toEqual(['device-count']);
    expect(why.request).toMatch(/12 × nvidia whole/);
    expect((await call('GET', '/api/v1/pods/ml/nope/why', 'tok-root')).status).toBe(404);
  });

  it('serves OpenAPI with every path', async () => {
    await setup();
    const doc = (await call('GET', '/api/v1/openapi.json', null)).json;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/pools', '/api/v1/usage', '/api/v1/nodes', '/api/v1/pending', '/api/v1/pods/{namespace}/{name}/why', '/api/v1/preemptions']) expect(doc.paths[p]).toBeDefined();
    expect(doc.components.schemas.Node.properties.devices).toBeDefined();
  });

  it('exports metrics that parse back', async () => {
    await setup();
    await place('a', 2);
    await place('b', 5); // 6 GPUs free on n1, but 2 + 5 > the queue limit of 6
    const text = await (await fetch(`${h!.base}/metrics`)).text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const m = /^(\S+?)(\{.*\})?\s+(\S+)$/.exec(line);
      expect(m, `unparseable metrics line: ${line}`).not.toBeNull();
      samples.set(`${m![1]}${m![2] ?? ''}`, Number(m![3]));
    }
    expect(samples.get('tessera_extender_decision_duration_seconds_count{verb="filter"}')).toBe(2);
    expect(samples.get('tessera_extender_decision_duration_seconds_count{verb="bind"}')).toBe(1);
    expect(samples.get('tessera_extender_queue_gpus{queue="vision-training",tenant="vision",pool="training",kind="used"}')).toBe(2);
    expect(samples.get('tessera_extender_queue_gpus{queue="vision-training",tenant="vision",pool="training",kind="guarantee"}')).toBe(4);
    expect(samples.get('tessera_extender_grants{kind="bound"}')).toBe(1);
    expect(samples.get('tessera_extender_pending_pods{reason="quota"}')).toBe(1);
    expect(samples.get('tessera_extender_filter_nodes_total{outcome="passed",reason="fits"}')).toBe(1);
    expect(samples.get('tessera_extender_leader')).toBe(1);
  });
});
