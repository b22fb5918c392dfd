/** Bad input never crashes the extender: arbitrary bodies get 200 or 400 with a message, never 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gpuInventory, kubeNode, kubePod, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 2)));
  h.cluster.put('nodes', kubeNode('bad', '{"version":1,'));
});
afterAll(async () => {
  await h.close();
});

const quantity = fc.oneof(fc.constantFrom('1', '2', '0', '-1', '1.5', '100', '1e3', 'x', '', '500m', '4Gi'), fc.string({ maxLength: 5 }), fc.integer(), fc.constant(null));
const resources = fc.dictionary(
  fc.constantFrom('nvidia.com/gpu', 'nvidia.com/gpumem', 'nvidia.com/gpumem-percentage', 'nvidia.com/gpucores', 'huawei.com/Ascend910', 'huawei.com/Ascend910-2c', 'huawei.com/Ascend310P-99c', 'cpu', 'memory'),
  quantity,
);
const pod = fc.record({
  metadata: fc.oneof(fc.record({ name: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), namespace: fc.constantFrom('ml', 7), uid: fc.string({ maxLength: 4 }), annotations: fc.oneof(fc.constant(undefined), fc.dictionary(fc.constantFrom('tessera.io/decision', 'x'), fc.oneof(fc.string(), fc.integer()))) }), fc.constant({})),
  spec: fc.oneof(fc.record({ containers: fc.oneof(fc.array(fc.record({ name: fc.string({ maxLength: 3 }), resources: fc.record({ limits: resources, requests: fc.oneof(resources, fc.constant('nope')) }) }), { maxLength: 3 }), fc.constant('x')), priority: fc.oneof(fc.integer(), fc.constant('high'), fc.constant(undefined)) }), fc.constant(null)),
});

describe('fuzzed extender requests', () => {
  it('filter / prioritize / preempt / bind answer 200 or 400, and the server keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/filter', '/prioritize', '/preempt', '/bind'),
        fc.oneof(
          pod.map((p) => ({ Pod: p, NodeNames: ['n1', 'bad', 'ghost'] })),
          pod.map((p) => ({ Pod: p, Nodes: { items: [kubeNode('n1', gpuInventory('n1', 2)), { metadata: {} }, 5] } })),
          pod.map((p) => ({ Pod: p, NodeNameToMetaVictims: { n1: { Pods: [{ UID: 'a' }], NumPDBViolations: 0 }, ghost: { Pods: null } } })),
          fc.record({ PodName: fc.string({ maxLength: 4 }), PodNamespace: fc.string({ maxLength: 3 }), PodUID: fc.string({ maxLength: 3 }), Node: fc.constantFrom('n1', 'bad', 'ghost', '') }),
          fc.jsonValue().map((v) => v as object),
        ),
        async (path, body) => {
          const res = await h.post(path, body);
          expect([200, 400]).toContain(res.status);
          if (res.status === 400) expect(typeof res.json.message).toBe('string');
          if (res.status === 200 && path === '/filter') {
            const names = res.json.NodeNames ?? res.json.Nodes?.items?.map((n: { metadata: { name: string } }) => n.metadata.name) ?? [];
            for (const n of names) expect(['n1', 'bad', 'ghost']).toContain(n);
          }
        },
      ),
      { numRuns: 150 },
    );
    // Still healthy and still placing.
    const p = kubePod('after', { resources: { 'nvidia.com/gpu': '1' } });
    h.cluster.put('pods', p);
    expect((await h.post('/filter', { Pod: p, NodeNames: ['n1'] })).json.NodeNames).toEqual(['n1']);
  });
});
