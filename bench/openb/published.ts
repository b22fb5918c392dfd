/**
 * The FGD artifact's published per-run curves (shared/traces/fgd-atc23-expected-results/),
 * averaged over seeds for one workload, to draw beside ours.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLISHED_POLICY_NAMES: Readonly<Record<string, string>> = {
  '01-Random': 'random',
  '02-DotProd': 'dotprod',
  '03-GpuClustering': 'clustering',
  '04-GpuPacking': 'packing',
  '05-BestFit': 'bestfit',
  '06-FGD': 'fgd',
};

export interface PublishedCurves {
  readonly policy: string;
  readonly seeds: number;
  /** Mean over seeds, per arrived % 0…130. */
  readonly unallocatedPct: (number | null)[];
  readonly fragmentationPct: (number | null)[];
}

/** `openb_pod_list_gpushare40.csv` → `gpushare40`; null for other names. */
export function workloadOfPodFile(path: string): string | null {
  const m = /openb_pod_list_([A-Za-z0-9]+)\.csv$/.exec(path);
  return m ? (m[1] as string) : null;
}

export function meanRows(file: string, workload: string): Map<string, { n: number; values: (number | null)[] }> {
  const out = new Map<string, { n: number; sums: number[]; counts: number[] }>();
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const header = (lines[0] ?? '').split(',');
  const x0 = header.indexOf('0');
  if (x0 < 0) return new Map();
  const want = `openb_pod_list_${workload}`;
  for (const line of lines.slice(1)) {
    if (!line.startsWith(want + ',')) continue;
    const cells = line.split(',');
    const policy = PUBLISHED_POLICY_NAMES[cells[1] ?? ''];
    if (policy === undefined) continue;
    let acc = out.get(policy);
    if (!acc) {
      acc = { n: 0, sums: new Array<number>(131).fill(0), counts: new Array<number>(131).fill(0) };
      out.set(policy, acc);
    }
    acc.n += 1;
    for (let x = 0; x <= 130; x++) {
      const v = Number(cells[x0 + x]);
      if (cells[x0 + x] !== '' && Number.isFinite(v)) {
        acc.sums[x] = (acc.sums[x] as number) + v;
        acc.counts[x] = (acc.counts[x] as number) + 1;
      }
    }
  }
  const res = new Map<string, { n: number; values: (number | null)[] }>();
  for (const [p, acc] of out) {
    res.set(p, { n: acc.n, values: acc.sums.map((s, i) => ((acc.counts[i] as number) > 0 ? s / (acc.counts[i] as number) : null)) });
  }
  return res;
}

/** The embedded summary: workload → policy → {seeds, allocatedPct, fragmentationPct}, 2 decimals. */
export type PublishedSummary = Record<string, Record<string, { seeds: number; allocatedPct: (number | null)[]; fragmentationPct: (number | null)[] }>>;

export const PUBLISHED_SUMMARY_FILE = fileURLToPath(new URL('../data/openb/fgd-published-means.json', import.meta.url));

/** Build the summary from the artifact CSVs (bench/openb/make-published.ts writes it to the repo). */
export function summariseArtifact(dir: string): PublishedSummary {
  const allo = join(dir, 'analysis_allo_discrete.csv');
  const frag = join(dir, 'analysis_frag_discrete.csv');
  const workloads = new Set<string>();
  for (const line of readFileSync(allo, 'utf8').split(/\r?\n/).slice(1)) {
    const m = /^openb_pod_list_([A-Za-z0-9]+),/.exec(line);
    if (m) workloads.add(m[1] as string);
  }
  const round2 = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);
  const out: PublishedSummary = {};
  for (const w of [...workloads].sort()) {
    const a = meanRows(allo, w);
    const f = meanRows(frag, w);
    out[w] = {};
    for (const [policy, { n, values }] of a) {
      (out[w] as PublishedSummary[string])[policy] = {
        seeds: n,
        allocatedPct: values.map(round2),
        fragmentationPct: (f.get(policy)?.values ?? values.map(() => null)).map(round2),
      };
    }
  }
  return out;
}

let cached: PublishedSummary | null = null;

/** Published mean curves for `workload`, one entry per policy; empty when the artifact lacks it. */
export function loadPublished(workload: string | null, file = PUBLISHED_SUMMARY_FILE): PublishedCurves[] {
  if (workload === null || !existsSync(file)) return [];
  if (cached === null || file !== PUBLISHED_SUMMARY_FILE) cached = JSON.parse(readFileSync(file, 'utf8')) as PublishedSummary;
  const byPolicy = cached[workload];
  if (byPolicy === undefined) return [];
  return Object.entries(byPolicy).map(([policy, c]) => ({
    policy,
    seeds: c.seeds,
    unallocatedPct: c.allocatedPct.map((v) => (v === null ? null : Math.round((100 - v) * 100) / 100)),
    fragmentationPct: c.fragmentationPct,
  }));
}
