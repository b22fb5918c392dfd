/**
 * The openb placement-quality experiment (BENCHMARKS.md §2.1): tune the workload, shuffle
 * it, place pods one at a time with no departures through core's `scheduleOne` and ledger,
 * score every feasible node, and log arrived / allocated GPU milli and cluster
 * fragmentation after every attempt.
 */
import {
  createFragCache,
  createPolicyScorer,
  createScheduleCache,
  DEFAULT_FILL_TIES_ONLY,
  DEFAULT_FILL_WEIGHT,
  DEFAULT_POLICY,
  fragmentationBefore,
  Ledger,
  lowestBits,
  scheduleOne,
  typicalTaskClasses,
  type FragCache,
  type Node,
  type NodeScorer,
  type PodRequest,
  type TaskClass,
  withHostScarcity,
} from '../../core/index.js';
import {
  bestFitScorer,
  clusteringScorer,
  dotProdScorer,
  fgdScorer,
  firstFitScorer,
  gpuClassBit,
  gpuShape,
  packingScorer,
  randomScorer,
  type BaselineContext,
} from './baselines.js';
import { NVLINK_MODELS, toCoreNode, toPodRequest, type TopologyMode } from './cluster.js';
import type { OpenbNode, OpenbPod } from './csv.js';
import { SimArgsError } from './errors.js';
import { curvesFrom, type Curves, type Sample } from './metrics.js';
import { createRng, shuffled } from './rng.js';
import { podGpuMilli, prepareWorkload } from './tune.js';

/**
 * Policies the simulator knows: ours, its topology-off variant, ours without fill
 * fragmentation (F* weight 0: the binned FGD term + interconnect, the policy before F*),
 * ours with F* only breaking ties inside FGD's bins (`tessera-lex`) or added to F
 * (`tessera-sum`, F + DEFAULT_FILL_WEIGHT·F* scored in FGD's bins), either with each class's
 * F* scaled by the scarcity of its hosts (`-scarce`, core `withHostScarcity`),
 * the FGD baselines, two offline references (sorted, full knowledge).
 */
export const POLICY_NAMES = ['tessera', 'tessera-notopo', 'tessera-nofill', 'tessera-lex', 'tessera-sum', 'tessera-scarce', 'tessera-lex-scarce', 'random', 'dotprod', 'clustering', 'packing', 'bestfit', 'fgd', 'ffd', 'fgd-decreasing'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function parsePolicyList(text: string): PolicyName[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new SimArgsError(`--policy: expected one or more of ${POLICY_NAMES.join(', ')}, got '${text}'`);
  for (const n of names) {
    if (!(POLICY_NAMES as readonly string[]).includes(n)) {
      throw new SimArgsError(`--policy: unknown policy '${n}'; expected one of ${POLICY_NAMES.join(', ')}`);
    }
  }
  return names as PolicyName[];
}

export interface SimulationInput {
  readonly nodes: readonly OpenbNode[];
  readonly pods: readonly OpenbPod[];
  readonly policy: PolicyName;
  readonly seed: number;
  readonly tune: number;
  readonly topology?: TopologyMode;
  /** Called every `progressEvery` attempts with (attempted, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly progressEvery?: number;
}

export interface TopologyStats {
  /** Per GPU count (2, 4, 8): pods placed, placed on NVLink nodes, placed inside one NVLink island. */
  readonly bySize: Record<string, { placed: number; onNvlinkNode: number; inOneIsland: number; onEmptyNode: number }>;
}

export interface SimulationResult {
  readonly policy: PolicyName;
  readonly seed: number;
  readonly tune: number;
  readonly gpus: number;
  readonly nodes: number;
  /** Pods after tuning. */
  readonly pods: number;
  readonly failedPods: number;
  readonly curves: Curves;
  readonly topology: TopologyStats;
  readonly elapsedMs: number;
  /** Fragmentation memo hits / misses (speed diagnostics). */
  readonly fragCache: { hits: number; misses: number; entries: number };
}

interface PolicySetup {
  readonly scorer: NodeScorer;
  /** Offline bound: pods are placed sorted by size, not in arrival order. */
  readonly offline: boolean;
  /** F* weight of the fragmentation cache the scorer and pickers see (0: FGD's F). */
  readonly fillWeight: number;
  /** F* only breaks ties (`createFragCache`'s fillTiesOnly); default: core's default. */
  readonly fillTiesOnly?: boolean;
  /** The policy's mix scales F* by host scarcity (`withHostScarcity`). */
  readonly hostScarcity?: boolean;
}

function setupPolicy(name: PolicyName, ctx: BaselineContext): PolicySetup {
  switch (name) {
    case 'tessera':
      // The extender's policy: FGD's F (+ scarce classes' excess F*) decides, F + w·F* breaks ties.
      return { scorer: createPolicyScorer(DEFAULT_POLICY), offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: DEFAULT_FILL_TIES_ONLY, hostScarcity: true };
    case 'tessera-notopo': {
      const base = createPolicyScorer({ name: 'tessera-notopo', weights: { ...DEFAULT_POLICY.weights, interconnect: 0 } });
      return { scorer: { ...base, pickWholeSet: (_v, free, count) => lowestBits(free, count) }, offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: DEFAULT_FILL_TIES_ONLY, hostScarcity: true };
    }
    case 'tessera-lex':
      return { scorer: createPolicyScorer({ ...DEFAULT_POLICY, name: 'tessera-lex' }), offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: true };
    case 'tessera-sum':
      return { scorer: createPolicyScorer({ ...DEFAULT_POLICY, name: 'tessera-sum' }), offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: false };
    case 'tessera-scarce':
      return { scorer: createPolicyScorer({ ...DEFAULT_POLICY, name: 'tessera-scarce' }), offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: false, hostScarcity: true };
    case 'tessera-lex-scarce':
      return { scorer: createPolicyScorer({ ...DEFAULT_POLICY, name: 'tessera-lex-scarce' }), offline: false, fillWeight: DEFAULT_FILL_WEIGHT, fillTiesOnly: true, hostScarcity: true };
    case 'tessera-nofill':
      return { scorer: createPolicyScorer({ ...DEFAULT_POLICY, name: 'tessera-nofill' }), offline: false, fillWeight: 0 };
    case 'random':
      return { scorer: randomScorer(ctx), offline: false, fillWeight: 0 };
    case 'dotprod':
      return { scorer: dotProdScorer(ctx), offline: false, fillWeight: 0 };
    case 'clustering':
      return { scorer: clusteringScorer(ctx), offline: false, fillWeight: 0 };
    case 'packing':
      return { scorer: packingScorer(), offline: false, fillWeight: 0 };
    case 'bestfit':
      return { scorer: bestFitScorer(), offline: false, fillWeight: 0 };
    case 'fgd':
      return { scorer: fgdScorer(), offline: false, fillWeight: 0 };
    case 'ffd':
      return { scorer: firstFitScorer(), offline: true, fillWeight: 0 };
    case 'fgd-decreasing':
      return { scorer: fgdScorer(), offline: true, fillWeight: 0 };
  }
}

/** The workload mix M: the typical pod shapes of the (tuned) workload. */
export function workloadMix(pods: readonly OpenbPod[]): TaskClass[] {
  return typicalTaskClasses(
    pods.map((p) => ({
      cpuMilli: p.cpuMilli,
      deviceCount: p.gpuCount,
      computeMilli: p.gpuMilli,
      ...(p.models.length > 0 ? { models: p.models } : {}),
    })),
  );
}

/** Offline order for first-fit-decreasing: GPU request, then CPU, largest first. */
function decreasing(pods: readonly OpenbPod[]): OpenbPod[] {
  return [...pods].sort((a, b) => podGpuMilli(b) - podGpuMilli(a) || b.gpuMilli - a.gpuMilli || b.cpuMilli - a.cpuMilli);
}

interface PlaceOutcome {
  readonly samples: Sample[];
  readonly failed: number;
  readonly stats: TopologyStats;
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
}

interface PlaceSetup {
  readonly input: SimulationInput;
  readonly coreNodes: readonly Node[];
  readonly candidates: readonly string[];
  readonly mix: readonly TaskClass[];
  /** F* weight of the policy's fragmentation cache (the metric always uses FGD's F). */
  readonly fillWeight: number;
  readonly fillTiesOnly: boolean | undefined;
  /** The policy's mix (F* scaled by host scarcity where the policy asks for it). */
  readonly policyMix: readonly TaskClass[];
}

/** Place `order` one pod at a time on an empty cluster; a sample after every attempt. */
function placeSequence(setup: PlaceSetup, order: readonly OpenbPod[], scorerFor: (ctx: BaselineContext) => NodeScorer, report: boolean): PlaceOutcome {
  const { input } = setup;
  const ledger = Ledger.fromNodes(setup.coreNodes);
  // The metric is FGD's F (fill weight 0); the policy sees its own measure.
  const metricCache: FragCache = createFragCache(setup.mix, undefined, 0);
  const fragCache: FragCache =
    setup.fillWeight === 0 ? metricCache : createFragCache(setup.policyMix, undefined, setup.fillWeight, setup.fillTiesOnly);
  const rng = createRng(input.seed ^ 0x68e31da4);
  const classes = new Uint32Array(ledger.nodeCount);
  const scorer = scorerFor({
    random: rng.next,
    classBook: { classes },
    maxCpuMilli: Math.max(...input.nodes.map((n) => n.cpuMilli)),
    maxGpus: Math.max(...input.nodes.map((n) => n.gpuCount)),
  });
  const nodeModel = input.nodes.map((n) => n.model);
  // Cluster fragmentation, kept per node and updated where a pod lands.
  const nodeFrag = new Float64Array(ledger.nodeCount);
  let fragTotal = 0;
  for (let i = 0; i < ledger.nodeCount; i++) {
    nodeFrag[i] = fragmentationBefore(ledger.view(i), metricCache);
    fragTotal += nodeFrag[i] as number;
  }
  const stats: TopologyStats = { bySize: {} };
  const samples: Sample[] = [];
  let arrived = 0;
  let used = 0;
  let failed = 0;
  const every = input.progressEvery ?? 250;
  const options = { scorer, candidates: setup.candidates, fragCache, random: rng.next, cache: createScheduleCache() };
  for (let k = 0; k < order.length; k++) {
    const p = order[k] as OpenbPod;
    const pod: PodRequest = toPodRequest(p);
    arrived += podGpuMilli(p);
    const r = scheduleOne(ledger, pod, 0, options);
    if (r.ok) {
      const i = r.fit.nodeIndex;
      const wasEmpty = isEmpty(ledger, i);
      const res = ledger.reserve(pod.uid, r.placement);
      if (!res.ok) throw new Error(`ledger refused the engine's own choice for ${pod.name}: ${res.reason}`);
      used += podGpuMilli(p);
      classes[i] = (classes[i] as number) | gpuClassBit(pod);
      fragTotal -= nodeFrag[i] as number;
      nodeFrag[i] = fragmentationBefore(ledger.view(i), metricCache);
      fragTotal += nodeFrag[i] as number;
      recordTopology(stats, pod, r.fit.containers[0]?.positions ?? [], nodeModel[i] ?? '', wasEmpty);
    } else failed += 1;
    samples.push({ arrivedMilli: arrived, usedMilli: used, fragMilli: fragTotal });
    if (report && input.onProgress && (k + 1) % every === 0) input.onProgress(k + 1, order.length);
  }
  if (report) input.onProgress?.(order.length, order.length);
  return { samples, failed, stats, hits: fragCache.hits, misses: fragCache.misses, entries: fragCache.memo.size };
}

/** Points at which the offline bound is computed (it has no arrival curve). */
export const OFFLINE_POINTS = [95, 100, 130] as const;

export function runSimulation(input: SimulationInput): SimulationResult {
  const started = performance.now();
  const gpus = input.nodes.reduce((s, n) => s + n.gpuCount, 0);
  if (gpus === 0) throw new SimArgsError('the node list has no GPUs; the experiment measures GPU allocation');
  const capacity = gpus * 1000;
  const topologyMode = input.topology ?? 'none';
  const coreNodes = input.nodes.map((n) => toCoreNode(n, topologyMode));
  // FGD's node-name permutation: a seeded order that breaks score ties.
  const candidates = shuffled(coreNodes.map((n) => n.name), createRng(input.seed ^ 0x2545f491));
  const workload = prepareWorkload(input.pods, capacity, input.tune, input.seed);
  const chosen = setupPolicy(input.policy, {
    random: () => 0,
    classBook: { classes: new Uint32Array(0) },
    maxCpuMilli: 1,
    maxGpus: 1,
  });
  const { scorer, offline } = chosen;
  const mix = workloadMix(workload);
  const policyMix =
    chosen.hostScarcity === true ? withHostScarcity(mix, input.nodes.map((n) => ({ model: n.model, devices: n.gpuCount, cpuMilli: n.cpuMilli }))) : mix;
  const setup: PlaceSetup = { input, coreNodes, candidates, mix, fillWeight: chosen.fillWeight, fillTiesOnly: chosen.fillTiesOnly, policyMix };
  const scorerFor = (ctx: BaselineContext): NodeScorer => (offline ? scorer : setupPolicy(input.policy, ctx).scorer);
  let result: { curves: Curves; failed: number; stats: TopologyStats; cache: { hits: number; misses: number; entries: number } };
  if (!offline) {
    const o = placeSequence(setup, workload, scorerFor, true);
    result = { curves: curvesFrom(o.samples, capacity), failed: o.failed, stats: o.stats, cache: { hits: o.hits, misses: o.misses, entries: o.entries } };
  } else {
    // Offline bound: for each point x, the pods that have arrived by x % are placed largest
    // first (first-fit decreasing) with full knowledge of the list; only x itself is reported.
    const empty = (): (number | null)[] => Array.from({ length: 131 }, () => null);
    const curves = { allocatedPct: empty(), unallocatedPct: empty(), fragmentationPct: empty(), fragmentationRatioPct: empty() };
    let last: PlaceOutcome | null = null;
    for (const x of OFFLINE_POINTS) {
      const prefix: OpenbPod[] = [];
      let arrived = 0;
      for (const p of workload) {
        if (arrived + podGpuMilli(p) > (x / 100) * capacity) break;
        arrived += podGpuMilli(p);
        prefix.push(p);
      }
      const o = placeSequence(setup, decreasing(prefix), scorerFor, x === 130);
      const end = o.samples[o.samples.length - 1];
      if (end !== undefined) {
        curves.allocatedPct[x] = (end.usedMilli / capacity) * 100;
        curves.unallocatedPct[x] = 100 - (end.usedMilli / capacity) * 100;
        curves.fragmentationPct[x] = (end.fragMilli / capacity) * 100;
        curves.fragmentationRatioPct[x] = capacity > end.usedMilli ? (end.fragMilli / (capacity - end.usedMilli)) * 100 : 0;
      }
      last = o;
    }
    result = { curves, failed: last?.failed ?? 0, stats: last?.stats ?? { bySize: {} }, cache: { hits: 0, misses: 0, entries: 0 } };
  }
  return {
    policy: input.policy,
    seed: input.seed,
    tune: input.tune,
    gpus,
    nodes: input.nodes.length,
    pods: workload.length,
    failedPods: result.failed,
    curves: result.curves,
    topology: result.stats,
    elapsedMs: Math.round(performance.now() - started),
    fragCache: result.cache,
  };
}

function isEmpty(ledger: Ledger, index: number): boolean {
  const v = ledger.view(index);
  for (let i = 0; i < v.deviceCount; i++) if ((v.devComputeUsed[i] as number) > 0 || v.devExclusive[i] === 1) return false;
  return true;
}

function recordTopology(stats: TopologyStats, pod: PodRequest, positions: readonly number[], model: string, wasEmpty: boolean): void {
  const { count, milli } = gpuShape(pod);
  if (count < 2 || milli < 1000) return;
  const key = String(count);
  const s = (stats.bySize[key] ??= { placed: 0, onNvlinkNode: 0, inOneIsland: 0, onEmptyNode: 0 });
  s.placed += 1;
  if (wasEmpty) s.onEmptyNode += 1;
  if (!NVLINK_MODELS.has(model)) return;
  s.onNvlinkNode += 1;
  const island = Math.floor((positions[0] ?? 0) / 4);
  if (count <= 4 && positions.every((q) => Math.floor(q / 4) === island)) s.inOneIsland += 1;
}
