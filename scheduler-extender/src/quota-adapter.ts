/**
 * QuotaPort over core's QuotaBook. The book is rebuilt from the Pool/Tenant/Queue CRDs and
 * the ledger's grants whenever the cluster cache changes (keyed on its version), so quota use
 * is always the sum of the grants the ledger holds; nothing is kept outside the API server.
 */
import {
  LABEL_QUOTA_MODE,
  QuotaBook,

  explainDecision,
  planReclaim,
  quotaMath,
  requestAmount,
  resolveQueue,
  type Allocation,
  type Decision,
  type PodRequest,
  type QueueFigures,
  type QuotaAmount,
  type QueueSpec,
  type PoolSpec,
} from '../../core/index.js';
import type { ClusterState } from './cluster-state.js';
import { amountGpu, type Amount } from './crd.js';
import { messageOf } from './errors.js';
import type { QuotaPort, QuotaVerdict, VictimCandidate } from './quota-port.js';
import { ASCEND_AICORES, } from './resources.js';

function crdAmount(a: Amount | undefined, fallback: QuotaAmount | undefined): QuotaAmount | undefined {
  if (a === undefined) return fallback;
  return {
    gpuMilli: a.gpu === undefined ? quotaMath.UNBOUNDED : Math.round(amountGpu(a) * 1000),
    memoryMiB: a.memoryMiB ?? quotaMath.UNBOUNDED,
  };
}

export class QuotaAdapter implements QuotaPort {
  private book: QuotaBook | null = null;
  private bookVersion = -1;
  /** Why the book could not be built (bad CRD combination), shown by the admin API. */
  problem: string | null = null;

  constructor(private readonly state: ClusterState) {
    // Keep the book's allocations in step with the ledger's grants without rebuilding it.
    state.onChange((e) => {
      if (this.book === null || this.bookVersion !== state.structureVersion) return;
      if (e.type === 'grant-released') this.book.release(e.podUid);
      else if (e.type === 'grant-added') this.restoreGrant(this.book, e.podUid);
    });
  }

  private restoreGrant(book: QuotaBook, uid: string): void {
    const h = this.state.holdings.get(uid);
    book.release(uid);
    if (h === undefined) return;
    const queue = this.queueOf(book, h.request);
    if (queue === null) return;
    try {
      book.restore({
        id: uid,
        queue,
        amount: this.amountOf(h.request, h.decision),
        priority: h.request.priority,
        startedAt: h.decision.decidedAtMs,
        mode: book.modeOf({ queue, ...modeLabel(h.request) }),
      });
    } catch {
      /* a grant whose queue vanished counts nowhere */
    }
  }

  /** True when any queue is configured (otherwise quotas do not apply). */
  active(): boolean {
    return this.state.queues.size > 0;
  }

  /** The book for the cache as it is now (null without queues or when the CRDs are inconsistent). */
  current(): QuotaBook | null {
    if (!this.active()) return null;
    if (this.bookVersion === this.state.structureVersion) return this.book;
    this.bookVersion = this.state.structureVersion;
    try {
      this.book = this.build();
      this.problem = null;
    } catch (err) {
      this.book = null;
      this.problem = messageOf(err);
    }
    return this.book;
  }

  private build(): QuotaBook {
    const s = this.state;
    const capacity = new Map<string, { gpuMilli: number; memoryMiB: number }>();
    for (const e of s.nodes.values()) {
      if (e.node.pool === undefined) continue;
      const c = capacity.get(e.node.pool) ?? { gpuMilli: 0, memoryMiB: 0 };
      for (const d of e.node.devices) {
        c.gpuMilli += d.computeMilli;
        c.memoryMiB += d.memoryMiB;
      }
      capacity.set(e.node.pool, c);
    }
    const pools: PoolSpec[] = [...s.pools.values()].map((p) => {
      const cap = capacity.get(p.metadata.name);
      return {
        name: p.metadata.name,
        mode: p.spec.mode,
        ...(p.spec.computeOvercommit !== undefined ? { computeOvercommit: p.spec.computeOvercommit } : {}),
        ...(cap !== undefined ? { capacity: { '': cap } } : {}),
      };
    });
    const queues: QueueSpec[] = [...s.queues.values()].map((q) => {
      const guarantee = crdAmount(q.spec.guarantee, undefined) as QuotaAmount;
      const limit = crdAmount(q.spec.limit, undefined);
      return {
        name: q.metadata.name,
        tenant: q.spec.tenant,
        pool: q.spec.pool,
        ...(q.spec.guarantee.model !== undefined ? { model: q.spec.guarantee.model } : {}),
        guarantee,
        ...(limit !== undefined ? { limit } : {}),
        lendIdle: q.spec.lendIdle ?? false,
        priority: q.spec.priority ?? 0,
      };
    });
    const tenants = [...s.tenants.values()].map((t) => ({
      name: t.metadata.name,
      namespaces: t.spec.namespaces,
      ...(t.spec.defaultPool !== undefined ? { defaultPool: t.spec.defaultPool } : {}),
      ...(t.spec.defaultQueue !== undefined ? { defaultQueue: t.spec.defaultQueue } : {}),
    }));
    const book = new QuotaBook({ pools, tenants, queues });
    for (const uid of s.holdings.keys()) this.restoreGrant(book, uid);
    return book;
  }

  private queueOf(book: QuotaBook, pod: PodRequest): string | null {
    const r = resolveQueue(book, pod.namespace, pod.labels ?? {});
    return r.kind === 'queue' ? r.queue : null;
  }

  /** Quota amount of a decision: each container's request sized on the device it got. */
  amountOf(pod: PodRequest, decision: Decision): QuotaAmount {
    let total: QuotaAmount = quotaMath.ZERO;
    const node = this.state.nodes.get(decision.node)?.node;
    for (const c of pod.containers) {
      const got = decision.containers.find((x) => x.index === c.index);
      const devId = got?.devices[0]?.id;
      const dev = node?.devices.find((d) => d.id === devId) ?? node?.devices[0];
      const family = /Ascend(910|310P)/.exec(dev?.model ?? '')?.[0];
      total = quotaMath.add(total, requestAmount(c.accel, { memoryMiB: dev?.memoryMiB ?? 0, aiCores: family === undefined ? 32 : (ASCEND_AICORES[family] ?? 32) }));
    }
    return total;
  }

  queueModel(pod: PodRequest): string | null {
    const book = this.current();
    if (book === null) return null;
    const queue = this.queueOf(book, pod);
    return queue === null ? null : (book.queues.get(queue)?.model ?? null);
  }

  /** Model of the first device the decision grants (what a queue's `guarantee.model` is matched against). */
  modelOf(decision: Decision): string | undefined {
    const node = this.state.nodes.get(decision.node)?.node;
    const id = decision.containers[0]?.devices[0]?.id;
    if (node === undefined || id === undefined) return undefined;
    return node.devices.find((d) => d.id === id)?.model;
  }

  check(pod: PodRequest, decision: Decision): QuotaVerdict {
    const book = this.current();
    if (book === null) return { ok: true, queue: null, note: this.problem ?? 'no queues configured' };
    const r = resolveQueue(book, pod.namespace, pod.labels ?? {});
    if (r.kind === 'none') {
      // A pod that names a queue that does not exist is refused; a namespace without a tenant is not under quota.
      if (pod.labels?.['tessera.io/queue'] !== undefined) return { ok: false, queue: null, reason: `quota: ${r.reason}`, resolvable: false, reasonClass: 'quota' };
      return { ok: true, queue: null, note: r.reason };
    }
    const model = this.modelOf(decision);
    const req = { id: pod.uid, queue: r.queue, amount: this.amountOf(pod, decision), priority: pod.priority, ...(model !== undefined ? { model } : {}), ...modeLabel(pod) };
    // Judge without the pod's own grant (a re-filter or a bind of a held pod), on a copy of the use.
    const used = book.usedSnapshot();
    const own = book.allocation(pod.uid);
    if (own !== undefined) used.set(own.queue, quotaMath.sub(used.get(own.queue) ?? quotaMath.ZERO, own.amount));
    const d = book.evaluate(req, used);
    if (d.kind === 'admitted') return { ok: true, queue: r.queue, note: explainDecision(d) };
    if (d.kind === 'needs-reclaim') {
      const plan = planReclaim(book, req);
      return { ok: false, queue: r.queue, reason: `quota: ${explainDecision(d)}${plan.kind === 'victims' ? ` (reclaim possible from ${plan.victims.length} pod(s))` : ''}`, resolvable: plan.kind === 'victims', reasonClass: 'quota' };
    }
    const resolvable = d.refusal.kind !== 'unknown-queue' && d.refusal.kind !== 'model-mismatch';
    const nodeOnly = d.refusal.kind === 'model-mismatch';
    return { ok: false, queue: r.queue, reason: `quota: ${explainDecision(d)}`, resolvable, reasonClass: 'quota', ...(nodeOnly ? { nodeOnly } : {}) };
  }

  allowedVictims(preemptor: PodRequest, victims: readonly VictimCandidate[]): { allowed: Set<string>; refused: Map<string, string> } {
    const allowed = new Set<string>();
    const refused = new Map<string, string>();
    const book = this.current();
    if (book === null) {
      for (const v of victims) allowed.add(v.uid);
      return { allowed, refused };
    }
    const r = resolveQueue(book, preemptor.namespace, preemptor.labels ?? {});
    const myQueue = r.kind === 'queue' ? r.queue : null;
    for (const v of victims) {
      const a = book.allocation(v.uid);
      if (a === undefined || a.queue === myQueue) {
        allowed.add(v.uid); // not under quota, or same queue: priority preemption
        continue;
      }
      const q = book.queues.get(a.queue);
      const pool = q === undefined ? undefined : book.pools.get(q.pool);
      const used = book.usedOf(a.queue);
      const guarantee = q?.guarantee ?? quotaMath.ZERO;
      const borrowing = used.gpuMilli > guarantee.gpuMilli;
      if (pool?.mode === 'fixed' || a.mode === 'fixed') {
        refused.set(v.uid, `victim's queue ${a.queue} is fixed: never preempted for another queue`);
      } else if (!borrowing) {
        refused.set(v.uid, `victim's queue ${a.queue} is within its guarantee`);
      } else {
        allowed.add(v.uid);
      }
    }
    return { allowed, refused };
  }

  usage(): QueueFigures[] {
    return this.current()?.usage() ?? [];
  }
}

function modeLabel(pod: PodRequest): { quotaMode?: 'elastic' | 'fixed' } {
  const m = pod.labels?.[LABEL_QUOTA_MODE];
  return m === 'elastic' || m === 'fixed' ? { quotaMode: m } : {};
}

export type { Allocation };
