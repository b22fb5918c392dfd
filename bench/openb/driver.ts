/**
 * Shared pieces of `tessera simulate`, `npm start` and the grid script: load and validate
 * the CSVs, parse flags, and turn results into JSON rows and report input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { nodeModelSet, parseNodeCsv, parsePodCsv, type OpenbNode, type OpenbPod } from './csv.js';
import { SimArgsError, SimInputError } from './errors.js';
import { atReportPoints } from './metrics.js';
import { loadPublished, workloadOfPodFile } from './published.js';
import type { ReportInput, ReportRunSummary } from './report.js';
import type { SimulationResult } from './simulate.js';

import { DEFAULT_NODES_FILE, DEFAULT_PODS_FILE } from './default-files.js';

export { DEFAULT_NODES_FILE, DEFAULT_PODS_FILE };

export interface Inputs {
  readonly nodesFile: string;
  readonly podsFile: string;
  readonly nodes: OpenbNode[];
  readonly pods: OpenbPod[];
  /** Workload name in the FGD artifact (`default`, `gpushare40`, …), or null. */
  readonly workload: string | null;
}

function readText(file: string): string {
  if (!existsSync(file)) throw new SimInputError({ file, line: null, column: null }, 'no such file');
  return readFileSync(file, 'utf8');
}

/**
 * A generated cluster: the node list repeated `times` times (names suffixed `-r<k>`), as
 * scenario D's openb ×4 / ×8 clusters. The workload is tuned to the bigger capacity.
 */
export function replicateNodes(nodes: readonly OpenbNode[], times: number): OpenbNode[] {
  if (times <= 1) return [...nodes];
  const out: OpenbNode[] = [];
  for (let k = 0; k < times; k++) for (const n of nodes) out.push({ ...n, name: k === 0 ? n.name : `${n.name}-r${k}` });
  return out;
}

export function loadInputs(nodesFile = DEFAULT_NODES_FILE, podsFile = DEFAULT_PODS_FILE, replicate = 1): Inputs {
  const nodes = replicateNodes(parseNodeCsv(readText(nodesFile), nodesFile), replicate);
  const pods = parsePodCsv(readText(podsFile), podsFile, nodeModelSet(nodes));
  return { nodesFile, podsFile, nodes, pods, workload: workloadOfPodFile(podsFile) };
}

export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: number[] = [];
  for (const s of seeds) {
    const range = /^(\d+)-(\d+)$/.exec(s);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a || b - a > 1000) throw new SimArgsError(`--seed: bad range '${s}'`);
      for (let k = a; k <= b; k++) out.push(k);
    } else if (/^\d+$/.test(s)) out.push(Number(s));
    else throw new SimArgsError(`--seed: expected integers or ranges like 42-51, comma-separated; got '${s}'`);
  }
  if (out.length === 0) throw new SimArgsError(`--seed: expected at least one seed, got '${text}'`);
  return out;
}

export function parseTune(text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || v > 10) throw new SimArgsError(`--tune: expected a number in (0, 10], got '${text}'`);
  return v;
}

/** The `--json` object of one run. */
export function jsonRow(r: SimulationResult, workload: string | null): Record<string, unknown> {
  return {
    policy: r.policy,
    seed: r.seed,
    tune: r.tune,
    workload,
    gpus: r.gpus,
    nodes: r.nodes,
    pods: r.pods,
    failedPods: r.failedPods,
    unallocatedPct: atReportPoints(r.curves.unallocatedPct),
    fragmentationPct: atReportPoints(r.curves.fragmentationPct),
    fragmentationRatioPct: atReportPoints(r.curves.fragmentationRatioPct),
    multiGpu: r.topology.bySize,
    elapsedMs: r.elapsedMs,
  };
}

function meanCurve(curves: readonly (readonly (number | null)[])[]): (number | null)[] {
  const len = curves[0]?.length ?? 0;
  return Array.from({ length: len }, (_, x) => {
    let sum = 0;
    let n = 0;
    for (const c of curves) {
      const v = c[x];
      if (v !== null && v !== undefined) {
        sum += v;
        n++;
      }
    }
    return n > 0 ? sum / n : null;
  });
}

/** Mean curves per policy, in the order policies first appear. */
export function summarise(results: readonly SimulationResult[]): ReportRunSummary[] {
  const policies = [...new Set(results.map((r) => r.policy))];
  return policies.map((policy) => {
    const rs = results.filter((r) => r.policy === policy);
    return {
      policy,
      seeds: rs.map((r) => r.seed),
      unallocatedPct: meanCurve(rs.map((r) => r.curves.unallocatedPct)),
      fragmentationPct: meanCurve(rs.map((r) => r.curves.fragmentationPct)),
      failedPods: Math.round(rs.reduce((s, r) => s + r.failedPods, 0) / rs.length),
    };
  });
}

export function reportInput(inputs: Inputs, results: readonly SimulationResult[], tune: number): ReportInput {
  const first = results[0];
  return {
    title: `Tessera placement quality on ${inputs.workload === null ? 'a custom workload' : `openb ${inputs.workload}`}`,
    facts: [
      `nodes: ${inputs.nodesFile} (${inputs.nodes.length} nodes, ${first?.gpus ?? 0} GPUs)`,
      `pods: ${inputs.podsFile} (${inputs.pods.length} pods in the file, ${first?.pods ?? 0} after tuning to ${tune} × GPU capacity)`,
      'procedure: FGD (ATC\'23) — seeded inflation, shuffle, one pod at a time, no departures, every feasible node scored',
      inputs.workload === null ? 'no published FGD curves for this pod list' : `published curves: FGD artifact workload openb_pod_list_${inputs.workload}`,
    ],
    runs: summarise(results),
    published: loadPublished(inputs.workload),
  };
}
