/**
 * The placement-quality grid (BENCHMARKS.md §5 scenario A/B): workloads × policies × seeds.
 * Appends one JSON line per run to `<out>.jsonl` as it goes (a partial grid survives), then
 * writes `<out>.md` with mean ± sd of unallocated GPU % at 95 / 100 / 130 % arrived beside
 * the published FGD means.
 *
 *   nice npx tsx bench/openb/run-grid.ts --workloads default --policies tessera,bestfit,fgd \
 *     --seeds 42-51 --out bench/openb/results/default
 *   npx tsx bench/openb/run-grid.ts --summarise-only --out bench/openb/results/default
 *
 * Flags: --trace-dir DIR (openb CSVs; default <shared>/traces/alibaba-gpu-v2023-openb),
 * --topology none|overlay, --tune X, --resume (skip runs already in the .jsonl).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonRow, loadInputs, parseSeeds, parseTune } from './driver.js';
import { loadPublished } from './published.js';
import { parsePolicyList } from './simulate.js';
import { runSimulation } from './simulate.js';
import type { TopologyMode } from './cluster.js';
import { SHARED_TRACES } from '../shared-dir.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'default' },
    policies: { type: 'string', default: 'tessera,bestfit,fgd' },
    seeds: { type: 'string', default: '42-51' },
    tune: { type: 'string', default: '1.3' },
    topology: { type: 'string', default: 'none' },
    'trace-dir': { type: 'string', default: join(SHARED_TRACES, 'alibaba-gpu-v2023-openb') },
    out: { type: 'string', default: 'bench/openb/results/grid' },
    resume: { type: 'boolean', default: false },
    'summarise-only': { type: 'boolean', default: false },
  },
});

type Row = Record<string, unknown> & { topology: TopologyMode; workload: string | null; policy: string; seed: number };

const out = values.out as string;
const jsonl = `${out}.jsonl`;
mkdirSync(dirname(jsonl), { recursive: true });

function readRows(): Row[] {
  if (!existsSync(jsonl)) return [];
  return readFileSync(jsonl, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}

if (!values['summarise-only']) {
  const topology = values.topology as TopologyMode;
  const policies = parsePolicyList(values.policies as string);
  const seeds = parseSeeds(values.seeds as string);
  const tune = parseTune(values.tune as string);
  const done = new Set(values.resume ? readRows().map((r) => `${r.workload}/${r.policy}/${r.seed}/${r.topology}`) : []);
  for (const workload of (values.workloads as string).split(',')) {
    const dir = values['trace-dir'] as string;
    const inputs = loadInputs(join(dir, 'openb_node_list_gpu_node.csv'), join(dir, `openb_pod_list_${workload}.csv`));
    for (const seed of seeds) {
      for (const policy of policies) {
        if (done.has(`${workload}/${policy}/${seed}/${topology}`)) continue;
        const r = runSimulation({ nodes: inputs.nodes, pods: inputs.pods, policy, seed, tune, topology });
        const row = { ...jsonRow(r, inputs.workload), topology } as Row;
        appendFileSync(jsonl, JSON.stringify(row) + '\n');
        const u = row.unallocatedPct as Record<string, number | null>;
        process.stderr.write(`${workload} ${policy} seed ${seed} ${topology}: unallocated@100 ${u['100']} (${r.elapsedMs} ms)\n`);
      }
    }
  }
}

function meanSd(xs: readonly number[]): string {
  if (xs.length === 0) return '–';
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return m.toFixed(2);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${m.toFixed(2)} ± ${sd.toFixed(2)}`;
}

const rows = readRows();
const lines: string[] = [];
lines.push('| workload | topology | policy | seeds | unalloc @95 | @100 | @130 | published, same policy @100 | published FGD @100 | frag % @100 | failed pods |');
lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
const groups = new Map<string, Row[]>();
for (const r of rows) {
  const key = `${r.workload}\t${r.topology}\t${r.policy}`;
  groups.set(key, [...(groups.get(key) ?? []), r]);
}
for (const [key, rs] of groups) {
  const [workload, topology, policy] = key.split('\t') as [string, string, string];
  const published = loadPublished(workload);
  const pub = published.find((p) => p.policy === policy);
  const pubFgd = published.find((p) => p.policy === 'fgd');
  const at = (x: string): number[] =>
    rs.map((r) => (r.unallocatedPct as Record<string, number | null>)[x]).filter((v): v is number => typeof v === 'number');
  const frag = rs.map((r) => (r.fragmentationPct as Record<string, number | null>)['100']).filter((v): v is number => typeof v === 'number');
  const failed = rs.map((r) => r.failedPods as number);
  lines.push(
    `| ${workload} | ${topology} | ${policy} | ${rs.map((r) => r.seed).join(',')} | ${meanSd(at('95'))} | ${meanSd(at('100'))} | ${meanSd(at('130'))} | ${pub?.unallocatedPct[100]?.toFixed(2) ?? '–'} | ${pubFgd?.unallocatedPct[100]?.toFixed(2) ?? '–'} | ${meanSd(frag)} | ${meanSd(failed)} |`,
  );
}
// Scenario B: multi-GPU pods inside one NVLink island.
const topoLines: string[] = ['', '| workload | topology | policy | seeds | 2-GPU in one island | 4-GPU in one island | 8-GPU on empty node |', '|---|---|---|---|---|---|---|'];
for (const [key, rs] of groups) {
  const [workload, topology, policy] = key.split('\t') as [string, string, string];
  const share = (size: string, field: 'inOneIsland' | 'onEmptyNode'): string => {
    let num = 0;
    let den = 0;
    for (const r of rs) {
      const s = (r.multiGpu as Record<string, { placed: number; inOneIsland: number; onEmptyNode: number }>)[size];
      if (s) {
        num += s[field];
        den += s.placed;
      }
    }
    return den === 0 ? '–' : `${((100 * num) / den).toFixed(1)} % (${num}/${den})`;
  };
  topoLines.push(`| ${workload} | ${topology} | ${policy} | ${rs.length} | ${share('2', 'inOneIsland')} | ${share('4', 'inOneIsland')} | ${share('8', 'onEmptyNode')} |`);
}
writeFileSync(`${out}.md`, [...lines, ...topoLines].join('\n') + '\n');
process.stdout.write([...lines, ...topoLines].join('\n') + '\n');
