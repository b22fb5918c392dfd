/**
 * Agent restart: pods are admitted through the real kubelet device manager, the
 * agent is killed and its checkpoint removed, and it starts again. It must learn
 * from the kubelet's real pod-resources API which decisions are already served, so
 * that a new pod is served with its own decision rather than an old pod's.
 */
import { rmSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../core/decision.js';
import { startAgentNode, type AgentNode } from '../lib/agent-node.js';
import { clients, e2eEnv } from '../lib/kube.js';
import { killNow, stopProc, waitFor, type Proc } from '../lib/procs.js';
import { accelPod, setupNamespace, waitForDecision } from '../lib/pods.js';
import { startAgent } from '../lib/tessera.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-agent-restart';
const GPU = 'nvidia.com/gpu';
let node: AgentNode | undefined;
let second: Proc | undefined;

const physical = (ids: readonly string[]): string[] => ids.map((id) => id.split('::')[0] ?? id).sort();
const own = (d: Decision): string[] => d.containers.flatMap((c) => c.devices.map((x) => x.id)).sort();

async function submit(name: string): Promise<{ pod: V1Pod; decision: Decision }> {
  await core.createNamespacedPod({
    namespace: ns,
    body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario: 'arestart', accel: { gpu: 1, gpumem: 20_000 }, downwardEnv: true }),
  });
  return waitForDecision(core, ns, name);
}

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
  node = await startAgentNode(env, core, {
    name: 'arestart-a100',
    fixtureDir: 'node-agent/fixtures/dgx-a100-8x',
    labels: { 'e2e/scenario': 'arestart' },
    resource: GPU,
    expectDevices: 32,
    podResources: true,
  });
});
afterAll(async () => {
  await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
  if (second) await stopProc(second);
  await node?.stop();
});

describe('agent restart', () => {
  it('reconciles served decisions from the kubelet pod-resources API and serves a new pod its own decision', async () => {
    if (!node) throw new Error('no agent node');
    const before = [];
    for (let i = 0; i < 4; i++) {
      const placed = await submit(`before-${i}`);
      const [main] = await node.dm.admit(placed.pod);
      expect(physical(main?.devices[GPU] ?? [])).toEqual(own(placed.decision));
      before.push(placed);
    }
    const pid = node.agent.child.pid;
    if (pid === undefined) throw new Error('agent has no pid');
    killNow(pid);
    await node.agent.exited;
    rmSync(node.agentOptions.stateDir, { recursive: true, force: true });
    second = startAgent({ ...node.agentOptions, name: 'tessera-agent-arestart-2' });
    await waitFor('the restarted agent to re-register', async () => {
      const c = await node?.dm.capacity();
      return c?.allocatable[GPU] === '32' ? true : undefined;
    }, { proc: second, timeoutMs: 60_000 });
    // Let it finish reconciling before the kubelet asks it anything.
    await new Promise((r) => setTimeout(r, 2_000));

    for (let i = 0; i < 2; i++) {
      const placed = await submit(`after-${i}`);
      const [main] = await node.dm.admit(placed.pod);
      expect(physical(main?.devices[GPU] ?? []), `after-${i} was served another pod's decision`).toEqual(own(placed.decision));
    }
  });
});
