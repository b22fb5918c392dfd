/**
 * The quota ledger: pools, tenants, queues and the allocations that hold quota. Admission,
 * borrowing, lending and usage figures; reclaim planning lives in reclaim.ts on top of it.
 *
 * Capacity is grouped per pool and device model ("" = any model). In a group, a queue may
 * borrow up to: unassigned capacity + idle guarantee of lending queues − what others borrow.
 */
import { ConfigError } from '../errors.js';
import * as A from './amount.js';
import type { Amount } from './amount.js';
import type { AdmitDecision, QueueFigures, QuotaRefusal } from './refusal.js';
import type { Allocation, AdmitRequest, PoolSpec, QueueSpec, QuotaBookInput, QuotaMode, TenantSpec } from './types.js';
import { modelMatches } from '../fit.js';

interface Group {
  readonly key: string;
  readonly capacity: Amount;
  /** capacity − Σ guarantees, never negative; lendable to any elastic borrower. */
  readonly unassigned: Amount;
  readonly queues: string[];
}

function groupKey(pool: string, model: string | undefined): string {
  return `${pool}\u0000${model ?? ''}`;
}

/** Per-queue use, so that what-ifs (reclaim) can evaluate on a copy. */
export type UsedByQueue = Map<string, Amount>;

export class QuotaBook {
  readonly pools: ReadonlyMap<string, PoolSpec>;
  readonly tenants: ReadonlyMap<string, TenantSpec>;
  readonly queues: ReadonlyMap<string, QueueSpec>;
  private readonly groups = new Map<string, Group>();
  private readonly allocs = new Map<string, Allocation>();
  private readonly byQueue = new Map<string, Set<string>>();
  private readonly used: UsedByQueue = new Map();

  constructor(input: QuotaBookInput) {
    this.pools = indexByName(input.pools, 'pools');
    this.tenants = indexByName(input.tenants, 'tenants');
    this.queues = indexByName(input.queues, 'queues');
    for (const pool of input.pools) validatePool(pool);
    for (const q of input.queues) validateQueue(q, this.pools, this.tenants);
    this.buildGroups();
    for (const q of input.queues) {
      this.byQueue.set(q.name, new Set());
      this.used.set(q.name, A.ZERO);
    }
    for (const a of input.allocations ?? []) this.restore(a);
  }

  /** Effective quota mode of a request: the pool decides, except in mixed pools (label, default fixed). */
  modeOf(req: Pick<AdmitRequest, 'queue' | 'quotaMode'>): QuotaMode {
    const q = this.queues.get(req.queue);
    const pool = q === undefined ? undefined : this.pools.get(q.pool);
    if (pool === undefined) return 'fixed';
    if (pool.mode === 'mixed') return req.quotaMode ?? 'fixed';
    return pool.mode;
  }

  /** Pure check: would `req` be admitted now? Changes nothing. */
  check(req: AdmitRequest): AdmitDecision {
    return this.evaluate(req, this.used);
  }

  /** Check and, when admitted, record the allocation (started at `now`). */
  admit(req: AdmitRequest, now: number): AdmitDecision {
    const decision = this.check(req);
    if (decision.kind === 'admitted') {
      this.restore({ id: req.id, queue: req.queue, amount: req.amount, priority: req.priority, startedAt: now, mode: decision.mode });
    }
    return decision;
  }

  /** Record an existing allocation without checks (rebuilding from the API server after a restart). */
  restore(a: Allocation): void {
    const ids = this.byQueue.get(a.queue);
    if (ids === undefined) throw new ConfigError(`allocation ${a.id}.queue`, `no queue named '${a.queue}'`);
    if (this.allocs.has(a.id)) throw new ConfigError(`allocation ${a.id}`, 'this id already holds quota');
    this.allocs.set(a.id, a);
    ids.add(a.id);
    this.used.set(a.queue, A.add(this.usedOf(a.queue), a.amount));
  }

  /** Give back an allocation's quota; returns it, or undefined when the id holds none. */
  release(id: string): Allocation | undefined {
    const a = this.allocs.get(id);
    if (a === undefined) return undefined;
    this.allocs.delete(id);
    this.byQueue.get(a.queue)?.delete(id);
    this.used.set(a.queue, A.sub(this.usedOf(a.queue), a.amount));
    return a;
  }

  allocation(id: string): Allocation | undefined {
    return this.allocs.get(id);
  }

  allocations(): Allocation[] {
    return [...this.allocs.values()];
  }

  allocationsOf(queue: string): Allocation[] {
    const out: Allocation[] = [];
    for (const id of this.byQueue.get(queue) ?? []) {
      const a = this.allocs.get(id);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  usedOf(queue: string): Amount {
    return this.used.get(queue) ?? A.ZERO;
  }

  /** A copy of per-queue use, for what-if evaluation. */
  usedSnapshot(): UsedByQueue {
    return new Map(this.used);
  }

  /** Figures for every queue, sorted by pool then name. */
  usage(): QueueFigures[] {
    return [...this.queues.keys()].sort().map((name) => this.figures(name, this.used));
  }

  /** Queues in the same pool and model group as `queue` (itself included). */
  groupMates(queue: string): readonly string[] {
    const q = this.queues.get(queue);
    if (q === undefined) return [];
    return this.groups.get(groupKey(q.pool, q.model))?.queues ?? [];
  }

  limitOf(q: QueueSpec): Amount {
    const pool = this.pools.get(q.pool);
    if (pool?.mode === 'fixed') return q.guarantee;
    return q.limit ?? q.guarantee;
  }

  /** Whether `q` lends its idle guarantee (never in fixed pools). */
  lends(q: QueueSpec): boolean {
    return q.lendIdle && this.pools.get(q.pool)?.mode !== 'fixed';
  }

  /** Evaluate `req` against a given per-queue use (the book's own, or a what-if copy). */
  evaluate(req: AdmitRequest, used: UsedByQueue): AdmitDecision {
    const q = this.queues.get(req.queue);
    if (q === undefined) return { kind: 'refused', refusal: { kind: 'unknown-queue', queue: req.queue } };
    if (q.model !== undefined && req.model !== undefined && !sameModel(q.model, req.model)) {
      return {
        kind: 'refused',
        refusal: { kind: 'model-mismatch', queue: q.name, queueModel: q.model, podModel: req.model },
      };
    }
    const mode = this.modeOf(req);
    const pool = this.pools.get(q.pool);
    const group = this.groups.get(groupKey(q.pool, q.model));
    if (pool === undefined || group === undefined) {
      return { kind: 'refused', refusal: { kind: 'unknown-queue', queue: req.queue } };
    }
    const after = A.add(used.get(q.name) ?? A.ZERO, req.amount);
    const overGuarantee = A.firstExceeded(after, q.guarantee);
    if (overGuarantee === null) {
      const poolUsed = A.sum(group.queues.map((n) => used.get(n) ?? A.ZERO));
      // Idle guarantee of queues that do not lend stays theirs: it never covers another queue.
      const capacity = subCapacity(group.capacity, this.reservedIdle(q.name, group, used));
      const shortfall = A.excess(A.add(poolUsed, req.amount), capacity);
      if (A.isZero(shortfall)) return { kind: 'admitted', how: 'guarantee', borrowed: A.ZERO, mode };
      const borrowedTotal = A.sum(group.queues.map((n) => this.borrowedIn(n, used)));
      if (!A.isZero(borrowedTotal)) return { kind: 'needs-reclaim', shortfall, figures: this.figures(q.name, used) };
      return {
        kind: 'refused',
        refusal: {
          kind: 'pool-full',
          dimension: A.firstExceeded(A.add(poolUsed, req.amount), capacity) ?? 'gpu',
          requested: req.amount,
          poolCapacity: capacity,
          poolUsed,
          figures: this.figures(q.name, used),
        },
      };
    }
    if (pool.mode === 'fixed' || mode === 'fixed' || q.limit === undefined) {
      const why = pool.mode === 'fixed' ? 'fixed-pool' : mode === 'fixed' ? 'fixed-mode' : 'no-limit';
      return {
        kind: 'refused',
        refusal: { kind: 'over-guarantee', why, dimension: overGuarantee, requested: req.amount, figures: this.figures(q.name, used) },
      };
    }
    const overLimit = A.firstExceeded(after, this.limitOf(q));
    if (overLimit !== null) {
      return {
        kind: 'refused',
        refusal: { kind: 'over-limit', dimension: overLimit, requested: req.amount, figures: this.figures(q.name, used) },
      };
    }
    const extra = A.sub(A.excess(after, q.guarantee), A.excess(used.get(q.name) ?? A.ZERO, q.guarantee));
    const available = this.availableFor(q.name, used);
    const short = A.firstExceeded(extra, available);
    if (short !== null) {
      return {
        kind: 'refused',
        refusal: { kind: 'no-idle-capacity', dimension: short, requested: req.amount, figures: this.figures(q.name, used) },
      };
    }
    return { kind: 'admitted', how: 'borrowing', borrowed: A.excess(after, q.guarantee), mode };
  }

  /**
   * Order in which queues contend for idle capacity: higher queue priority first, then the
   * least served (used / guarantee in GPUs), then name.
   */
  compareForBorrowing(a: string, b: string): number {
    const qa = this.queues.get(a);
    const qb = this.queues.get(b);
    const share = (q: QueueSpec | undefined): number =>
      q === undefined || q.guarantee.gpuMilli === 0 ? Infinity : this.usedOf(q.name).gpuMilli / q.guarantee.gpuMilli;
    return (qb?.priority ?? 0) - (qa?.priority ?? 0) || share(qa) - share(qb) || (a < b ? -1 : a > b ? 1 : 0);
  }

  /** Idle guarantee of the other queues in the group that do not lend it. */
  private reservedIdle(queue: string, group: Group, used: UsedByQueue): Amount {
    let reserved = A.ZERO;
    for (const name of group.queues) {
      const r = this.queues.get(name);
      if (name === queue || r === undefined || this.lends(r)) continue;
      reserved = A.add(reserved, idle(r.guarantee, used.get(name) ?? A.ZERO));
    }
    return reserved;
  }

  /** Use above the guarantee. */
  borrowedIn(queue: string, used: UsedByQueue): Amount {
    const q = this.queues.get(queue);
    if (q === undefined) return A.ZERO;
    return A.excess(used.get(queue) ?? A.ZERO, q.guarantee);
  }

  /** Idle capacity lent by others (and unassigned) that nobody (this queue included) borrows yet. */
  availableFor(queue: string, used: UsedByQueue): Amount {
    const q = this.queues.get(queue);
    const group = q === undefined ? undefined : this.groups.get(groupKey(q.pool, q.model));
    if (q === undefined || group === undefined) return A.ZERO;
    let lendable = group.unassigned;
    let borrowed = A.ZERO;
    for (const name of group.queues) {
      const r = this.queues.get(name);
      if (r === undefined) continue;
      const u = used.get(name) ?? A.ZERO;
      if (name !== queue && this.lends(r)) lendable = A.add(lendable, idle(r.guarantee, u));
      borrowed = A.add(borrowed, A.excess(u, r.guarantee));
    }
    return A.max(A.ZERO, subCapacity(lendable, borrowed));
  }

  figures(queue: string, used: UsedByQueue): QueueFigures {
    const q = this.queues.get(queue);
    if (q === undefined) throw new ConfigError(`queue ${queue}`, 'no such queue');
    const pool = this.pools.get(q.pool);
    const u = used.get(queue) ?? A.ZERO;
    return {
      queue,
      tenant: q.tenant,
      pool: q.pool,
      poolMode: pool?.mode ?? 'fixed',
      model: q.model ?? null,
      priority: q.priority,
      guarantee: q.guarantee,
      limit: this.limitOf(q),
      used: u,
      borrowed: A.excess(u, q.guarantee),
      lent: this.lentBy(queue, used),
      availableToBorrow: this.availableFor(queue, used),
      allocations: this.byQueue.get(queue)?.size ?? 0,
    };
  }

  /**
   * How much of `queue`'s idle guarantee borrowers use. Borrowing is attributed to unassigned
   * capacity first, then to lenders by ascending queue priority, then by name.
   */
  lentBy(queue: string, used: UsedByQueue): Amount {
    const q = this.queues.get(queue);
    const group = q === undefined ? undefined : this.groups.get(groupKey(q.pool, q.model));
    if (q === undefined || group === undefined || !this.lends(q)) return A.ZERO;
    let remaining = A.sum(group.queues.map((n) => this.borrowedIn(n, used)));
    remaining = A.excess(remaining, group.unassigned);
    const lenders = group.queues
      .map((n) => this.queues.get(n))
      .filter((r): r is QueueSpec => r !== undefined && this.lends(r))
      .sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1));
    for (const r of lenders) {
      const idleR = idle(r.guarantee, used.get(r.name) ?? A.ZERO);
      const take = A.min(idleR, remaining);
      if (r.name === queue) return take;
      remaining = A.sub(remaining, take);
    }
    return A.ZERO;
  }

  private buildGroups(): void {
    for (const q of this.queues.values()) {
      const key = groupKey(q.pool, q.model);
      const g = this.groups.get(key);
      if (g === undefined) this.groups.set(key, { key, capacity: A.ZERO, unassigned: A.ZERO, queues: [q.name] });
      else g.queues.push(q.name);
    }
    for (const [key, g] of this.groups) {
      const first = this.queues.get(g.queues[0] ?? '');
      if (first === undefined) continue;
      const guarantees = A.sum(g.queues.map((n) => this.queues.get(n)?.guarantee ?? A.ZERO));
      const explicit = this.pools.get(first.pool)?.capacity?.[first.model ?? ''];
      const capacity = explicit ?? guarantees;
      this.groups.set(key, { ...g, capacity, unassigned: A.max(A.ZERO, subCapacity(capacity, guarantees)) });
    }
  }
}

/** Idle part of a guarantee; an unbounded guarantee lends nothing in that dimension. */
function idle(guarantee: Amount, used: Amount): Amount {
  return {
    gpuMilli: Number.isFinite(guarantee.gpuMilli) ? Math.max(0, guarantee.gpuMilli - used.gpuMilli) : 0,
    memoryMiB: Number.isFinite(guarantee.memoryMiB) ? Math.max(0, guarantee.memoryMiB - used.memoryMiB) : 0,
  };
}

/** a − b where either may be unbounded (∞ − ∞ counts as 0 left, never NaN). */
function subCapacity(a: Amount, b: Amount): Amount {
  const d = (x: number, y: number): number => (x === A.UNBOUNDED && y === A.UNBOUNDED ? 0 : x - y);
  return { gpuMilli: d(a.gpuMilli, b.gpuMilli), memoryMiB: d(a.memoryMiB, b.memoryMiB) };
}

/**
 * Whether a pod's device model falls under a queue's model, with placement's token rule
 * (`modelMatches`): queue `H100` covers `NVIDIA H100 80GB HBM3`, `Ascend910` covers
 * `Ascend910B`, but `A10` does not cover `A100`.
 */
function sameModel(queueModel: string, podModel: string): boolean {
  return modelMatches(podModel, [queueModel]);
}

function indexByName<T extends { name: string }>(list: readonly T[], what: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of list) {
    if (item.name === '') throw new ConfigError(`${what}[].name`, 'expected a non-empty name');
    if (out.has(item.name)) throw new ConfigError(`${what}.${item.name}`, 'defined twice');
    out.set(item.name, item);
  }
  return out;
}

function validateAmount(field: string, a: Amount): void {
  for (const [dim, v] of [['gpu', a.gpuMilli], ['memoryMiB', a.memoryMiB]] as const) {
    if (!(v === A.UNBOUNDED || (Number.isInteger(v) && v >= 0))) {
      throw new ConfigError(`${field}.${dim}`, `expected a whole number of ${dim === 'gpu' ? 'milli-GPUs' : 'MiB'} >= 0, got ${v}`);
    }
  }
}

function validatePool(p: PoolSpec): void {
  if (p.mode !== 'elastic' && p.mode !== 'fixed' && p.mode !== 'mixed') {
    throw new ConfigError(`pool ${p.name}.mode`, `expected elastic, fixed or mixed, got '${String(p.mode)}'`);
  }
  if (p.computeOvercommit !== undefined && !(p.computeOvercommit >= 1)) {
    throw new ConfigError(`pool ${p.name}.computeOvercommit`, `expected a ratio >= 1, got ${p.computeOvercommit}`);
  }
  for (const [model, cap] of Object.entries(p.capacity ?? {})) validateAmount(`pool ${p.name}.capacity[${model}]`, cap);
}

function validateQueue(q: QueueSpec, pools: ReadonlyMap<string, PoolSpec>, tenants: ReadonlyMap<string, TenantSpec>): void {
  if (!pools.has(q.pool)) throw new ConfigError(`queue ${q.name}.pool`, `no pool named '${q.pool}'`);
  if (!tenants.has(q.tenant)) throw new ConfigError(`queue ${q.name}.tenant`, `no tenant named '${q.tenant}'`);
  validateAmount(`queue ${q.name}.guarantee`, q.guarantee);
  if (q.limit !== undefined) {
    validateAmount(`queue ${q.name}.limit`, q.limit);
    if (!A.fits(q.guarantee, q.limit)) {
      throw new ConfigError(`queue ${q.name}.limit`, `expected limit >= guarantee (${A.formatAmount(q.guarantee)}), got ${A.formatAmount(q.limit)}`);
    }
  }
  if (!Number.isFinite(q.priority)) throw new ConfigError(`queue ${q.name}.priority`, `expected a number, got ${q.priority}`);
}
