/**
 * ClusterState memory shape and resync: which pods keep a pod object, that the lean records
 * still explain every pod and rebuild the same grants, that a relist after lost events
 * releases the grants of pods deleted meanwhile, and the benchmark's non-retaining stand-in.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryCluster } from '../src/memory-cluster.js';
import { whyView } from '../src/admin/views.js';
import { cacheArgs, gpuInventory, kubeNode, kubePod, trackedHarnesses, type Harness } from './helpers.js';

const harness = trackedHarnesses();

/** Filter + bind one pending pod through the verbs; returns the node it was bound to. */
async function place(h: Harness, name: string, nodes: string[]): Promise<string | undefined> {
  const pod = h.cluster.pod('ml', name);
  const f = await h.post('/filter', cacheArgs(pod, nodes));
  if (!Array.isArray(f.json.NodeNames)) throw new Error(`filter ${name}: ${JSON.stringify(f.json)}`);
  const node = (f.json.NodeNames as string[])[0];
  if (node === undefined) return undefined;
  const b = await h.post('/bind', { PodName: name, PodNamespace: 'ml', PodUID: `uid-${name}`, Node: node });
  expect(b.json.Error).toBe('');
  return node;
}

describe('ClusterState pod records', () => {
  it('keeps the pod object only for unbound pods and invalid bound specs, and still explains each pod', async () => {
    const h = await harness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    h.cluster.put('pods', kubePod('gpu', { labels: { team: 'a' } }));
    h.cluster.put('pods', kubePod('waiting'));
    h.cluster.put('pods', kubePod('cpu', { resources: {}, nodeName: 'n1', phase: 'Running' }));
    // Bound by someone else with a share request that misses nvidia.com/gpu: invalid.
    h.cluster.put('pods', kubePod('bad', { resources: { 'nvidia.com/gpumem': '1000' }, nodeName: 'n1', phase: 'Running' }));
    expect(await place(h, 'gpu', ['n1'])).toBe('n1');
    const { state } = h.service;
    const rec = (n: string) => state.podByName('ml', n)!;
    expect(rec('gpu').raw).toBeNull();
    expect(rec('gpu').request).toBe(state.holdings.get('uid-gpu')!.request); // one object, shared with the grant
    expect(rec('gpu').meta.labels).toEqual({ team: 'a' });
    expect(rec('gpu').meta.annotations).toEqual({}); // the decision lives in rec.decision
    expect(rec('gpu').decision?.node).toBe('n1');
    expect(rec('cpu').raw).toBeNull();
    expect(rec('cpu').request).toBeNull();
    expect(rec('waiting').raw).not.toBeNull();
    expect(rec('bad').raw).not.toBeNull();
    // The why view answers from what is kept.
    expect(whyView(h.service, 'ml', 'cpu')).toMatchObject({ phase: 'not-tessera' });
    expect(whyView(h.service, 'ml', 'gpu')).toMatchObject({ phase: 'bound', node: 'n1', request: 'main: 1 × nvidia whole' });
    expect(whyView(h.service, 'ml', 'waiting')).toMatchObject({ phase: 'pending', request: 'main: 1 × nvidia whole' });
    expect((whyView(h.service, 'ml', 'bad') as { problems: string[] }).problems.join()).toMatch(/nvidia.com\/gpumem needs nvidia.com\/gpu/);
  });

  it('property: a restarted extender fed the same pods (lean records) holds the same grants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('gpu', 'share', 'cpu', 'pending'), { minLength: 1, maxLength: 12 }), async (kinds) => {
        const h1 = await harness();
        h1.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4)));
        h1.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 2)));
        for (const [i, k] of kinds.entries()) {
          const name = `p${i}`;
          const resources: Record<string, string> = k === 'cpu' ? {} : k === 'share' ? { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': '30' } : { 'nvidia.com/gpu': '1' };
          h1.cluster.put('pods', kubePod(name, { resources, ...(k === 'cpu' ? { nodeName: 'n2', phase: 'Running' } : {}) }));
          if (k === 'gpu' || k === 'share') await place(h1, name, ['n1', 'n2']);
        }
        const grants = (h: Harness) => [...h.service.state.holdings].map(([uid, g]) => [uid, g.kind, JSON.stringify(g.decision.containers)]).sort();
        const before = grants(h1);
        await harness.closeNow(h1);
        const h2 = await harness(h1.cluster);
        expect(grants(h2)).toEqual(before);
        expect(h2.service.state.pods.size).toBe(kinds.length);
        for (const rec of h2.service.state.pods.values()) expect(rec.raw === null).toBe(rec.meta.nodeName !== undefined);
        await harness.closeNow(h2);
      }),
      { numRuns: 8 },
    );
  });
});

describe('stale pod events during a bind', () => {
  it('an event without the decision, older than our patch, does not release a grant whose bind is in flight', async () => {
    const h = await harness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 1)));
    h.cluster.put('pods', kubePod('first'));
    const f = await h.post('/filter', cacheArgs(h.cluster.pod('ml', 'first'), ['n1']));
    expect(f.json.NodeNames).toEqual(['n1']);
    const { state } = h.service;
    const held = state.holdings.get('uid-first')!;
    state.markDecided('uid-first', held.decision); // bind began: decision about to be patched
    // A late event from before the patch (e.g. another controller's annotation or status update).
    h.cluster.put('pods', kubePod('first', { annotations: { 'example.com/touched': 'yes' } }));
    expect(state.holdings.get('uid-first')?.kind).toBe('decided');
    expect(state.ledger.reservation('uid-first')).toBeDefined();
    // So a second pod cannot get the same (only) GPU.
    h.cluster.put('pods', kubePod('second'));
    expect((await h.post('/filter', cacheArgs(h.cluster.pod('ml', 'second'), ['n1']))).json.NodeNames).toEqual([]);
    // A pod that ends up bound without any decision is not Tessera's: then the grant goes.
    h.cluster.put('pods', kubePod('first', { nodeName: 'n1', phase: 'Running' }));
    expect(state.holdings.has('uid-first')).toBe(false);
    expect(state.ledger.reservation('uid-first')).toBeUndefined();
  });
});

describe('resync after lost events', () => {
  it('a relist deletes pods, nodes and custom resources the cache still knows, and releases their grants', async () => {
    const h = await harness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    h.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 2)));
    h.cluster.put('pools', { apiVersion: 'tessera.io/v1alpha1', kind: 'Pool', metadata: { name: 'training' }, spec: { mode: 'elastic' } });
    h.cluster.put('pods', kubePod('a'));
    h.cluster.put('pods', kubePod('b'));
    expect(await place(h, 'a', ['n1'])).toBe('n1');
    expect(await place(h, 'b', ['n1'])).toBe('n1');
    const { state } = h.service;
    expect(state.holdings.size).toBe(2);
    // While the watch was down: pod a and node n2 were deleted, the pool too.
    h.cluster.dropSilently('pods', 'ml/a');
    h.cluster.dropSilently('nodes', 'n2');
    h.cluster.dropSilently('pools', 'training');
    expect(state.holdings.has('uid-a')).toBe(true); // nobody told the cache
    h.cluster.relist();
    expect(state.holdings.has('uid-a')).toBe(false);
    expect(state.ledger.reservation('uid-a')).toBeUndefined();
    expect(state.ledger.reservation('uid-b')).toBeDefined();
    expect(state.holdings.get('uid-b')?.kind).toBe('bound');
    expect(state.podByName('ml', 'a')).toBeUndefined();
    expect([...state.nodes.keys()]).toEqual(['n1']);
    expect(state.pools.size).toBe(0);
    // The released GPU is free again: a new pod gets it.
    h.cluster.put('pods', kubePod('c'));
    expect(await place(h, 'c', ['n1'])).toBe('n1');
  });
});

describe('MemoryCluster as a non-retaining stand-in (benchmark)', () => {
  it('keeps only unbound pods, records no bindings or patches, and still serves bind', async () => {
    const cluster = new MemoryCluster({ retainObjects: false });
    const h = await harness(cluster);
    cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
    cluster.put('pods', kubePod('cpu', { resources: {}, nodeName: 'n1', phase: 'Running' }));
    cluster.put('pods', kubePod('gpu'));
    expect(cluster.objects.nodes.size).toBe(0);
    expect([...cluster.objects.pods.keys()]).toEqual(['ml/gpu']);
    expect(h.service.state.nodes.has('n1')).toBe(true); // the extender saw them all
    expect(h.service.state.pods.size).toBe(2);
    expect(await place(h, 'gpu', ['n1'])).toBe('n1');
    expect(cluster.objects.pods.size).toBe(0); // bound: no longer kept
    expect(cluster.bindings).toEqual([]);
    expect(cluster.patches).toEqual([]);
    expect(h.service.state.holdings.get('uid-gpu')?.kind).toBe('bound');
  });
});
