/**
 * PlacementPort over core: `compilePod` + `fitNode` for the device choice or the structured
 * Unfit of each node, the production policy (`DEFAULT_POLICY`) for scores, `buildDecision`
 * (lazily, for the nodes that need one). On the live ledger, per-node results are memoised
 * with core's ScheduleCache (valid while a node's version is unchanged), so a filter over
 * thousands of nodes recomputes only the nodes that changed since the last pod of the same
 * shape. Scores map to 0–10 by the policy's maximum (absolute, so a score means the same
 * on every call). The FGD workload mix is refreshed by the service.
 */
import {
  DEFAULT_POLICY,
  bindScheduleCache,
  buildDecision,
  compilePod,
  createFragCache,
  createPolicyScorer,
  createScheduleCache,
  explainUnfit,
  fitNode,
  lookupEntry,
  maxPolicyScore,
  podShapeKey,
  shapeId,
  storeEntry,
  typicalTaskClasses,
  type Decision,
  type FitResult,
  type NodeFit,
  type FragCache,
  type Ledger,
  type PlacementOptions,
  type PodRequest,
  type ScheduleCache,
  type ScoreContext,
  type TaskShape,
  type Unfit,
} from '../../core/index.js';
import type { EvaluateInput, NodeVerdict, PlacementPort } from './placement-port.js';
import { filterReason } from './filter-reason.js';

const scorer = createPolicyScorer(DEFAULT_POLICY);
const MAX_SCORE = maxPolicyScore(DEFAULT_POLICY);
/** Default pod shapes memoised per node (each entry holds a fit or a reason): memory vs CPU. */
export const DEFAULT_SHAPES_PER_NODE = 64;

export class CorePlacement implements PlacementPort {
  private fragCache: FragCache | undefined;
  private readonly caches = new Map<number, ScheduleCache>();

  constructor(private readonly shapesPerNode = DEFAULT_SHAPES_PER_NODE) {}

  /** Set the workload mix FGD scores against (typical shapes of the pods running now). */
  setWorkload(shapes: readonly TaskShape[]): void {
    const mix = typicalTaskClasses(shapes);
    this.fragCache = mix.length === 0 ? undefined : createFragCache(mix, 200_000);
  }

  evaluate(input: EvaluateInput): NodeVerdict[] {
    const { ledger, pod } = input;
    const cp = compilePod(ledger, pod);
    const shapeKey = podShapeKey(pod);
    const out: NodeVerdict[] = [];
    const optsByOc = new Map<number, { opts: PlacementOptions; ctx: ScoreContext; cache: ScheduleCache | undefined; shape: number }>();
    let lastOc = Number.NaN;
    let lastG: (typeof optsByOc extends Map<number, infer G> ? G : never) | undefined;
    for (const name of input.nodes) {
      const index = ledger.indexOf(name);
      if (index < 0) {
        out.push({ node: name, fits: false, reason: `node ${name}: not in the ledger`, reasonClass: 'unknown-node', unresolvable: true });
        continue;
      }
      const oc = input.computeOvercommit(name);
      let g = oc === lastOc ? lastG : optsByOc.get(oc);
      if (g === undefined) {
        const opts: PlacementOptions = { computeOvercommit: oc, ...(this.fragCache === undefined ? {} : { fragCache: this.fragCache }) };
        let cache: ScheduleCache | undefined;
        if (input.cache === true && scorer.cacheable === true) {
          cache = this.caches.get(oc) ?? createScheduleCache(this.shapesPerNode);
          this.caches.set(oc, cache);
          bindScheduleCache(cache, scorer, opts);
        }
        g = { opts, ctx: { ledger, options: opts, ...(this.fragCache === undefined ? {} : { fragCache: this.fragCache }) }, cache, shape: cache === undefined ? -1 : shapeId(cache, shapeKey) };
        optsByOc.set(oc, g);
      }
      lastOc = oc;
      lastG = g;
      const view = ledger.view(index);
      let r: FitResult;
      let s = 0;
      const hit = g.cache === undefined ? undefined : lookupEntry(g.cache, index, view, g.shape);
      if (hit !== undefined) {
        r = hit.fit;
        s = hit.score;
      } else {
        r = fitNode(ledger, index, cp, g.opts);
        if (r.ok) s = scorer.score(view, pod, r.fit, g.ctx);
        if (g.cache !== undefined) storeEntry(g.cache, index, view, g.shape, { fit: r, score: s });
      }
      if (!r.ok) {
        out.push(unfitVerdict(r.unfit));
        continue;
      }
      out.push(fitsVerdict(ledger, pod, r.fit, s, input.nowMs, name));
    }
    return out;
  }
}

/** A node that fits; the Decision is built only when asked for (usually for one node). */
class FitVerdict {
  readonly fits = true as const;
  private decision: Decision | null = null;
  constructor(
    readonly node: string,
    readonly rawScore: number,
    readonly score: number,
    private readonly ledger: Ledger,
    private readonly pod: PodRequest,
    private readonly fit: NodeFit,
    private readonly nowMs: number,
  ) {}

  decide(): Decision {
    this.decision ??= buildDecision(this.ledger, this.pod, this.fit, this.nowMs);
    return this.decision;
  }
}

function fitsVerdict(ledger: Ledger, pod: PodRequest, fit: NodeFit, raw: number, nowMs: number, node: string): NodeVerdict {
  const score = MAX_SCORE > 0 ? Math.max(0, Math.min(10, Math.round((raw / MAX_SCORE) * 10))) : 10;
  return new FitVerdict(node, raw, score, ledger, pod, fit, nowMs);
}

/** A node that does not fit: `reason` is the node-independent FailedNodes sentence, `detail` the full one. */
class UnfitVerdict {
  readonly fits = false as const;
  constructor(private readonly u: Unfit) {}
  get node(): string {
    return this.u.node;
  }
  get reason(): string {
    return filterReason(this.u);
  }
  get detail(): string {
    return explainUnfit(this.u);
  }
  get reasonClass(): string {
    return this.u.resource;
  }
  get unresolvable(): boolean {
    return this.u.unresolvable;
  }
}

export function unfitVerdict(u: Unfit): NodeVerdict {
  return new UnfitVerdict(u);
}

/** The FGD shape of a pod (first container's request), for the workload mix. */
export function shapeOf(pod: PodRequest): TaskShape {
  const c = pod.containers[0];
  if (c === undefined) return { cpuMilli: pod.cpuMilli, deviceCount: 0, computeMilli: 0 };
  const a = c.accel;
  const computeMilli = a.kind === 'whole' ? 1000 : (a.computeMilli ?? 0);
  return { cpuMilli: pod.cpuMilli, deviceCount: a.count, computeMilli, ...(a.allow !== undefined ? { models: a.allow } : {}) };
}
