import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Device } from '../../core/index.js';
import { eventually } from './fake-kubelet.js';
import { decisionPod, gpu, makeRig, nvidiaNode, type Rig } from './helpers.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const SLOTS = 4;
const GPUS = 8;

/** 24 pods on one node: each asks 1 or 2 GPUs (shares), never more than SLOTS pods per GPU. */
function plan(seed: number): { uid: string; devices: Device[]; memoryMiB: number }[] {
  let x = seed;
  const rand = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const used = new Array<number>(GPUS).fill(0);
  const out: { uid: string; devices: Device[]; memoryMiB: number }[] = [];
  for (let p = 0; out.length < 24 && p < 1000; p++) {
    const want = 1 + rand(2);
    const free = used.map((u, i) => [u, i] as const).filter(([u]) => u < SLOTS).map(([, i]) => i);
    if (free.length < want) continue;
    const picks: number[] = [];
    while (picks.length < want) {
      const g = free[rand(free.length)]!;
      if (!picks.includes(g)) picks.push(g);
    }
    for (const g of picks) used[g]!++;
    out.push({ uid: `p${out.length}`, devices: picks.map((g) => gpu(g)), memoryMiB: 1000 + 100 * out.length });
  }
  return out;
}

describe('many pods bound to one node at once', () => {
  it('sequential kubelet admission in any order: every pod gets exactly its own decision', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(GPUS), SLOTS);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === GPUS * SLOTS, 'device list');
    const pods = plan(7);
    expect(pods.length).toBe(24);
    pods.forEach((p, i) => rig!.pods.upsert(decisionPod({ uid: p.uid, devices: p.devices, memoryMiB: p.memoryMiB, computeMilli: 200, decidedAtMs: 1000 + i })));
    const seen = new Map<string, string>();
    for (const p of pods) {
      const { response } = await rig.kubelet.admit('nvidia.com/gpu', p.devices.length);
      const envs = response.container_responses[0]!.envs;
      const uid = envs['TESSERA_POD_UID'];
      expect(uid).toBeDefined();
      seen.set(uid!, envs['NVIDIA_VISIBLE_DEVICES']!);
    }
    expect(seen.size).toBe(24);
    for (const p of pods) {
      expect(seen.get(p.uid)?.split(',').sort()).toEqual(p.devices.map((d) => d.id).sort());
    }
    expect(rig.service.counts.fallback).toBe(0);
  });

  it('concurrent Allocate calls (kubelet ids on the decided GPUs) never serve one decision twice', async () => {
    rig = await makeRig();
    await rig.startAgent(nvidiaNode(GPUS), SLOTS);
    await eventually(() => rig!.kubelet.devices('nvidia.com/gpu').length === GPUS * SLOTS, 'device list');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), async (seed, shuffleSeed) => {
        const round = `s${seed}-`;
        const pods = plan(seed).map((p) => ({ ...p, uid: round + p.uid }));
        pods.forEach((p, i) => rig!.pods.upsert(decisionPod({ uid: p.uid, devices: p.devices, memoryMiB: p.memoryMiB, computeMilli: 200, decidedAtMs: 1000 + ((i * 7919 + shuffleSeed) % 97) })));
        // The kubelet's ids: the next free slot on each decided GPU.
        const nextSlot = new Array<number>(GPUS).fill(0);
        const requests = pods.map((p) => p.devices.map((d) => `${d.id}::${nextSlot[d.index]!++}`));
        const order = requests.map((r, i) => ({ r, key: (i * 2654435761 + shuffleSeed) % 4294967296 })).sort((a, b) => a.key - b.key);
        const answers = await Promise.all(order.map(({ r }) => rig!.kubelet.allocate('nvidia.com/gpu', r)));
        const uids = answers.map((a) => a.container_responses[0]!.envs['TESSERA_POD_UID']);
        expect(new Set(uids).size).toBe(pods.length);
        answers.forEach((a, i) => {
          const envs = a.container_responses[0]!.envs;
          const pod = pods.find((p) => p.uid === envs['TESSERA_POD_UID'])!;
          expect(envs['NVIDIA_VISIBLE_DEVICES']!.split(',').sort()).toEqual(pod.devices.map((d) => d.id).sort());
          // Same signature ⇒ same devices and same size: the memory limit is the decision's.
          const sameSig = pods.filter((p) => p.devices.map((d) => d.id).sort().join() === order[i]!.r.map((id) => id.split('::')[0]).sort().join());
          expect(sameSig.map((p) => p.uid)).toContain(pod.uid);
          expect(envs['CUDA_DEVICE_MEMORY_LIMIT_0']).toBe(`${pod.memoryMiB}m`);
        });
        for (const p of pods) rig!.pods.remove(p.uid);
        rig!.service.ledger.prune(new Set());
      }),
      { numRuns: 5 },
    );
  });
});
