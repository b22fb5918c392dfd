/**
 * Ascend 910 on Atlas 800 training servers (8 chips in two HCCS rings of 4):
 * 1/2/4-chip pods stay inside one ring and fill it by the fragment rule, an 8-chip
 * pod takes a whole server, a 3-chip pod is refused with a message naming the rule.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../core/decision.js';
import { clients, e2eEnv, unschedulableMessage } from '../lib/kube.js';
import { ascendInventory, fakeNode } from '../lib/nodes.js';
import { waitFor } from '../lib/procs.js';
import { accelPod, cleanup, createNodes, devicesByNode, setupNamespace, waitForDecision } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-ascend';
const scenario = 'ascend';
const nodes = ['ascend-a', 'ascend-b'].map((name) => fakeNode({ name, inventory: ascendInventory(), labels: { 'e2e/scenario': scenario } }));
const decisions: Decision[] = [];

const ring = (index: number): number => (index < 4 ? 0 : 1);
const chips = (d: Decision): number[] => d.containers.flatMap((c) => c.devices.map((x) => x.index));

async function place(name: string, count: number): Promise<Decision> {
  await core.createNamespacedPod({ namespace: ns, body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario, accel: { ascend: count } }) });
  const { decision } = await waitForDecision(core, ns, name);
  decisions.push(decision);
  expect(chips(decision)).toHaveLength(count);
  for (const dev of decision.containers.flatMap((c) => c.devices)) expect(dev.id).toBe(`Ascend910-${dev.index}`);
  return decision;
}

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  await createNodes(core, nodes);
});
afterAll(() => cleanup(core, ns, nodes));

describe('Ascend 910 HCCS rings', () => {
  it('a 3-chip pod is refused with a message naming the 1/2/4/8 rule, while both servers are empty', async () => {
    await core.createNamespacedPod({ namespace: ns, body: accelPod({ name: 'three', namespace: ns, schedulerName: env.schedulerName, scenario, accel: { ascend: 3 } }) });
    const msg = await waitFor('pod three refused by the scheduler', async () => {
      const p = await core.readNamespacedPod({ name: 'three', namespace: ns });
      expect(p.spec?.nodeName ?? '').toBe('');
      const m = unschedulableMessage(p);
      return m ? m : undefined;
    });
    expect(msg).toMatch(/1, 2, 4 or 8/);
  });

  it('an 8-chip pod takes a whole server', async () => {
    const d = await place('eight', 8);
    expect(chips(d).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('4, 2 and 1-chip pods each stay inside one ring and fill rings by the fragment rule', async () => {
    const four = await place('four', 4);
    const other = nodes.map((n) => n.metadata?.name).find((n) => n !== decisions[0]?.node);
    expect(four.node).toBe(other); // the first server is full
    expect(new Set(chips(four).map(ring)).size).toBe(1);

    // 2 chips: a ring with exactly 2 free is preferred, then one with 4 free: here the empty ring.
    const two = await place('two', 2);
    expect(two.node).toBe(other);
    expect(new Set(chips(two).map(ring)).size).toBe(1);
    expect(ring(chips(two)[0] ?? -1)).not.toBe(ring(chips(four)[0] ?? -1));

    // 1 chip: the ring with the fewest free chips that still fits (2 free, not 0).
    const one = await place('one', 1);
    expect(one.node).toBe(other);
    expect(ring(chips(one)[0] ?? -1)).toBe(ring(chips(two)[0] ?? -1));
  });

  it('no chip is handed to two pods', () => {
    expect(decisions).toHaveLength(4);
    for (const [node, ids] of devicesByNode(decisions)) expect(new Set(ids).size, `duplicate chip on ${node}`).toBe(ids.length);
  });
});
