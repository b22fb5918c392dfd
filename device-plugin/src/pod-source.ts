/**
 * Where the plugin learns about the pods bound to its node. The real source is a
 * client-node informer (field selector `spec.nodeName=<node>`, node-agent/src/kube.ts);
 * tests use `MemoryPodSource`.
 */
export interface PodInfo {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName?: string;
  /** `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`. */
  readonly phase?: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** Container names in spec order. */
  readonly containers?: readonly string[];
}

export interface PodRef {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
}

export interface PodSource {
  /** Pods currently known on this node (cached, cheap). */
  list(): readonly PodInfo[];
  /** Called whenever the list changes; returns an unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Set one annotation on the pod (merge patch). */
  annotate(pod: PodRef, key: string, value: string): Promise<void>;
}

/** In-memory pod source for tests and the fixture demo. */
export class MemoryPodSource implements PodSource {
  private readonly pods = new Map<string, PodInfo>();
  private readonly listeners = new Set<() => void>();
  readonly patches: { uid: string; key: string; value: string }[] = [];

  list(): readonly PodInfo[] {
    return [...this.pods.values()];
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  upsert(pod: PodInfo): void {
    this.pods.set(pod.uid, pod);
    this.emit();
  }
  remove(uid: string): void {
    this.pods.delete(uid);
    this.emit();
  }
  async annotate(pod: PodRef, key: string, value: string): Promise<void> {
    this.patches.push({ uid: pod.uid, key, value });
    const cur = this.pods.get(pod.uid);
    if (cur !== undefined) this.pods.set(pod.uid, { ...cur, annotations: { ...cur.annotations, [key]: value } });
  }
  private emit(): void {
    for (const l of this.listeners) l();
  }
}
