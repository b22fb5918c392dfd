/**
 * Whole GPUs on fixture-shaped servers: an 8-GPU pod gets a whole node; 4-GPU pods
 * land on NVLink quads (every pair of the chosen GPUs NVLink-connected in the node's
 * own inventory), never on the PCIe-only box while an NVLink quad is free; no GPU is
 * handed out twice. Everything is read back from the API server.
 */
import type { NodeInventory } from '../../core/annotations.js';
import { NODE_INVENTORY } from '../../core/annotations.js';
import type { Decision } from '../../core/decision.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, e2eEnv, isRunning, waitForPod } from '../lib/kube.js';
import { allPairsNvlink, fakeNode, gpuInventory, SHAPES } from '../lib/nodes.js';
import { accelPod, cleanup, createNodes, devicesByNode, setupNamespace, waitForDecision } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-whole';
const scenario = 'whole';
const nodes = [
  fakeNode({ name: 'whole-v100', inventory: gpuInventory('whole-v100', SHAPES.dgx1V100), labels: { 'e2e/scenario': scenario } }),
  fakeNode({ name: 'whole-h100', inventory: gpuInventory('whole-h100', SHAPES.dgxH100), labels: { 'e2e/scenario': scenario } }),
  fakeNode({ name: 'whole-pcie', inventory: gpuInventory('whole-pcie', SHAPES.pcie8), labels: { 'e2e/scenario': scenario } }),
];
const inventories = new Map(nodes.map((n) => [n.metadata?.name ?? '', JSON.parse(n.metadata?.annotations?.[NODE_INVENTORY] ?? '{}') as NodeInventory]));
const decisions: Decision[] = [];

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  await createNodes(core, nodes);
});
afterAll(() => cleanup(core, ns, nodes));

const positions = (d: Decision): number[] => d.containers.flatMap((c) => c.devices.map((x) => x.index));

describe('whole GPUs', () => {
  it('an 8-GPU pod gets every GPU of one node', async () => {
    await core.createNamespacedPod({ namespace: ns, body: accelPod({ name: 'full-node', namespace: ns, schedulerName: env.schedulerName, scenario, accel: { gpu: 8 } }) });
    const { decision } = await waitForDecision(core, ns, 'full-node');
    decisions.push(decision);
    const inv = inventories.get(decision.node);
    expect(inv, `decision names an unknown node ${decision.node}`).toBeDefined();
    expect(decision.containers.flatMap((c) => c.devices.map((x) => x.id)).sort()).toEqual(inv?.devices.map((d) => d.id).sort());
    expect(decision.containers[0]?.resource).toBe('nvidia.com/gpu');
    await waitForPod(core, ns, 'full-node', 'Running', isRunning);
  });

  it('4-GPU pods get NVLink-connected quads, not the PCIe box', async () => {
    for (const name of ['quad-a', 'quad-b']) {
      await core.createNamespacedPod({ namespace: ns, body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario, accel: { gpu: 4 } }) });
      const { decision } = await waitForDecision(core, ns, name);
      decisions.push(decision);
      const inv = inventories.get(decision.node);
      expect(decision.node).not.toBe('whole-pcie');
      expect(positions(decision)).toHaveLength(4);
      expect(inv && allPairsNvlink(inv, positions(decision)), `${name} on ${decision.node} got GPUs ${positions(decision).join(',')}`).toBe(true);
      for (const dev of decision.containers.flatMap((c) => c.devices)) {
        expect(dev.exclusive).toBe(true);
        expect(dev.id).toBe(inv?.devices[dev.index]?.id);
      }
    }
  });

  it('no GPU is handed to two pods', () => {
    expect(decisions).toHaveLength(3);
    for (const [node, ids] of devicesByNode(decisions)) {
      expect(new Set(ids).size, `duplicate GPU on ${node}: ${ids.join(',')}`).toBe(ids.length);
    }
  });
});
