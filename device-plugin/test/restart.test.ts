import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpoint } from '../src/checkpoint.js';
import { listPodResources, reconcile } from '../src/pod-resources.js';
import { eventually } from './fake-kubelet.js';
import { decisionPod, gpu, makeRig, nvidiaNode, type Rig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('agent restart with running pods', () => {
  it('restores served decisions from checkpoint + pod-resources, drops gone pods, adopts unrecorded ones', async () => {
    rig = await makeRig();
    const node = nvidiaNode(4);
    await rig.startAgent(node, 2);
    const k = rig.kubelet;
    await eventually(() => k.devices('nvidia.com/gpu').length === 8, 'device list');
    // Two running pods served before the restart.
    rig.pods.upsert(decisionPod({ uid: 'run1', devices: [gpu(0)], memoryMiB: 4000, computeMilli: 250, decidedAtMs: 1 }));
    rig.pods.upsert(decisionPod({ uid: 'gone', devices: [gpu(1)], memoryMiB: 4000, computeMilli: 250, decidedAtMs: 2 }));
    const a1 = await k.admit('nvidia.com/gpu', 1);
    const a2 = await k.admit('nvidia.com/gpu', 1);
    expect(a1.response.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('run1');
    expect(a2.response.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('gone');
    // A third pod the kubelet allocated while the agent's checkpoint write was lost.
    rig.pods.upsert(decisionPod({ uid: 'lost', devices: [gpu(2)], memoryMiB: 4000, computeMilli: 250, decidedAtMs: 3 }));
    await rig.stopAgent();
    expect(k.plugin('nvidia.com/gpu')).toBeDefined();

    // The kubelet's view: run1 and lost hold devices; gone has terminated.
    k.podResources = [
      { name: 'pod-run1', namespace: 'team-a', containers: [{ name: 'main', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: a1.ids }] }] },
      { name: 'pod-lost', namespace: 'team-a', containers: [{ name: 'main', devices: [{ resource_name: 'nvidia.com/gpu', device_ids: [`${gpu(2).id}::0`] }] }] },
      { name: 'other', namespace: 'x', containers: [{ name: 'c', devices: [{ resource_name: 'example.com/foo', device_ids: ['a'] }] }] },
    ];
    rig.pods.remove('gone');

    await rig.startAgent(node, 2);
    const entries = await new Checkpoint(rig.stateDir).load();
    expect(entries.map((e) => e.podUid).sort()).toEqual(['gone', 'run1']);
    const listed = await listPodResources(k.podResourcesPath);
    expect(listed).toHaveLength(3);
    const result = reconcile({ service: rig.service, checkpoint: entries, podResources: listed, resources: ['nvidia.com/gpu'], nowMs: 9 });
    expect(result).toEqual({ restored: 1, dropped: 1, adopted: 1 });
    await rig.service.persist();
    const after = JSON.parse(await fs.readFile(path.join(rig.stateDir, 'allocations.json'), 'utf8'));
    expect(after.entries.map((e: { podUid: string }) => e.podUid).sort()).toEqual(['lost', 'run1']);
    expect(rig.service.ledger.pending('nvidia.com/gpu')).toEqual([]);

    // Re-registered with the same ids; a new pod on GPU 0 is served by its own decision.
    await eventually(() => k.registrations.length === 2 && k.devices('nvidia.com/gpu').length === 8, 're-registration');
    rig.pods.upsert(decisionPod({ uid: 'new', devices: [gpu(0)], memoryMiB: 1000, computeMilli: 100, decidedAtMs: 4 }));
    const a3 = await k.admit('nvidia.com/gpu', 1);
    expect(a3.response.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('new');
    expect(a3.ids[0]).toBe(`${gpu(0).id}::1`);
  });

  it('keeps the checkpoint when the pod-resources API is unreachable, and names a corrupt checkpoint', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(1), 1);
    await expect(listPodResources(path.join(rig.stateDir, 'nope.sock'), 500)).rejects.toThrow(/pod-resources List at/);
    const r = reconcile({ service: rig.service, checkpoint: [{ podUid: 'a', namespace: 'n', name: 'p', container: 'c', containerIndex: 0, resource: 'nvidia.com/gpu', kubeletIds: ['x'], devices: ['x'], atMs: 1 }], podResources: null, resources: ['nvidia.com/gpu'], nowMs: 1 });
    expect(r).toEqual({ restored: 1, dropped: 0, adopted: 0 });
    await fs.mkdir(rig.stateDir, { recursive: true });
    await fs.writeFile(path.join(rig.stateDir, 'allocations.json'), '{"version":1,');
    await expect(new Checkpoint(rig.stateDir).load()).rejects.toThrow(/allocations.json: expected JSON/);
  });
});
