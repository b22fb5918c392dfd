/**
 * KubeAccess: list-watch of nodes, pods (non-terminal) and the Tessera CRDs through
 * list-watch.ts (paginated LIST + WATCH with bookmarks, no object cache: the sink, i.e.
 * ClusterState, keeps only what it uses); over @kubernetes/client-node: Binding, merge-patch
 * of pod annotations, custom-object CRUD, TokenReview / SubjectAccessReview, and Lease access
 * for leader election. A watch that fails is restarted with exponential backoff; meanwhile the
 * sink is told "not synced"; a 410 Gone relists and deletes what the new list lacks.
 */
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  setHeaderOptions,
  type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CRD_GROUP, CRD_KINDS, CRD_VERSION, type CrdKind } from './crd.js';
import { ExtenderError, messageOf } from './errors.js';
import type { AccessAttributes, BindingTarget, ClusterSink, EvictionTarget, KubeAccess, LeaseRecord, UserInfo, WatchedKind } from './kube.js';
import { ApiGetter, ListWatcher, type ListWatchSpec } from './list-watch.js';

export interface KubeClientOptions {
  readonly kubeconfig?: string;
  readonly log: Logger;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** Items per LIST page (default 500). */
  readonly pageSize?: number;
  /** Server-side timeout of each watch (default 300–600 s). */
  readonly watchTimeoutSeconds?: number;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  return typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
}

function kubeError(what: string, err: unknown): ExtenderError {
  const status = statusOf(err);
  const body = (err as { body?: unknown }).body;
  const detail = typeof body === 'string' ? body : body !== undefined ? JSON.stringify(body) : messageOf(err);
  const msg = `${what}: ${status ?? ''} ${detail}`.trim();
  if (status === 404) return new ExtenderError('EXT_ERR_NOT_FOUND', msg, { cause: err });
  if (status === 409) return new ExtenderError('EXT_ERR_CONFLICT', msg, { cause: err });
  return new ExtenderError('EXT_ERR_KUBE', msg, { cause: err });
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined && path !== '') kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export class KubeClient implements KubeAccess {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly coord: CoordinationV1Api;
  private readonly watchers: ListWatcher[] = [];

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: KubeClientOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.authn = kc.makeApiClient(AuthenticationV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.coord = kc.makeApiClient(CoordinationV1Api);
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
    const getter = new ApiGetter(this.kc);
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
    try {
      // The pods/binding subresource (what kube-scheduler uses; RBAC: create pods/binding).
      await this.core.createNamespacedPodBinding({
        name: t.name,
        namespace: t.namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: t.name, namespace: t.namespace, ...(t.uid !== '' ? { uid: t.uid } : {}) },
          target: { apiVersion: 'v1', kind: 'Node', name: t.node },
        },
      });
    } catch (err) {
      throw kubeError(`create binding ${t.namespace}/${t.name} → ${t.node}`, err);
    }
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    try {
      await this.core.patchNamespacedPod(
        { namespace, name, body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      throw kubeError(`patch annotations of pod ${namespace}/${name}`, err);
    }
  }

  async evictPod(t: EvictionTarget): Promise<void> {
    try {
      // The pods/eviction subresource (RBAC: create pods/eviction); the API server honours PDBs.
      await this.core.createNamespacedPodEviction({
        name: t.name,
        namespace: t.namespace,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: t.name, namespace: t.namespace },
          ...(t.uid !== '' ? { deleteOptions: { preconditions: { uid: t.uid } } } : {}),
        },
      });
    } catch (err) {
      if (statusOf(err) === 404) return; // already gone: nothing left to evict
      throw kubeError(`evict pod ${t.namespace}/${t.name}`, err);
    }
  }

  // ---- CustomResources --------------------------------------------------------------------
  private crd(plural: CrdKind): { group: string; version: string; plural: string } {
    return { group: CRD_GROUP, version: CRD_VERSION, plural };
  }

  async listCustom(kind: CrdKind): Promise<unknown[]> {
    try {
      const list = (await this.custom.listClusterCustomObject(this.crd(kind))) as { items?: unknown[] };
      return list.items ?? [];
    } catch (err) {
      throw kubeError(`list ${kind}`, err);
    }
  }

  async getCustom(kind: CrdKind, name: string): Promise<unknown | undefined> {
    try {
      return await this.custom.getClusterCustomObject({ ...this.crd(kind), name });
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw kubeError(`get ${kind}/${name}`, err);
    }
  }

  async createCustom(kind: CrdKind, object: unknown): Promise<unknown> {
    try {
      return await this.custom.createClusterCustomObject({ ...this.crd(kind), body: object as object });
    } catch (err) {
      throw kubeError(`create ${kind}`, err);
    }
  }

  async replaceCustom(kind: CrdKind, name: string, object: unknown): Promise<unknown> {
    const current = (await this.getCustom(kind, name)) as { metadata?: { resourceVersion?: string } } | undefined;
    if (current === undefined) throw new ExtenderError('EXT_ERR_NOT_FOUND', `${kind} "${name}" not found`);
    const body = object as { metadata: Record<string, unknown> };
    try {
      return await this.custom.replaceClusterCustomObject({
        ...this.crd(kind),
        name,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
    } catch (err) {
      throw kubeError(`replace ${kind}/${name}`, err);
    }
  }

  async deleteCustom(kind: CrdKind, name: string): Promise<boolean> {
    try {
      await this.custom.deleteClusterCustomObject({ ...this.crd(kind), name });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw kubeError(`delete ${kind}/${name}`, err);
    }
  }

  // ---- AuthReviewer -------------------------------------------------------------------------
  async reviewToken(token: string): Promise<UserInfo | null> {
    try {
      const r = await this.authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
      if (r.status?.authenticated !== true || r.status.user?.username === undefined) return null;
      return { username: r.status.user.username, groups: r.status.user.groups ?? [] };
    } catch (err) {
      throw kubeError('TokenReview', err);
    }
  }

  async canI(user: UserInfo, attrs: AccessAttributes): Promise<boolean> {
    try {
      const r = await this.authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: user.username, groups: [...user.groups], resourceAttributes: { verb: attrs.verb, group: attrs.group, resource: attrs.resource, ...(attrs.name !== undefined ? { name: attrs.name } : {}) } },
        },
      });
      return r.status?.allowed === true;
    } catch (err) {
      throw kubeError('SubjectAccessReview', err);
    }
  }

  // ---- LeaseStore ------------------------------------------------------------------------------
  async getLease(namespace: string, name: string): Promise<LeaseRecord | null> {
    try {
      const l = await this.coord.readNamespacedLease({ namespace, name });
      return leaseRecord(l);
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw kubeError(`read lease ${namespace}/${name}`, err);
    }
  }

  async createLease(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    try {
      await this.coord.createNamespacedLease({ namespace, body: leaseBody(namespace, name, rec) });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw kubeError(`create lease ${namespace}/${name}`, err);
    }
  }

  async updateLease(namespace: string, name: string, expectedVersion: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean> {
    try {
      const body = leaseBody(namespace, name, rec);
      body.metadata = { ...body.metadata, resourceVersion: expectedVersion };
      await this.coord.replaceNamespacedLease({ namespace, name, body });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw kubeError(`update lease ${namespace}/${name}`, err);
    }
  }
}

function toMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v);
  return 0;
}

function leaseRecord(l: V1Lease): LeaseRecord {
  return {
    holder: l.spec?.holderIdentity ?? '',
    leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? 0,
    renewTimeMs: toMs(l.spec?.renewTime),
    acquireTimeMs: toMs(l.spec?.acquireTime),
    transitions: l.spec?.leaseTransitions ?? 0,
    version: l.metadata?.resourceVersion ?? '',
  };
}

function leaseBody(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace },
    spec: {
      holderIdentity: rec.holder,
      leaseDurationSeconds: rec.leaseDurationSeconds,
      acquireTime: new V1MicroTime(rec.acquireTimeMs),
      renewTime: new V1MicroTime(rec.renewTimeMs),
      leaseTransitions: rec.transitions,
    },
  };
}
