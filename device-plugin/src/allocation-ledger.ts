/**
 * Which decision containers on this node are still waiting for `Allocate`, and which
 * have been served. Lookups and the "mark served" step run in one synchronous turn of
 * the event loop, so concurrent Allocate calls can never both take the same container:
 * no lock, no serialisation per node (docs/handoff.md §3).
 */
import { POD_ALLOCATED, POD_DECISION, type ContainerAssignment, type Decision } from '../../core/index.js';
import { decodeDecision } from './decision-codec.js';
import type { PodInfo, PodSource } from './pod-source.js';

export interface ServedRecord {
  readonly podUid: string;
  readonly namespace: string;
  readonly name: string;
  readonly container: string;
  readonly containerIndex: number;
  readonly resource: string;
  /** IDs the kubelet passed to Allocate. */
  readonly kubeletIds: readonly string[];
  /** Physical devices handed to the container. */
  readonly devices: readonly string[];
  readonly atMs: number;
}

export interface PendingContainer {
  readonly pod: PodInfo;
  readonly decision: Decision;
  readonly container: ContainerAssignment;
}

export interface LedgerOptions {
  readonly nodeName: string;
  readonly pods: PodSource;
  /** Called once per pod whose decision annotation is rejected (for logging). */
  readonly onBadDecision?: (pod: PodInfo, error: string) => void;
}

const DONE_PHASES = new Set(['Succeeded', 'Failed']);

export function servedKey(podUid: string, containerIndex: number): string {
  return `${podUid}#${containerIndex}`;
}

interface CacheEntry {
  readonly raw: string;
  readonly decision: Decision | null;
}

export class AllocationLedger {
  private readonly served = new Map<string, ServedRecord>();
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly opts: LedgerOptions) {}

  /** The pod's decision for this node, or null (absent, malformed, or for another pod/node). */
  decisionOf(pod: PodInfo): Decision | null {
    const raw = pod.annotations[POD_DECISION];
    if (raw === undefined) return null;
    const hit = this.cache.get(pod.uid);
    if (hit !== undefined && hit.raw === raw) return hit.decision;
    const res = decodeDecision(raw, { uid: pod.uid, node: this.opts.nodeName });
    if (!res.ok) this.opts.onBadDecision?.(pod, res.error);
    const decision = res.ok ? res.decision : null;
    this.cache.set(pod.uid, { raw, decision });
    return decision;
  }

  isServed(podUid: string, containerIndex: number): boolean {
    return this.served.has(servedKey(podUid, containerIndex));
  }

  /** Decision containers for `resource` not yet served, oldest decision first. */
  pending(resource: string): PendingContainer[] {
    const out: PendingContainer[] = [];
    for (const pod of this.opts.pods.list()) {
      if (pod.phase !== undefined && DONE_PHASES.has(pod.phase)) continue;
      const decision = this.decisionOf(pod);
      if (decision === null) continue;
      const allocated = allocatedIndexes(pod);
      for (const container of decision.containers) {
        if (container.resource !== resource || container.devices.length === 0) continue;
        if (this.isServed(pod.uid, container.index) || allocated.has(container.index)) continue;
        out.push({ pod, decision, container });
      }
    }
    out.sort((a, b) => a.decision.decidedAtMs - b.decision.decidedAtMs || a.pod.uid.localeCompare(b.pod.uid) || a.container.index - b.container.index);
    return out;
  }

  record(rec: ServedRecord): void {
    this.served.set(servedKey(rec.podUid, rec.containerIndex), rec);
  }

  records(): ServedRecord[] {
    return [...this.served.values()];
  }

  recordsOf(podUid: string): ServedRecord[] {
    return this.records().filter((r) => r.podUid === podUid);
  }

  /** Drop records of pods that no longer exist (by uid). Returns how many were dropped. */
  prune(livePodUids: ReadonlySet<string>): number {
    let dropped = 0;
    for (const [key, rec] of this.served) {
      if (!livePodUids.has(rec.podUid)) {
        this.served.delete(key);
        dropped++;
      }
    }
    for (const uid of this.cache.keys()) if (!livePodUids.has(uid)) this.cache.delete(uid);
    return dropped;
  }
}

/** Container indexes already recorded as served in the pod's `tessera.io/allocated` annotation. */
export function allocatedIndexes(pod: PodInfo): Set<number> {
  const raw = pod.annotations[POD_ALLOCATED];
  const out = new Set<number>();
  if (raw === undefined) return out;
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) return out;
    const containers = (v as { containers?: unknown }).containers;
    if (!Array.isArray(containers)) return out;
    for (const c of containers) {
      const idx = (c as { index?: unknown } | null)?.index;
      if (typeof idx === 'number') out.add(idx);
    }
  } catch {
    // A malformed annotation only means "nothing recorded yet".
  }
  return out;
}

/** JSON value of the `tessera.io/allocated` annotation from the served records of one pod. */
export function allocatedAnnotation(records: readonly ServedRecord[]): string {
  const containers = [...records]
    .sort((a, b) => a.containerIndex - b.containerIndex)
    .map((r) => ({ name: r.container, index: r.containerIndex, resource: r.resource, devices: r.devices, kubeletIds: r.kubeletIds }));
  return JSON.stringify({ version: 1, containers });
}
