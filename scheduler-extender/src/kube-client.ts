/**
 * KubeAccess over plain HTTP (kube-http.ts; no @kubernetes/client-node, whose import alone
 * costs ~78 MB of RSS): list-watch of nodes, pods (non-terminal) and the Tessera CRDs through
 * list-watch.ts (paginated LIST + WATCH with bookmarks, no object cache: the sink, i.e.
 * ClusterState, keeps only what it uses); Binding, merge-patch of pod annotations,
 * Eviction, custom-object CRUD, TokenReview / SubjectAccessReview, and Lease access for
 * leader election. A watch that fails is restarted with exponential backoff; meanwhile the
 * sink is told "not synced"; a 410 Gone relists and deletes what the new list lacks.
 */
import type { Logger } from 'pino';
import { CRD_GROUP, CRD_KINDS, CRD_VERSION, type CrdKind } from './crd.js';
import { ExtenderError, messageOf } from './errors.js';
import type { AccessAttributes, BindingTarget, ClusterSink, EvictionTarget, KubeAccess, LeaseRecord, UserInfo, WatchedKind } from './kube.js';
import { KubeHttp, loadKubeConnection, type ApiAnswer, type KubeConnection } from './kube-http.js';
import { ListWatcher, type ListWatchSpec } from './list-watch.js';

export { loadKubeConnection, connectionFrom, type KubeConnection } from './kube-http.js';

export interface KubeClientOptions {
  readonly log: Logger;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Items per LIST page (default 500). */
  readonly pageSize?: number;
  /** Server-side timeout of each watch (default 300–600 s). */
  readonly watchTimeoutSeconds?: number;
}

/** The API server's message from a Status body, else the body text. */
function detailOf(text: string): string {
  try {
    const s = JSON.parse(text) as { message?: unknown };
    if (typeof s.message === 'string') return s.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 500);
}

function kubeError(what: string, a: ApiAnswer | { status: 0; error: unknown }): ExtenderError {
  const detail = 'error' in a ? messageOf(a.error) : detailOf(a.text);
  const msg = `${what}: ${a.status === 0 ? '' : `${a.status} `}${detail}`;
  if (a.status === 404) return new ExtenderError('EXT_ERR_NOT_FOUND', msg);
  if (a.status === 409) return new ExtenderError('EXT_ERR_CONFLICT', msg);
  return new ExtenderError('EXT_ERR_KUBE', msg);
}

const seg = encodeURIComponent;
const ok = (status: number): boolean => status >= 200 && status < 300;

/** RFC 3339 with microseconds (metav1.MicroTime). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class KubeClient implements KubeAccess {
  private readonly http: KubeHttp;
  private readonly watchers: ListWatcher[] = [];

  constructor(
    conn: KubeConnection,
    private readonly opts: KubeClientOptions,
  ) {
    this.http = new KubeHttp(conn);
  }

  /** One call; throws ExtenderError (status and the API server's message) unless 2xx. */
  private async call(what: string, method: string, path: string, body?: unknown, contentType?: string): Promise<ApiAnswer> {
    let a: ApiAnswer;
    try {
      a = await this.http.request(method, path, body, contentType);
    } catch (err) {
      throw kubeError(what, { status: 0, error: err });
    }
    return a;
  }

  private async json(what: string, method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const a = await this.call(what, method, path, body, contentType);
    if (!ok(a.status)) throw kubeError(what, a);
    try {
      return a.text === '' ? {} : (JSON.parse(a.text) as unknown);
    } catch {
      throw new ExtenderError('EXT_ERR_KUBE', `${what}: answer is not JSON: ${a.text.slice(0, 200)}`);
    }
  }

  // ---- ClusterSource ----------------------------------------------------------------
  async start(sink: ClusterSink): Promise<void> {
    const synced = new Map<WatchedKind, boolean>();
    const report = (): void => {
      const bad = [...synced].filter(([, ok]) => !ok).map(([k]) => k);
      sink.status(bad.length === 0, bad.length === 0 ? 'synced' : `watch not synced: ${bad.join(', ')}`);
    };
    let started = false;
    const onSynced = (kind: WatchedKind, ok: boolean): void => {
      synced.set(kind, ok);
      if (started) report();
    };
    const specs: ListWatchSpec[] = [
      { kind: 'nodes', path: '/api/v1/nodes' },
      { kind: 'pods', path: '/api/v1/pods', fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' },
      ...CRD_KINDS.map((kind: CrdKind) => ({ kind, path: `/apis/${CRD_GROUP}/${CRD_VERSION}/${kind}` })),
    ];
    const getter = this.http;
    const opts = {
      log: this.opts.log,
      ...(this.opts.pageSize !== undefined ? { pageSize: this.opts.pageSize } : {}),
      ...(this.opts.backoffInitialMs !== undefined ? { backoffInitialMs: this.opts.backoffInitialMs } : {}),
      ...(this.opts.backoffMaxMs !== undefined ? { backoffMaxMs: this.opts.backoffMaxMs } : {}),
      ...(this.opts.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: this.opts.watchTimeoutSeconds } : {}),
    };
    for (const s of specs) synced.set(s.kind, false);
    const watchers = specs.map((s) => new ListWatcher(s, getter, sink, opts, onSynced));
    this.watchers.push(...watchers);
    // Nodes first, then pods, then the custom resources: one list at a time keeps one page in memory.
    for (const w of watchers) await w.start();
    started = true;
    report();
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.stop();
    this.watchers.length = 0;
  }

  // ---- Binder / PodPatcher --------------------------------------------------------------
  async bind(t: BindingTarget): Promise<void> {
    // The pods/binding subresource (what kube-scheduler uses; RBAC: create pods/binding).
    await this.json(`create binding ${t.namespace}/${t.name} → ${t.node}`, 'POST', `/api/v1/namespaces/${seg(t.namespace)}/pods/${seg(t.name)}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: t.name, namespace: t.namespace, ...(t.uid !== '' ? { uid: t.uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: t.node },
    });
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    await this.json(`patch annotations of pod ${namespace}/${name}`, 'PATCH', `/api/v1/namespaces/${seg(namespace)}/pods/${seg(name)}`, { metadata: { annotations } }, 'application/merge-patch+json');
  }

  async evictPod(t: EvictionTarget): Promise<void> {
    // The pods/eviction subresource (RBAC: create pods/eviction); the API server honours PDBs.
    const what = `evict pod ${t.namespace}/${t.name}`;
    const a = await this.call(what, 'POST', `/api/v1/namespaces/${seg(t.namespace)}/pods/${seg(t.name)}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: t.name, namespace: t.namespace },
      ...(t.uid !== '' ? { deleteOptions: { preconditions: { uid: t.uid } } } : {}),
    });
    if (a.status === 404) return; // already gone: nothing left to evict
    if (!ok(a.status)) throw kubeError(what, a);
  }

  // ---- CustomResources --------------------------------------------------------------------
  private crdPath(kind: CrdKind, name?: string): string {
    return `/apis/${CRD_GROUP}/${CRD_VERSION}/${kind}${name !== undefined ? `/${seg(name)}` : ''}`;
  }

  async listCustom(kind: CrdKind): Promise<unknown[]> {
    const list = (await this.json(`list ${kind}`, 'GET', this.crdPath(kind))) as { items?: unknown };
    return Array.isArray(list.items) ? list.items : [];
  }

  async getCustom(kind: CrdKind, name: string): Promise<unknown | undefined> {
    const what = `get ${kind}/${name}`;
    const a = await this.call(what, 'GET', this.crdPath(kind, name));
    if (a.status === 404) return undefined;
    if (!ok(a.status)) throw kubeError(what, a);
    return JSON.parse(a.text) as unknown;
  }

  async createCustom(kind: CrdKind, object: unknown): Promise<unknown> {
    return await this.json(`create ${kind}`, 'POST', this.crdPath(kind), object);
  }

  async replaceCustom(kind: CrdKind, name: string, object: unknown): Promise<unknown> {
    const current = (await this.getCustom(kind, name)) as { metadata?: { resourceVersion?: string } } | undefined;
    if (current === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `${kind} "${name}" not found`);
    const body = object as { metadata: Record<string, unknown> };
    return await this.json(`replace ${kind}/${name}`, 'PUT', this.crdPath(kind, name), { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } });
  }

  async deleteCustom(kind: CrdKind, name: string): Promise<boolean> {
    const what = `delete ${kind}/${name}`;
    const a = await this.call(what, 'DELETE', this.crdPath(kind, name));
    if (a.status === 404) return false;
    if (!ok(a.status)) throw kubeError(what, a);
    return true;
  }

  // ---- AuthReviewer -------------------------------------------------------------------------
  async reviewToken(token: string): Promise<UserInfo | null> {
    const r = (await this.json('TokenReview', 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token },
    })) as { status?: { authenticated?: unknown; user?: { username?: unknown; groups?: unknown } } };
    const user = r.status?.user;
    if (r.status?.authenticated !== true || typeof user?.username !== 'string') return null;
    return { username: user.username, groups: Array.isArray(user.groups) ? user.groups.filter((g): g is string => typeof g === 'string') : [] };
  }

  async canI(user: UserInfo, attrs: AccessAttributes): Promise<boolean> {
    const r = (await this.json('SubjectAccessReview', 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: user.username, groups: [...user.groups], resourceAttributes: { verb: attrs.verb, group: attrs.group, resource: attrs.resource, ...(attrs.name !== undefined ? { name: attrs.name } : {}) } },
    })) as { status?: { allowed?: unknown } };
    return r.status?.allowed === true;
  }

  // ---- LeaseStore ------------------------------------------------------------------------------
  private leasePath(namespace: string, name?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${seg(namespace)}/leases${name !== undefined ? `/${seg(name)}` : ''}`;
  }

  async getLease(namespace: string, name: string): Promise<LeaseRecord | null> {
    const what = `read lease ${namespace}/${name}`;
    const a = await this.call(what, 'GET', this.leasePath(namespace, name));
    if (a.status === 404) return null;
    if (!ok(a.status)) throw kubeError(what, a);
    return leaseRecord(JSON.parse(a.text) as LeaseJson);
  }

  async createLease(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    const what = `create lease ${namespace}/${name}`;
    const a = await this.call(what, 'POST', this.leasePath(namespace), leaseBody(namespace, name, rec));
    if (a.status === 409) return false;
    if (!ok(a.status)) throw kubeError(what, a);
    return true;
  }

  async updateLease(namespace: string, name: string, expectedVersion: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    const what = `update lease ${namespace}/${name}`;
    const body = leaseBody(namespace, name, rec);
    body.metadata.resourceVersion = expectedVersion;
    const a = await this.call(what, 'PUT', this.leasePath(namespace, name), body);
    if (a.status === 409) return false;
    if (!ok(a.status)) throw kubeError(what, a);
    return true;
  }
}

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number };
}

function toMs(v: unknown): number {
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? 0 : ms;
  }
  return 0;
}

function leaseRecord(l: LeaseJson): LeaseRecord {
  return {
    holder: l.spec?.holderIdentity ?? '',
    leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? 0,
    renewTimeMs: toMs(l.spec?.renewTime),
    acquireTimeMs: toMs(l.spec?.acquireTime),
    transitions: l.spec?.leaseTransitions ?? 0,
    version: l.metadata?.resourceVersion ?? '',
  };
}

function leaseBody(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): { apiVersion: string; kind: string; metadata: { name: string; namespace: string; resourceVersion?: string }; spec: object } {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace },
    spec: {
      holderIdentity: rec.holder,
      leaseDurationSeconds: rec.leaseDurationSeconds,
      acquireTime: microTime(rec.acquireTimeMs),
      renewTime: microTime(rec.renewTimeMs),
      leaseTransitions: rec.transitions,
    },
  };
}
