/**
 * The extender's cache of the cluster, fed by list-watch events: nodes (with their
 * inventory), pods (with their decisions), pools, tenants, queues; and the core Ledger
 * holding every device grant. Grants come from three places:
 * - `bound`: a pod on a node with a decision annotation;
 * - `decided`: a pod with a decision annotation, not yet bound (bind in flight, or the
 *   extender restarted between the patch and the Binding);
 * - `reserved`: a pod that passed filter; held until `expiresAtMs` (TTL) unless bound.
 * All three are rebuilt from the API server alone, so a restart loses and double-books nothing.
 */
import { POD_DECISION, type Decision, type Node, type PodRequest } from '../../core/index.js';
import { Ledger } from '../../core/index.js';
import { CRD_KINDS, crdProblem, selectorMatches, type CrdKind, type Pool, type Queue, type Tenant } from './crd.js';
import { decodeDecision } from './decision-codec.js';
import { nodeEntryFrom, nodeKeyOf, type NodeEntry } from './inventory.js';
import type { ClusterSink, ObjectRef, WatchEvent, WatchedKind } from './kube.js';
import { podMeta, translatePod, type PodMeta, type TranslateContext } from './translate.js';
import { messageOf } from './errors.js';
import { isAcceleratorResource } from './resources.js';

/**
 * What the cache keeps per pod. At 100k pods this is most of the extender's memory, so a
 * bound pod keeps no pod object:
 * - unbound pods keep `raw`, the slim pod object (bind and the why view translate it);
 * - bound pods keep `request`, translated once (the same object as their grant's);
 * - bound pods without accelerator resources and without a decision keep neither (the
 *   extender neither places nor counts them; the why view calls them not Tessera's);
 * - a bound pod whose spec cannot be translated keeps `raw`, so the why view can say why.
 * The record is its own `meta` (one object per pod, not two); `meta.annotations` is always
 * empty: the only annotation used, the decision, is parsed into `decision`. Node names, the
 * namespace and the decision's strings are shared with the cache's own copies, not one per pod.
 */
export class PodRecord implements PodMeta {
  constructor(
    readonly uid: string,
    readonly namespace: string,
    readonly name: string,
    readonly labels: Record<string, string>,
    readonly nodeName: string | undefined,
    readonly schedulerName: string | undefined,
    readonly phase: string | undefined,
    /** The slim pod object, or null (see above). */
    readonly raw: unknown,
    /** A bound pod's translated request, or null. */
    readonly request: PodRequest | null,
    readonly decision: Decision | null,
    /** Why a decision annotation present on the pod was ignored. */
    readonly decisionProblem: string | null,
  ) {}

  get meta(): PodMeta {
    return this;
  }

  get annotations(): Record<string, string> {
    return NO_STRINGS;
  }
}

export type HoldingKind = 'bound' | 'decided' | 'reserved';

export interface Holding {
  readonly kind: HoldingKind;
  readonly decision: Decision;
  readonly request: PodRequest;
  /** For `reserved` only. */
  readonly expiresAtMs?: number;
}

export interface StateListener {
  (
    e:
      | { type: 'grant-released'; podUid: string; reason: string }
      | { type: 'grant-added'; podUid: string }
      | { type: 'synced'; synced: boolean; message?: string },
  ): void;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

export class ClusterState implements ClusterSink, TranslateContext {
  readonly nodes = new Map<string, NodeEntry>();
  readonly pods = new Map<string, PodRecord>();
  /** namespace → name → uid (no `ns/name` key string per pod). */
  private readonly podsByName = new Map<string, Map<string, string>>();
  /** One copy of each namespace, scheduler name and phase, shared by the pod records. */
  private readonly common = new Map<string, string>();
  readonly pools = new Map<string, Pool>();
  readonly tenants = new Map<string, Tenant>();
  readonly queues = new Map<string, Queue>();
  /** Custom objects the cache refused, by `kind/name`, with the reason. */
  readonly rejected = new Map<string, string>();
  readonly holdings = new Map<string, Holding>();
  /** UIDs of `reserved` holdings (TTL), so the sweep does not walk every grant. */
  private readonly expiring = new Set<string>();
  /** Problems met while recording grants from annotations (pod uid → text). */
  readonly grantProblems = new Map<string, string>();
  ledger: Ledger = Ledger.fromNodes([]);
  synced = false;
  syncMessage = 'not started';
  private readonly nsTenant = new Map<string, string>();
  /** What of each Node the cache uses, to skip heartbeats that change none of it. */
  private readonly nodeKeys = new Map<string, string>();
  private listeners: StateListener[] = [];
  /** Bumped on every change; caches key on it. */
  version = 0;
  /** Bumped when nodes or custom resources change (quota book structure). */
  structureVersion = 0;

  onChange(l: StateListener): void {
    this.listeners.push(l);
  }

  // ---- ClusterSink --------------------------------------------------------------
  status(synced: boolean, message?: string): void {
    this.synced = synced;
    this.syncMessage = message ?? (synced ? 'synced' : 'watch restarting');
    for (const l of this.listeners) l({ type: 'synced', synced, ...(message !== undefined ? { message } : {}) });
  }

  event(e: WatchEvent): void {
    switch (e.kind) {
      case 'nodes':
        this.nodeEvent(e);
        return;
      case 'pods':
        this.version++;
        this.podEvent(e);
        return;
      case 'pools':
      case 'tenants':
      case 'queues':
        this.version++;
        this.structureVersion++;
        this.crdEvent(e.kind, e);
        return;
    }
  }

  known(kind: WatchedKind): ObjectRef[] {
    switch (kind) {
      case 'nodes':
        return [...this.nodes.keys()].map((name) => ({ name }));
      case 'pods':
        return [...this.pods.values()].map((r) => ({ namespace: r.meta.namespace, name: r.meta.name, uid: r.meta.uid }));
      default: {
        const map: Map<string, unknown> = kind === 'pools' ? this.pools : kind === 'tenants' ? this.tenants : this.queues;
        const names = new Set(map.keys());
        for (const key of this.rejected.keys()) if (key.startsWith(`${kind}/`)) names.add(key.slice(kind.length + 1));
        return [...names].map((name) => ({ name }));
      }
    }
  }

  // ---- TranslateContext ------------------------------------------------------------
  tenantForNamespace(namespace: string): Tenant | undefined {
    const t = this.nsTenant.get(namespace);
    return t === undefined ? undefined : this.tenants.get(t);
  }

  pool(name: string): Pool | undefined {
    return this.pools.get(name);
  }

  /**
   * The pod's request for explanations: translated from the kept pod object, the bound pod's
   * recorded request, or null for a bound pod without accelerators (not Tessera's).
   * Throws PodRequestError when the kept spec is invalid.
   */
  requestOf(rec: PodRecord): PodRequest | null {
    if (rec.raw !== null) return translatePod(rec.raw, this);
    return rec.request;
  }

  podByName(namespace: string, name: string): PodRecord | undefined {
    const uid = this.podsByName.get(namespace)?.get(name);
    return uid === undefined ? undefined : this.pods.get(uid);
  }

  /** Pool whose selector matches these node labels (first by name), if any. */
  poolForLabels(labels: Readonly<Record<string, string>>): string | undefined {
    for (const [name, p] of [...this.pools].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (p.spec.nodeSelector !== undefined && selectorMatches(p.spec.nodeSelector, labels)) return name;
    }
    return undefined;
  }

  // ---- nodes ---------------------------------------------------------------------------
  private nodeEvent(e: WatchEvent): void {
    // Kubelet heartbeats update Node objects every few seconds: skip what changes nothing we
    // use, before parsing the inventory.
    const id = nodeKeyOf(e.object);
    if (id === null) return;
    if (e.type !== 'delete' && this.nodeKeys.get(id.name) === id.key) return;
    const key = id.key;
    const entry = nodeEntryFrom(e.object);
    if (entry === null) return;
    this.version++;
    this.structureVersion++;
    if (e.type === 'delete') this.nodeKeys.delete(entry.node.name);
    else this.nodeKeys.set(entry.node.name, key);
    if (e.type === 'delete') {
      this.nodes.delete(entry.node.name);
      // Keep the ledger position (grants on it are released when their pods go).
      if (this.ledger.indexOf(entry.node.name) >= 0) this.ledger.upsertNode({ ...entry.node, devices: [] });
      return;
    }
    const pool = this.poolForLabels(entry.node.labels);
    const node: Node = pool === undefined ? entry.node : { ...entry.node, pool };
    const withPool: NodeEntry = { ...entry, node };
    this.nodes.set(node.name, withPool);
    try {
      this.ledger.upsertNode(node);
    } catch (err) {
      this.nodes.set(node.name, { ...withPool, problem: messageOf(err), node: { ...node, devices: [] } });
      this.ledger.upsertNode({ ...node, devices: [] });
    }
    // Grants that were refused because the node was unknown can be recorded now.
    for (const [uid] of this.grantProblems) this.recordFromPod(uid);
  }

  private refreshNodePools(): void {
    this.nodeKeys.clear(); // pool membership may change what the next event of each node means
    for (const entry of [...this.nodes.values()]) {
      const pool = this.poolForLabels(entry.node.labels);
      if (pool === entry.node.pool) continue;
      const { pool: _old, ...rest } = entry.node;
      void _old;
      const node: Node = pool === undefined ? rest : { ...rest, pool };
      this.nodes.set(node.name, { ...entry, node });
      this.ledger.upsertNode(node);
    }
  }

  // ---- custom resources ------------------------------------------------------------------
  private crdEvent(kind: CrdKind, e: WatchEvent): void {
    const name = (e.object as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    if (typeof name !== 'string') return;
    const map = (kind === 'pools' ? this.pools : kind === 'tenants' ? this.tenants : this.queues) as Map<string, unknown>;
    const key = `${kind}/${name}`;
    if (e.type === 'delete') {
      map.delete(name);
      this.rejected.delete(key);
    } else {
      const problem = crdProblem(kind, e.object);
      if (problem !== null) {
        map.delete(name);
        this.rejected.set(key, problem);
      } else {
        map.set(name, e.object);
        this.rejected.delete(key);
      }
    }
    if (kind === 'tenants') {
      this.nsTenant.clear();
      for (const [tn, t] of [...this.tenants].sort((a, b) => a[0].localeCompare(b[0]))) {
        for (const ns of t.spec.namespaces) if (!this.nsTenant.has(ns)) this.nsTenant.set(ns, tn);
      }
    }
    if (kind === 'pools') this.refreshNodePools();
  }

  /** Names of custom kinds, for iteration. */
  static readonly crdKinds = CRD_KINDS;

  // ---- pods -----------------------------------------------------------------------------------
  private podEvent(e: WatchEvent): void {
    let meta: PodMeta;
    try {
      meta = podMeta(e.object);
    } catch {
      return;
    }
    if (e.type === 'delete') {
      this.forgetPod(meta.uid, meta.namespace, meta.name, 'pod deleted');
      return;
    }
    const prevUid = this.podsByName.get(meta.namespace)?.get(meta.name);
    if (prevUid !== undefined && prevUid !== meta.uid) this.forgetPod(prevUid, meta.namespace, meta.name, 'pod replaced');
    const namespace = this.shared(meta.namespace);
    const nodeName = meta.nodeName === undefined ? undefined : (this.nodes.get(meta.nodeName)?.node.name ?? meta.nodeName);
    let decision: Decision | null = null;
    let decisionProblem: string | null = null;
    const text = meta.annotations[POD_DECISION];
    if (text !== undefined) {
      const r = decodeDecision(text, meta.uid);
      if ('decision' in r) decision = this.shareStrings(r.decision, meta, namespace);
      else decisionProblem = r.problem;
    }
    let raw: unknown = null;
    let request: PodRequest | null = null;
    if (meta.nodeName === undefined) raw = slimPod(e.object);
    else if (decision !== null || hasAcceleratorResources(e.object)) {
      const held = this.holdings.get(meta.uid);
      if (held !== undefined && decision !== null && sameDevices(held.decision, decision)) request = held.request;
      else {
        try {
          request = translatePod(e.object, this);
          // Its own empty labels object: share the record's instead (one per grant otherwise).
          if (Object.keys(request.labels ?? NO_STRINGS).length === 0 && request.labels !== undefined) request = { ...request, labels: NO_STRINGS };
        } catch {
          raw = slimPod(e.object); // recordFromPod and the why view report the problem
        }
      }
    }
    const labels = Object.keys(meta.labels).length === 0 ? NO_STRINGS : meta.labels;
    this.pods.set(meta.uid, new PodRecord(meta.uid, namespace, meta.name, labels, nodeName, this.sharedOpt(meta.schedulerName), this.sharedOpt(meta.phase), raw, request, decision, decisionProblem));
    let names = this.podsByName.get(namespace);
    if (names === undefined) this.podsByName.set(namespace, (names = new Map()));
    names.set(meta.name, meta.uid);
    if (meta.phase !== undefined && TERMINAL.has(meta.phase)) {
      this.releaseGrant(meta.uid, `pod ${meta.phase}`);
      return;
    }
    this.recordFromPod(meta.uid);
  }

  /** The cache's copy of a low-cardinality string (JSON.parse gives each pod its own). */
  private shared(s: string): string {
    const known = this.common.get(s);
    if (known !== undefined) return known;
    if (this.common.size < 10_000) this.common.set(s, s);
    return s;
  }

  private sharedOpt(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.shared(s);
  }

  /**
   * The decision with the strings the cache already holds (pod identity, node name, device
   * ids, resource name) instead of the copies JSON.parse made: ~200 bytes per grant.
   */
  private shareStrings(d: Decision, meta: PodMeta, namespace: string): Decision {
    const entry = this.nodes.get(d.node);
    const devices = entry?.node.devices;
    return {
      ...d,
      podUid: d.podUid === meta.uid ? meta.uid : d.podUid,
      namespace: d.namespace === namespace ? namespace : d.namespace,
      name: d.name === meta.name ? meta.name : d.name,
      node: entry?.node.name ?? d.node,
      containers: d.containers.map((c) => ({
        ...c,
        resource: internResource(c.resource),
        devices: c.devices.map((x) => {
          const same = devices?.[x.index];
          return same !== undefined && same.id === x.id ? { ...x, id: same.id } : x;
        }),
      })),
    };
  }

  private forgetPod(uid: string, namespace: string, name: string, reason: string): void {
    this.pods.delete(uid);
    const names = this.podsByName.get(namespace);
    if (names?.get(name) === uid) {
      names.delete(name);
      if (names.size === 0) this.podsByName.delete(namespace);
    }
    this.grantProblems.delete(uid);
    this.releaseGrant(uid, reason);
  }

  /** Make the ledger agree with what the pod object says about its grant. */
  private recordFromPod(uid: string): void {
    const rec = this.pods.get(uid);
    if (rec === undefined) return;
    const held = this.holdings.get(uid);
    const d = rec.decision;
    if (d === null) {
      // A pod bound without a decision was not placed by Tessera: release. An unbound pod
      // without one keeps what is held: a TTL reservation, or a grant whose bind is in flight
      // — the event may predate our own decision patch (e.g. the reclaim's annotation patch
      // seen after bind began); releasing then let another pod take the same devices (seen
      // in e2e quotas). bind() itself releases when its patch or Binding fails.
      if (held !== undefined && held.kind !== 'reserved' && rec.meta.nodeName !== undefined) this.releaseGrant(uid, 'decision annotation removed');
      return;
    }
    if (rec.meta.nodeName !== undefined && rec.meta.nodeName !== d.node) {
      this.grantProblems.set(uid, `pod is bound to ${rec.meta.nodeName} but its decision names ${d.node}; no devices counted`);
      this.releaseGrant(uid, 'bound elsewhere');
      return;
    }
    const kind: HoldingKind = rec.meta.nodeName === undefined ? 'decided' : 'bound';
    if (held !== undefined && sameDevices(held.decision, d)) {
      if (held.kind !== kind) this.holdings.set(uid, { kind, decision: d, request: held.request });
      this.grantProblems.delete(uid);
      return;
    }
    let request: PodRequest;
    try {
      request = rec.raw !== null || rec.request === null ? translatePod(rec.raw, this) : rec.request;
    } catch (err) {
      request = { uid, namespace: rec.meta.namespace, name: rec.meta.name, cpuMilli: 0, memoryMiB: 0, priority: 0, containers: [] };
      this.grantProblems.set(uid, `pod spec: ${messageOf(err)}; counted devices only`);
    }
    if (held !== undefined) this.releaseGrant(uid, 'decision changed');
    const r = this.ledger.reserve(uid, {
      node: d.node,
      cpuMilli: request.cpuMilli,
      memoryMiB: request.memoryMiB,
      priority: request.priority,
      containers: d.containers,
    }, { computeOvercommit: Number.POSITIVE_INFINITY });
    if (!r.ok) {
      this.grantProblems.set(uid, `decision could not be recorded: ${r.reason}`);
      return;
    }
    this.grantProblems.delete(uid);
    this.holdings.set(uid, { kind, decision: d, request });
    this.added(uid);
  }

  /** Hold devices for a pod that passed filter (TTL). Fails if they are no longer free. */
  reserve(decision: Decision, request: PodRequest, expiresAtMs: number, computeOvercommit = 1): { ok: true } | { ok: false; reason: string } {
    this.releaseGrant(decision.podUid, 're-reserved');
    const r = this.ledger.reserve(decision.podUid, {
      node: decision.node,
      cpuMilli: request.cpuMilli,
      memoryMiB: request.memoryMiB,
      priority: request.priority,
      containers: decision.containers,
    }, { computeOvercommit });
    if (!r.ok) return r;
    this.holdings.set(decision.podUid, { kind: 'reserved', decision, request, expiresAtMs });
    this.expiring.add(decision.podUid);
    this.version++;
    this.added(decision.podUid);
    return { ok: true };
  }

  private added(uid: string): void {
    for (const l of this.listeners) l({ type: 'grant-added', podUid: uid });
  }

  /** Bind wrote the decision: the grant no longer expires. */
  markDecided(uid: string, decision: Decision): void {
    const h = this.holdings.get(uid);
    if (h !== undefined && h.kind === 'reserved') this.holdings.set(uid, { kind: 'decided', decision, request: h.request });
  }

  /** The Binding was created. */
  markBound(uid: string): void {
    const h = this.holdings.get(uid);
    if (h !== undefined) this.holdings.set(uid, { kind: 'bound', decision: h.decision, request: h.request });
  }

  releaseGrant(uid: string, reason: string): boolean {
    this.expiring.delete(uid);
    const had = this.holdings.delete(uid);
    const released = this.ledger.release(uid) !== undefined;
    if (had || released) {
      this.version++;
      for (const l of this.listeners) l({ type: 'grant-released', podUid: uid, reason });
    }
    return had || released;
  }

  /** Release TTL reservations that expired; returns their pod UIDs. */
  sweep(nowMs: number): string[] {
    const out: string[] = [];
    for (const uid of this.expiring) {
      const h = this.holdings.get(uid);
      if (h === undefined || h.kind !== 'reserved') this.expiring.delete(uid);
      else if (h.expiresAtMs !== undefined && h.expiresAtMs <= nowMs) out.push(uid);
    }
    for (const uid of out) this.releaseGrant(uid, 'reservation expired');
    return out;
  }

  countHoldings(): Record<HoldingKind, number> {
    const c: Record<HoldingKind, number> = { bound: 0, decided: 0, reserved: 0 };
    for (const h of this.holdings.values()) c[h.kind]++;
    return c;
  }
}

function sameDevices(a: Decision, b: Decision): boolean {
  if (a.node !== b.node || a.containers.length !== b.containers.length) return false;
  return a.containers.every((c, i) => {
    const o = b.containers[i];
    return (
      o !== undefined &&
      o.devices.length === c.devices.length &&
      c.devices.every((d, j) => {
        const e = o.devices[j];
        return e !== undefined && e.id === d.id && e.memoryMiB === d.memoryMiB && e.computeMilli === d.computeMilli && e.exclusive === d.exclusive;
      })
    );
  });
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shared by every pod without labels (and as the emptied annotations); frozen so nobody writes to it. */
const NO_STRINGS: Record<string, string> = Object.freeze({}) as Record<string, string>;

const RESOURCE_NAMES = new Map<string, string>();
/** One copy of each resource name (a handful exist). */
function internResource(name: string): string {
  const known = RESOURCE_NAMES.get(name);
  if (known !== undefined) return known;
  if (RESOURCE_NAMES.size < 256) RESOURCE_NAMES.set(name, name);
  return name;
}

/** Whether any (init) container names a Tessera accelerator resource in its limits or requests. */
function hasAcceleratorResources(pod: unknown): boolean {
  const spec = isObj(pod) && isObj(pod['spec']) ? pod['spec'] : {};
  for (const key of ['containers', 'initContainers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      const res = isObj(c) && isObj(c['resources']) ? c['resources'] : {};
      for (const part of [res['limits'], res['requests']]) {
        if (isObj(part)) for (const name of Object.keys(part)) if (isAcceleratorResource(name)) return true;
      }
    }
  }
  return false;
}

function slimContainers(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((c: unknown) => (isObj(c) ? { name: c['name'], resources: c['resources'], ...(c['env'] !== undefined ? { env: c['env'] } : {}) } : c));
}

/**
 * The parts of a Pod the extender reads (translation, explanations): informer objects carry
 * managedFields, status conditions, volumes and more, which a 100k-pod cache need not keep.
 */
export function slimPod(pod: unknown): unknown {
  if (!isObj(pod)) return pod;
  const md = isObj(pod['metadata']) ? pod['metadata'] : {};
  const spec = isObj(pod['spec']) ? pod['spec'] : {};
  const status = isObj(pod['status']) ? pod['status'] : {};
  return {
    metadata: { name: md['name'], namespace: md['namespace'], uid: md['uid'], labels: md['labels'], annotations: md['annotations'] },
    spec: {
      containers: slimContainers(spec['containers']),
      ...(spec['initContainers'] !== undefined ? { initContainers: slimContainers(spec['initContainers']) } : {}),
      ...(spec['priority'] !== undefined ? { priority: spec['priority'] } : {}),
      ...(spec['nodeSelector'] !== undefined ? { nodeSelector: spec['nodeSelector'] } : {}),
      ...(spec['nodeName'] !== undefined ? { nodeName: spec['nodeName'] } : {}),
      ...(spec['schedulerName'] !== undefined ? { schedulerName: spec['schedulerName'] } : {}),
    },
    status: { phase: status['phase'] },
  };
}


