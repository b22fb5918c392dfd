/**
 * Pod builders and bulk helpers for scenarios: accelerator pods in the shapes users
 * submit (whole GPUs, HAMi-style shares, Ascend chips), scheduled by the Tessera
 * profile and pinned to a scenario's nodes by a node selector.
 */
import type { CoreV1Api, V1Node, V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { POD_CORE_LIMIT, POD_MEMORY_LIMIT, POD_VISIBLE_DEVICES } from '../../core/annotations.js';
import type { Decision } from '../../core/decision.js';
import { decisionOf, ensureNamespace, isBound, unschedulableMessage } from './kube.js';
import { waitFor } from './procs.js';

export interface AccelRequest {
  readonly gpu?: number;
  readonly gpumem?: number;
  readonly gpucores?: number;
  readonly ascend?: number;
}

export interface PodSpecOptions {
  readonly name: string;
  readonly namespace: string;
  readonly schedulerName: string;
  readonly scenario: string;
  readonly accel: AccelRequest;
  readonly labels?: Record<string, string>;
  readonly priority?: number;
  readonly priorityClassName?: string;
  /**
   * Add the downward-API env the Tessera webhook injects (docs/handoff.md §2), for pods
   * created without the webhook in the path.
   */
  readonly downwardEnv?: boolean;
}

/** The env docs/handoff.md §2 says the webhook injects into container 0 of a GPU pod. */
export function handoffEnv(shares: boolean): { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[] {
  const ref = (key: string): { fieldRef: { fieldPath: string } } => ({ fieldRef: { fieldPath: `metadata.annotations['${key}.0']` } });
  return [
    { name: 'NVIDIA_VISIBLE_DEVICES', valueFrom: ref(POD_VISIBLE_DEVICES) },
    ...(shares
      ? [
          { name: 'CUDA_DEVICE_MEMORY_LIMIT_0', valueFrom: ref(POD_MEMORY_LIMIT) },
          { name: 'CUDA_DEVICE_SM_LIMIT', valueFrom: ref(POD_CORE_LIMIT) },
        ]
      : []),
  ];
}

/**
 * The env a container finally sees, composed as the kubelet does: device-plugin envs
 * first, then the pod's own env (downward-API references resolved from the pod's
 * annotations); the runtime keeps the last value of a name.
 */
export function containerEnv(pod: V1Pod, pluginEnvs: readonly { name: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of pluginEnvs) out[e.name] = e.value;
  for (const e of pod.spec?.containers[0]?.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    const m = path ? /^metadata\.annotations\['(.+)'\]$/.exec(path) : null;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (m?.[1] !== undefined) out[e.name] = pod.metadata?.annotations?.[m[1]] ?? '';
  }
  return out;
}

export function accelPod(o: PodSpecOptions): V1Pod {
  const limits: Record<string, string> = {};
  if (o.accel.gpu !== undefined) limits['nvidia.com/gpu'] = String(o.accel.gpu);
  if (o.accel.gpumem !== undefined) limits['nvidia.com/gpumem'] = String(o.accel.gpumem);
  if (o.accel.gpucores !== undefined) limits['nvidia.com/gpucores'] = String(o.accel.gpucores);
  if (o.accel.ascend !== undefined) limits['huawei.com/Ascend910'] = String(o.accel.ascend);
  return {
    metadata: { name: o.name, namespace: o.namespace, labels: { 'e2e/scenario': o.scenario, ...(o.labels ?? {}) } },
    spec: {
      schedulerName: o.schedulerName,
      nodeSelector: { 'e2e/scenario': o.scenario },
      terminationGracePeriodSeconds: 0,
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      containers: [
        {
          name: 'main',
          image: 'train:latest',
          resources: { limits, requests: { cpu: '1', ...limits } },
          ...(o.downwardEnv ? { env: handoffEnv(o.accel.gpumem !== undefined || o.accel.gpucores !== undefined) } : {}),
        },
      ],
    },
  };
}

export async function createNodes(core: CoreV1Api, nodes: readonly V1Node[]): Promise<void> {
  for (const n of nodes) await core.createNode({ body: n });
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    await waitFor(`node ${name} Ready`, async () => {
      const got = await core.readNode({ name });
      return got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    });
  }
}

export async function cleanup(core: CoreV1Api, namespace: string, nodes: readonly V1Node[]): Promise<void> {
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  for (const n of nodes) await core.deleteNode({ name: n.metadata?.name ?? '' }).catch(() => undefined);
}

export async function setupNamespace(core: CoreV1Api, namespace: string): Promise<void> {
  await ensureNamespace(core, namespace);
}

/** Waits for a pod to be bound and carry a decision; checks the decision names the pod and its node. */
export async function waitForDecision(core: CoreV1Api, namespace: string, name: string, timeoutMs = 60_000): Promise<{ pod: V1Pod; decision: Decision }> {
  const pod = await waitFor(`pod ${namespace}/${name} bound with a decision`, async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    return isBound(p) && decisionOf(p) !== undefined ? p : undefined;
  }, { timeoutMs, intervalMs: 250 }).catch(async (err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; ${await whyPending(core, namespace, name)}`);
  });
  const decision = decisionOf(pod);
  if (decision === undefined) throw new Error('unreachable');
  expect(decision.node).toBe(pod.spec?.nodeName);
  expect(decision.podUid).toBe(pod.metadata?.uid);
  return { pod, decision };
}

/** The scheduler's view of a pending pod: PodScheduled condition and the latest events. */
export async function whyPending(core: CoreV1Api, namespace: string, name: string): Promise<string> {
  try {
    const p = await core.readNamespacedPod({ name, namespace });
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
    const last = events.items.slice(-3).map((e) => `${e.reason}: ${e.message}`);
    return `nodeName=${p.spec?.nodeName ?? '-'} PodScheduled: "${unschedulableMessage(p)}" events: ${last.join(' | ') || '-'}`;
  } catch (err) {
    return `(could not read pod: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/** Physical device ids by node over a set of decisions; fails on any device handed out twice exclusively. */
export function devicesByNode(decisions: readonly Decision[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of decisions) {
    const list = out.get(d.node) ?? [];
    for (const c of d.containers) for (const dev of c.devices) list.push(dev.id);
    out.set(d.node, list);
  }
  return out;
}
