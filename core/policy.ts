/**
 * Policies: a `NodeScorer` scores a feasible node for a pod (higher is better) and may bring
 * its own device-pick strategy. The production policy `tessera` is a weighted sum of named
 * terms (`core/terms/`); weights are configuration, validated by `loadPolicyConfig`.
 * External policies (the simulator's baselines) implement `NodeScorer` directly and run
 * through the same filter and ledger.
 */
import type { PodRequest } from './request.js';
import type { NodeView } from './ledger.js';
import type { NodeFit, SharePicker, WholeSetPicker } from './fit.js';
import type { ScoreContext } from './score-context.js';
import { ConfigError } from './errors.js';
import { SCORE_TERMS, type ScoreTerm } from './terms/index.js';

export interface NodeScorer {
  readonly name: string;
  /** Score of placing `pod` on the node as `fit` says; any finite number, higher is better. */
  score(view: NodeView, pod: PodRequest, fit: NodeFit, ctx: ScoreContext): number;
  /** Device choice for shares; default: least fragmentation, then best fit. */
  readonly pickShareDevice?: SharePicker;
  /** Device choice for whole requests; default: best interconnect / Ascend ring rules. */
  readonly pickWholeSet?: WholeSetPicker;
  /**
   * True when `score` (and the pickers) depend only on the node's state, the pod's shape
   * (resources, priority) and the fit — then `scheduleOne` may reuse results across
   * decisions through a `ScheduleCache`. Leave unset for scorers using randomness or outside state.
   */
  readonly cacheable?: boolean;
}

export interface PolicyConfig {
  readonly name: string;
  /** Term name → weight (≥ 0). Names must be in the term table. */
  readonly weights: Readonly<Record<string, number>>;
}

/**
 * The production policy, used by the extender and by the simulator as `tessera`.
 * - `fgd` (binned FGD score ⌊100·σ(Δ/1000)⌋/100) decides among nodes for the workload mix.
 *   Δ is the change of the fragmentation cache's measure (`FragCache`). The extender (and the
 *   simulator's `tessera`) build it as `createFragCache(withHostScarcity(mix, nodes))` with
 *   `DEFAULT_FILL_TIES_ONLY`: FGD's F_n(M), plus the extra fill fragmentation F* of classes
 *   that few of the cluster's devices can host (scale = all devices / devices that could host
 *   the class, by model, device count and CPU), decides the bin; F + DEFAULT_FILL_WEIGHT · F*
 *   (`placementFragmentation`, core/fragmentation.ts) orders nodes inside a bin and share
 *   devices of equal primary. F* counts the GPU compute a node's CPU can no longer feed and
 *   share slack, which FGD's "does one more task fit" misses.
 * - Measured on openb (bench/RESULTS.md "Placement quality on openb", second and third pass;
 *   unallocated GPUs at 100 % arrived, mean of seeds 42–51): default trace 4.40 % vs 4.74 %
 *   for FGD's F alone (published FGD 4.77 %), and at or below published FGD on all nine
 *   published workloads. F + 0.05·F* inside FGD's bins gave 4.43 % on default but lost to
 *   FGD on multigpu40 and gpuspec25; weight 0.1 gave 4.26 % but left 8-GPU pods unplaced
 *   earlier. Without F* (seed 42): continuous `fragmentation` term 5.63 %, + binpack 0.05
 *   4.91 %, binned + binpack 0.005 4.79 %: packing inside a bin hurts, so `binpack` stays 0.
 * - `interconnect` 0.5: for multi-device whole jobs a better-connected set outweighs up to
 *   ~50 fragmentation bins (a NV2 pair vs a SYS pair is (12 − 1)/28 × 0.5 ≈ 0.2).
 * Zero weights are listed to show the knobs.
 */
export const DEFAULT_POLICY: PolicyConfig = {
  name: 'tessera',
  weights: { fgd: 1, fragmentation: 0, interconnect: 0.5, binpack: 0, priority: 0 },
};

/**
 * Accept a policy config from untrusted data (YAML/JSON). Throws ConfigError naming the
 * field: `policy.name`, `policy.weights`, `policy.weights.<term>`.
 */
export function loadPolicyConfig(raw: unknown, terms: Readonly<Record<string, ScoreTerm>> = SCORE_TERMS): PolicyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('policy', `expected an object {name, weights}, got ${describe(raw)}`);
  }
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (key !== 'name' && key !== 'weights') throw new ConfigError(`policy.${key}`, 'unknown field; expected name or weights');
  }
  const name = r['name'] ?? 'tessera';
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConfigError('policy.name', `expected a non-empty string, got ${describe(name)}`);
  }
  const w = r['weights'];
  if (typeof w !== 'object' || w === null || Array.isArray(w)) {
    throw new ConfigError('policy.weights', `expected an object of term name → number, got ${describe(w)}`);
  }
  const weights: Record<string, number> = {};
  for (const [term, value] of Object.entries(w as Record<string, unknown>)) {
    if (!Object.hasOwn(terms, term)) {
      throw new ConfigError(`policy.weights.${term}`, `unknown score term; expected one of ${Object.keys(terms).join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`policy.weights.${term}`, `expected a finite number ≥ 0, got ${describe(value)}`);
    }
    weights[term] = value;
  }
  return { name, weights };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `'${v}'`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Scorer for a weighted-sum policy: Σ weight × term, in [0, Σ weights]. */
export function createPolicyScorer(
  config: PolicyConfig = DEFAULT_POLICY,
  terms: Readonly<Record<string, ScoreTerm>> = SCORE_TERMS,
): NodeScorer {
  const checked = loadPolicyConfig(config, terms);
  const active: { fn: ScoreTerm; weight: number }[] = [];
  for (const [name, weight] of Object.entries(checked.weights)) {
    const fn = terms[name];
    if (fn !== undefined && weight > 0) active.push({ fn, weight });
  }
  return {
    name: checked.name,
    cacheable: true,
    score(view, pod, fit, ctx) {
      let s = 0;
      const input = { view, pod, fit, ctx };
      for (const t of active) s += t.weight * t.fn(input);
      return s;
    },
  };
}

/** Highest score a weighted-sum policy can give (Σ weights). */
export function maxPolicyScore(config: PolicyConfig): number {
  let s = 0;
  for (const w of Object.values(config.weights)) s += w;
  return s;
}
