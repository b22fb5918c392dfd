/**
 * Active reclaim: when filter refuses a pod whose queue needs capacity inside its guarantee
 * that other queues borrowed, the leader evicts borrowers itself (Eviction API).
 *
 * Why here and not in the preempt verb: kube-scheduler's in-tree capacity counts the agent's
 * virtual device slots, so the pod "fits" in-tree and DefaultPreemption never finds victims;
 * the preempt verb is never called with candidates. The extender knows the real devices.
 *
 * Victim choice (per candidate node, the node needing the fewest victims wins):
 *  - only borrowers of other queues in the pod's capacity group (core `reclaimCandidates`,
 *    reason `reclaim`): never a pod inside its own queue's guarantee, never a fixed-mode or
 *    fixed-pool allocation, only bound pods on that node;
 *  - taken in core's victim order (lowest pod priority, lower queue priority, latest start)
 *    until, on a what-if copy of the ledger, the pod fits the node AND passes the quota check;
 *  - then victims that are not needed are given back, last taken first (as few as possible).
 *
 * Idempotent: victims being evicted are remembered for `inFlightTtlMs` and never evicted
 * twice; a pod whose reclaim is still in flight gets the same answer without new evictions.
 * Planning starts from the cluster as it will be once the evictions in flight are done (their
 * victims released, the other pods waiting for them placed): a pod that those evictions already
 * make room for waits with them instead of evicting more (e.g. when another owner pod took the
 * GPU freed for it). When the last victim a pod waits for is gone, the pod is annotated
 * `tessera.io/reclaimed`, which makes kube-scheduler retry it at once.
 * Followers never evict. Every reclaim is journalled (`/api/v1/preemptions`, kind `reclaim`)
 * and counted in `tessera_extender_reclaims_total`.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import {
  LABEL_QUOTA_MODE,
  quotaMath,
  reclaimCandidates,
  resolveQueue,
  type AdmitRequest,
  type Allocation,
  type Ledger,
  type PodRequest,
  type QuotaBook,
} from '../../core/index.js';
import type { ClusterState } from './cluster-state.js';
import { messageOf } from './errors.js';
import type { Journal } from './journal.js';
import type { Evictor, PodPatcher } from './kube.js';
import type { PlacementPort } from './placement-port.js';
import type { QuotaAdapter } from './quota-adapter.js';

/** Set on a pod once the borrowers evicted for it are gone (also what makes kube-scheduler retry it). */
export const RECLAIMED_ANNOTATION = 'tessera.io/reclaimed';

/** What filter does with a refused pod: null = nothing to reclaim; else answer `node` with `reason`. */
export interface ReclaimHook {
  onRefused(pod: PodRequest, nodes: readonly string[], nowMs: number): { node: string; reason: string } | null;
}

export interface ReclaimDeps {
  readonly state: ClusterState;
  readonly placement: PlacementPort;
  /** The quota adapter when queues are configured, else null. */
  readonly quota: () => QuotaAdapter | null;
  readonly kube: Evictor & PodPatcher;
  readonly clock: () => number;
  readonly isLeader: () => boolean;
  readonly journal: Journal;
  readonly log: Logger;
  readonly registry: Registry;
  readonly computeOvercommit: (node: string) => number;
  /** How long an eviction counts as in flight (victim not evicted again). Default 60 s. */
  readonly inFlightTtlMs?: number;
}

interface InFlight {
  readonly namespace: string;
  readonly name: string;
  /** The waiting pod as translated (to place it on what-if ledgers while it waits). */
  readonly request: PodRequest;
  readonly queue: string;
  readonly node: string;
  readonly victims: readonly string[];
  readonly reason: string;
  readonly expiresAtMs: number;
}

/** A plan: which bound pods on `node` to evict so that the pod fits there and passes quota. */
export interface ReclaimChoice {
  readonly node: string;
  /** The preemptor's queue. */
  readonly queue: string;
  readonly victims: readonly Allocation[];
  /** Nothing new to evict: evictions already in flight (these pods) make room on `node`. */
  readonly waitingFor?: readonly string[];
}

export class Reclaimer implements ReclaimHook {
  /** victim uid → when its eviction stops counting as in flight. */
  private readonly evicting = new Map<string, number>();
  /** preemptor uid → its reclaim in flight. */
  private readonly byPod = new Map<string, InFlight>();
  private readonly ttlMs: number;
  readonly reclaims: Counter<'result'>;

  constructor(private readonly d: ReclaimDeps) {
    this.ttlMs = d.inFlightTtlMs ?? 60_000;
    // When the last victim of a reclaim is gone, touch the waiting pod: kube-scheduler requeues
    // an unschedulable pod on its own update, so it does not wait for an unrelated event (its
    // informer may have seen the victims' deletion before ours did, and then it never asks again).
    d.state.onChange((e) => {
      if (e.type === 'grant-released') this.victimGone(e.podUid);
    });
    this.reclaims = new Counter({
      name: 'tessera_extender_reclaims_total',
      help: 'Borrowed pods the extender evicted to give a queue its guarantee back, by result (evicted, failed)',
      labelNames: ['result'],
      registers: [d.registry],
    });
  }

  /** Victims whose eviction is in flight now (for tests and the admin API). */
  inFlight(nowMs: number): string[] {
    this.sweep(nowMs);
    return [...this.evicting.keys()];
  }

  private sweep(nowMs: number): void {
    for (const [uid, until] of this.evicting) if (until <= nowMs) this.evicting.delete(uid);
    for (const [uid, f] of this.byPod) if (f.expiresAtMs <= nowMs) this.byPod.delete(uid);
  }

  private victimGone(uid: string): void {
    if (!this.evicting.delete(uid)) return;
    for (const [podUid, f] of this.byPod) {
      if (!f.victims.includes(uid) || f.victims.some((v) => this.evicting.has(v))) continue;
      if (!this.d.isLeader()) continue;
      const at = new Date(this.d.clock()).toISOString();
      this.d.kube
        .patchPodAnnotations(f.namespace, f.name, { [RECLAIMED_ANNOTATION]: `${f.victims.length} borrowed pod(s) on ${f.node} evicted; last gone at ${at}` })
        .catch((err: unknown) => this.d.log.warn({ pod: `${f.namespace}/${f.name}`, uid: podUid, err: messageOf(err) }, 'could not mark the pod after reclaim'));
    }
  }

  onRefused(pod: PodRequest, nodes: readonly string[], nowMs: number): { node: string; reason: string } | null {
    if (!this.d.isLeader()) return null;
    const quota = this.d.quota();
    const book = quota?.current() ?? null;
    if (quota === null || book === null) return null;
    this.sweep(nowMs);
    const mine = this.byPod.get(pod.uid);
    if (mine !== undefined && mine.victims.some((u) => this.d.state.pods.has(u))) {
      // Still evicting for this pod: same answer, nothing evicted twice.
      return { node: mine.node, reason: mine.reason };
    }
    let choice: ReclaimChoice | null;
    try {
      choice = this.plan(pod, nodes, book, quota, nowMs);
    } catch (err) {
      this.d.log.warn({ pod: `${pod.namespace}/${pod.name}`, err: messageOf(err) }, 'reclaim planning failed');
      return null;
    }
    if (choice === null) return null;
    return this.execute(pod, choice, nowMs);
  }

  /** Choose victims (pure with respect to the cluster: works on what-if copies). */
  plan(pod: PodRequest, nodes: readonly string[], book: QuotaBook, quota: QuotaAdapter, nowMs: number): ReclaimChoice | null {
    const { state } = this.d;
    const r = resolveQueue(book, pod.namespace, pod.labels ?? {});
    if (r.kind !== 'queue') return null;
    const mode = pod.labels?.[LABEL_QUOTA_MODE];
    const known = nodes.filter((n) => state.nodes.get(n)?.problem === null);
    if (known.length === 0) return null;
    // Quota amount as the pod would count on the first candidate node (refined per node below).
    const baseReq = (amount: AdmitRequest['amount']): AdmitRequest => ({
      id: pod.uid,
      queue: r.queue,
      amount,
      priority: pod.priority,
      ...(mode === 'elastic' || mode === 'fixed' ? { quotaMode: mode } : {}),
    });
    if (this.evicting.size === 0) {
      // Cheap exit for the common refusal (no reclaim situation) before any what-if copy.
      const used = book.usedSnapshot();
      const own = book.allocation(pod.uid);
      if (own !== undefined) used.set(own.queue, quotaMath.sub(used.get(own.queue) ?? quotaMath.ZERO, own.amount));
      const amount = amountOn(quota, pod, known[0]!);
      if (book.evaluate(baseReq(amount), used).kind !== 'needs-reclaim') return null;
    }
    const base = this.baseline(pod, book, quota, nowMs);
    const used0 = base.used;
    // Evictions already in flight may be enough: then wait for them instead of evicting more.
    if (base.freed.size > 0) {
      for (const node of known) {
        const v = this.d.placement.evaluate({ ledger: base.ledger, pod, nodes: [node], nowMs, computeOvercommit: this.d.computeOvercommit })[0];
        if (v === undefined || !v.fits) continue;
        if (book.evaluate(baseReq(quota.amountOf(pod, v.decide())), used0).kind !== 'admitted') continue;
        const onNode = [...base.freed].filter((u) => state.ledger.reservation(u)?.node === node);
        if (onNode.length > 0) return { node, queue: r.queue, victims: [], waitingFor: onNode };
      }
    }
    let best: ReclaimChoice | null = null;
    for (const node of known) {
      const amount = amountOn(quota, pod, node);
      const req = baseReq(amount);
      // Only a pod inside its guarantee that the pool cannot serve because others borrow.
      if (book.evaluate(req, used0).kind !== 'needs-reclaim') return null;
      const cands = reclaimCandidates(book, req)
        .filter((v) => v.reason === 'reclaim')
        .map((v) => v.allocation)
        .filter((a) => this.eligible(a, book, node));
      if (cands.length === 0) continue;
      const c = this.planNode(pod, node, req, cands, used0, book, quota, nowMs, base.ledger);
      if (c !== null && (best === null || c.victims.length < best.victims.length)) best = c;
    }
    return best;
  }

  /**
   * The cluster as it will be once the evictions in flight are done: their victims released
   * (ledger and quota use), and the other pods waiting for them placed where they wait.
   */
  private baseline(pod: PodRequest, book: QuotaBook, quota: QuotaAdapter, nowMs: number): { ledger: Ledger; used: Map<string, AdmitRequest['amount']>; freed: Set<string> } {
    const { state } = this.d;
    const ledger = state.ledger.clone();
    ledger.release(pod.uid);
    const used = book.usedSnapshot();
    const sub = (id: string): void => {
      const a = book.allocation(id);
      if (a !== undefined) used.set(a.queue, quotaMath.sub(used.get(a.queue) ?? quotaMath.ZERO, a.amount));
    };
    sub(pod.uid);
    const freed = new Set<string>();
    for (const uid of this.evicting.keys()) {
      if (state.ledger.reservation(uid) === undefined) continue;
      ledger.release(uid);
      sub(uid);
      freed.add(uid);
    }
    for (const [uid, f] of this.byPod) {
      if (uid === pod.uid || state.holdings.has(uid) || !f.victims.some((v) => freed.has(v))) continue;
      const v = this.d.placement.evaluate({ ledger, pod: f.request, nodes: [f.node], nowMs, computeOvercommit: this.d.computeOvercommit })[0];
      if (v === undefined || !v.fits) continue;
      const d = v.decide();
      const r = ledger.reserve(uid, { node: f.node, cpuMilli: f.request.cpuMilli, memoryMiB: f.request.memoryMiB, priority: f.request.priority, containers: d.containers }, { computeOvercommit: this.d.computeOvercommit(f.node) });
      if (r.ok) used.set(f.queue, quotaMath.add(used.get(f.queue) ?? quotaMath.ZERO, quota.amountOf(f.request, d)));
    }
    return { ledger, used, freed };
  }

  private eligible(a: Allocation, book: QuotaBook, node: string): boolean {
    const { state } = this.d;
    if (a.mode === 'fixed') return false;
    const q = book.queues.get(a.queue);
    if (q === undefined || book.pools.get(q.pool)?.mode === 'fixed') return false;
    if (this.evicting.has(a.id)) return false; // already being evicted for another pod
    const h = state.holdings.get(a.id);
    return h !== undefined && h.kind === 'bound' && h.decision.node === node && state.pods.has(a.id);
  }

  private planNode(
    pod: PodRequest,
    node: string,
    req: AdmitRequest,
    cands: readonly Allocation[],
    used0: Map<string, AdmitRequest['amount']>,
    book: QuotaBook,
    quota: QuotaAdapter,
    nowMs: number,
    base: Ledger,
  ): ReclaimChoice | null {
    const { state } = this.d;
    const ledger = base.clone();
    const used = new Map(used0);
    const ok = (): boolean => {
      const v = this.d.placement.evaluate({ ledger, pod, nodes: [node], nowMs, computeOvercommit: this.d.computeOvercommit })[0];
      if (v === undefined || !v.fits) return false;
      const amount = quota.amountOf(pod, v.decide());
      return book.evaluate({ ...req, amount }, used).kind === 'admitted';
    };
    const take = (a: Allocation): void => {
      ledger.release(a.id);
      used.set(a.queue, quotaMath.sub(used.get(a.queue) ?? quotaMath.ZERO, a.amount));
    };
    const giveBack = (a: Allocation): boolean => {
      const p = state.ledger.reservation(a.id);
      if (p === undefined) return false;
      const r = ledger.reserve(a.id, p, { computeOvercommit: Number.POSITIVE_INFINITY });
      if (!r.ok) return false;
      used.set(a.queue, quotaMath.add(used.get(a.queue) ?? quotaMath.ZERO, a.amount));
      return true;
    };
    const taken: Allocation[] = [];
    let fits = false;
    for (const a of cands) {
      take(a);
      taken.push(a);
      if (ok()) {
        fits = true;
        break;
      }
    }
    if (!fits) return null;
    const kept: Allocation[] = [];
    for (let i = taken.length - 1; i >= 0; i--) {
      const a = taken[i]!;
      if (giveBack(a)) {
        if (ok()) continue; // not needed
        take(a);
      }
      kept.push(a);
    }
    kept.reverse();
    return { node, queue: req.queue, victims: kept };
  }

  private execute(pod: PodRequest, choice: ReclaimChoice, nowMs: number): { node: string; reason: string } {
    const { state, log } = this.d;
    if (choice.waitingFor !== undefined) {
      // Wait with the others; victimGone touches this pod too when they are gone.
      const reason = `capacity is being reclaimed: waiting for ${choice.waitingFor.length} evicted pod(s) on node ${choice.node} to go; retry when they are gone`;
      this.byPod.set(pod.uid, { namespace: pod.namespace, name: pod.name, request: pod, queue: choice.queue, node: choice.node, victims: choice.waitingFor, reason, expiresAtMs: nowMs + this.ttlMs });
      return { node: choice.node, reason };
    }
    const who = `${pod.namespace}/${pod.name}`;
    const queues = [...new Set(choice.victims.map((a) => a.queue))].sort();
    const names = choice.victims.map((a) => {
      const m = state.pods.get(a.id)?.meta;
      return m === undefined ? a.id : `${m.namespace}/${m.name}`;
    });
    const reason =
      `capacity is being reclaimed: evicting ${choice.victims.length} pod(s) that borrow beyond the guarantee of queue(s) ${queues.join(', ')} ` +
      `on node ${choice.node} so this pod's queue gets its guarantee back; retry when they are gone`;
    const until = nowMs + this.ttlMs;
    const namespaces: Record<string, string> = {};
    for (const a of choice.victims) {
      this.evicting.set(a.id, until);
      const m = state.pods.get(a.id)?.meta;
      if (m !== undefined) namespaces[a.id] = m.namespace;
    }
    this.byPod.set(pod.uid, { namespace: pod.namespace, name: pod.name, request: pod, queue: choice.queue, node: choice.node, victims: choice.victims.map((a) => a.id), reason, expiresAtMs: until });
    this.d.journal.addPreemption({
      atMs: nowMs,
      preemptor: { namespace: pod.namespace, name: pod.name, uid: pod.uid, priority: pod.priority },
      node: choice.node,
      victims: choice.victims.map((a) => a.id),
      dropped: [],
      kind: 'reclaim',
      reason: `queue ${choice.queue} is within its guarantee; evicted ${choice.victims.length} pod(s) borrowing beyond the guarantee of ${queues.join(', ')}`,
      namespaces,
    });
    log.info({ pod: who, node: choice.node, victims: names }, 'reclaiming borrowed capacity');
    for (const a of choice.victims) {
      const m = state.pods.get(a.id)?.meta;
      if (m === undefined) continue;
      this.d.kube.evictPod({ namespace: m.namespace, name: m.name, uid: a.id }).then(
        () => this.reclaims.inc({ result: 'evicted' }),
        (err: unknown) => {
          // Let the next filter call choose again (a PDB may block this one).
          this.evicting.delete(a.id);
          this.byPod.delete(pod.uid);
          this.reclaims.inc({ result: 'failed' });
          log.warn({ pod: who, victim: `${m.namespace}/${m.name}`, err: messageOf(err) }, 'reclaim eviction failed');
        },
      );
    }
    return { node: choice.node, reason };
  }
}

/**
 * The pod's quota amount on `node` before devices are chosen: amountOf sizes each container on
 * the device it got and falls back to the node's first device when there is none yet.
 */
function amountOn(quota: QuotaAdapter, pod: PodRequest, node: string): AdmitRequest['amount'] {
  return quota.amountOf(pod, { node, containers: [] } as unknown as Parameters<QuotaAdapter['amountOf']>[1]);
}
