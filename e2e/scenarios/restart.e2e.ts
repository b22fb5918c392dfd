/**
 * Restart safety: 200 share pods are submitted, the extender is killed (SIGKILL)
 * while they are being scheduled and started again on the same port. Every pod ends
 * bound with a decision on its node, and no GPU is over-booked: memory and compute
 * handed out per GPU stay within the GPU, across decisions made before and after the
 * crash (the new extender rebuilt its ledger from the API server only).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_INVENTORY, type NodeInventory } from '../../core/annotations.js';
import { clients, decisionOf, e2eEnv, isBound } from '../lib/kube.js';
import { fakeNode, gpuInventory, SHAPES } from '../lib/nodes.js';
import { killNow, waitFor } from '../lib/procs.js';
import { accelPod, cleanup, createNodes, setupNamespace } from '../lib/pods.js';
import { startExtender } from '../lib/tessera.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-restart';
const scenario = 'restart';
const PODS = 200;
const nodes = Array.from({ length: 7 }, (_, i) => {
  const name = `restart-h100-${i}`;
  return fakeNode({ name, inventory: gpuInventory(name, SHAPES.dgxH100), labels: { 'e2e/scenario': scenario } });
});
const inventories = new Map(nodes.map((n) => [n.metadata?.name ?? '', JSON.parse(n.metadata?.annotations?.[NODE_INVENTORY] ?? '{}') as NodeInventory]));

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  await createNodes(core, nodes);
});
afterAll(() => cleanup(core, ns, nodes));

async function boundCount(): Promise<number> {
  const pods = await core.listNamespacedPod({ namespace: ns });
  return pods.items.filter(isBound).length;
}

describe('extender restart in the middle of scheduling', () => {
  it(`all ${PODS} pods end bound with no GPU over-booked`, async () => {
    const names = Array.from({ length: PODS }, (_, i) => `r-${String(i).padStart(3, '0')}`);
    const submit = (async () => {
      for (let i = 0; i < names.length; i += 25) {
        await Promise.all(
          names.slice(i, i + 25).map((name) =>
            core.createNamespacedPod({
              namespace: ns,
              body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario, accel: { gpu: 1, gpumem: 8_000, gpucores: 10 } }),
            }),
          ),
        );
      }
    })();
    const before = await waitFor('some pods bound before the crash', async () => {
      const n = await boundCount();
      return n >= 20 ? n : undefined;
    }, { timeoutMs: 60_000, intervalMs: 50 });
    killNow(env.extenderPid);
    const atCrash = await boundCount();
    await submit;
    expect(atCrash).toBeLessThan(PODS); // the crash really happened mid-way
    await new Promise((r) => setTimeout(r, 1_000));
    await startExtender({
      runDir: env.runDir,
      name: 'tessera-extender-restarted',
      kubeconfig: env.kubeconfigs.extender,
      port: env.extenderPort,
      webhookPort: env.webhookPort,
      tls: { certFile: join(env.runDir, 'tls.crt'), keyFile: join(env.runDir, 'tls.key') },
      schedulerName: env.schedulerName,
    });
    await waitFor(`all ${PODS} pods bound after the restart`, async () => ((await boundCount()) === PODS ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 500,
    });

    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    const mem = new Map<string, number>();
    const milli = new Map<string, number>();
    for (const p of pods) {
      const d = decisionOf(p);
      expect(d, `pod ${p.metadata?.name} bound without a decision`).toBeDefined();
      if (!d) continue;
      expect(d.node).toBe(p.spec?.nodeName);
      expect(d.podUid).toBe(p.metadata?.uid);
      for (const c of d.containers)
        for (const dev of c.devices) {
          expect(inventories.get(d.node)?.devices[dev.index]?.id, `device ${dev.id} is not GPU ${dev.index} of ${d.node}`).toBe(dev.id);
          mem.set(dev.id, (mem.get(dev.id) ?? 0) + dev.memoryMiB);
          milli.set(dev.id, (milli.get(dev.id) ?? 0) + dev.computeMilli);
        }
    }
    for (const [id, used] of mem) expect(used, `memory booked on ${id}`).toBeLessThanOrEqual(SHAPES.dgxH100.memoryMiB);
    for (const [id, used] of milli) expect(used, `compute booked on ${id}`).toBeLessThanOrEqual(1000);
    console.log(`restart: ${before} bound when the kill was decided, ${atCrash} right after it, ${PODS} at the end`);
  });
});
