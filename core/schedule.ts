/**
 * The scheduling API the adapters call: filter (feasible nodes with their device choice,
 * and a structured reason for every other node), score, normalise to the extender's 0–10
 * range, and `scheduleOne` (filter + score + pick + Decision) in one pass over the nodes.
 */
import type { AcceleratorRequest, IsolationMode, PodRequest } from './request.js';
import type { ContainerAssignment, Decision, DeviceShare } from './decision.js';
import type { Node } from './model.js';
import type { Ledger, Placement } from './ledger.js';
import { compilePod, fitNode, type CompiledPod, type FitResult, type NodeFit, type PlacementOptions, type Unfit } from './fit.js';
import { createPolicyScorer, DEFAULT_POLICY, type NodeScorer } from './policy.js';
import type { ScoreContext } from './score-context.js';
import { bindScheduleCache, lookupEntry, podShapeKey, resolveCandidates, shapeId, storeEntry, type ScheduleCache } from './schedule-cache.js';

export interface FilterResult {
  readonly feasible: readonly NodeFit[];
  readonly unfit: readonly Unfit[];
}

export interface NodeScore {
  readonly node: string;
  readonly nodeIndex: number;
  readonly score: number;
}

export interface ScheduleOptions extends PlacementOptions {
  /** Policy; default: the production policy (`DEFAULT_POLICY`). */
  readonly scorer?: NodeScorer;
  /** Node names to consider, in tie-break order; default: every node of the ledger in ledger order. */
  readonly candidates?: readonly string[];
  /**
   * Memo of per-node results across decisions (`createScheduleCache()`), used by
   * `scheduleOne` when the scorer is `cacheable`. Results are identical with or without it.
   */
  readonly cache?: ScheduleCache;
}

const defaultScorer = createPolicyScorer(DEFAULT_POLICY);

function withScorerPicks(options: ScheduleOptions, scorer: NodeScorer): PlacementOptions {
  if (scorer.pickShareDevice === undefined && scorer.pickWholeSet === undefined) return options;
  return {
    ...options,
    ...(scorer.pickShareDevice === undefined ? {} : { pickShareDevice: scorer.pickShareDevice }),
    ...(scorer.pickWholeSet === undefined ? {} : { pickWholeSet: scorer.pickWholeSet }),
  };
}

function unknownNode(name: string): Unfit {
  return { node: name, resource: 'node', requested: 0, free: 0, used: 0, capacity: 0, unit: 'devices', unresolvable: true };
}

interface Evaluator {
  readonly cp: CompiledPod;
  readonly scorer: NodeScorer;
  readonly opts: PlacementOptions;
  readonly ctx: ScoreContext;
  readonly cache: ScheduleCache | undefined;
  readonly shape: number;
}

function evaluator(ledger: Ledger, pod: PodRequest, options: ScheduleOptions): Evaluator {
  const scorer = options.scorer ?? defaultScorer;
  const opts = withScorerPicks(options, scorer);
  const cache = scorer.cacheable === true ? options.cache : undefined;
  if (cache !== undefined) bindScheduleCache(cache, scorer, opts);
  return {
    cp: compilePod(ledger, pod),
    scorer,
    opts,
    ctx: contextFor(ledger, opts),
    cache,
    shape: cache === undefined ? -1 : shapeId(cache, podShapeKey(pod)),
  };
}

/** Fit and score node `index` (through the schedule cache when there is one). */
function evaluate(ledger: Ledger, pod: PodRequest, e: Evaluator, index: number): { fit: FitResult; score: number } {
  const view = ledger.view(index);
  if (e.cache !== undefined) {
    const hit = lookupEntry(e.cache, index, view, e.shape);
    if (hit !== undefined) return hit;
  }
  const fit = fitNode(ledger, index, e.cp, e.opts);
  const score = fit.ok ? e.scorer.score(view, pod, fit.fit, e.ctx) : 0;
  const entry = { fit, score };
  if (e.cache !== undefined) storeEntry(e.cache, index, view, e.shape, entry);
  return entry;
}

function forEachCandidate(ledger: Ledger, options: ScheduleOptions, visit: (index: number) => void, unknown: (name: string) => void): void {
  if (options.candidates === undefined) {
    for (let i = 0; i < ledger.nodeCount; i++) visit(i);
    return;
  }
  const names = options.candidates;
  const indexes = resolveCandidates(options.cache, ledger, names);
  for (let k = 0; k < indexes.length; k++) {
    const i = indexes[k] as number;
    if (i < 0) unknown(names[k] as string);
    else visit(i);
  }
}

/**
 * Filter: every candidate node either fits (with its device choice) or gets a reason.
 * With `options.cache` and a cacheable scorer, nodes are scored here too, so that
 * `scoreNodes` on the returned fits is a cache lookup.
 */
export function filterNodes(ledger: Ledger, pod: PodRequest, options: ScheduleOptions = {}): FilterResult {
  const e = evaluator(ledger, pod, options);
  const feasible: NodeFit[] = [];
  const unfit: Unfit[] = [];
  forEachCandidate(
    ledger,
    options,
    (index) => {
      const r = e.cache === undefined ? fitNode(ledger, index, e.cp, e.opts) : evaluate(ledger, pod, e, index).fit;
      if (r.ok) feasible.push(r.fit);
      else unfit.push(r.unfit);
    },
    (name) => unfit.push(unknownNode(name)),
  );
  return { feasible, unfit };
}

function contextFor(ledger: Ledger, options: PlacementOptions): ScoreContext {
  return { ledger, options, ...(options.fragCache === undefined ? {} : { fragCache: options.fragCache }) };
}

/** Score feasible fits with the policy (raw scores, higher is better). */
export function scoreNodes(
  ledger: Ledger,
  pod: PodRequest,
  fits: readonly NodeFit[],
  options: ScheduleOptions = {},
): NodeScore[] {
  const e = evaluator(ledger, pod, options);
  return fits.map((fit) => {
    const view = ledger.view(fit.nodeIndex);
    let score: number | undefined;
    if (e.cache !== undefined) {
      const hit = lookupEntry(e.cache, fit.nodeIndex, view, e.shape);
      if (hit !== undefined && hit.fit.ok && hit.fit.fit === fit) score = hit.score;
    }
    score ??= e.scorer.score(view, pod, fit, e.ctx);
    return { node: view.node.name, nodeIndex: fit.nodeIndex, score };
  });
}

/**
 * Map raw scores to integers in [0, max] (extender: 0–10) by min–max scaling, rounding to
 * the nearest integer. All-equal (or a single) score maps to `max`; non-finite scores to 0.
 */
export function normalizeScores(scores: readonly number[], max = 10): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    if (!Number.isFinite(s)) continue;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  return scores.map((s) => {
    if (!Number.isFinite(s)) return 0;
    if (hi === lo) return max;
    // halves keep hi − lo finite for scores near ±Number.MAX_VALUE
    const v = Math.round(((s / 2 - lo / 2) / (hi / 2 - lo / 2)) * max);
    return Number.isFinite(v) ? Math.min(max, Math.max(0, v)) : 0;
  });
}

export type ScheduleResult =
  | {
      readonly ok: true;
      readonly node: string;
      readonly fit: NodeFit;
      readonly score: number;
      readonly feasibleCount: number;
      readonly decision: Decision;
      readonly placement: Placement;
    }
  | { readonly ok: false; readonly unfit: readonly Unfit[] };

/**
 * Filter + score + pick the best node (ties: first in candidate order) + build the Decision.
 * Nothing is reserved: call `ledger.reserve(pod.uid, result.placement)` to commit.
 */
export function scheduleOne(
  ledger: Ledger,
  pod: PodRequest,
  decidedAtMs: number,
  options: ScheduleOptions = {},
): ScheduleResult {
  const e = evaluator(ledger, pod, options);
  let best: NodeFit | null = null;
  let bestScore = -Infinity;
  let feasibleCount = 0;
  let unfit: Unfit[] | null = null;
  forEachCandidate(
    ledger,
    options,
    (index) => {
      const { fit: r, score: s } = evaluate(ledger, pod, e, index);
      if (!r.ok) {
        if (feasibleCount === 0) (unfit ??= []).push(r.unfit);
        return;
      }
      feasibleCount++;
      if (s > bestScore || best === null) {
        bestScore = s;
        best = r.fit;
      }
    },
    (name) => {
      if (feasibleCount === 0) (unfit ??= []).push(unknownNode(name));
    },
  );
  const chosen = best as NodeFit | null;
  if (chosen === null) return { ok: false, unfit: unfit ?? [] };
  const decision = buildDecision(ledger, pod, chosen, decidedAtMs);
  return {
    ok: true,
    node: decision.node,
    fit: chosen,
    score: bestScore,
    feasibleCount,
    decision,
    placement: placementFromDecision(decision, pod),
  };
}

/** Kubernetes resource name a container's devices are counted under. */
export function resourceName(accel: AcceleratorRequest, model: string): string {
  if (accel.vendor === 'nvidia') return 'nvidia.com/gpu';
  const family = /Ascend(\d+)/i.exec(model)?.[1] ?? '910';
  const base = `huawei.com/Ascend${family}`;
  return accel.kind === 'share' && accel.template !== undefined ? `${base}-${accel.template}` : base;
}

function defaultIsolation(pod: PodRequest): IsolationMode {
  if (pod.isolation !== undefined) return pod.isolation;
  const share = pod.containers.find((c) => c.accel.kind === 'share');
  if (share === undefined) return 'exclusive';
  return share.accel.vendor === 'ascend' ? 'vnpu' : 'hami-core';
}

/** The Decision for a pod placed as `fit` says. */
export function buildDecision(ledger: Ledger, pod: PodRequest, fit: NodeFit, decidedAtMs: number): Decision {
  const node: Node = ledger.view(fit.nodeIndex).node;
  const containers: ContainerAssignment[] = fit.containers.map((c) => {
    const req = pod.containers[c.request];
    if (req === undefined) throw new Error(`fit names container ${c.request}, pod has ${pod.containers.length}`);
    const devices: DeviceShare[] = c.positions.map((p, k) => {
      const d = node.devices[p];
      if (d === undefined) throw new Error(`fit names device position ${p} on ${node.name}`);
      return { id: d.id, index: d.index, memoryMiB: c.memoryMiB[k] ?? 0, computeMilli: c.computeMilli[k] ?? 0, exclusive: c.exclusive };
    });
    return { name: req.name, index: req.index, resource: resourceName(req.accel, node.devices[c.positions[0] ?? 0]?.model ?? ''), devices };
  });
  return {
    version: 1,
    podUid: pod.uid,
    namespace: pod.namespace,
    name: pod.name,
    node: node.name,
    isolation: defaultIsolation(pod),
    containers,
    ...(pod.pool === undefined ? {} : { pool: pod.pool }),
    ...(pod.queue === undefined ? {} : { queue: pod.queue }),
    decidedAtMs,
  };
}

/** What a decision holds on its node (for `Ledger.reserve`, also when rebuilding after a restart). */
export function placementFromDecision(
  decision: Decision,
  pod: Pick<PodRequest, 'cpuMilli' | 'memoryMiB' | 'priority'>,
): Placement {
  return {
    node: decision.node,
    cpuMilli: pod.cpuMilli,
    memoryMiB: pod.memoryMiB,
    priority: pod.priority,
    containers: decision.containers,
  };
}
