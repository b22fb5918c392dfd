import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './fake-kubelet.js';
import type { Device } from '../../core/index.js';
import { decisionPod, gpu, makeRig, nvidiaNode, type Rig } from './helpers.js';

const chip = (i: number): Device => ({ id: `Ascend910-${i}`, index: i, vendor: 'ascend', model: 'Ascend910A', memoryMiB: 32768, computeMilli: 1000, numa: null, health: 'healthy' });
const atlas = { vendor: 'ascend' as const, devices: [0, 1, 2, 3, 4, 5, 6, 7].map(chip), topology: { kind: 'hccs' as const, groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false } };

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('device plugin against a test kubelet over unix sockets', () => {
  it('serves, registers with a socket file name, and lists every slot of every GPU', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(4), 4);
    const k = rig.kubelet;
    await eventually(() => k.devices('nvidia.com/gpu').length === 16, 'device list');
    const reg = k.registrations.find((r) => r.resource_name === 'nvidia.com/gpu');
    expect(reg?.version).toBe('v1beta1');
    expect(reg?.endpoint).toBe('tessera-nvidia.com_gpu.sock');
    expect(reg?.options?.get_preferred_allocation_available).toBe(true);
    expect(k.plugin('nvidia.com/gpu')?.options.get_preferred_allocation_available).toBe(true);
    const ids = k.devices('nvidia.com/gpu').map((d) => d.ID);
    // 4 GPUs × 4 slots, `<uuid>::<k>`, all healthy, NUMA from the device.
    expect(new Set(ids).size).toBe(16);
    expect(ids).toContain(`${gpu(3).id}::3`);
    expect(k.devices('nvidia.com/gpu').every((d) => d.health === 'Healthy')).toBe(true);
    expect(k.devices('nvidia.com/gpu').find((d) => d.ID.startsWith(gpu(0).id))?.topology?.nodes[0]?.ID).toBe(0);
    expect(rig.manager.ready()).toBe(true);
  });

  it('steers the preferred allocation to the decision and answers Allocate with its share limits', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(4), 4);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 16, 'device list');
    rig.pods.upsert(decisionPod({ uid: 'u1', devices: [gpu(2)], memoryMiB: 3000, computeMilli: 300 }));
    const { ids, response } = await rig.kubelet.admit('nvidia.com/gpu', 1);
    expect(ids[0]?.startsWith(gpu(2).id)).toBe(true);
    const c = response.container_responses[0];
    expect(c?.envs).toEqual({
      TESSERA_POD_UID: 'u1',
      NVIDIA_VISIBLE_DEVICES: gpu(2).id,
      CUDA_DEVICE_MEMORY_LIMIT_0: '3000m',
      CUDA_DEVICE_SM_LIMIT: '30',
    });
    expect(c?.cdi_devices).toEqual([{ name: `nvidia.com/gpu=${gpu(2).id}` }]);
    // The pod is marked served and the checkpoint holds the answer.
    await eventually(() => rig!.pods.patches.length === 1, 'allocated annotation');
    const patch = rig.pods.patches[0]!;
    expect(patch.key).toBe('tessera.io/allocated');
    expect(JSON.parse(patch.value)).toMatchObject({ version: 1, containers: [{ index: 0, devices: [gpu(2).id] }] });
    const cp = JSON.parse(await fs.readFile(path.join(rig.stateDir, 'allocations.json'), 'utf8'));
    expect(cp.entries).toHaveLength(1);
    expect(cp.entries[0]).toMatchObject({ podUid: 'u1', kubeletIds: ids, devices: [gpu(2).id] });
  });

  it('uses MPS variables when the decision isolation is mps', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(4), 2);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 8, 'device list');
    rig.pods.upsert(decisionPod({ uid: 'm1', devices: [gpu(0), gpu(1)], memoryMiB: 2048, computeMilli: 500, isolation: 'mps' }));
    const { response } = await rig.kubelet.admit('nvidia.com/gpu', 2);
    expect(response.container_responses[0]?.envs).toEqual({
      TESSERA_POD_UID: 'm1',
      NVIDIA_VISIBLE_DEVICES: `${gpu(0).id},${gpu(1).id}`,
      CUDA_MPS_PINNED_DEVICE_MEM_LIMIT: '0=2048M,1=2048M',
      CUDA_MPS_ACTIVE_THREAD_PERCENTAGE: '50',
    });
  });

  it('serves pods without a decision as whole devices, preferring NVLink pairs', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(4), 1);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 4, 'device list');
    // Take GPU 0 so the free set is {1,2,3}: a 2-GPU request should get the NV12 pair (2,3).
    await rig.kubelet.admit('nvidia.com/gpu', 1);
    const { ids, response } = await rig.kubelet.admit('nvidia.com/gpu', 2);
    expect([...ids].sort()).toEqual([gpu(2).id, gpu(3).id]);
    expect(response.container_responses[0]?.envs['NVIDIA_VISIBLE_DEVICES']?.split(',').sort()).toEqual([gpu(2).id, gpu(3).id]);
    expect(response.container_responses[0]?.envs['TESSERA_POD_UID']).toBeUndefined();
    expect(rig.service.counts.fallback).toBe(2);
  });

  it('rejects Allocate of unknown ids with INVALID_ARGUMENT and keeps serving', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(2), 1);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 2, 'device list');
    await expect(rig.kubelet.allocate('nvidia.com/gpu', ['GPU-nope'])).rejects.toThrow(/unknown device id "GPU-nope"/);
    const ok = await rig.kubelet.allocate('nvidia.com/gpu', [gpu(1).id]);
    expect(ok.container_responses[0]?.envs['NVIDIA_VISIBLE_DEVICES']).toBe(gpu(1).id);
  });

  it('ignores a decision whose podUid is not the pod’s own (copied annotation)', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(2), 1);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 2, 'device list');
    const good = decisionPod({ uid: 'real', devices: [gpu(1)] });
    rig.pods.upsert({ ...good, uid: 'impostor', name: 'impostor' });
    const { response } = await rig.kubelet.admit('nvidia.com/gpu', 1);
    expect(response.container_responses[0]?.envs['TESSERA_POD_UID']).toBeUndefined();
  });

  it('withdraws an unhealthy GPU at once and returns it when healthy again', async () => {
    rig = await makeRig();
    const node = nvidiaNode(2);
    await rig.startAgent(node, 2);
    const k = rig.kubelet;
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 4, 'healthy list');
    rig.service.setDevices({ ...node, devices: [gpu(0), gpu(1, 'unhealthy')] });
    expect(rig.manager.publish()).toBe(1);
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 2, 'withdrawn');
    expect(k.healthyIds('nvidia.com/gpu').every((id) => id.startsWith(gpu(0).id))).toBe(true);
    expect(k.devices('nvidia.com/gpu')).toHaveLength(4);
    // Nothing changed: no new message.
    expect(rig.manager.publish()).toBe(0);
    rig.service.setDevices(node);
    rig.manager.publish();
    await eventually(() => k.healthyIds('nvidia.com/gpu').length === 4, 'recovered');
  });

  it('re-registers after a kubelet restart wipes the socket directory', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(2), 1);
    const k = rig.kubelet;
    await eventually(() => k.devices('nvidia.com/gpu').length === 2, 'first registration');
    expect(k.registrations).toHaveLength(1);
    await k.restart();
    expect(k.plugin('nvidia.com/gpu')).toBeUndefined();
    await eventually(() => k.registrations.length === 2 && k.devices('nvidia.com/gpu').length === 2, 're-registration', 8000);
    const names = await fs.readdir(rig.dir);
    expect(names).toContain('tessera-nvidia.com_gpu.sock');
    expect(rig.manager.ready()).toBe(true);
  });

  it('registers once the kubelet appears when it starts after the agent', async () => {
    rig = await makeRig();
    const k = rig.kubelet;
    await k.stop();
    await fs.rm(k.socketPath, { force: true });
    await rig.startAgent(nvidiaNode(1), 1);
    expect(rig.manager.ready()).toBe(false);
    await k.start();
    await eventually(() => k.devices('nvidia.com/gpu').length === 1, 'late registration', 8000);
  });

  it('Ascend: whole chips as Ascend910-<phy> and vNPU template slots, answered with ASCEND_VISIBLE_DEVICES', async () => {
    rig = await makeRig();
    await rig.startAgent(atlas, 1);
    const k = rig.kubelet;
    // 32 AI cores per 910 chip / 2 per 2c slot = 16 slots per chip.
    await eventually(() => k.devices('huawei.com/Ascend910').length === 8 && k.devices('huawei.com/Ascend910-2c').length === 128, 'ascend lists');
    expect(k.devices('huawei.com/Ascend910').map((d) => d.ID)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `Ascend910-${i}`));
    rig.pods.upsert(decisionPod({ uid: 'a1', devices: [chip(4), chip(5)], resource: 'huawei.com/Ascend910' }));
    const whole = await k.admit('huawei.com/Ascend910', 2);
    expect(whole.ids.sort()).toEqual(['Ascend910-4', 'Ascend910-5']);
    expect(whole.response.container_responses[0]?.envs).toEqual({ TESSERA_POD_UID: 'a1', ASCEND_VISIBLE_DEVICES: '4,5' });
    rig.pods.upsert(decisionPod({ uid: 'v1', devices: [chip(6)], resource: 'huawei.com/Ascend910-2c', isolation: 'vnpu', memoryMiB: 2048, computeMilli: 62 }));
    const v = await k.admit('huawei.com/Ascend910-2c', 1);
    expect(v.ids[0]).toBe('Ascend910-6::0');
    expect(v.response.container_responses[0]?.envs).toEqual({ TESSERA_POD_UID: 'v1', ASCEND_VISIBLE_DEVICES: '6', ASCEND_RUNTIME_OPTIONS: 'VIRTUAL', TESSERA_VNPU_TEMPLATE: '2c' });
  });

  it('waits for a pod update that arrives after Allocate (watch lag) and serves its decision', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(2), 2, 3000);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 4, 'device list');
    const ids = [`${gpu(1).id}::1`];
    const pending = rig.kubelet.allocate('nvidia.com/gpu', ids);
    await new Promise((r) => setTimeout(r, 150));
    rig.pods.upsert(decisionPod({ uid: 'late', devices: [gpu(1)], memoryMiB: 512, computeMilli: 100 }));
    const res = await pending;
    expect(res.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('late');
    expect(res.container_responses[0]?.envs['CUDA_DEVICE_MEMORY_LIMIT_0']).toBe('512m');
    // Same lag before GetPreferredAllocation: the kubelet is still steered to the decision.
    const admitting = rig.kubelet.admit('nvidia.com/gpu', 1);
    await new Promise((r) => setTimeout(r, 150));
    rig.pods.upsert(decisionPod({ uid: 'late2', devices: [gpu(0)], memoryMiB: 256, computeMilli: 100 }));
    const admitted = await admitting;
    expect(admitted.ids[0]?.startsWith(gpu(0).id)).toBe(true);
    expect(admitted.response.container_responses[0]?.envs['TESSERA_POD_UID']).toBe('late2');
    // A pod Tessera did not place is served after the wait, as whole devices.
    rig.pods.upsert(decisionPod({ uid: 'other-gpu', devices: [gpu(0)] }));
    await rig.stopAgent();
    await rig.startAgent(nvidiaNode(2), 2, 200);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === 4 && rig!.kubelet.registrations.length === 2, 're-registration');
    const t0 = Date.now();
    const fb = await rig.kubelet.allocate('nvidia.com/gpu', [`${gpu(1).id}::0`]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(fb.container_responses[0]?.envs).toEqual({ NVIDIA_VISIBLE_DEVICES: gpu(1).id });
  });
});
