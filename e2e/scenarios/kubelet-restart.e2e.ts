/**
 * Kubelet restart: the real device manager, started again on the same directory,
 * wipes the plugin sockets (CleanupPluginDirectory) exactly as a restarted kubelet
 * does. The tessera agent must notice, re-register, and serve allocations again.
 */
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentNode, type AgentNode } from '../lib/agent-node.js';
import { envOf, KubeletDeviceManager } from '../lib/devicemanager.js';
import { clients, e2eEnv } from '../lib/kube.js';
import { accelPod, containerEnv, setupNamespace, waitForDecision } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-kubelet-restart';
const GPU = 'nvidia.com/gpu';
let node: AgentNode | undefined;
let restarted: KubeletDeviceManager | undefined;

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  node = await startAgentNode(env, core, {
    name: 'krestart-a100',
    fixtureDir: 'node-agent/fixtures/dgx-a100-8x',
    labels: { 'e2e/scenario': 'krestart' },
    resource: GPU,
    expectDevices: 32,
  });
});
afterAll(async () => {
  await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
  await restarted?.stop();
  await node?.stop();
});

describe('kubelet restart', () => {
  it('the agent re-registers after the device manager restarts and wipes the socket directory', async () => {
    if (!node) throw new Error('no agent node');
    const dir = node.dm.dir;
    const pluginSockets = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.sock') && f !== 'kubelet.sock');
    expect(pluginSockets().length).toBeGreaterThan(0);
    await node.dm.stop();
    restarted = await KubeletDeviceManager.start({ binDir: env.binDir, runDir: env.runDir, name: 'devicemanager-krestart-2', dir });
    expect(existsSync(`${dir}/kubelet.sock`)).toBe(true);
    const cap = await restarted.waitForAllocatable(GPU, 32, 60_000);
    expect(cap.capacity[GPU]).toBe('32');
    expect(pluginSockets().length).toBeGreaterThan(0);

    // And it serves allocations through the new registration.
    await core.createNamespacedPod({
      namespace: ns,
      body: accelPod({ name: 'after-restart', namespace: ns, schedulerName: env.schedulerName, scenario: 'krestart', accel: { gpu: 1, gpumem: 20_000 }, downwardEnv: true }),
    });
    const { pod, decision } = await waitForDecision(core, ns, 'after-restart');
    const [main] = await restarted.admit(pod);
    expect(main?.devices[GPU]).toHaveLength(1);
    const ids = decision.containers.flatMap((c) => c.devices.map((d) => d.id));
    expect(main && envOf(main, 'NVIDIA_VISIBLE_DEVICES')).toBe((main?.devices[GPU] ?? []).map((id) => id.split('::')[0]).join(','));
    expect(containerEnv(pod, main?.envs ?? []).NVIDIA_VISIBLE_DEVICES).toBe(ids.join(','));
  });
});
