/**
 * Kubernetes adapters of the agent (client-node, loaded only when used): the pod source
 * (a ListWatch informer on pods with field selector `spec.nodeName=<node>`, restarted with
 * backoff after watch errors) and the merge-patch writers for pod and node annotations.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PodInfo, PodRef, PodSource } from '../../device-plugin/src/pod-source.js';
import type { NodePatcher } from './inventory.js';

type K8s = typeof k8s;

export interface KubeClients {
  readonly k8s: K8s;
  readonly kc: k8s.KubeConfig;
  readonly core: k8s.CoreV1Api;
}

export async function loadKube(kubeconfig: string | undefined): Promise<KubeClients> {
  const mod = await import('@kubernetes/client-node');
  const kc = new mod.KubeConfig();
  if (kubeconfig !== undefined) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  return { k8s: mod, kc, core: kc.makeApiClient(mod.CoreV1Api) };
}

function toPodInfo(p: k8s.V1Pod): PodInfo | null {
  const uid = p.metadata?.uid;
  const name = p.metadata?.name;
  const namespace = p.metadata?.namespace;
  if (uid === undefined || name === undefined || namespace === undefined) return null;
  return {
    uid,
    name,
    namespace,
    ...(p.spec?.nodeName !== undefined ? { nodeName: p.spec.nodeName } : {}),
    ...(p.status?.phase !== undefined ? { phase: p.status.phase } : {}),
    annotations: p.metadata?.annotations ?? {},
    containers: (p.spec?.containers ?? []).map((c) => c.name),
  };
}

export class KubePodSource implements PodSource {
  private readonly pods = new Map<string, PodInfo>();
  private readonly listeners = new Set<() => void>();
  private informer: k8s.ListWatch<k8s.V1Pod> | null = null;
  private synced: Promise<void>;
  private markSynced: () => void = () => undefined;
  private backoffMs = 1000;
  private stopped = false;
  ready = false;

  constructor(private readonly kube: KubeClients, private readonly nodeName: string, private readonly log: Logger) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  list(): readonly PodInfo[] {
    return [...this.pods.values()];
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  waitForSync(): Promise<void> {
    return this.synced;
  }
  isSynced(): boolean {
    return this.ready;
  }

  async annotate(pod: PodRef, key: string, value: string): Promise<void> {
    const { k8s: mod, core } = this.kube;
    await core.patchNamespacedPod(
      { name: pod.name, namespace: pod.namespace, body: { metadata: { annotations: { [key]: value } } } },
      mod.setHeaderOptions('Content-Type', mod.PatchStrategy.MergePatch),
    );
  }

  start(): void {
    if (this.stopped) return;
    const { k8s: mod, kc, core } = this.kube;
    const fieldSelector = `spec.nodeName=${this.nodeName}`;
    const informer = new mod.ListWatch<k8s.V1Pod>('/api/v1/pods', new mod.Watch(kc), () => core.listPodForAllNamespaces({ fieldSelector }), false, undefined, fieldSelector);
    const upsert = (p: k8s.V1Pod): void => {
      const info = toPodInfo(p);
      if (info === null) return;
      this.pods.set(info.uid, info);
      this.emit();
    };
    informer.on('add', upsert);
    informer.on('update', upsert);
    informer.on('delete', (p) => {
      if (p.metadata?.uid !== undefined && this.pods.delete(p.metadata.uid)) this.emit();
    });
    informer.on('error', (err) => {
      if (this.stopped) return; // stop() aborts the watch: not a failure
      this.ready = false;
      this.log.warn({ err, retryMs: this.backoffMs }, 'pod watch failed; restarting with backoff');
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 60_000);
      setTimeout(() => {
        void informer.stop().catch(() => undefined);
        this.start();
      }, delay).unref();
    });
    this.informer = informer;
    informer.start().then(
      () => {
        // The first list is in the cache now: drop pods it no longer has.
        this.backoffMs = 1000;
        this.ready = true;
        const live = new Set(informer.list().map((p) => p.metadata?.uid));
        for (const uid of this.pods.keys()) if (!live.has(uid)) this.pods.delete(uid);
        for (const p of informer.list()) upsert(p);
        this.markSynced();
      },
      (err: unknown) => this.log.warn({ err }, 'pod informer start failed'),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

export class KubeNodePatcher implements NodePatcher {
  constructor(private readonly kube: KubeClients) {}
  async patchNodeAnnotations(node: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    const { k8s: mod, core } = this.kube;
    await core.patchNode({ name: node, body: { metadata: { annotations } } }, mod.setHeaderOptions('Content-Type', mod.PatchStrategy.MergePatch));
  }
}

/** Stand-ins when the agent runs without a cluster (fixture demos, benchmarks). */
export class LogNodePatcher implements NodePatcher {
  constructor(private readonly log: Logger) {}
  async patchNodeAnnotations(node: string, annotations: Readonly<Record<string, string | null>>): Promise<void> {
    this.log.info({ node, keys: Object.keys(annotations) }, 'no cluster: node annotations not patched');
  }
}
