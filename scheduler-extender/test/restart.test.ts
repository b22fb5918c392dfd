/** Restart safety: a fresh service fed the same pod annotations rebuilds the same grants. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cacheArgs, gpuInventory, kubeNode, kubePod, trackedHarnesses } from './helpers.js';

const harness = trackedHarnesses();

describe('restart', () => {
  it('rebuilds bound and decided-but-unbound grants from annotations, and double-books nothing', async () => {
    const h1 = await harness();
    h1.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4)));
    const pods = ['a', 'b', 'c'].map((n) => kubePod(n, { resources: { 'nvidia.com/gpu': '1' } }));
    for (const p of pods) h1.cluster.put('pods', p);
    for (const p of pods) {
      const name = (p.metadata as { name: string }).name;
      expect((await h1.post('/filter', cacheArgs(p, ['n1']))).json.NodeNames).toEqual(['n1']);
      if (name !== 'c') expect((await h1.post('/bind', { PodName: name, PodNamespace: 'ml', PodUID: `uid-${name}`, Node: 'n1' })).json.Error).toBe('');
    }
    // 'c' crashed between the annotation patch and the Binding: simulate by patching it ourselves.
    const heldC = h1.service.state.holdings.get('uid-c');
    expect(heldC?.kind).toBe('reserved');
    const { decisionAnnotations } = await import('../src/decision-codec.js');
    await h1.cluster.patchPodAnnotations('ml', 'c', decisionAnnotations(heldC!.decision));
    const before = [...h1.service.state.holdings].map(([uid, g]) => [uid, g.decision.containers[0]!.devices[0]!.id]).sort();
    await harness.closeNow(h1);

    const h2 = await harness(h1.cluster); // same API server, fresh extender
    const after = [...h2.service.state.holdings].map(([uid, g]) => [uid, g.decision.containers[0]!.devices[0]!.id]).sort();
    expect(after).toEqual(before);
    expect(h2.service.state.holdings.get('uid-c')?.kind).toBe('decided');
    expect(h2.service.state.holdings.get('uid-a')?.kind).toBe('bound');
    // One GPU is left; two new pods compete for it: only one gets it.
    const d = kubePod('d', { resources: { 'nvidia.com/gpu': '1' } });
    const e = kubePod('e', { resources: { 'nvidia.com/gpu': '1' } });
    h2.cluster.put('pods', d);
    h2.cluster.put('pods', e);
    expect((await h2.post('/filter', cacheArgs(d, ['n1']))).json.NodeNames).toEqual(['n1']);
    expect((await h2.post('/filter', cacheArgs(e, ['n1']))).json.NodeNames).toEqual([]);
    const ids = [...h2.service.state.holdings.values()].flatMap((g) => g.decision.containers.flatMap((c) => c.devices.map((x) => x.id)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('ignores a decision annotation copied from another pod (UID mismatch)', async () => {
    const h = await harness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 1)));
    const d = { version: 1, podUid: 'someone-else', namespace: 'ml', name: 'x', node: 'n1', isolation: 'exclusive', decidedAtMs: 1, containers: [{ name: 'main', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: 'GPU-n1-0', index: 0, memoryMiB: 81920, computeMilli: 1000, exclusive: true }] }] };
    h.cluster.put('pods', kubePod('copy', { annotations: { 'tessera.io/decision': JSON.stringify(d) }, nodeName: 'n1', phase: 'Running' }));
    expect(h.service.state.holdings.size).toBe(0);
    expect(h.service.state.pods.get('uid-copy')?.decisionProblem).toMatch(/written for pod UID someone-else/);
  });

  it('ignores node heartbeats that change nothing it uses, but takes inventory changes', async () => {
    const h = await harness();
    const node = kubeNode('n1', gpuInventory('n1', 2));
    h.cluster.put('nodes', node);
    const v = h.service.state.structureVersion;
    const view = h.service.state.ledger.view(h.service.state.ledger.indexOf('n1'));
    h.cluster.put('nodes', { ...node, metadata: { ...(node.metadata as object), resourceVersion: '99' }, status: { ...(node.status as object), conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'now' }] } });
    expect(h.service.state.structureVersion).toBe(v);
    expect(h.service.state.ledger.view(h.service.state.ledger.indexOf('n1'))).toBe(view);
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 4)));
    expect(h.service.state.structureVersion).toBe(v + 1);
    expect(h.service.state.nodes.get('n1')?.node.devices).toHaveLength(4);
  });

  it('releases grants of finished and deleted pods', async () => {
    const h = await harness();
    h.cluster.put('nodes', kubeNode('n1', gpuInventory('n1', 1)));
    const p = kubePod('p');
    h.cluster.put('pods', p);
    await h.post('/filter', cacheArgs(p, ['n1']));
    await h.post('/bind', { PodName: 'p', PodNamespace: 'ml', PodUID: 'uid-p', Node: 'n1' });
    const bound = h.cluster.pod('ml', 'p')!;
    h.cluster.put('pods', { ...bound, status: { phase: 'Succeeded' } });
    expect(h.service.state.ledger.reservationCount()).toBe(0);
  });

  it('property: whatever order pods are filtered, bound, failed or expired, no device is granted twice', async () => {
    const h = await harness();
    for (const n of ['n1', 'n2']) h.cluster.put('nodes', kubeNode(n, gpuInventory(n, 4)));
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ op: fc.constantFrom('filter', 'bind', 'fail', 'expire'), gpus: fc.integer({ min: 1, max: 4 }), node: fc.constantFrom('n1', 'n2') }), { maxLength: 12 }),
        async (ops) => {
          for (const o of ops) {
            const name = `p${seq++}`;
            const pod = kubePod(name, { resources: { 'nvidia.com/gpu': String(o.gpus) } });
            h.cluster.put('pods', pod);
            const f = await h.post('/filter', cacheArgs(pod, ['n1', 'n2', 'ghost']));
            expect(f.json.NodeNames.every((n: string) => ['n1', 'n2'].includes(n))).toBe(true);
            if (o.op === 'fail') h.cluster.bindFailures.push('boom');
            if (o.op === 'bind' || o.op === 'fail') await h.post('/bind', { PodName: name, PodNamespace: 'ml', PodUID: `uid-${name}`, Node: o.node });
            if (o.op === 'expire') h.clock.now += 60_000;
            const ids = [...h.service.state.holdings.values()].flatMap((g) => g.decision.containers.flatMap((c) => c.devices.map((x) => `${g.decision.node}/${x.id}`)));
            expect(new Set(ids).size).toBe(ids.length);
            expect(h.service.state.ledger.reservationCount()).toBe(h.service.state.holdings.size);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
