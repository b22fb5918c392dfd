/**
 * Event-driven replay of Philly jobs through core's QuotaBook (the extender's quota code path).
 *
 * - fixed: each VC runs on its own nodes (a private cluster of its guarantee); FIFO per VC,
 *   strict head-of-line (the queue stops at the first job that does not fit). With priorities,
 *   higher-priority jobs queue first and may preempt lower-priority jobs of the same VC.
 * - elastic: one shared cluster. Each VC's queue is guaranteed nodes × 8 GPUs and may borrow
 *   idle GPUs up to the whole cluster. Every scheduling round first starts jobs that fit within
 *   their VC's guarantee (reclaiming borrowed GPUs by preemption where needed, victims chosen by
 *   core's reclaim order, restricted to the nodes the job will use), then lets VCs borrow, the
 *   least-served VC (used / guarantee) first.
 * - A preempted job goes back to its VC's queue (in submit order) and later resumes; with
 *   restart 'keep' it keeps its progress (checkpointed), with 'lose' it starts over.
 * Time and randomness are inputs; the run is deterministic.
 */
import { GPUS_PER_NODE, Cluster } from './cluster.js';
import type { Placement } from './cluster.js';
import { MinHeap } from './heap.js';
import type { PhillyJob, PhillyVc } from './trace.js';
import { QuotaBook, quotaMath } from '../../core/index.js';
import { planNodeReclaim } from './node-reclaim.js';
import type { NodeReclaimPlan } from './node-reclaim.js';
import type { AdmitRequest, Victim } from '../../core/index.js';

export type SimMode = 'fixed' | 'elastic';

export interface SimOptions {
  readonly mode: SimMode;
  /** Per-job priority (higher first); absent = all equal (plain FIFO). */
  readonly priorities?: readonly number[];
  /** What a preempted job keeps: its progress (checkpoint) or nothing. Default 'keep'. */
  readonly restart?: 'keep' | 'lose';
}

export interface JobOutcome {
  readonly line: number;
  readonly vc: string;
  readonly gpus: number;
  readonly priority: number;
  readonly submit: number;
  readonly duration: number;
  readonly firstStart: number;
  readonly end: number;
  /** Seconds it held GPUs, over all attempts (= duration unless progress was lost). */
  readonly runTime: number;
  readonly preemptions: number;
}

export interface SimRun {
  readonly mode: SimMode;
  readonly outcomes: JobOutcome[];
  readonly preemptions: number;
  readonly capacityGpus: number;
  readonly busyGpuSeconds: number;
  readonly start: number;
  readonly end: number;
  /** Jobs that can never run (more GPUs than their domain has). */
  readonly unschedulable: number[];
}

interface JobState {
  progress: number;
  startedAt: number;
  firstStart: number;
  runTime: number;
  running: boolean;
  version: number;
  preemptions: number;
  end: number;
}

export function simulate(jobs: readonly PhillyJob[], vcs: readonly PhillyVc[], opts: SimOptions): SimRun {
  return new Simulation(jobs, vcs, opts).run();
}

class Simulation {
  private readonly book: QuotaBook;
  private readonly cluster: Cluster;
  private readonly state: JobState[];
  private readonly pending = new Map<string, number[]>();
  private readonly heap = new MinHeap<{ job: number; version: number }>();
  private readonly vcNames: string[];
  private readonly guaranteeGpus = new Map<string, number>();
  private preemptions = 0;
  private busy = 0;
  private readonly unschedulable: number[] = [];

  constructor(
    private readonly jobs: readonly PhillyJob[],
    vcs: readonly PhillyVc[],
    private readonly opts: SimOptions,
  ) {
    this.vcNames = vcs.map((v) => v.vc);
    const total = vcs.reduce((s, v) => s + v.nodes * GPUS_PER_NODE, 0);
    for (const v of vcs) this.guaranteeGpus.set(v.vc, v.nodes * GPUS_PER_NODE);
    const elastic = opts.mode === 'elastic';
    this.book = new QuotaBook({
      pools: [{ name: 'philly', mode: elastic ? 'elastic' : 'fixed' }],
      tenants: vcs.map((v) => ({ name: v.vc, namespaces: [v.vc], defaultQueue: v.vc })),
      queues: vcs.map((v) => ({
        name: v.vc,
        tenant: v.vc,
        pool: 'philly',
        guarantee: quotaMath.gpus(v.nodes * GPUS_PER_NODE),
        ...(elastic ? { limit: quotaMath.gpus(total) } : {}),
        lendIdle: elastic,
        priority: 0,
      })),
    });
    this.cluster = new Cluster(vcs.map((v) => ({ vc: v.vc, nodes: v.nodes })));
    this.state = jobs.map(() => ({ progress: 0, startedAt: 0, firstStart: -1, runTime: 0, running: false, version: 0, preemptions: 0, end: -1 }));
    for (const vc of this.vcNames) this.pending.set(vc, []);
  }

  private priorityOf(j: number): number {
    return this.opts.priorities?.[j] ?? 0;
  }

  /** Queue order: higher priority, then earlier submit, then trace line. */
  private before(a: number, b: number): boolean {
    const pa = this.priorityOf(a);
    const pb = this.priorityOf(b);
    if (pa !== pb) return pa > pb;
    const ja = this.jobs[a];
    const jb = this.jobs[b];
    if (ja === undefined || jb === undefined) return a < b;
    return ja.submit !== jb.submit ? ja.submit < jb.submit : ja.line < jb.line;
  }

  private enqueue(j: number): void {
    const q = this.pending.get(this.jobs[j]?.vc ?? '');
    if (q === undefined) throw new Error(`job line ${this.jobs[j]?.line}: VC not configured`);
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.before(q[mid] ?? 0, j)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, j);
  }

  run(): SimRun {
    let next = 0;
    const n = this.jobs.length;
    const start = this.jobs[0]?.submit ?? 0;
    let now = start;
    while (next < n || this.heap.size > 0) {
      const tArr = next < n ? (this.jobs[next]?.submit ?? Infinity) : Infinity;
      const tEnd = this.heap.peekKey() ?? Infinity;
      now = Math.min(tArr, tEnd);
      while ((this.heap.peekKey() ?? Infinity) <= now) {
        const ev = this.heap.pop();
        if (ev !== undefined) this.complete(ev.value.job, ev.value.version, ev.key);
      }
      while (next < n && (this.jobs[next]?.submit ?? Infinity) <= now) {
        const j = next++;
        const job = this.jobs[j];
        if (job === undefined) continue;
        const cap = this.guaranteeGpus.get(job.vc) ?? 0;
        const domain = this.opts.mode === 'fixed' ? cap : this.cluster.size * GPUS_PER_NODE;
        if (job.gpus > domain) {
          this.unschedulable.push(job.line);
          continue;
        }
        this.enqueue(j);
      }
      this.schedule(now);
    }
    const outcomes: JobOutcome[] = [];
    let end = start;
    this.jobs.forEach((job, j) => {
      const s = this.state[j];
      if (s === undefined || s.end < 0) return;
      end = Math.max(end, s.end);
      outcomes.push({
        line: job.line,
        vc: job.vc,
        gpus: job.gpus,
        priority: this.priorityOf(j),
        submit: job.submit,
        duration: job.duration,
        firstStart: s.firstStart,
        end: s.end,
        runTime: s.runTime,
        preemptions: s.preemptions,
      });
    });
    return {
      mode: this.opts.mode,
      outcomes,
      preemptions: this.preemptions,
      capacityGpus: this.cluster.size * GPUS_PER_NODE,
      busyGpuSeconds: this.busy,
      start,
      end,
      unschedulable: this.unschedulable,
    };
  }

  private request(j: number): AdmitRequest {
    const job = this.jobs[j];
    return { id: String(j), queue: job?.vc ?? '', amount: quotaMath.gpus(job?.gpus ?? 0), priority: this.priorityOf(j) };
  }

  /** One scheduling round at time `now`: guarantee-first, then borrowing. */
  private schedule(now: number): void {
    const overGuarantee: string[] = [];
    for (const vc of this.vcNames) {
      const q = this.pending.get(vc) ?? [];
      while (q.length > 0) {
        const head = q[0] ?? 0;
        const r = this.tryWithinGuarantee(head, now);
        if (r === 'started') {
          q.shift();
          continue;
        }
        if (r === 'over-guarantee') overGuarantee.push(vc);
        break;
      }
    }
    if (this.opts.mode !== 'elastic') return;
    // Borrowing: core's contention order (queue priority, then least served), FIFO within a VC.
    overGuarantee.sort((a, b) => this.book.compareForBorrowing(a, b));
    for (const vc of overGuarantee) {
      const q = this.pending.get(vc) ?? [];
      while (q.length > 0) {
        const head = q[0] ?? 0;
        if (!this.tryBorrow(head, now)) break;
        q.shift();
      }
    }
  }

  private tryWithinGuarantee(j: number, now: number): 'started' | 'blocked' | 'over-guarantee' {
    const req = this.request(j);
    const job = this.jobs[j];
    if (job === undefined) return 'blocked';
    const d = this.book.check(req);
    const within = (d.kind === 'admitted' && d.how === 'guarantee') || d.kind === 'needs-reclaim';
    const fixed = this.opts.mode === 'fixed';
    const where = fixed ? { home: job.vc } : { prefer: job.vc };
    if (d.kind === 'admitted' && d.how === 'guarantee') {
      const placement = this.cluster.find(job.gpus, where);
      if (placement !== null) {
        this.start(j, placement, now);
        return 'started';
      }
    }
    if (!within && !(fixed && this.opts.priorities !== undefined)) return fixed ? 'blocked' : 'over-guarantee';
    // Make room: borrowers (elastic), or lower-priority jobs of the same VC (with priorities).
    const reasons = new Set<Victim['reason']>();
    if (!fixed) reasons.add('reclaim');
    if (this.opts.priorities !== undefined) reasons.add('priority');
    if (reasons.size === 0) return 'blocked';
    const plan = this.makeRoom(j, req, where, reasons);
    if (plan === null) return within || fixed ? 'blocked' : 'over-guarantee';
    for (const v of plan.victims) this.preempt(v, now);
    this.start(j, plan.placement, now);
    return 'started';
  }

  private tryBorrow(j: number, now: number): boolean {
    const job = this.jobs[j];
    if (job === undefined) return false;
    const d = this.book.check(this.request(j));
    if (d.kind !== 'admitted') return false;
    const placement = this.cluster.find(job.gpus);
    if (placement === null) return false;
    this.start(j, placement, now);
    return true;
  }

  private makeRoom(
    j: number,
    req: AdmitRequest,
    where: { home?: string; prefer?: string },
    reasons: ReadonlySet<Victim['reason']>,
  ): NodeReclaimPlan | null {
    const job = this.jobs[j];
    if (job === undefined) return null;
    return planNodeReclaim({ book: this.book, cluster: this.cluster, req, gpus: job.gpus, where, reasons });
  }

  private start(j: number, placement: readonly Placement[], now: number): void {
    const s = this.state[j];
    const job = this.jobs[j];
    if (s === undefined || job === undefined) return;
    const d = this.book.admit(this.request(j), now);
    if (d.kind !== 'admitted') throw new Error(`simulator: job line ${job.line} placed but quota says ${d.kind}`);
    this.cluster.place(j, placement);
    s.running = true;
    s.startedAt = now;
    if (s.firstStart < 0) s.firstStart = now;
    this.heap.push(now + (job.duration - s.progress), { job: j, version: s.version });
  }

  private preempt(j: number, now: number): void {
    const s = this.state[j];
    const job = this.jobs[j];
    if (s === undefined || job === undefined || !s.running) return;
    this.book.release(String(j));
    this.cluster.remove(j);
    const ran = now - s.startedAt;
    s.runTime += ran;
    this.busy += ran * job.gpus;
    s.progress = this.opts.restart === 'lose' ? 0 : s.progress + ran;
    s.running = false;
    s.version++;
    s.preemptions++;
    this.preemptions++;
    this.enqueue(j);
  }

  private complete(j: number, version: number, now: number): void {
    const s = this.state[j];
    const job = this.jobs[j];
    if (s === undefined || job === undefined || !s.running || s.version !== version) return;
    this.book.release(String(j));
    this.cluster.remove(j);
    const ran = now - s.startedAt;
    s.runTime += ran;
    this.busy += ran * job.gpus;
    s.running = false;
    s.end = now;
  }
}
