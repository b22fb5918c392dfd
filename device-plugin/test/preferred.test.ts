import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Device, Node } from '../../core/index.js';
import { steerToDecision, topologyPreferred, type TopologyContext } from '../src/preferred.js';
import { decisionPod, gpu, nvidiaNode } from './helpers.js';
import { AllocationLedger } from '../src/allocation-ledger.js';
import { MemoryPodSource } from '../src/pod-source.js';

const chip = (i: number): Device => ({ id: `Ascend910-${i}`, index: i, vendor: 'ascend', model: 'Ascend910A', memoryMiB: 32768, computeMilli: 1000, numa: null, health: 'healthy' });
const atlas: Node = { name: 'a', cpuMilli: 0, memoryMiB: 0, labels: {}, devices: [0, 1, 2, 3, 4, 5, 6, 7].map(chip), topology: { kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false } };
const ctxOf = (node: Node): TopologyContext => ({ topology: node.topology, node, positionOf: (id) => { const i = node.devices.findIndex((d) => d.id === id); return i < 0 ? undefined : i; } });

describe('topology-aware preferred allocation (no decision)', () => {
  const cases = [
    // Ring A has chips 0,1,2 free (3 free), ring B only 4 (1 free): 1 chip → the ring with 1 free.
    { name: 'Ascend 1 chip prefers the ring with 1 free', free: [0, 1, 2, 4], size: 1, want: [4] },
    // Ring A 2 free (0,1), ring B 4 free: 2 chips → the ring with exactly 2 free.
    { name: 'Ascend 2 chips prefer the ring with 2 free', free: [0, 1, 4, 5, 6, 7], size: 2, want: [0, 1] },
    { name: 'Ascend 4 chips take a whole free ring', free: [1, 2, 4, 5, 6, 7], size: 4, want: [4, 5, 6, 7] },
  ];
  it.each(cases)('$name', ({ free, size, want }) => {
    const got = topologyPreferred(ctxOf(atlas), { available: free.map((i) => `Ascend910-${i}`), mustInclude: [], size });
    expect(got.sort()).toEqual(want.map((i) => `Ascend910-${i}`));
  });

  it('property: answers `size` distinct available ids including must-include ones, distinct GPUs first', () => {
    const nd = nvidiaNode(8);
    const node: Node = { name: 'n', cpuMilli: 0, memoryMiB: 0, labels: {}, devices: nd.devices, topology: nd.topology };
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 32 }), fc.nat(), fc.nat(), (slots, sizeSeed, mustSeed) => {
        const available = slots.map((s) => `${gpu(s % 8).id}::${Math.floor(s / 8)}`);
        const size = 1 + (sizeSeed % available.length);
        const mustInclude = mustSeed % 3 === 0 ? [available[mustSeed % available.length]!] : [];
        const got = topologyPreferred(ctxOf(node), { available, mustInclude, size });
        expect(got).toHaveLength(size);
        expect(new Set(got).size).toBe(size);
        for (const id of got) expect(available).toContain(id);
        for (const id of mustInclude) expect(got).toContain(id);
        const distinctAvail = new Set(available.map((id) => id.split('::')[0])).size;
        expect(new Set(got.map((id) => id.split('::')[0])).size).toBe(Math.min(size, distinctAvail));
      }),
    );
  });
});

describe('steering to a pending decision', () => {
  it('answers the oldest fitting decision, honouring must-include, and skips decisions whose device is not free', () => {
    const pods = new MemoryPodSource();
    pods.upsert(decisionPod({ uid: 'old', devices: [gpu(0), gpu(1)], decidedAtMs: 1 }));
    pods.upsert(decisionPod({ uid: 'newer', devices: [gpu(2), gpu(3)], decidedAtMs: 2 }));
    const ledger = new AllocationLedger({ nodeName: 'node-1', pods });
    const pending = ledger.pending('nvidia.com/gpu');
    const avail = [0, 1, 2, 3].flatMap((g) => [`${gpu(g).id}::1`, `${gpu(g).id}::0`]);
    expect(steerToDecision(pending, { available: avail, mustInclude: [], size: 2 })).toEqual([`${gpu(0).id}::0`, `${gpu(1).id}::0`]);
    expect(steerToDecision(pending, { available: avail, mustInclude: [`${gpu(3).id}::1`], size: 2 })).toEqual([`${gpu(2).id}::0`, `${gpu(3).id}::1`]);
    // GPU 1 has no free slot: the older decision cannot be served yet.
    expect(steerToDecision(pending, { available: avail.filter((id) => !id.startsWith(gpu(1).id)), mustInclude: [], size: 2 })?.[0]).toBe(`${gpu(2).id}::0`);
    expect(steerToDecision(pending, { available: avail, mustInclude: [], size: 3 })).toBeNull();
  });
});
