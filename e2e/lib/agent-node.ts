/**
 * A kwok node with a real accelerator stack beside it: the real kubelet device
 * manager (Go harness) on a temporary device-plugin directory, and `tessera agent
 * --backend=fixture` registering its device plugin there and publishing the node
 * inventory. Once the plugin's devices are visible to the device manager, the node's
 * capacity/allocatable are set from the device manager's GetCapacity, as the kubelet does.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, V1Node } from '@kubernetes/client-node';
import { NODE_INVENTORY, type NodeInventory } from '../../core/annotations.js';
import { KubeletDeviceManager } from './devicemanager.js';
import type { E2eEnv } from './kube.js';
import { REPO_ROOT } from './manifests.js';
import { freePort, stopProc, waitFor, type Proc } from './procs.js';
import { startAgent, type AgentOptions } from './tessera.js';

export interface AgentNode {
  readonly name: string;
  readonly dm: KubeletDeviceManager;
  readonly agent: Proc;
  readonly inventory: NodeInventory;
  /** How the agent was started (to start it again). */
  readonly agentOptions: AgentOptions;
  stop(): Promise<void>;
}

export async function startAgentNode(
  env: E2eEnv,
  core: CoreV1Api,
  opts: {
    name: string;
    fixtureDir: string;
    labels: Record<string, string>;
    resource: string;
    expectDevices: number;
    /** Also serve the kubelet pod-resources API (real server) and point the agent at it. */
    podResources?: boolean;
  },
): Promise<AgentNode> {
  const node: V1Node = {
    metadata: {
      name: opts.name,
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: { 'kubernetes.io/hostname': opts.name, type: 'kwok', ...opts.labels },
    },
    status: { capacity: { cpu: '128', memory: '1Ti', pods: '110' }, allocatable: { cpu: '128', memory: '1Ti', pods: '110' } },
  };
  await core.createNode({ body: node });
  const podResourcesSocket = opts.podResources ? join(env.runDir, `pod-resources-${opts.name}`, 'kubelet.sock') : '';
  const dm = await KubeletDeviceManager.start({ binDir: env.binDir, runDir: env.runDir, name: `devicemanager-${opts.name}`, podResourcesSocket });
  const stateDir = join(env.runDir, `agent-state-${opts.name}`);
  mkdirSync(stateDir, { recursive: true });
  const agentOptions = {
    runDir: env.runDir,
    kubeconfig: env.kubeconfigs.agent,
    nodeName: opts.name,
    devicePluginDir: dm.dir,
    podResourcesSocket,
    stateDir,
    metricsPort: await freePort(),
    fixtureArgs: [`--fixture-dir=${join(REPO_ROOT, opts.fixtureDir)}`],
  };
  const agent = startAgent(agentOptions);
  const stop = async (): Promise<void> => {
    await stopProc(agent);
    await dm.stop();
    await core.deleteNode({ name: opts.name }).catch(() => undefined);
  };
  try {
    const cap = await waitFor(
      `kubelet device manager to list ${opts.expectDevices} ${opts.resource} from tessera agent on ${opts.name}`,
      async () => {
        const c = await dm.capacity();
        return c.allocatable[opts.resource] === String(opts.expectDevices) ? c : undefined;
      },
      { proc: agent, timeoutMs: 60_000, intervalMs: 300 },
    );
    // What the kubelet's node status sync does with the device manager's capacity.
    const capacity = { cpu: '128', memory: '1Ti', pods: '110', ...cap.capacity };
    const allocatable = { cpu: '128', memory: '1Ti', pods: '110', ...cap.allocatable };
    await core.patchNodeStatus(
      { name: opts.name, body: { status: { capacity, allocatable } } },
      // merge patch on the status subresource
      await mergePatchOptions(),
    );
    const inventory = await waitFor(`tessera agent to publish ${NODE_INVENTORY} on ${opts.name}`, async () => {
      const n = await core.readNode({ name: opts.name });
      const raw = n.metadata?.annotations?.[NODE_INVENTORY];
      const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return raw && ready && n.status?.allocatable?.[opts.resource] === String(opts.expectDevices) ? (JSON.parse(raw) as NodeInventory) : undefined;
    }, { proc: agent, timeoutMs: 60_000 });
    return { name: opts.name, dm, agent, inventory, stop, agentOptions };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function mergePatchOptions(): Promise<import('@kubernetes/client-node').ConfigurationOptions> {
  const mod = await import('@kubernetes/client-node');
  return mod.setHeaderOptions('Content-Type', mod.PatchStrategy.MergePatch);
}
