/** Queueing, JCT, utilisation, sharing safety (HiveD) and finish-time fairness (Themis). */
import type { JobOutcome, SimRun } from './simulator.js';

export interface VcSummary {
  readonly jobs: number;
  readonly avgQueueDelaySec: number;
  readonly p95QueueDelaySec: number;
  readonly avgJctSec: number;
  readonly preemptions: number;
}

export interface RunSummary {
  readonly mode: string;
  readonly jobs: number;
  readonly avgQueueDelaySec: number;
  readonly p95QueueDelaySec: number;
  readonly medianQueueDelaySec: number;
  readonly avgJctSec: number;
  readonly p95JctSec: number;
  readonly utilizationPct: number;
  readonly preemptions: number;
  readonly unschedulableJobs: number;
  readonly perVc: Record<string, VcSummary>;
}

/** Time a job spent not holding GPUs: JCT − time run (= start − submit when never preempted). */
export function queueDelay(o: JobOutcome): number {
  return o.end - o.submit - o.runTime;
}

export function jct(o: JobOutcome): number {
  return o.end - o.submit;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Nearest-rank percentile (p in 0–100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}

/** Jain's fairness index: (Σx)² / (n Σx²); 1 = all equal. */
export function jainIndex(xs: readonly number[]): number {
  if (xs.length === 0) return 1;
  const s = xs.reduce((a, x) => a + x, 0);
  const s2 = xs.reduce((a, x) => a + x * x, 0);
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

export function summarize(run: SimRun): RunSummary {
  const byVc = new Map<string, JobOutcome[]>();
  for (const o of run.outcomes) {
    const list = byVc.get(o.vc) ?? [];
    list.push(o);
    byVc.set(o.vc, list);
  }
  const perVc: Record<string, VcSummary> = {};
  for (const [vc, list] of [...byVc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const delays = list.map(queueDelay);
    perVc[vc] = {
      jobs: list.length,
      avgQueueDelaySec: r1(mean(delays)),
      p95QueueDelaySec: r1(percentile(delays, 95)),
      avgJctSec: r1(mean(list.map(jct))),
      preemptions: list.reduce((s, o) => s + o.preemptions, 0),
    };
  }
  const delays = run.outcomes.map(queueDelay);
  const jcts = run.outcomes.map(jct);
  const span = run.end - run.start;
  return {
    mode: run.mode,
    jobs: run.outcomes.length,
    avgQueueDelaySec: r1(mean(delays)),
    p95QueueDelaySec: r1(percentile(delays, 95)),
    medianQueueDelaySec: r1(percentile(delays, 50)),
    avgJctSec: r1(mean(jcts)),
    p95JctSec: r1(percentile(jcts, 95)),
    utilizationPct: span > 0 ? r1((100 * run.busyGpuSeconds) / (run.capacityGpus * span)) : 0,
    preemptions: run.preemptions,
    unschedulableJobs: run.unschedulable.length,
    perVc,
  };
}

export interface SharingComparison {
  /** VCs whose average queueing delay under elastic exceeds their own fixed-mode value. */
  readonly sharingSafetyViolations: string[];
  readonly finishTimeFairness: {
    /** ρ_j = JCT_elastic / JCT_fixed per job (jobs with both JCTs 0 count as ρ = 1). */
    readonly maxRho: number;
    readonly medianRho: number;
    readonly perVcAvgRho: Record<string, number>;
    readonly jainIndexPerVcAvgRho: number;
  };
  readonly fixedBaseline: { readonly avgQueueDelaySec: number; readonly perVc: Record<string, { avgQueueDelaySec: number; avgJctSec: number }> };
  readonly queueDelayReduction: number;
}

/** Compare a shared run with the private (fixed) baseline of the same jobs. */
export function compareWithFixed(shared: SimRun, fixed: SimRun): SharingComparison {
  const s = summarize(shared);
  const f = summarize(fixed);
  const violations = Object.keys(s.perVc).filter((vc) => (s.perVc[vc]?.avgQueueDelaySec ?? 0) > (f.perVc[vc]?.avgQueueDelaySec ?? Infinity));
  const fixedJct = new Map(fixed.outcomes.map((o) => [o.line, jct(o)]));
  const rhos: number[] = [];
  const rhoByVc = new Map<string, number[]>();
  for (const o of shared.outcomes) {
    const base = fixedJct.get(o.line);
    if (base === undefined) continue;
    const mine = jct(o);
    const rho = base === 0 ? (mine === 0 ? 1 : Infinity) : mine / base;
    if (!Number.isFinite(rho)) continue;
    rhos.push(rho);
    const list = rhoByVc.get(o.vc) ?? [];
    list.push(rho);
    rhoByVc.set(o.vc, list);
  }
  const perVcAvgRho: Record<string, number> = {};
  for (const [vc, list] of [...rhoByVc.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    perVcAvgRho[vc] = Math.round(mean(list) * 1000) / 1000;
  }
  const fixedPerVc: Record<string, { avgQueueDelaySec: number; avgJctSec: number }> = {};
  for (const [vc, v] of Object.entries(f.perVc)) fixedPerVc[vc] = { avgQueueDelaySec: v.avgQueueDelaySec, avgJctSec: v.avgJctSec };
  return {
    sharingSafetyViolations: violations,
    finishTimeFairness: {
      maxRho: Math.round(Math.max(0, ...rhos) * 1000) / 1000,
      medianRho: Math.round(percentile(rhos, 50) * 1000) / 1000,
      perVcAvgRho,
      jainIndexPerVcAvgRho: Math.round(jainIndex(Object.values(perVcAvgRho)) * 10000) / 10000,
    },
    fixedBaseline: { avgQueueDelaySec: f.avgQueueDelaySec, perVc: fixedPerVc },
    queueDelayReduction: s.avgQueueDelaySec > 0 ? Math.round((f.avgQueueDelaySec / s.avgQueueDelaySec) * 100) / 100 : Infinity,
  };
}
