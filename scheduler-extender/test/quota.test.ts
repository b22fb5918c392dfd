/** Quota through the extender: incremental book = rebuilt book = sum of grants, under random operations. */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { QuotaAdapter } from '../src/quota-adapter.js';
import { cacheArgs, gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('quota bookkeeping', () => {
  it('property: used per queue equals the grants the ledger holds, kept incrementally', async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 8), { pool: 'a' }));
    h.cluster.put('nodes', kubeNode('n2', gpuInventory('n2', 8), { pool: 'a' }));
    h.cluster.put('pools', { metadata: { name: 'a' }, spec: { mode: 'elastic', nodeSelector: { matchLabels: { pool: 'a' } } } });
    h.cluster.put('tenants', { metadata: { name: 't1' }, spec: { namespaces: ['ml'], defaultQueue: 'q1' } });
    h.cluster.put('tenants', { metadata: { name: 't2' }, spec: { namespaces: ['other'], defaultQueue: 'q2' } });
    h.cluster.put('queues', { metadata: { name: 'q1' }, spec: { tenant: 't1', pool: 'a', guarantee: { gpu: '4' }, limit: { gpu: '12' }, lendIdle: true } });
    h.cluster.put('queues', { metadata: { name: 'q2' }, spec: { tenant: 't2', pool: 'a', guarantee: { gpu: '8' }, limit: { gpu: '8' }, lendIdle: true } });
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom('bind', 'fail', 'expire', 'delete'),
            ns: fc.constantFrom('ml', 'other'),
            res: fc.constantFrom<Record<string, string>>({ 'nvidia.com/gpu': '1' }, { 'nvidia.com/gpu': '2' }, { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': '25' }),
          }),
          { maxLength: 10 },
        ),
        async (ops) => {
          const hh = h!;
          for (const o of ops) {
            const name = `p${seq++}`;
            const pod = kubePod(name, { namespace: o.ns, resources: o.res });
            hh.cluster.put('pods', pod);
            const f = await hh.post('/filter', cacheArgs(pod, ['n1', 'n2']));
            if (o.op === 'fail') hh.cluster.bindFailures.push('boom');
            const node = hh.service.state.holdings.get(`uid-${name}`)?.decision.node ?? f.json.NodeNames[0];
            if (node !== undefined && (o.op === 'bind' || o.op === 'fail')) await hh.post('/bind', { PodName: name, PodNamespace: o.ns, PodUID: `uid-${name}`, Node: node });
            if (o.op === 'expire') hh.clock.now += 60_000;
            if (o.op === 'delete') hh.cluster.remove('pods', `${o.ns}/${name}`);
            hh.service.state.sweep(hh.clock.now);
            // Incremental book vs a book rebuilt from scratch vs the grants themselves.
            const incremental = new Map(hh.service.quota.usage().map((q) => [q.queue, q.used.gpuMilli]));
            const rebuilt = new Map(new QuotaAdapter(hh.service.state).usage().map((q) => [q.queue, q.used.gpuMilli]));
            expect(incremental).toEqual(rebuilt);
            const byQueue = new Map<string, number>([['q1', 0], ['q2', 0]]);
            for (const g of hh.service.state.holdings.values()) {
              const q = g.request.namespace === 'ml' ? 'q1' : 'q2';
              // whole GPU = 1000 milli each; a 25 % share = 250
              const milli = g.request.containers.reduce((s, c) => s + c.accel.count * (c.accel.kind === 'whole' ? 1000 : 250), 0);
              byQueue.set(q, (byQueue.get(q) ?? 0) + milli);
            }
            expect(incremental).toEqual(byQueue);
            // q2 has no borrowing: it never uses more than its 8 GPUs.
            expect(incremental.get('q2')! <= 8000).toBe(true);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("a queue's guarantee.model restricts its pods to that model (token match: H100 covers the full device name, A10 is not A100)", async () => {
    h = await startHarness();
    h.cluster.put('nodes', kubeNode('h', gpuInventory('h', 8, { model: 'NVIDIA H100 80GB HBM3' }), { pool: 'a' }));
    h.cluster.put('nodes', kubeNode('a100', gpuInventory('a100', 8, { model: 'NVIDIA A100-SXM4-80GB' }), { pool: 'a' }));
    h.cluster.put('nodes', kubeNode('a10', gpuInventory('a10', 8, { model: 'NVIDIA A10' }), { pool: 'a' }));
    h.cluster.put('pools', { metadata: { name: 'a' }, spec: { mode: 'elastic', nodeSelector: { matchLabels: { pool: 'a' } } } });
    h.cluster.put('tenants', { metadata: { name: 't1' }, spec: { namespaces: ['ml'], defaultQueue: 'hq' } });
    h.cluster.put('tenants', { metadata: { name: 't2' }, spec: { namespaces: ['cv'], defaultQueue: 'aq' } });
    h.cluster.put('queues', { metadata: { name: 'hq' }, spec: { tenant: 't1', pool: 'a', guarantee: { gpu: '8', model: 'H100' } } });
    h.cluster.put('queues', { metadata: { name: 'aq' }, spec: { tenant: 't2', pool: 'a', guarantee: { gpu: '8', model: 'A10' } } });
    const hp = kubePod('hp', { namespace: 'ml', resources: { 'nvidia.com/gpu': '1' } });
    h.cluster.put('pods', hp);
    const f1 = await h.post('/filter', cacheArgs(hp, ['h', 'a100', 'a10']));
    expect(f1.json.NodeNames).toEqual(['h']);
    expect(String(f1.json.FailedAndUnresolvableNodes?.a100 ?? f1.json.FailedNodes?.a100)).toMatch(/H100/);
    const ap = kubePod('ap', { namespace: 'cv', resources: { 'nvidia.com/gpu': '1' } });
    h.cluster.put('pods', ap);
    const f2 = await h.post('/filter', cacheArgs(ap, ['h', 'a100', 'a10']));
    expect(f2.json.NodeNames).toEqual(['a10']);
  });
});
