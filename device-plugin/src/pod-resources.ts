/**
 * Kubelet pod-resources API client (`List`) and the restart reconcile of docs/handoff.md
 * §4: checkpoint entries of containers that no longer hold devices are dropped, and
 * containers the kubelet says hold our devices are marked served from their decision.
 */
import * as grpc from '@grpc/grpc-js';
import type { ServedRecord } from './allocation-ledger.js';
import type { AllocationService } from './allocation-service.js';
import { PluginError } from './errors.js';
import { podResourcesProto, unary, unixTarget, type PbListPodResourcesResponse, type PbPodResources } from './proto.js';

export async function listPodResources(socketPath: string, deadlineMs = 5000): Promise<PbPodResources[]> {
  const { PodResourcesLister } = podResourcesProto();
  const client = new PodResourcesLister(unixTarget(socketPath), grpc.credentials.createInsecure());
  try {
    const res = await unary<object, PbListPodResourcesResponse>(client, 'List', {}, deadlineMs);
    return res.pod_resources;
  } catch (err) {
    throw new PluginError('DP_ERR_POD_RESOURCES', `pod-resources List at ${socketPath}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.close();
  }
}

export interface ReconcileResult {
  readonly restored: number;
  readonly dropped: number;
  readonly adopted: number;
}

export interface ReconcileInput {
  readonly service: AllocationService;
  readonly checkpoint: readonly ServedRecord[];
  /** null when the pod-resources API could not be reached: keep the checkpoint as is. */
  readonly podResources: readonly PbPodResources[] | null;
  /** Resource names this agent serves. */
  readonly resources: readonly string[];
  readonly nowMs: number;
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const ours = new Set(input.resources);
  const held = new Map<string, { resource: string; ids: string[] }[]>();
  for (const pod of input.podResources ?? []) {
    for (const c of pod.containers) {
      const devs = c.devices.filter((d) => ours.has(d.resource_name)).map((d) => ({ resource: d.resource_name, ids: d.device_ids }));
      if (devs.length > 0) held.set(`${pod.namespace}/${pod.name}/${c.name}`, devs);
    }
  }
  let restored = 0;
  let dropped = 0;
  const covered = new Set<string>();
  for (const e of input.checkpoint) {
    const key = `${e.namespace}/${e.name}/${e.container}`;
    if (input.podResources !== null && !held.get(key)?.some((d) => d.resource === e.resource)) {
      dropped++;
      continue;
    }
    input.service.ledger.record(e);
    covered.add(`${key}|${e.resource}`);
    restored++;
  }
  let adopted = 0;
  if (input.podResources !== null) {
    const pods = input.service.ledger;
    const byName = new Map<string, ReturnType<AllocationService['podsList']>[number]>();
    for (const p of input.service.podsList()) byName.set(`${p.namespace}/${p.name}`, p);
    for (const [key, devs] of held) {
      const [ns, name, container] = key.split('/');
      const pod = byName.get(`${ns}/${name}`);
      if (pod === undefined) continue;
      const decision = pods.decisionOf(pod);
      if (decision === null) continue;
      for (const d of devs) {
        if (covered.has(`${key}|${d.resource}`)) continue;
        const assignment = decision.containers.find((c) => c.name === container && c.resource === d.resource);
        if (assignment === undefined || pods.isServed(pod.uid, assignment.index)) continue;
        pods.record({
          podUid: pod.uid,
          namespace: pod.namespace,
          name: pod.name,
          container: assignment.name,
          containerIndex: assignment.index,
          resource: d.resource,
          kubeletIds: d.ids,
          devices: assignment.devices.map((x) => x.id),
          atMs: input.nowMs,
        });
        adopted++;
      }
    }
  }
  return { restored, dropped, adopted };
}
