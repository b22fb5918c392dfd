/** Scenario C: read the Philly files, run fixed (and elastic) quotas, and build the JSON report. */
import { readFileSync } from 'node:fs';
import { compareWithFixed, summarize } from './metrics.js';
import type { RunSummary, SharingComparison } from './metrics.js';
import { simulate } from './simulator.js';
import type { SimMode } from './simulator.js';
import { PhillyInputError, parsePhillyJobs, parsePhillyVcs, parseTraceTime } from './trace.js';
import type { PhillyJob } from './trace.js';

export interface QuotaBenchOptions {
  readonly jobsFile: string;
  readonly vcsFile: string;
  readonly mode: SimMode;
  /** Give a share of jobs a higher priority (seeded draw). */
  readonly priority: boolean;
  readonly highPriorityShare: number;
  readonly seed: number;
  /** Inclusive dates, `YYYY-MM-DD`. */
  readonly from: string;
  readonly to: string;
  readonly dropUnknownVcs: boolean;
  readonly restart: 'keep' | 'lose';
  /**
   * Compress submit times by this factor (1 = the trace as is): arrivals come k× faster, so the
   * offered load is k× higher. The Pollux extract is light (≈17 % of 2816 GPUs); k > 1 makes the
   * VCs contend, which is what quotas are for.
   */
  readonly arrivalScale: number;
}

export type QuotaBenchReport = RunSummary & {
  readonly input: Record<string, unknown>;
  readonly runtimeSec?: number;
} & Partial<SharingComparison>;

const DAY = 86_400;

/** Deterministic PRNG (mulberry32) for the priority draw. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Priority 1 for a `share` of jobs drawn with `seed`, else 0. */
export function drawPriorities(jobs: readonly PhillyJob[], share: number, seed: number): number[] {
  const rnd = mulberry32(seed);
  return jobs.map(() => (rnd() < share ? 1 : 0));
}

function dateArg(name: string, text: string): number {
  const t = parseTraceTime(text);
  if (t === null || text.length !== 10) throw new PhillyInputError(`--${name}`, 1, null, `expected a date YYYY-MM-DD, got '${text}'`);
  return t;
}

export function runQuotaBench(opts: QuotaBenchOptions): QuotaBenchReport {
  const vcs = parsePhillyVcs(readFileSync(opts.vcsFile, 'utf8'), opts.vcsFile);
  const parsed = parsePhillyJobs(readFileSync(opts.jobsFile, 'utf8'), opts.jobsFile, {
    from: dateArg('from', opts.from),
    to: dateArg('to', opts.to) + DAY,
    vcs: new Set(vcs.map((v) => v.vc)),
    dropUnknownVcs: opts.dropUnknownVcs,
  });
  const { droppedByVc } = parsed;
  const origin = dateArg('from', opts.from);
  const jobs = opts.arrivalScale === 1 ? parsed.jobs : parsed.jobs.map((j) => ({ ...j, submit: origin + (j.submit - origin) / opts.arrivalScale }));
  const priorities = opts.priority ? drawPriorities(jobs, opts.highPriorityShare, opts.seed) : undefined;
  const simOpts = { restart: opts.restart, ...(priorities === undefined ? {} : { priorities }) };
  const input = {
    jobsFile: opts.jobsFile,
    vcsFile: opts.vcsFile,
    from: opts.from,
    to: opts.to,
    vcs: vcs.length,
    clusterGpus: vcs.reduce((s, v) => s + v.nodes * 8, 0),
    droppedUnknownVcJobs: droppedByVc,
    priority: opts.priority ? { highShare: opts.highPriorityShare, seed: opts.seed } : null,
    restart: opts.restart,
    arrivalScale: opts.arrivalScale,
  };
  const fixed = simulate(jobs, vcs, { ...simOpts, mode: 'fixed' });
  if (opts.mode === 'fixed') return { ...summarize(fixed), input };
  const elastic = simulate(jobs, vcs, { ...simOpts, mode: 'elastic' });
  return { ...summarize(elastic), ...compareWithFixed(elastic, fixed), input };
}
