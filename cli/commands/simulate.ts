/**
 * `tessera simulate`: replay an openb node list and pod list through the placement engine
 * with FGD's procedure (bench/openb/), print results, optionally write the HTML report.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { registerQuotaSimulation } from './simulate-quota.js';
import {
  DEFAULT_NODES_FILE,
  DEFAULT_PODS_FILE,
  jsonRow,
  loadInputs,
  parseSeeds,
  parseTune,
  reportInput,
  runAll,
  summarise,
} from '../../bench/openb/driver.js';
import { renderReport, writeFileAtomic } from '../../bench/openb/report.js';
import { parsePolicyList, type PolicyName } from '../../bench/openb/simulate.js';
import { SimArgsError } from '../../bench/openb/errors.js';
import { loadPublished } from '../../bench/openb/published.js';
import type { TopologyMode } from '../../bench/openb/cluster.js';
import type { ReportRunSummary } from '../../bench/openb/report.js';
import type { PublishedCurves } from '../../bench/openb/published.js';

interface SimulateFlags {
  nodes: string;
  pods: string;
  policy: string;
  seed: string;
  tune: string;
  json?: boolean;
  report?: string;
  topology: string;
  progress?: boolean;
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
  readonly out: (text: string) => void;
}

/** Run the experiment and print; returns the summaries (for `start`'s table). */
export function executeSimulation(run: SimulateRun): { runs: ReportRunSummary[]; published: PublishedCurves[]; workload: string | null } {
  const inputs = loadInputs(run.nodesFile, run.podsFile);
  const useBar = run.progress && !run.json && process.stderr.isTTY === true;
  const bar = useBar
    ? new cliProgress.SingleBar(
        { format: '{label} [{bar}] {percentage}% | {value}/{total} pods | {duration_formatted}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const results = runAll({
    inputs,
    policies: run.policies,
    seeds: run.seeds,
    tune: run.tune,
    topology: run.topology,
    onRunStart: (policy, seed, index, total) => {
      if (bar) {
        if (started) bar.stop();
        bar.start(1, 0, { label: `${policy} seed ${seed} (${index + 1}/${total})` });
        started = true;
      } else if (!run.json) run.out(`running ${policy} seed ${seed} (${index + 1}/${total}) …`);
    },
    onProgress: (done, total) => {
      if (bar) {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    onRunEnd: (r) => {
      if (run.json) run.out(JSON.stringify(jsonRow(r, inputs.workload)));
    },
  });
  if (bar && started) bar.stop();
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
  const rows = runs.map((r) => {
    const p = pub.get(r.policy);
    return [
      r.policy,
      r.seeds.join(','),
      ...[95, 100, 130].flatMap((x) => [cell(r.unallocatedPct[x]), p ? cell(p.unallocatedPct[x]) : '–']),
      String(r.failedPods),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return ['Unallocated GPU % by arrived workload (published: FGD ATC\'23 artifact, mean of seeds 42–51; FGD: 4.77 at 100 %)', line(head), ...rows.map(line)].join('\n');
}

function parseTopology(text: string): TopologyMode {
  if (text === 'none' || text === 'overlay') return text;
  throw new SimArgsError(`--topology: expected none or overlay, got '${text}'`);
}

export function registerSimulate(program: Command): void {
  const simulate = program
    .command('simulate')
    .description('replay an Alibaba openb node list and pod list through the placement engine (FGD ATC\'23 procedure)')
    .option('--nodes <file>', 'node list CSV (openb format: sn,cpu_milli,memory_mib,gpu,model)', DEFAULT_NODES_FILE)
    .option('--pods <file>', 'pod list CSV (openb format: name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,…])', DEFAULT_PODS_FILE)
    .option('--policy <names>', 'comma-separated: tessera, tessera-notopo, random, dotprod, clustering, packing, bestfit, fgd, ffd', 'tessera')
    .option('--seed <seeds>', 'comma-separated seeds or ranges (42-51)', '42')
    .option('--tune <x>', 'inflate the workload to x × GPU capacity', '1.3')
    .option('--topology <mode>', 'none (as FGD) or overlay (synthetic NVLink/PCIe layouts by GPU model)', 'none')
    .option('--json', 'print one JSON object per run (JSON Lines), nothing else')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--no-progress', 'no progress bar')
    .action((flags: SimulateFlags) => {
      executeSimulation({
        nodesFile: flags.nodes,
        podsFile: flags.pods,
        policies: parsePolicyList(flags.policy),
        seeds: parseSeeds(flags.seed),
        tune: parseTune(flags.tune),
        topology: parseTopology(flags.topology),
        json: flags.json === true,
        reportFile: flags.report,
        progress: flags.progress !== false,
        out: (text) => process.stdout.write(text + '\n'),
      });
    });
  registerQuotaSimulation(simulate);
}
