/**
 * Micro-benchmark of the placement engine: cost of one `scheduleOne` decision over every
 * node of an openb-like synthetic cluster (GPUs per node 8/2/4/1 in openb proportions,
 * 1000 milli per GPU; pods: CPU-only, shares of 100–900 milli, 1 GPU, 2/4/8 GPUs in
 * roughly openb's mix). Pods are placed and reserved until the cluster is full; every
 * decision is timed.
 *
 *   npx tsx bench/core-bench.ts [--decisions 10000] [--seed 1] [--mode tessera] [--nodes 1213]
 *
 * Three modes per cluster size: `tessera` (DEFAULT_POLICY with the per-node schedule cache,
 * as the simulator and extender run it), `tessera-uncached` (same policy, no schedule cache:
 * the cost for policies that cannot be cached) and `bestfit-external` (a NodeScorer written
 * outside core, not cacheable). Prints JSON: p50/p99/mean wall ms per decision, CPU ms per
 * decision (process.cpuUsage, robust to a busy machine), placed/failed counts, cache hit rates.
 */
import { performance } from 'node:perf_hooks';
import {
  Ledger,
  buildNvidiaNode,
  createFragCache,
  createScheduleCache,
  podWith,
  scheduleOne,
  typicalTaskClasses,
  type Node,
  type NodeScorer,
  type PodRequest,
  utilisationAfter,
  type TaskShape,
} from '../core/index.js';
import { createRng } from './openb/rng.js';

/** Seeded uniform [0, 1) source (the simulator's mulberry32). */
function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

const MODELS = ['G2', 'T4', 'G3', 'P100', 'V100M32', 'V100M16'];

function openbLikeNodes(count: number, random: () => number): Node[] {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    // openb: 617×8, 518×2, 54×4, 24×1 of 1213
    const gpus = r < 617 / 1213 ? 8 : r < 1135 / 1213 ? 2 : r < 1189 / 1213 ? 4 : 1;
    const model = MODELS[Math.floor(random() * MODELS.length)] as string;
    nodes.push(buildNvidiaNode({ name: `node-${i}`, gpus, model, memoryMiB: 32768, cpuMilli: gpus === 8 ? 96_000 : 64_000, hostMemoryMiB: 393_216 }));
  }
  return nodes;
}

function randomShape(random: () => number): TaskShape {
  const r = random();
  const cpuMilli = [2000, 4000, 8000, 16000][Math.floor(random() * 4)] as number;
  if (r < 0.13) return { cpuMilli, deviceCount: 0, computeMilli: 0 };
  if (r < 0.51) return { cpuMilli, deviceCount: 1, computeMilli: 100 * (1 + Math.floor(random() * 9)) };
  if (r < 0.99) return { cpuMilli, deviceCount: 1, computeMilli: 1000 };
  return { cpuMilli, deviceCount: [2, 4, 8][Math.floor(random() * 3)] as number, computeMilli: 1000 };
}

function podOf(shape: TaskShape, i: number): PodRequest {
  const spec = { uid: `pod-${i}`, cpuMilli: shape.cpuMilli, memoryMiB: 4096 };
  if (shape.deviceCount === 0) return podWith([], spec);
  const accel =
    shape.computeMilli < 1000
      ? ({ kind: 'share', vendor: 'nvidia', count: shape.deviceCount, computeMilli: shape.computeMilli } as const)
      : ({ kind: 'whole', vendor: 'nvidia', count: shape.deviceCount } as const);
  return podWith([{ name: 'main', index: 0, accel }], spec);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

type Mode = 'tessera' | 'tessera-uncached' | 'bestfit-external';

/** A policy written outside core, as the simulator's baselines are: least leftover device compute. */
const bestFit: NodeScorer = {
  name: 'bestfit-external',
  score: (view, pod, fit, ctx) => utilisationAfter({ view, pod, fit, ctx }),
};

function runOnce(nodeCount: number, decisions: number, seed: number, mode: Mode) {
  const random = rng(seed);
  const ledger = Ledger.fromNodes(openbLikeNodes(nodeCount, random));
  const shapes: TaskShape[] = [];
  for (let i = 0; i < decisions; i++) shapes.push(randomShape(random));
  const fragCache = createFragCache(typicalTaskClasses(shapes));
  const cache = createScheduleCache();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const opts =
    mode === 'tessera' ? { fragCache, cache } : mode === 'tessera-uncached' ? { fragCache } : { fragCache, scorer: bestFit };
  let placed = 0;
  let failed = 0;
  for (let i = 0; i < decisions; i++) {
    const pod = podOf(shapes[i] as TaskShape, i);
    const t0 = performance.now();
    const r = scheduleOne(ledger, pod, 0, opts);
    if (r.ok) {
      const res = ledger.reserve(pod.uid, r.placement);
      if (!res.ok) throw new Error(res.reason);
    }
    times.push(performance.now() - t0);
    if (r.ok) placed++;
    else failed++;
  }
  const cpu = process.cpuUsage(cpu0);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    mode,
    nodes: nodeCount,
    decisions,
    placed,
    failed,
    p50Ms: +quantile(sorted, 0.5).toFixed(3),
    p99Ms: +quantile(sorted, 0.99).toFixed(3),
    meanMs: +(times.reduce((a, b) => a + b, 0) / times.length).toFixed(3),
    cpuMsPerDecision: +((cpu.user + cpu.system) / 1000 / decisions).toFixed(3),
    totalS: +(times.reduce((a, b) => a + b, 0) / 1000).toFixed(2),
    scheduleCacheHitRate: +(cache.hits / Math.max(1, cache.hits + cache.misses)).toFixed(3),
    fragCacheHitRate: +(fragCache.hits / Math.max(1, fragCache.hits + fragCache.misses)).toFixed(3),
    fragCacheEntries: fragCache.memo.size,
  };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number, got ${process.argv[i + 1]}`);
  return v;
}

const decisions = arg('decisions', 10000);
const seed = arg('seed', 1);
const ALL_MODES: Mode[] = ['tessera', 'tessera-uncached', 'bestfit-external'];
const modeAt = process.argv.indexOf('--mode');
const modes: Mode[] = modeAt < 0 ? ALL_MODES : ALL_MODES.filter((m) => m === process.argv[modeAt + 1]);
if (modes.length === 0) throw new Error(`--mode: expected one of ${ALL_MODES.join(', ')}`);
const sizeAt = process.argv.indexOf('--nodes');
const sizes = sizeAt < 0 ? [1213, 5000] : [arg('nodes', 1213)];
const results = [];
for (const n of sizes) for (const mode of modes) results.push(runOnce(n, decisions, seed, mode));
console.log(JSON.stringify({ benchmark: 'core-schedule-one', policy: 'tessera (DEFAULT_POLICY)', seed, node: process.version, results }, null, 2));
