/**
 * The small interfaces through which the extender reaches Kubernetes. The real
 * implementation is kube-client.ts (plain HTTP through kube-http.ts, list-watch.ts for the
 * watches); tests and the benchmark use MemoryCluster.
 */
import type { CrdKind } from './crd.js';

export type WatchedKind = 'nodes' | 'pods' | CrdKind;

export interface WatchEvent {
  readonly kind: WatchedKind;
  readonly type: 'upsert' | 'delete';
  readonly object: unknown;
}

/** Identity of an object the sink holds (enough to deliver its delete). */
export interface ObjectRef {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
}

/** Receives list-watch events and the synced state of the watches. */
export interface ClusterSink {
  event(e: WatchEvent): void;
  /** `synced` false while a watch is broken and being restarted (the service reports not-ready). */
  status(synced: boolean, message?: string): void;
  /**
   * The objects of `kind` the sink holds now. After a relist (the watch's resourceVersion
   * expired, so events may have been lost) the source delivers a delete, with a
   * `{ metadata: ObjectRef }` object, for each of them the new list no longer contains.
   */
  known(kind: WatchedKind): Iterable<ObjectRef>;
}

export interface ClusterSource {
  /** Lists every watched kind (events for the initial list), reports synced, then watches. */
  start(sink: ClusterSink): Promise<void>;
  stop(): Promise<void>;
}

export interface BindingTarget {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
}

export interface Binder {
  /** POST /api/v1/namespaces/<ns>/pods/<name>/binding. */
  bind(target: BindingTarget): Promise<void>;
}

export interface PodPatcher {
  /** One JSON merge patch of metadata.annotations; a null value removes the key. */
  patchPodAnnotations(namespace: string, name: string, annotations: Readonly<Record<string, string | null>>): Promise<void>;
}

export interface EvictionTarget {
  readonly namespace: string;
  readonly name: string;
  /** Precondition: evict only this incarnation of the pod ('' = any). */
  readonly uid: string;
}

export interface Evictor {
  /**
   * POST /api/v1/namespaces/<ns>/pods/<name>/eviction (policy/v1 Eviction; PodDisruptionBudgets
   * are honoured by the API server: a 429 comes back as EXT_ERR_KUBE). A pod that is already
   * gone resolves (EXT_ERR_NOT_FOUND is not an error for the caller to retry).
   */
  evictPod(target: EvictionTarget): Promise<void>;
}

/** CRUD of the Tessera custom resources (cluster-scoped). */
export interface CustomResources {
  listCustom(kind: CrdKind): Promise<unknown[]>;
  getCustom(kind: CrdKind, name: string): Promise<unknown | undefined>;
  createCustom(kind: CrdKind, object: unknown): Promise<unknown>;
  replaceCustom(kind: CrdKind, name: string, object: unknown): Promise<unknown>;
  deleteCustom(kind: CrdKind, name: string): Promise<boolean>;
}

export interface UserInfo {
  readonly username: string;
  readonly groups: readonly string[];
}

export interface AccessAttributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly name?: string;
}

/** TokenReview + SubjectAccessReview. */
export interface AuthReviewer {
  reviewToken(token: string): Promise<UserInfo | null>;
  canI(user: UserInfo, attrs: AccessAttributes): Promise<boolean>;
}

export interface LeaseRecord {
  readonly holder: string;
  readonly leaseDurationSeconds: number;
  /** Milliseconds since the epoch. */
  readonly renewTimeMs: number;
  readonly acquireTimeMs: number;
  readonly transitions: number;
  /** Opaque version for optimistic concurrency (resourceVersion). */
  readonly version: string;
}

/** coordination.k8s.io/v1 Lease access for leader election. */
export interface LeaseStore {
  getLease(namespace: string, name: string): Promise<LeaseRecord | null>;
  /** Creates the lease; false when it already exists. */
  createLease(namespace: string, name: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean>;
  /** Replaces it if `expectedVersion` still matches; false on conflict. */
  updateLease(namespace: string, name: string, expectedVersion: string, rec: Omit<LeaseRecord, 'version'>): Promise<boolean>;
}

export interface KubeAccess extends ClusterSource, Binder, PodPatcher, Evictor, CustomResources, AuthReviewer, LeaseStore {}
