/**
 * An in-memory Kubernetes that implements KubeAccess: tests (and the benchmark) feed
 * nodes, pods and custom resources through it exactly as the informers would.
 *
 * With `retainObjects: false` (the benchmark) it is only a stand-in that emits events and
 * accepts writes: it keeps no copy of what it emits except unbound pods (which bind, patch and
 * evict look up), and records no bindings or patches; its memory is then not mixed into the
 * extender's. Sinks must be started before objects are put (start() replays only what is kept).
 */
import type { CrdKind } from './crd.js';
import { ExtenderError } from './errors.js';
import type {
  AccessAttributes,
  BindingTarget,
  ClusterSink,
  EvictionTarget,
  KubeAccess,
  LeaseRecord,
  UserInfo,
  WatchEvent,
  WatchedKind,
} from './kube.js';

type Obj = Record<string, unknown>;

function nameOf(obj: unknown): string {
  const md = (obj as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const ns = typeof md?.namespace === 'string' ? `${md.namespace}/` : '';
  return `${ns}${String(md?.name)}`;
}

export interface MemoryClusterOptions {
  /** token → user; users in `admins` pass every SubjectAccessReview. */
  readonly tokens?: Readonly<Record<string, UserInfo>>;
  readonly clusterAdmins?: readonly string[];
  /** Default true. False: keep only unbound pods, no copies, no binding/patch records (see above). */
  readonly retainObjects?: boolean;
}

export class MemoryCluster implements KubeAccess {
  readonly objects: Record<WatchedKind, Map<string, Obj>> = {
    nodes: new Map(),
    pods: new Map(),
    pools: new Map(),
    tenants: new Map(),
    queues: new Map(),
  };
  private sinks: ClusterSink[] = [];
  private leases = new Map<string, LeaseRecord>();
  private leaseVersion = 0;
  /** Next bind calls fail with this message (consumed one per call). */
  readonly bindFailures: string[] = [];
  /** Every Binding created, in order. */
  readonly bindings: BindingTarget[] = [];
  /** Every annotation patch, in order. */
  readonly patches: { namespace: string; name: string; annotations: Record<string, string | null> }[] = [];
  /** Every eviction that removed a pod, in order. */
  readonly evictions: EvictionTarget[] = [];
  /** Next evictPod calls fail with this message (consumed one per call), e.g. a PDB's 429. */
  readonly evictionFailures: string[] = [];
  /** When true an evicted pod only gets metadata.deletionTimestamp (a kubelet still stopping it). */
  evictionGraceful = false;
  readonly accessChecks: { user: UserInfo; attrs: AccessAttributes }[] = [];

  private readonly retain: boolean;

  constructor(private readonly opts: MemoryClusterOptions = {}) {
    this.retain = opts.retainObjects ?? true;
  }

  // --- test helpers -------------------------------------------------------
  put(kind: WatchedKind, object: unknown): void {
    if (!this.retain) {
      // The caller's object itself (it must not change it afterwards); only unbound pods are kept.
      const key = nameOf(object);
      const nodeName = ((object as Obj)['spec'] as Obj | undefined)?.['nodeName'];
      if (kind === 'pods' && (typeof nodeName !== 'string' || nodeName === '')) this.objects.pods.set(key, object as Obj);
      else this.objects[kind].delete(key);
      this.emit({ kind, type: 'upsert', object });
      return;
    }
    // One private copy, shared with the watchers (nobody mutates delivered objects).
    const copy = structuredClone(object) as Obj;
    this.objects[kind].set(nameOf(object), copy);
    this.emit({ kind, type: 'upsert', object: copy });
  }

  /**
   * What a relist after 410 Gone delivers: every kept object again, then a delete for each
   * object a sink still knows (`ClusterSink.known`) that is no longer here.
   */
  relist(): void {
    for (const s of this.sinks) {
      for (const kind of Object.keys(this.objects) as WatchedKind[]) {
        const here = this.objects[kind];
        for (const obj of here.values()) s.event({ kind, type: 'upsert', object: obj });
        const gone = [...s.known(kind)].filter((r) => !here.has(r.namespace !== undefined ? `${r.namespace}/${r.name}` : r.name));
        for (const r of gone) s.event({ kind, type: 'delete', object: { metadata: { ...r } } });
      }
    }
  }

  /** Removes an object without telling the watchers (an event lost while a watch was down). */
  dropSilently(kind: WatchedKind, key: string): void {
    this.objects[kind].delete(key);
  }

  remove(kind: WatchedKind, key: string): void {
    const obj = this.objects[kind].get(key);
    if (obj === undefined) return;
    this.objects[kind].delete(key);
    this.emit({ kind, type: 'delete', object: obj });
  }

  pod(namespace: string, name: string): Obj | undefined {
    return this.objects.pods.get(`${namespace}/${name}`);
  }

  /** Simulate a broken watch (sinks report not synced) and its recovery. */
  setSynced(synced: boolean, message?: string): void {
    for (const s of this.sinks) s.status(synced, message);
  }

  private emit(e: WatchEvent): void {
    for (const s of this.sinks) s.event(e);
  }

  // --- ClusterSource -------------------------------------------------------
  async start(sink: ClusterSink): Promise<void> {
    this.sinks.push(sink);
    for (const kind of Object.keys(this.objects) as WatchedKind[]) {
      for (const obj of this.objects[kind].values()) sink.event({ kind, type: 'upsert', object: obj });
    }
    sink.status(true);
  }

  async stop(): Promise<void> {
    this.sinks = [];
  }

  // --- Binder / PodPatcher ---------------------------------------------------
  async bind(t: BindingTarget): Promise<void> {
    const failure = this.bindFailures.shift();
    if (failure !== undefined) throw new ExtenderError('EXT_ERR_KUBE', failure);
    const pod = this.pod(t.namespace, t.name);
    if (pod === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `pods "${t.name}" not found in namespace ${t.namespace}`);
    const md = pod['metadata'] as Obj;
    if (t.uid !== '' && md['uid'] !== t.uid) throw new ExtenderError('EXT_ERR_CONFLICT', `pod ${t.namespace}/${t.name}: UID ${String(md['uid'])} does not match ${t.uid}`);
    const spec = (pod['spec'] ?? {}) as Obj;
    if (typeof spec['nodeName'] === 'string' && spec['nodeName'] !== '') {
      throw new ExtenderError('EXT_ERR_CONFLICT', `pod ${t.namespace}/${t.name} is already assigned to node ${spec['nodeName']}`);
    }
    if (this.retain) this.bindings.push(t);
    this.put('pods', { ...pod, spec: { ...spec, nodeName: t.node } });
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    const pod = this.pod(namespace, name);
    if (pod === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `pods "${name}" not found in namespace ${namespace}`);
    if (this.retain) this.patches.push({ namespace, name, annotations: { ...annotations } });
    const md = { ...(pod['metadata'] as Obj) };
    const ann: Record<string, string> = { ...((md['annotations'] ?? {}) as Record<string, string>) };
    for (const [k, v] of Object.entries(annotations)) {
      if (v === null) delete ann[k];
      else ann[k] = v;
    }
    md['annotations'] = ann;
    this.put('pods', { ...pod, metadata: md });
  }

  // --- Evictor -------------------------------------------------------------------
  async evictPod(t: EvictionTarget): Promise<void> {
    const failure = this.evictionFailures.shift();
    if (failure !== undefined) throw new ExtenderError('EXT_ERR_KUBE', failure);
    const pod = this.pod(t.namespace, t.name);
    if (pod === undefined) return; // already gone, like the real client
    const uid = (pod['metadata'] as Obj)['uid'];
    if (t.uid !== '' && uid !== t.uid) throw new ExtenderError('EXT_ERR_CONFLICT', `pod ${t.namespace}/${t.name}: UID ${String(uid)} does not match ${t.uid}`);
    this.evictions.push(t);
    if (this.evictionGraceful) {
      this.put('pods', { ...pod, metadata: { ...(pod['metadata'] as Obj), deletionTimestamp: '2026-11-22T00:00:00Z' } });
      return;
    }
    // No kubelet here: an evicted pod (grace period 0) is simply deleted.
    this.remove('pods', `${t.namespace}/${t.name}`);
  }

  // --- CustomResources ---------------------------------------------------------
  async listCustom(kind: CrdKind): Promise<unknown[]> {
    return [...this.objects[kind].values()].map((o) => structuredClone(o));
  }
  async getCustom(kind: CrdKind, name: string): Promise<unknown | undefined> {
    const o = this.objects[kind].get(name);
    return o === undefined ? undefined : structuredClone(o);
  }
  async createCustom(kind: CrdKind, object: unknown): Promise<unknown> {
    const key = nameOf(object);
    if (this.objects[kind].has(key)) throw new ExtenderError('EXT_ERR_CONFLICT', `${kind} "${key}" already exists`);
    this.put(kind, object);
    return structuredClone(object);
  }
  async replaceCustom(kind: CrdKind, name: string, object: unknown): Promise<unknown> {
    if (!this.objects[kind].has(name)) throw new ExtenderError('EXT_ERR_NOT_FOUND', `${kind} "${name}" not found`);
    this.put(kind, object);
    return structuredClone(object);
  }
  async deleteCustom(kind: CrdKind, name: string): Promise<boolean> {
    if (!this.objects[kind].has(name)) return false;
    this.remove(kind, name);
    return true;
  }

  // --- AuthReviewer ---------------------------------------------------------------
  async reviewToken(token: string): Promise<UserInfo | null> {
    return this.opts.tokens?.[token] ?? null;
  }
  async canI(user: UserInfo, attrs: AccessAttributes): Promise<boolean> {
    this.accessChecks.push({ user, attrs });
    return (this.opts.clusterAdmins ?? []).includes(user.username);
  }

  // --- LeaseStore ---------------------------------------------------------------------
  async getLease(namespace: string, name: string): Promise<LeaseRecord | null> {
    return this.leases.get(`${namespace}/${name}`) ?? null;
  }
  async createLease(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    const key = `${namespace}/${name}`;
    if (this.leases.has(key)) return false;
    this.leases.set(key, { ...rec, version: String(++this.leaseVersion) });
    return true;
  }
  async updateLease(namespace: string, name: string, expectedVersion: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    const key = `${namespace}/${name}`;
    const cur = this.leases.get(key);
    if (cur === undefined || cur.version !== expectedVersion) return false;
    this.leases.set(key, { ...rec, version: String(++this.leaseVersion) });
    return true;
  }
}
