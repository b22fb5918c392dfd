/**
 * Quick screening of placement variants on openb (issue 3): the §2.1 procedure of
 * `simulate.ts` (same tuning, shuffle, node order, scheduleOne, discretisation), stopped once
 * arrived passes 100.5 %, reporting unallocated GPU % at 95 and 100 % arrived and the GPU
 * demand that failed by kind. About 5 s per run instead of ~15 s for a full run to 130 %.
 * Numbers equal the full simulator's at 95 / 100 (checked: fgd seed 42 4.62, fill 0.1 seed 42 4.158).
 *
 *   nice -n 19 npx tsx bench/openb/screen.ts --fill 0,0.05,0.1 --seeds 42-45 --workload default [--diag]
 *
 * `--fill W`: the production policy (`createPolicyScorer(DEFAULT_POLICY)`, default pickers)
 * over a fragmentation cache with fill weight W (0 = FGD's F: `tessera-nofill`, same
 * decisions as the `fgd` baseline without topology). `--diag` prints where the idle GPUs are
 * at the end: lone-share GPUs by leftover, whole GPUs free on nodes with < 4 free cores.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import {
  createFragCache,
  createPolicyScorer,
  createScheduleCache,
  DEFAULT_POLICY,
  fgdBinnedScore,
  fgdScore,
  fragmentationDelta,
  Ledger,
  scheduleOne,
  type FragCache,
  type NodeScorer,
  withHostScarcity,
} from '../../core/index.js';
import { loadInputs, parseSeeds } from './driver.js';
import { toCoreNode, toPodRequest } from './cluster.js';
import { podGpuMilli, prepareWorkload } from './tune.js';
import { createRng, shuffled } from './rng.js';
import { workloadMix } from './simulate.js';
import { roundHalfEven } from './metrics.js';
import { SHARED_TRACES } from '../shared-dir.js';

const { values } = parseArgs({
  options: {
    fill: { type: 'string', default: '0,0.05' },
    seeds: { type: 'string', default: '42-45' },
    workload: { type: 'string', default: 'default' },
    'trace-dir': { type: 'string', default: join(SHARED_TRACES, 'alibaba-gpu-v2023-openb') },
    diag: { type: 'boolean', default: false },
    scarcity: { type: 'boolean', default: false },
    variant: { type: 'string', default: 'sum' },
    picker: { type: 'string', default: 'fill' },
  },
});

const dir = values['trace-dir'] as string;
const workload = values.workload as string;
const inputs = loadInputs(join(dir, 'openb_node_list_gpu_node.csv'), join(dir, `openb_pod_list_${workload}.csv`));
const capacity = inputs.nodes.reduce((s, n) => s + n.gpuCount, 0) * 1000;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Share-device picker measure: F + W·F* ('fill'), F ('f'), F then F* ('lex': F + 1e-7·F*). */
function pickerCache(picker: string, mix: ReturnType<typeof workloadMix>, fill: number): FragCache {
  if ((values.variant as string) === 'hybrid') {
    // F* of scarce-host classes beyond scale 1 decides with F; the whole scaled F* breaks ties
    const excess = mix.map((t) => ({ ...t, fillScale: Math.max(0, (t.fillScale ?? 1) - 1) }));
    return { ...createFragCache(mix, undefined, fill), primary: createFragCache(excess, undefined, fill) };
  }
  if ((values.variant as string) === 'core-lex') return createFragCache(mix, undefined, fill, true);
  if (picker === 'fill') return createFragCache(mix, undefined, fill);
  if (picker === 'f') return createFragCache(mix, undefined, 0);
  if (picker === 'lex') return createFragCache(mix, undefined, fill > 0 ? 1e-7 : 0);
  throw new Error(`--picker: expected fill, f or lex, got '${picker}'`);
}

/**
 * Node scorer. 'sum': the production policy over the picker cache (binned Δ of F + W·F*
 * when --picker fill). Lexicographic variants: the production policy over FGD's F exactly,
 * plus a secondary key < one FGD bin (0.01) from the W cache: 'lexc' continuous σ(Δ_W/1000),
 * 'lexb' binned Δ_W, 'lexs' binned ΔF* alone (Δ_W − Δ_F)/W. 'core-lex': core's own
 * tie-break mode (`createFragCache(mix, _, W, true)`, = `tessera-lex`; --picker ignored).
 */
function variantScorer(variant: string, mix: ReturnType<typeof workloadMix>, fill: number): NodeScorer {
  const base = createPolicyScorer(DEFAULT_POLICY);
  if (variant === 'sum' || variant === 'core-lex' || variant === 'hybrid') return base;
  const cacheF = createFragCache(mix, undefined, 0);
  const cacheW = createFragCache(mix, undefined, fill);
  const eps = 1e-3;
  const second = (d0: number, dw: number): number => {
    if (variant === 'lexc') return fgdScore(dw);
    if (variant === 'lexb') return fgdBinnedScore(dw);
    if (variant === 'lexs') return fgdBinnedScore(fill > 0 ? (dw - d0) / fill : 0);
    throw new Error(`--variant: expected sum, lexc, lexb or lexs, got '${variant}'`);
  };
  return {
    name: `tessera-${variant}`,
    cacheable: true,
    score(view, pod, fit, ctx) {
      const primary = base.score(view, pod, fit, { ...ctx, fragCache: cacheF });
      if (fill === 0) return primary;
      const d0 = fragmentationDelta(view, pod, fit, cacheF);
      const dw = fragmentationDelta(view, pod, fit, cacheW);
      return primary + eps * second(d0, dw);
    },
  };
}

for (const fill of (values.fill as string).split(',').map(Number)) {
  const at100: number[] = [];
  const at95: number[] = [];
  for (const seed of parseSeeds(values.seeds as string)) {
    const coreNodes = inputs.nodes.map((n) => toCoreNode(n, 'none'));
    const candidates = shuffled(coreNodes.map((n) => n.name), createRng(seed ^ 0x2545f491));
    const pods = prepareWorkload(inputs.pods, capacity, 1.3, seed);
    const ledger = Ledger.fromNodes(coreNodes);
    const typical = workloadMix(pods);
    // --scarcity: each class's F* scaled by all GPUs / GPUs of the models it allows
    const mix = values.scarcity ? withHostScarcity(typical, inputs.nodes.map((n) => ({ model: n.model, devices: n.gpuCount, cpuMilli: n.cpuMilli }))) : typical;
    const options = {
      scorer: variantScorer(values.variant as string, mix, fill),
      candidates,
      fragCache: pickerCache(values.picker as string, mix, fill),
      cache: createScheduleCache(),
    };
    const sums = { 95: [0, 0], 100: [0, 0] } as Record<number, [number, number]>;
    const failed: Record<string, number> = {};
    let arrived = 0;
    let used = 0;
    for (const p of pods) {
      arrived += podGpuMilli(p);
      const pod = toPodRequest(p);
      const r = scheduleOne(ledger, pod, 0, options);
      if (r.ok) {
        ledger.reserve(pod.uid, r.placement);
        used += podGpuMilli(p);
      } else if (p.gpuCount > 0) {
        const kind = p.gpuMilli < 1000 ? 'share' : `${p.gpuCount}-gpu`;
        failed[kind] = (failed[kind] ?? 0) + podGpuMilli(p) / 1000;
      }
      const x = roundHalfEven((arrived / capacity) * 100);
      const s = sums[x];
      if (s !== undefined) {
        s[0] += 100 - (used / capacity) * 100;
        s[1] += 1;
      }
      if (x > 100) break;
    }
    const u = (k: number): number => (sums[k] as [number, number])[0] / Math.max(1, (sums[k] as [number, number])[1]);
    at100.push(u(100));
    at95.push(u(95));
    let line = `${values.variant}/${values.picker}${values.scarcity ? '/scarcity' : ''} fill ${fill} ${workload} seed ${seed}: unallocated @95 ${u(95).toFixed(3)} @100 ${u(100).toFixed(3)}; failed GPUs by 100 %: ${JSON.stringify(failed)}`;
    if (values.diag) {
      const lone = new Map<number, number>();
      let partialLeft = 0;
      let cpuStranded = 0;
      for (let i = 0; i < ledger.nodeCount; i++) {
        const v = ledger.view(i);
        const cpuFree = v.node.cpuMilli - v.cpuUsedMilli;
        for (let d = 0; d < v.deviceCount; d++) {
          if (v.devExclusive[d] === 1) continue;
          const usedD = v.devComputeUsed[d] as number;
          if (usedD === 0) {
            if (cpuFree < 4000) cpuStranded++;
            continue;
          }
          partialLeft += 1000 - usedD;
          if ((v.devShares[d] as number) === 1) lone.set(usedD, (lone.get(usedD) ?? 0) + 1);
        }
      }
      const top = [...lone.entries()].sort((a, b) => b[1] * (1000 - b[0]) - a[1] * (1000 - a[0])).slice(0, 5);
      line += `\n  idle in partly used GPUs ${(partialLeft / 1000).toFixed(1)} GPUs; whole GPUs free on nodes with < 4 free cores: ${cpuStranded}; lone shares (milli × GPUs): ${top.map(([m, n]) => `${m}×${n}`).join(' ')}`;
    }
    console.log(line);
  }
  console.log(`${values.variant}/${values.picker}${values.scarcity ? '/scarcity' : ''} fill ${fill} ${workload}: mean unallocated @95 ${mean(at95).toFixed(3)} @100 ${mean(at100).toFixed(3)} over ${at100.length} seeds`);
}
