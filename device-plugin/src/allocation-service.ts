/**
 * The device plugin's answers: device lists, preferred allocations and Allocate, for
 * every resource the node offers. Shared by all plugin endpoints of the node; holds the
 * ledger of served decision containers and the local checkpoint.
 */
import type { Logger } from 'pino';
import { POD_ALLOCATED, type Device, type DeviceShare, type Topology, type Vendor } from '../../core/index.js';
import { AllocationLedger, allocatedAnnotation, type PendingContainer, type ServedRecord } from './allocation-ledger.js';
import type { Checkpoint } from './checkpoint.js';
import { buildContainerResponse } from './container-response.js';
import { PluginError } from './errors.js';
import type { PodSource } from './pod-source.js';
import { steerToDecision, topologyPreferred } from './preferred.js';
import { HEALTHY, UNHEALTHY, type PbAllocateRequest, type PbContainerAllocateResponse, type PbAllocateResponse, type PbDevice, type PbPreferredAllocationRequest, type PbPreferredAllocationResponse } from './proto.js';
import { advertisedIds, physicalIdOf, type AdvertisedResource } from './resources.js';

export interface NodeDevices {
  readonly vendor: Vendor;
  readonly devices: readonly Device[];
  readonly topology: Topology;
}

export interface AllocationServiceOptions {
  readonly nodeName: string;
  readonly pods: PodSource;
  readonly checkpoint: Checkpoint;
  readonly log: Logger;
  readonly nowMs: () => number;
  /** How long Allocate waits for a late pod update before serving the kubelet's choice (0 = no wait). */
  readonly allocateWaitMs?: number;
}

type Claim = PendingContainer & { readonly record: ServedRecord };

export type AllocateOutcome = 'decision' | 'fallback';

export class AllocationService {
  readonly ledger: AllocationLedger;
  private node: NodeDevices = { vendor: 'nvidia', devices: [], topology: { kind: 'none' } };
  private byId = new Map<string, { device: Device; position: number }>();
  /** Counts of Allocate answers by outcome, for metrics. */
  readonly counts = { decision: 0, fallback: 0, rejected: 0 };
  private readonly badDecisionLogged = new Set<string>();

  constructor(private readonly opts: AllocationServiceOptions) {
    this.ledger = new AllocationLedger({
      nodeName: opts.nodeName,
      pods: opts.pods,
      onBadDecision: (pod, error) => {
        if (this.badDecisionLogged.has(pod.uid)) return;
        this.badDecisionLogged.add(pod.uid);
        opts.log.warn({ pod: `${pod.namespace}/${pod.name}`, error }, 'ignoring malformed decision annotation');
      },
    });
  }

  setDevices(node: NodeDevices): void {
    this.node = node;
    this.byId = new Map(node.devices.map((device, position) => [device.id, { device, position }]));
  }

  podsList(): ReturnType<PodSource['list']> {
    return this.opts.pods.list();
  }

  devices(): NodeDevices {
    return this.node;
  }

  /** The ListAndWatch list for one resource: every advertised id with its health. */
  listDevices(resource: AdvertisedResource): PbDevice[] {
    const out: PbDevice[] = [];
    for (const d of this.node.devices) {
      const health = d.health === 'healthy' ? HEALTHY : UNHEALTHY;
      const topology = d.numa === null ? null : { nodes: [{ ID: d.numa }] };
      for (const id of advertisedIds(resource, d.id)) out.push({ ID: id, health, topology });
    }
    return out;
  }

  async preferred(resource: AdvertisedResource, req: PbPreferredAllocationRequest): Promise<PbPreferredAllocationResponse> {
    const container_responses: { deviceIDs: string[] }[] = [];
    for (const c of req.container_requests) {
      const input = { available: c.available_deviceIDs, mustInclude: c.must_include_deviceIDs, size: c.allocation_size };
      const steer = (): string[] | null => steerToDecision(this.ledger.pending(resource.resourceName), input);
      // The pod may not have reached our watch yet: give it the same grace as Allocate.
      const steered = steer() ?? (await this.onPodChange(steer));
      if (steered !== null) {
        container_responses.push({ deviceIDs: steered });
        continue;
      }
      const node = { name: this.opts.nodeName, cpuMilli: 0, memoryMiB: 0, labels: {}, devices: this.node.devices, topology: this.node.topology };
      container_responses.push({ deviceIDs: topologyPreferred({ topology: this.node.topology, positionOf: (id) => this.byId.get(id)?.position, node }, input) });
    }
    return { container_responses };
  }


  /** Allocate: each container gets its decision (matched by device set), else the kubelet's ids. */
  async allocate(resource: AdvertisedResource, req: PbAllocateRequest): Promise<PbAllocateResponse> {
    const served: ServedRecord[] = [];
    for (const c of req.container_requests) {
      if (c.devices_ids.length === 0) {
        this.counts.rejected++;
        throw new PluginError('DP_ERR_BAD_REQUEST', `Allocate ${resource.resourceName}: container request without device ids`);
      }
      for (const id of c.devices_ids) {
        if (!this.byId.has(physicalIdOf(id))) {
          this.counts.rejected++;
          throw new PluginError('DP_ERR_UNKNOWN_DEVICE', `Allocate ${resource.resourceName}: unknown device id ${JSON.stringify(id)}; expected one of the advertised ids`);
        }
      }
    }
    const container_responses: PbContainerAllocateResponse[] = [];
    for (const c of req.container_requests) {
      const ids = c.devices_ids;
      const match = this.claim(resource.resourceName, ids) ?? (await this.onPodChange(() => this.claim(resource.resourceName, ids)));
      const template = resource.vnpuTemplate ? { vnpuTemplate: resource.vnpuTemplate } : {};
      if (match === null) {
        this.counts.fallback++;
        this.opts.log.info({ resource: resource.resourceName, ids }, 'no pending decision matches; serving the kubelet choice as whole devices');
        container_responses.push(buildContainerResponse({ vendor: this.node.vendor, isolation: 'exclusive', devices: this.wholeDevices(ids), ...template }));
        continue;
      }
      this.counts.decision++;
      served.push(match.record);
      this.opts.log.debug({ pod: `${match.record.namespace}/${match.record.name}`, container: match.record.container, devices: match.record.devices }, 'allocated by decision');
      container_responses.push(
        buildContainerResponse({ vendor: this.node.vendor, isolation: match.decision.isolation, devices: match.container.devices, podUid: match.pod.uid, ...template }),
      );
    }
    if (served.length > 0) {
      try {
        await this.opts.checkpoint.save(() => this.ledger.records());
      } catch (err) {
        // The answer is still right; only restart recovery loses this entry (pod-resources covers it).
        this.opts.log.error({ err, file: this.opts.checkpoint.file }, 'checkpoint write failed; answering anyway');
      }
      for (const uid of new Set(served.map((r) => r.podUid))) this.markPod(uid);
    }
    return { container_responses };
  }

  /**
   * Match and mark served in one synchronous turn: no other Allocate can take the same
   * decision container in between, with no lock.
   */
  private claim(resource: string, ids: readonly string[]): Claim | null {
    const match = this.matchDecision(resource, ids);
    if (match === null) return null;
    const record: ServedRecord = {
      podUid: match.pod.uid,
      namespace: match.pod.namespace,
      name: match.pod.name,
      container: match.container.name,
      containerIndex: match.container.index,
      resource,
      kubeletIds: [...ids],
      devices: match.container.devices.map((d) => d.id),
      atMs: this.opts.nowMs(),
    };
    this.ledger.record(record);
    return { ...match, record };
  }

  /**
   * The kubelet may call us before our pod watch has delivered the bound pod: retry
   * `attempt` on every pod change for up to `allocateWaitMs` (inside the change callback,
   * so a claim stays one synchronous turn); null when nothing turns up (a pod Tessera did
   * not place).
   */
  private onPodChange<T>(attempt: () => T | null): Promise<T | null> {
    const waitMs = this.opts.allocateWaitMs ?? 0;
    if (waitMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      let done = false;
      let unsubscribe: () => void = () => undefined;
      const finish = (v: T | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(v);
      };
      const timer = setTimeout(() => finish(null), waitMs);
      unsubscribe = this.opts.pods.subscribe(() => {
        const v = attempt();
        if (v !== null) finish(v);
      });
    });
  }


  /** Oldest unserved decision container whose resource, count and device set equal the request's. */
  private matchDecision(resource: string, ids: readonly string[]): PendingContainer | null {
    const phys = [...new Set(ids.map(physicalIdOf))].sort();
    for (const p of this.ledger.pending(resource)) {
      const want = p.container.devices.map((d) => d.id).sort();
      if (want.length !== ids.length || want.length !== phys.length) continue;
      if (want.every((id, i) => id === phys[i])) return p;
    }
    return null;
  }

  private wholeDevices(ids: readonly string[]): DeviceShare[] {
    const out: DeviceShare[] = [];
    for (const phys of new Set(ids.map(physicalIdOf))) {
      const hit = this.byId.get(phys);
      if (hit === undefined) continue;
      out.push({ id: phys, index: hit.device.index, memoryMiB: hit.device.memoryMiB, computeMilli: 1000, exclusive: true });
    }
    return out.sort((a, b) => a.index - b.index);
  }

  /** Write the pod's `tessera.io/allocated` annotation (best effort, logged on failure). */
  private markPod(uid: string): void {
    const recs = this.ledger.recordsOf(uid);
    const first = recs[0];
    if (first === undefined) return;
    const ref = { uid, namespace: first.namespace, name: first.name };
    this.opts.pods.annotate(ref, POD_ALLOCATED, allocatedAnnotation(recs)).catch((err: unknown) => {
      this.opts.log.warn({ err, pod: `${ref.namespace}/${ref.name}` }, 'could not annotate pod as allocated');
    });
  }

  /** Load checkpoint entries into the ledger (agent restart). */
  restore(entries: readonly ServedRecord[]): void {
    for (const e of entries) this.ledger.record(e);
  }

  /** Persist the ledger now (after reconcile/prune). */
  persist(): Promise<void> {
    return this.opts.checkpoint.save(() => this.ledger.records());
  }
}
