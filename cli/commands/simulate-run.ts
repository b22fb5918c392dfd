/**
 * What `tessera simulate` and `tessera start` run (loaded only when one of them runs):
 * replay an openb node list and pod list through the placement engine with FGD's
 * procedure (bench/openb/), print results, optionally write the HTML report.
 */
import cliProgress from 'cli-progress';
import {
  jsonRow,
  loadInputs,
  parseSeeds,
  parseTune,
  reportInput,
  summarise,
} from '../../bench/openb/driver.js';
import { defaultThreads, runParallel, type WorkerJob } from '../../bench/openb/parallel.js';
import { renderReport, writeFileAtomic } from '../../bench/openb/report.js';
import { parsePolicyList, type PolicyName } from '../../bench/openb/simulate.js';
import { SimArgsError } from '../../bench/openb/errors.js';
import { loadPublished } from '../../bench/openb/published.js';
import type { TopologyMode } from '../../bench/openb/cluster.js';
import type { ReportRunSummary } from '../../bench/openb/report.js';
import type { PublishedCurves } from '../../bench/openb/published.js';

export interface SimulateFlags {
  nodes: string;
  pods: string;
  policy: string;
  seed: string;
  tune: string;
  json?: boolean;
  report?: string;
  topology: string;
  progress?: boolean;
  threads?: string;
  replicate: string;
}

export interface SimulateRun {
  readonly nodesFile: string;
  readonly podsFile: string;
  readonly policies: readonly PolicyName[];
  readonly seeds: readonly number[];
  readonly tune: number;
  readonly topology: TopologyMode;
  readonly json: boolean;
  readonly reportFile: string | undefined;
  /** Show a progress bar (only when stderr is a TTY and not in JSON mode). */
  readonly progress: boolean;
  /** Worker threads (default: one per core, at most one per run). */
  readonly threads?: number;
  /** Generated cluster: the node list repeated this many times. */
  readonly replicate?: number;
  readonly out: (text: string) => void;
}

/** Run the experiment and print; returns the summaries (for `start`'s table). */
export async function executeSimulation(run: SimulateRun): Promise<{ runs: ReportRunSummary[]; published: PublishedCurves[]; workload: string | null }> {
  // Parse and validate in this thread first: bad input stops here, before any worker starts.
  const inputs = loadInputs(run.nodesFile, run.podsFile, run.replicate ?? 1);
  const jobs: WorkerJob[] = run.policies.flatMap((policy) =>
    run.seeds.map((seed) => ({ nodesFile: run.nodesFile, podsFile: run.podsFile, policy, seed, tune: run.tune, topology: run.topology, replicate: run.replicate ?? 1 })),
  );
  const threads = run.threads ?? defaultThreads(jobs.length);
  const useBar = run.progress && !run.json && process.stderr.isTTY === true;
  const bar = useBar
    ? new cliProgress.SingleBar(
        { format: 'simulating [{bar}] {percentage}% | {runs} | {duration_formatted}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  if (!run.json) run.out(`${jobs.length} run(s): ${run.policies.join(', ')} × seed ${run.seeds.join(', ')} on ${threads} thread(s)`);
  let finished = 0;
  bar?.start(1000, 0, { runs: `0/${jobs.length} runs done` });
  const results = await runParallel(jobs, {
    threads,
    onProgress: (f) => bar?.update(Math.round(f * 1000), { runs: `${finished}/${jobs.length} runs done` }),
    onRunEnd: (r) => {
      finished += 1;
      bar?.update({ runs: `${finished}/${jobs.length} runs done` });
      if (!run.json && bar === null) run.out(`done: ${r.policy} seed ${r.seed} (${(r.elapsedMs / 1000).toFixed(1)} s)`);
    },
  });
  bar?.stop();
  if (run.json) for (const r of results) run.out(JSON.stringify(jsonRow(r, inputs.workload)));
  const runs = summarise(results);
  const published = loadPublished(inputs.workload);
  if (!run.json) run.out(formatTable(runs, published));
  if (run.reportFile !== undefined) {
    writeFileAtomic(run.reportFile, renderReport(reportInput(inputs, results, run.tune)));
    if (!run.json) run.out(`report: ${run.reportFile}`);
  }
  return { runs, published, workload: inputs.workload };
}

function cell(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : v.toFixed(2);
}

/** Unallocated GPU % at 95 / 100 / 130 % arrived, ours beside the published mean. */
export function formatTable(runs: readonly ReportRunSummary[], published: readonly PublishedCurves[]): string {
  const pub = new Map(published.map((p) => [p.policy, p]));
  const head = ['policy', 'seeds', '95% ours', 'published', '100% ours', 'published', '130% ours', 'published', 'failed pods'];
  // Policies the artifact does not have (ours) are compared with its best policy, FGD.
  const fgd = pub.get('fgd');
  const rows = runs.map((r) => {
    const own = pub.get(r.policy);
    const p = own ?? fgd;
    const tag = own === undefined && p !== undefined ? ' (fgd)' : '';
    return [
      r.policy,
      r.seeds.join(','),
      ...[95, 100, 130].flatMap((x) => [cell(r.unallocatedPct[x]), p ? cell(p.unallocatedPct[x]) + tag : '–']),
      String(r.failedPods),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return ['Unallocated GPU % by arrived workload (published: FGD ATC\'23 artifact, mean of seeds 42–51; FGD: 4.77 at 100 %)', line(head), ...rows.map(line)].join('\n');
}

function parseThreads(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new SimArgsError(`--threads: expected an integer 1–64, got '${text}'`);
  return n;
}

function parseReplicate(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new SimArgsError(`--replicate: expected an integer 1–64, got '${text}'`);
  return n;
}

function parseTopology(text: string): TopologyMode {
  if (text === 'none' || text === 'overlay') return text;
  throw new SimArgsError(`--topology: expected none or overlay, got '${text}'`);
}

/** `tessera simulate` with its parsed flags. */
export async function runSimulateCommand(flags: SimulateFlags): Promise<void> {
  await executeSimulation({
    nodesFile: flags.nodes,
    podsFile: flags.pods,
    policies: parsePolicyList(flags.policy),
    seeds: parseSeeds(flags.seed),
    tune: parseTune(flags.tune),
    topology: parseTopology(flags.topology),
    json: flags.json === true,
    reportFile: flags.report,
    progress: flags.progress !== false,
    ...(flags.threads === undefined ? {} : { threads: parseThreads(flags.threads) }),
    replicate: parseReplicate(flags.replicate),
    out: (text) => process.stdout.write(text + '\n'),
  });
}
