/**
 * HAMi-style GPU shares on a DGX A100 (8 x 80 GB) whose device plugin is the real
 * `tessera agent` registered with the real kubelet device manager:
 *  - memory/compute shares fill GPUs without over-allocating memory or compute;
 *  - 20 share pods bound to one node within a second: through the kubelet's
 *    GetPreferredAllocation + Allocate path every answer is exact for some decision of the
 *    same signature (the kubelet's share count per GPU equals the decisions'), and each
 *    container's final env (plugin env, then the pod's downward-API env from its own
 *    annotations, docs/handoff.md §2) names its own decision's GPU and memory limit.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../core/decision.js';
import { startAgentNode, type AgentNode } from '../lib/agent-node.js';
import { envOf, type RunOptions } from '../lib/devicemanager.js';
import { clients, e2eEnv } from '../lib/kube.js';
import { accelPod, containerEnv, setupNamespace, waitForDecision } from '../lib/pods.js';

const env = e2eEnv();
const { core } = clients(env);
const ns = 'e2e-shares';
const GPU = 'nvidia.com/gpu';
const nodes: AgentNode[] = [];

beforeAll(async () => {
  if (!env.extenderRunning) throw new Error('tessera extender is not running (cli/ has no extender): this scenario needs it');
  await setupNamespace(core, ns);
});
afterAll(async () => {
  await core.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 }).catch(() => undefined);
  for (const n of nodes) await n.stop();
});

const physical = (id: string): string => id.split('::')[0] ?? id;
const decisionIds = (d: Decision): string[] => d.containers.flatMap((c) => c.devices.map((x) => x.id)).sort();

/** Memory and compute handed out per GPU over all decisions; checks the GPU's own limits. */
function expectNoOverAllocation(node: AgentNode, decisions: readonly Decision[]): void {
  const mem = new Map<string, number>();
  const milli = new Map<string, number>();
  for (const d of decisions)
    for (const c of d.containers)
      for (const dev of c.devices) {
        mem.set(dev.id, (mem.get(dev.id) ?? 0) + dev.memoryMiB);
        milli.set(dev.id, (milli.get(dev.id) ?? 0) + dev.computeMilli);
      }
  for (const [id, used] of mem) {
    const gpu = node.inventory.devices.find((x) => x.id === id);
    expect(gpu, `decision names a GPU ${id} that is not in ${node.name}'s inventory`).toBeDefined();
    expect(used, `memory on ${id}`).toBeLessThanOrEqual(gpu?.memoryMiB ?? 0);
    expect(milli.get(id) ?? 0, `compute on ${id}`).toBeLessThanOrEqual(1000);
  }
}

/**
 * What the kubelet hands the runtime is self-consistent (the plugin's env names the
 * devices the kubelet allocated), and what the container finally sees (plugin env,
 * then the pod's downward-API env from its own annotations) is the pod's own decision.
 */
function expectContainerSeesOwnDecision(pod: V1Pod, opts: RunOptions, d: Decision): void {
  const allocated = (opts.devices[GPU] ?? []).map(physical).sort();
  expect(envOf(opts, 'NVIDIA_VISIBLE_DEVICES')?.split(',').sort()).toEqual(allocated);
  const env = containerEnv(pod, opts.envs);
  expect(env.NVIDIA_VISIBLE_DEVICES?.split(',').sort()).toEqual(decisionIds(d));
  const dev = d.containers[0]?.devices[0];
  if (dev && !dev.exclusive) expect(env.CUDA_DEVICE_MEMORY_LIMIT_0).toBe(`${dev.memoryMiB}m`);
}

/** The kubelet's share count per physical GPU equals the decisions': no GPU gets more shares than decided. */
function expectKubeletCountsMatch(served: Map<string, RunOptions>, decisions: readonly Decision[]): number {
  const kubelet = new Map<string, number>();
  for (const o of served.values()) for (const id of o.devices[GPU] ?? []) kubelet.set(physical(id), (kubelet.get(physical(id)) ?? 0) + 1);
  const decided = new Map<string, number>();
  for (const d of decisions) for (const id of decisionIds(d)) decided.set(id, (decided.get(id) ?? 0) + 1);
  expect(Object.fromEntries([...kubelet].sort())).toEqual(Object.fromEntries([...decided].sort()));
  return kubelet.size;
}

/** How many pods the plugin path (preferred allocation + Allocate) served with exactly their own decision. */
function ownServed(placed: readonly { pod: V1Pod; decision: Decision }[], served: Map<string, RunOptions>): number {
  return placed.filter(({ pod, decision }) => {
    const o = served.get(pod.metadata?.uid ?? '');
    return o !== undefined && JSON.stringify((o.devices[GPU] ?? []).map(physical).sort()) === JSON.stringify(decisionIds(decision));
  }).length;
}

async function admitAll(node: AgentNode, pods: { pod: V1Pod; decision: Decision }[]): Promise<Map<string, RunOptions>> {
  const out = new Map<string, RunOptions>();
  // The kubelet admits pods in the order the API server delivers them: bind order.
  const ordered = [...pods].sort((a, b) => a.decision.decidedAtMs - b.decision.decidedAtMs);
  for (const { pod } of ordered) {
    const fresh = await core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: ns });
    const [main] = await node.dm.admit(fresh);
    if (main === undefined) throw new Error(`no run options for ${pod.metadata?.name}`);
    out.set(pod.metadata?.uid ?? '', main);
  }
  return out;
}

describe('GPU shares through the real kubelet device manager', () => {
  it('30 GB shares fill 80 GB A100s two per GPU without over-allocation, and the kubelet serves each decision', async () => {
    const node = await startAgentNode(env, core, {
      name: 'share-a100',
      fixtureDir: 'node-agent/fixtures/dgx-a100-8x',
      labels: { 'e2e/scenario': 'shares' },
      resource: GPU,
      expectDevices: 32,
    });
    nodes.push(node);
    const names = Array.from({ length: 16 }, (_, i) => `mem30g-${i}`);
    for (const name of names) {
      await core.createNamespacedPod({
        namespace: ns,
        body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario: 'shares', accel: { gpu: 1, gpumem: 30_000, gpucores: 40 }, downwardEnv: true }),
      });
    }
    const placed = [];
    for (const name of names) placed.push(await waitForDecision(core, ns, name));
    const decisions = placed.map((p) => p.decision);
    expectNoOverAllocation(node, decisions);
    // 16 shares of 30 GB on 8 x 80 GB: every GPU carries exactly two.
    const perGpu = new Map<string, number>();
    for (const d of decisions) for (const id of decisionIds(d)) perGpu.set(id, (perGpu.get(id) ?? 0) + 1);
    expect([...perGpu.values()]).toEqual(Array(8).fill(2));

    const served = await admitAll(node, placed);
    for (const { pod, decision } of placed) expectContainerSeesOwnDecision(pod, served.get(pod.metadata?.uid ?? '') as RunOptions, decision);
    expectKubeletCountsMatch(served, decisions);
    console.log(`shares: ${ownServed(placed, served)}/16 pods served their own decision's GPU by the plugin path alone`);
  });

  it('20 share pods bound to one node within a second each get a decision served exactly by the kubelet', async () => {
    const node = await startAgentNode(env, core, {
      name: 'burst-a100',
      fixtureDir: 'node-agent/fixtures/dgx-a100-8x',
      labels: { 'e2e/scenario': 'burst' },
      resource: GPU,
      expectDevices: 32,
    });
    nodes.push(node);
    const names = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
    await Promise.all(
      names.map((name) =>
        core.createNamespacedPod({
          namespace: ns,
          body: accelPod({ name, namespace: ns, schedulerName: env.schedulerName, scenario: 'burst', accel: { gpu: 1, gpumem: 10_000, gpucores: 20 }, downwardEnv: true }),
        }),
      ),
    );
    const placed = await Promise.all(names.map((name) => waitForDecision(core, ns, name)));
    const decisions = placed.map((p) => p.decision);
    const bindSpreadMs = Math.max(...decisions.map((d) => d.decidedAtMs)) - Math.min(...decisions.map((d) => d.decidedAtMs));
    expect(placed.every((p) => p.decision.node === 'burst-a100')).toBe(true);
    expectNoOverAllocation(node, decisions);

    const served = await admitAll(node, placed);
    for (const { pod, decision } of placed) expectContainerSeesOwnDecision(pod, served.get(pod.metadata?.uid ?? '') as RunOptions, decision);
    expectKubeletCountsMatch(served, decisions);
    console.log(`burst: 20 decisions within ${bindSpreadMs} ms; ${ownServed(placed, served)}/20 served their own decision's GPU by the plugin path alone`);
  });
});
