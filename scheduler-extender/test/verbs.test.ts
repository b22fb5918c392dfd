/** Every extender verb over real HTTP on loopback, against golden wire files. */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { POD_DECISION, POD_VISIBLE_DEVICES, POD_MEMORY_LIMIT, POD_CORE_LIMIT } from '../../core/index.js';
import { cacheArgs, golden, gpuInventory, kubeNode, kubePod, readJson, SHARED_FIXTURES, startHarness, type Harness } from './helpers.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** The cluster of the shared fixtures: a free 8-GPU node, a nearly full one, a CPU node. */
async function fixtureCluster(): Promise<Harness> {
  h = await startHarness();
  h.cluster.put('nodes', kubeNode('gpu-node-a', gpuInventory('a', 8)));
  h.cluster.put('nodes', kubeNode('gpu-node-b', gpuInventory('b', 8)));
  h.cluster.put('nodes', kubeNode('cpu-node-c', null));
  // 7 of gpu-node-b's GPUs are held by a bound pod (through its decision annotation).
  const decision = {
    version: 1, podUid: 'uid-busy', namespace: 'ml', name: 'busy', node: 'gpu-node-b', isolation: 'exclusive',
    containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: Array.from({ length: 7 }, (_, i) => ({ id: `GPU-b-${i}`, index: i, memoryMiB: 81920, computeMilli: 1000, exclusive: true })) }],
    decidedAtMs: 1,
  };
  h.cluster.put('pods', kubePod('busy', { uid: 'uid-busy', resources: { 'nvidia.com/gpu': '7' }, nodeName: 'gpu-node-b', phase: 'Running', annotations: { [POD_DECISION]: JSON.stringify(decision) } }));
  const args = readJson(join(SHARED_FIXTURES, 'extender-filter-args.nodecache.json')) as { Pod: unknown };
  h.cluster.put('pods', args.Pod);
  return h;
}

describe('filter', () => {
  it('answers the shared node-cache fixture like the golden file (one fit, one resolvable, one unresolvable)', async () => {
    const hh = await fixtureCluster();
    const args = readJson(join(SHARED_FIXTURES, 'extender-filter-args.nodecache.json'));
    const res = await hh.post('/filter', args);
    expect(res.status).toBe(200);
    const shared = readJson(join(SHARED_FIXTURES, 'extender-filter-result.nodecache.json')) as Record<string, Record<string, string> | string[] | null>;
    // Same shape as the upstream sample: same passing names, same nodes in each failure map.
    expect(res.json.NodeNames).toEqual(shared['NodeNames']);
    expect(res.json.Nodes).toBeNull();
    expect(Object.keys(res.json.FailedNodes)).toEqual(Object.keys(shared['FailedNodes'] as object));
    expect(Object.keys(res.json.FailedAndUnresolvableNodes)).toEqual(Object.keys(shared['FailedAndUnresolvableNodes'] as object));
    expect(res.json.Error).toBe('');
    expect(res.json).toEqual(golden('filter-nodecache.result', res.json));
  });

  it('in full-Node mode answers Nodes.items (the objects sent) and NodeNames null', async () => {
    const hh = await fixtureCluster();
    const nodes = [kubeNode('gpu-node-a', gpuInventory('a', 8)), kubeNode('gpu-node-b', gpuInventory('b', 8)), kubeNode('cpu-node-c', null)];
    const pod = (readJson(join(SHARED_FIXTURES, 'extender-filter-args.nodecache.json')) as { Pod: unknown }).Pod;
    const res = await hh.post('/filter', { Pod: pod, Nodes: { items: nodes }, NodeNames: null });
    expect(res.status).toBe(200);
    expect(res.json.NodeNames).toBeNull();
    expect(res.json.Nodes.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['gpu-node-a']);
    expect(res.json.Nodes.items[0]).toEqual(nodes[0]);
    expect(res.json).toEqual(golden('filter-full.result', res.json));
  });

  it('learns nodes from full Node objects it has not seen through the watch', async () => {
    h = await startHarness();
    const pod = kubePod('p1');
    h.cluster.put('pods', pod);
    const res = await h.post('/filter', { Pod: pod, Nodes: { items: [kubeNode('fresh', gpuInventory('f', 2))] } });
    expect(res.json.Nodes.items).toHaveLength(1);
  });

  it('answers NodeNames [] (never null, never an unsent name) when nothing fits', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('small', gpuInventory('s', 1)));
    const pod = kubePod('big', { resources: { 'nvidia.com/gpu': '4' } });
    h.cluster.put('pods', pod);
    const res = await h.post('/filter', cacheArgs(pod, ['small', 'ghost']));
    expect(res.json.NodeNames).toEqual([]);
    expect(res.json.FailedAndUnresolvableNodes['ghost']).toMatch(/not in the Tessera extender's cache/);
    expect(Object.keys({ ...res.json.FailedNodes, ...res.json.FailedAndUnresolvableNodes }).sort()).toEqual(['ghost', 'small']);
    const none = await h.post('/filter', cacheArgs(pod, []));
    expect(none.json.NodeNames).toEqual([]);
  });

  it('gives equal misfits equal, node-free reasons (kube-scheduler groups its event by reason)', async () => {
    h = await startHarness();
    for (let i = 0; i < 6; i++) h.cluster.put('nodes', kubeNode(`small-${i}`, gpuInventory(`s${i}`, 2)));
    const pod = kubePod('big', { resources: { 'nvidia.com/gpu': '4' } });
    h.cluster.put('pods', pod);
    const res = await h.post('/filter', cacheArgs(pod, ['small-0', 'small-1', 'small-2', 'small-3', 'small-4', 'small-5', 'ghost-a', 'ghost-b']));
    const reasons = Object.entries({ ...res.json.FailedNodes, ...res.json.FailedAndUnresolvableNodes }) as [string, string][];
    expect(reasons).toHaveLength(8);
    for (const [node, text] of reasons) expect(text).not.toContain(node);
    expect(new Set(reasons.map(([, t]) => t)).size).toBe(2); // one text for the small nodes, one for unknown nodes
  });

  it('asks the scheduler to retry (Error) while a watch is broken, and serves again once synced', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 1)));
    const pod = kubePod('p');
    h.cluster.put('pods', pod);
    h.cluster.setSynced(false, 'watch not synced: pods');
    const res = await h.post('/filter', cacheArgs(pod, ['n1']));
    expect(res.json.Error).toMatch(/not synced \(watch not synced: pods\); retry/);
    expect(res.json.NodeNames).toEqual([]);
    expect((await fetch(`${h.base}/readyz`)).status).toBe(503);
    h.cluster.setSynced(true);
    expect((await h.post('/filter', cacheArgs(pod, ['n1']))).json.NodeNames).toEqual(['n1']);
  });

  it('passes every sent node for a pod that asks for no accelerators', async () => {
    h = await startHarness();
    const pod = kubePod('cpu', { resources: { cpu: '2' } });
    const res = await h.post('/filter', cacheArgs(pod, ['x', 'y']));
    expect(res.json.NodeNames).toEqual(['x', 'y']);
  });

  it('explains a corrupt inventory annotation and a pod with invalid requests', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('broken', '{"version":1,"vendor":"nvidia"'));
    h.cluster.put('nodes', kubeNode('wrongshape', JSON.stringify({ version: 2 })));
    const pod = kubePod('p');
    const res = await h.post('/filter', cacheArgs(pod, ['broken', 'wrongshape']));
    expect(res.json.NodeNames).toEqual([]);
    expect(res.json.FailedAndUnresolvableNodes['broken']).toMatch(/tessera\.io\/inventory: not JSON/);
    expect(res.json.FailedAndUnresolvableNodes['wrongshape']).toMatch(/tessera\.io\/inventory: \/ must have required properties vendor/);
    const bad = kubePod('bad', { resources: { 'nvidia.com/gpu': '1.5' } });
    const r2 = await h.post('/filter', cacheArgs(bad, ['broken']));
    expect(r2.json.FailedAndUnresolvableNodes['broken']).toMatch(/nvidia\.com\/gpu: expected an integer ≥ 1, got "1\.5"/);
  });

  it('holds the chosen devices so the next pod is not promised them', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    const a = kubePod('a', { resources: { 'nvidia.com/gpu': '2' } });
    const b = kubePod('b', { resources: { 'nvidia.com/gpu': '2' } });
    h.cluster.put('pods', a);
    h.cluster.put('pods', b);
    expect((await h.post('/filter', cacheArgs(a, ['n1']))).json.NodeNames).toEqual(['n1']);
    expect((await h.post('/filter', cacheArgs(b, ['n1']))).json.NodeNames).toEqual([]);
    // After the TTL the reservation lapses and b fits.
    h.clock.now += 30_001;
    expect((await h.post('/filter', cacheArgs(b, ['n1']))).json.NodeNames).toEqual(['n1']);
    expect(h.service.state.holdings.has('uid-a')).toBe(false);
  });
});

describe('prioritize', () => {
  it('scores 0–10 with the held node first, in the sent order (golden)', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('gpu-node-a', gpuInventory('a', 8)));
    h.cluster.put('nodes', kubeNode('gpu-node-b', gpuInventory('b', 8, { links: Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 'X' : 'SYS'))) })));
    const pod = kubePod('train', { resources: { 'nvidia.com/gpu': '2' } });
    h.cluster.put('pods', pod);
    const f = await h.post('/filter', cacheArgs(pod, ['gpu-node-b', 'gpu-node-a']));
    expect(f.json.NodeNames.sort()).toEqual(['gpu-node-a', 'gpu-node-b']);
    const res = await h.post('/prioritize', cacheArgs(pod, ['gpu-node-b', 'gpu-node-a']));
    expect(res.status).toBe(200);
    expect(res.json.map((x: { Host: string }) => x.Host)).toEqual(['gpu-node-b', 'gpu-node-a']);
    for (const x of res.json) expect(x.Score).toBeGreaterThanOrEqual(0), expect(x.Score).toBeLessThanOrEqual(10);
    // NVLink node beats the all-SYS node and is the one held.
    expect(res.json[1]).toEqual({ Host: 'gpu-node-a', Score: 10 });
    expect(res.json[0].Score).toBeLessThan(10);
    const shared = readJson(join(SHARED_FIXTURES, 'extender-prioritize-result.json')) as object[];
    expect(Object.keys(res.json[0]).sort()).toEqual(Object.keys(shared[0] as object).sort());
    expect(res.json).toEqual(golden('prioritize.result', res.json));
  });
});

describe('bind', () => {
  it('records the decision annotations, then creates the Binding (shared fixture)', async () => {
    const hh = await fixtureCluster();
    await hh.post('/filter', readJson(join(SHARED_FIXTURES, 'extender-filter-args.nodecache.json')));
    const res = await hh.post('/bind', readJson(join(SHARED_FIXTURES, 'extender-bind-args.json')));
    expect(res.json).toEqual(readJson(join(SHARED_FIXTURES, 'extender-bind-result.json')));
    expect(hh.cluster.bindings).toEqual([{ namespace: 'ml', name: 'train-0', uid: '5f0c9a3e-8a2b-4d8e-9a51-2f7c3c1d0a11', node: 'gpu-node-a' }]);
    const pod = hh.cluster.pod('ml', 'train-0') as { metadata: { annotations: Record<string, string> }; spec: { nodeName: string } };
    const ann = pod.metadata.annotations;
    const d = JSON.parse(ann[POD_DECISION] as string);
    expect(d).toMatchObject({ version: 1, podUid: '5f0c9a3e-8a2b-4d8e-9a51-2f7c3c1d0a11', node: 'gpu-node-a', isolation: 'exclusive' });
    expect(d.containers[0].devices).toHaveLength(2);
    expect(ann[`${POD_VISIBLE_DEVICES}.0`]).toBe(d.containers[0].devices.map((x: { id: string }) => x.id).join(','));
    expect(ann[`${POD_MEMORY_LIMIT}.0`]).toBeUndefined(); // whole devices: no share limits
    // The patch came before the Binding (one patch, then the bind).
    expect(hh.cluster.patches).toHaveLength(1);
    expect(pod.spec.nodeName).toBe('gpu-node-a');
    expect(hh.service.state.holdings.get('5f0c9a3e-8a2b-4d8e-9a51-2f7c3c1d0a11')?.kind).toBe('bound');
  });

  it('writes share limits for a HAMi-style share', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    const pod = kubePod('s', { resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '3000', 'nvidia.com/gpucores': '30' } });
    h.cluster.put('pods', pod);
    await h.post('/filter', cacheArgs(pod, ['n1']));
    const res = await h.post('/bind', { PodName: 's', PodNamespace: 'ml', PodUID: 'uid-s', Node: 'n1' });
    expect(res.json).toEqual({ Error: '' });
    const ann = (h.cluster.pod('ml', 's') as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
    expect(h.cluster.patches[0]?.annotations).toEqual(golden('bind-share.annotations', h.cluster.patches[0]?.annotations));
    expect(ann[`${POD_MEMORY_LIMIT}.0`]).toBe('3000m');
    expect(ann[`${POD_CORE_LIMIT}.0`]).toBe('30');
    expect(JSON.parse(ann[POD_DECISION] as string).isolation).toBe('hami-core');
  });

  it('a failed Binding removes the annotations and leaves nothing reserved', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '2' } });
    h.cluster.put('pods', pod);
    await h.post('/filter', cacheArgs(pod, ['n1']));
    h.cluster.bindFailures.push('etcd timeout');
    const res = await h.post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: 'n1' });
    expect(res.json.Error).toMatch(/binding ml\/p to n1: etcd timeout/);
    const ann = (h.cluster.pod('ml', 'p') as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
    expect(Object.keys(ann).filter((k) => k.startsWith('tessera.io/'))).toEqual([]);
    expect(h.service.state.holdings.size).toBe(0);
    expect(h.service.state.ledger.reservationCount()).toBe(0);
    // The devices are free again for another pod.
    const q = kubePod('q', { resources: { 'nvidia.com/gpu': '2' } });
    h.cluster.put('pods', q);
    expect((await h.post('/filter', cacheArgs(q, ['n1']))).json.NodeNames).toEqual(['n1']);
  });

  it('binding to another node than the held one places afresh there, or refuses', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    h.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 2)));
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '2' } });
    h.cluster.put('pods', pod);
    const f = await h.post('/filter', cacheArgs(pod, ['n1', 'n2']));
    const held = h.service.state.holdings.get('uid-p')?.decision.node;
    const other = held === 'n1' ? 'n2' : 'n1';
    expect(f.json.NodeNames).toHaveLength(2);
    const res = await h.post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: other });
    expect(res.json).toEqual({ Error: '' });
    expect(h.service.state.ledger.reservation('uid-p')?.node).toBe(other);
    expect(h.service.state.ledger.reservationCount()).toBe(1);
  });

  it('a retried bind of a bound pod succeeds on the same node and never undoes the decision', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '1' } });
    h.cluster.put('pods', pod);
    await h.post('/filter', cacheArgs(pod, ['n1']));
    const args = { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: 'n1' };
    expect((await h.post('/bind', args)).json).toEqual({ Error: '' });
    expect((await h.post('/bind', args)).json).toEqual({ Error: '' });
    expect((await h.post('/bind', { ...args, Node: 'n2' })).json.Error).toMatch(/already bound to n1/);
    expect(h.cluster.bindings).toHaveLength(1);
    const ann = (h.cluster.pod('ml', 'p') as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
    expect(ann[POD_DECISION]).toBeDefined();
    expect(h.service.state.holdings.get('uid-p')?.kind).toBe('bound');
  });

  it('refuses unknown pods and UID mismatches with a message', async () => {
    h = await startHarness();
    expect((await h.post('/bind', { PodName: 'nope', PodNamespace: 'ml', PodUID: 'u', Node: 'n1' })).json.Error).toMatch(/not in the extender's cache/);
    h.cluster.put('pods', kubePod('p'));
    expect((await h.post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'other', Node: 'n1' })).json.Error).toMatch(/UID other does not match/);
  });

  it('a follower refuses to bind so the scheduler retries on the leader', async () => {
    h = await startHarness({ isLeader: () => false });
    h.cluster.put('pods', kubePod('p'));
    expect((await h.post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: 'n1' })).json.Error).toMatch(/not the leader/);
    const ready = await fetch(`${h.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ leader: false, synced: true });
  });
});

describe('preempt', () => {
  it('narrows kube-scheduler victims to the pods whose devices are needed (shared fixture)', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('gpu-node-a', gpuInventory('a', 8)));
    const victimUid = '1d2c3b4a-0000-4000-8000-000000000001';
    const grant = (uid: string, name: string, ids: number[]) => ({
      version: 1, podUid: uid, namespace: 'ml', name, node: 'gpu-node-a', isolation: 'exclusive', decidedAtMs: 1,
      containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: ids.map((i) => ({ id: `GPU-a-${i}`, index: i, memoryMiB: 81920, computeMilli: 1000, exclusive: true })) }],
    });
    h.cluster.put('pods', kubePod('v1', { uid: victimUid, resources: { 'nvidia.com/gpu': '8' }, nodeName: 'gpu-node-a', phase: 'Running', annotations: { [POD_DECISION]: JSON.stringify(grant(victimUid, 'v1', [0, 1, 2, 3, 4, 5, 6, 7])) } }));
    const args = readJson(join(SHARED_FIXTURES, 'extender-preempt-args.nodecache.json'));
    const res = await h.post('/preempt', args);
    expect(res.status).toBe(200);
    expect(res.json).toEqual(readJson(join(SHARED_FIXTURES, 'extender-preempt-result.json')));
  });

  it('drops victims whose devices are not needed and nodes where no set helps', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4)));
    h.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 1)));
    const grant = (uid: string, node: string, ids: number[]) => ({
      version: 1, podUid: uid, namespace: 'ml', name: uid, node, isolation: 'exclusive', decidedAtMs: 1,
      containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: ids.map((i) => ({ id: `GPU-${node}-${i}`, index: i, memoryMiB: 81920, computeMilli: 1000, exclusive: true })) }],
    });
    for (const [uid, node, ids, prio] of [['lo', 'n1', [0, 1], 1], ['mid', 'n1', [2], 5], ['hi', 'n1', [3], 9], ['x', 'n2', [0], 1]] as const) {
      h.cluster.put('pods', kubePod(uid, { uid, resources: { 'nvidia.com/gpu': String(ids.length) }, nodeName: node, priority: prio, phase: 'Running', annotations: { [POD_DECISION]: JSON.stringify(grant(uid, node, [...ids])) } }));
    }
    const pod = kubePod('pre', { resources: { 'nvidia.com/gpu': '2' }, priority: 100 });
    const res = await h.post('/preempt', {
      Pod: pod,
      NodeNameToVictims: null,
      NodeNameToMetaVictims: {
        n1: { Pods: [{ UID: 'lo' }, { UID: 'mid' }, { UID: 'hi' }], NumPDBViolations: 0 },
        n2: { Pods: [{ UID: 'x' }], NumPDBViolations: 0 },
      },
    });
    // Freeing 'lo' (2 GPUs) is enough on n1; n2 has 1 GPU in all and cannot help.
    expect(res.json).toEqual({ NodeNameToMetaVictims: { n1: { Pods: [{ UID: 'lo' }], NumPDBViolations: 0 } } });
    expect(h.service.journal.preemptions()[0]).toMatchObject({ node: 'n1', victims: ['lo'] });
  });

  it('leaves out a node where the pod fits without any victim (kube-scheduler refuses an empty victim list)', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4)));
    const grant = {
      version: 1, podUid: 'busy', namespace: 'ml', name: 'busy', node: 'n1', isolation: 'exclusive', decidedAtMs: 1,
      containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: 'GPU-n1-0', index: 0, memoryMiB: 81920, computeMilli: 1000, exclusive: true }] }],
    };
    h.cluster.put('pods', kubePod('busy', { uid: 'busy', resources: { 'nvidia.com/gpu': '1' }, nodeName: 'n1', priority: 1, phase: 'Running', annotations: { [POD_DECISION]: JSON.stringify(grant) } }));
    const pod = kubePod('pre', { resources: { 'nvidia.com/gpu': '2' }, priority: 100 });
    const res = await h.post('/preempt', { Pod: pod, NodeNameToVictims: null, NodeNameToMetaVictims: { n1: { Pods: [{ UID: 'busy' }], NumPDBViolations: 0 } } });
    // 3 GPUs are free: 'busy' need not go, and n1 must not come back with Pods: [].
    expect(res.json).toEqual({ NodeNameToMetaVictims: {} });
    expect(h.service.journal.preemptions()).toHaveLength(0);
  });
});

describe('full-object mode for prioritize and preempt', () => {
  it('prioritize reads Nodes.items and preempt reads NodeNameToVictims, answering Meta victims', async () => {
    h = await startHarness();
    const n1 = kubeNode('n1', gpuInventory('n1', 2));
    h.cluster.put('nodes', n1);
    const grant = { version: 1, podUid: 'v', namespace: 'ml', name: 'v', node: 'n1', isolation: 'exclusive', decidedAtMs: 1, containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [0, 1].map((i) => ({ id: `GPU-n1-${i}`, index: i, memoryMiB: 81920, computeMilli: 1000, exclusive: true })) }] };
    const victim = kubePod('v', { uid: 'v', resources: { 'nvidia.com/gpu': '2' }, nodeName: 'n1', phase: 'Running', annotations: { [POD_DECISION]: JSON.stringify(grant) } });
    h.cluster.put('pods', victim);
    const pod = kubePod('p', { resources: { 'nvidia.com/gpu': '1' }, priority: 10 });
    h.cluster.put('pods', pod);
    const pr = await h.post('/prioritize', { Pod: pod, Nodes: { items: [n1] }, NodeNames: null });
    expect(pr.json).toEqual([{ Host: 'n1', Score: 0 }]); // does not fit now: no score
    const res = await h.post('/preempt', { Pod: pod, NodeNameToVictims: { n1: { Pods: [victim], NumPDBViolations: 1 } }, NodeNameToMetaVictims: null });
    expect(res.json).toEqual({ NodeNameToMetaVictims: { n1: { Pods: [{ UID: 'v' }], NumPDBViolations: 1 } } });
  });
});

describe('malformed requests', () => {
  const cases: { name: string; path: string; body: string; want: RegExp }[] = [
    { name: 'not JSON', path: '/filter', body: '{"Pod": ', want: /not valid JSON/ },
    { name: 'Pod missing', path: '/filter', body: '{"NodeNames": []}', want: /Pod/ },
    { name: 'NodeNames not strings', path: '/filter', body: '{"Pod": {"metadata": {}}, "NodeNames": [1]}', want: /NodeNames\/0/ },
    { name: 'bind without Node', path: '/bind', body: '{"PodName": "a", "PodNamespace": "b", "PodUID": "c"}', want: /Node/ },
    { name: 'preempt victims wrong type', path: '/preempt', body: '{"Pod": {"metadata": {}}, "NodeNameToMetaVictims": {"n": {"Pods": "x"}}}', want: /NodeNameToMetaVictims/ },
  ];
  for (const c of cases) {
    it(`${c.name} → 400 naming the problem`, async () => {
      h ??= await startHarness();
      const res = await h.post(c.path, c.body);
      expect(res.status).toBe(400);
      expect(res.json.code).toBe('EXT_ERR_BAD_ARGS');
      expect(res.json.message).toMatch(c.want);
    });
  }
});
