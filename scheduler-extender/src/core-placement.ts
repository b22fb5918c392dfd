/**
 * PlacementPort over core: `compilePod` + `fitNode` for the device choice or the structured
 * Unfit of each node, the production policy (`DEFAULT_POLICY`) for scores, `buildDecision`
 * (lazily, for the nodes that need one). The FGD workload mix is refreshed by the service.
 *
 * Hot path (`judgeInto`): on the live ledger, per-node results are memoised compactly, per
 * pod shape, in typed arrays (node version at compute time, raw score or NaN, interned
 * reason id), so a filter over thousands of nodes recomputes only the nodes that changed
 * since the last pod of the same shape and allocates nothing per node. At most
 * `shapesPerNode` shapes are kept (least recently used shape is dropped): about 20 bytes per
 * node and shape. Fits are not stored: the chosen node's fit is recomputed (fitNode is a
 * pure function of the node's state, which has not changed while its version is the same).
 * Scores map to 0–10 by the policy's maximum (absolute, so a score means the same on every call).
 */
import {
  DEFAULT_POLICY,
  buildDecision,
  compilePod,
  createFragCache,
  createPolicyScorer,
  explainUnfit,
  fitNode,
  maxPolicyScore,
  podShapeKey,
  typicalTaskClasses,
  withHostScarcity,
  type CompiledPod,
  type Decision,
  type FragCache,
  type Ledger,
  type PlacementOptions,
  type PodRequest,
  type ScoreContext,
  type TaskShape,
  type Unfit,
} from '../../core/index.js';
import type { EvaluateInput, NodeVerdict, PlacementPort } from './placement-port.js';
import { filterReason } from './filter-reason.js';

const scorer = createPolicyScorer(DEFAULT_POLICY);
const MAX_SCORE = maxPolicyScore(DEFAULT_POLICY);
/** Default pod shapes memoised per node (each entry: version, score, reason id): memory vs CPU. */
export const DEFAULT_SHAPES_PER_NODE = 64;
const MAX_REASONS = 10_000;
/** Reasons remembered by their inputs (see `reasonId`). */
const RECENT_REASONS = 16;

/** The 0–10 extender score of a raw policy score. */
export function extenderScore(raw: number): number {
  return MAX_SCORE > 0 ? Math.max(0, Math.min(10, Math.round((raw / MAX_SCORE) * 10))) : 10;
}

/** One pod shape's memo column: per ledger position. */
interface Slot {
  key: string;
  /** Node version the entry was computed at; −1: none. */
  version: Float64Array;
  /** Raw score, NaN when the node does not fit. */
  raw: Float64Array;
  /** Interned reason id when the node does not fit. */
  reason: Int32Array;
  /** Ledger positions below this were judged for the whole column once (see `judgeInto`). */
  swept: number;
}

/** Memo for one set of placement options (one compute overcommit). */
interface OptionMemo {
  readonly opts: PlacementOptions;
  readonly fragCache: FragCache | undefined;
  ledger: Ledger | null;
  /** Shape key → slot, in least-recently-used-first order. */
  readonly slots: Map<string, Slot>;
}

/** Per-call state for one overcommit value. */
interface CallGroup {
  readonly opts: PlacementOptions;
  readonly ctx: ScoreContext;
  readonly slot: Slot | undefined;
}

/**
 * Output of `judgeInto`, reused across calls (grown as needed): for candidate k with
 * ledger position `index[k]` ≥ 0, `raw[k]` is the raw score or NaN, and `reason[k]` the
 * interned reason id (see `reasonText` …) when it is NaN.
 */
export class Judgement {
  raw = new Float64Array(0);
  reason = new Int32Array(0);
  ensure(n: number): void {
    if (this.raw.length >= n) return;
    const cap = Math.max(n, this.raw.length * 2, 64);
    this.raw = new Float64Array(cap);
    this.reason = new Int32Array(cap);
  }
}

/** What host scarcity needs of a node: its device model, device count and CPU. */
export interface HostShape {
  readonly model: string;
  readonly devices: number;
  readonly cpuMilli: number;
}

export class CorePlacement implements PlacementPort {
  private fragCache: FragCache | undefined;
  private readonly memos = new Map<number, OptionMemo>();
  private readonly reasonIds = new Map<string, number>();
  /** Bumped when reason ids are reused for other reasons (callers caching by id drop their cache). */
  reasonEpoch = 0;
  /** Nodes judged afresh (memo misses) by `judgeInto` since start: the bench reports them per pod. */
  judgedFresh = 0;
  private mixKey = '';
  private readonly reasons: { text: string; json: string; tail: string; cls: string; unresolvable: boolean }[] = [];

  constructor(private readonly shapesPerNode = DEFAULT_SHAPES_PER_NODE) {}

  /**
   * Set the workload mix FGD scores against (typical shapes of the pods running now), each
   * class's fill fragmentation scaled by how few of the cluster's devices could host it
   * (`withHostScarcity` over `nodes`: model, device count, CPU), as the simulator's `tessera`.
   */
  setWorkload(shapes: readonly TaskShape[], nodes: readonly HostShape[] = []): void {
    const typical = typicalTaskClasses(shapes);
    const mix = nodes.length === 0 ? typical : withHostScarcity(typical, nodes);
    // An unchanged mix keeps its cache (and the placement memo, which a new one would reset).
    const key = JSON.stringify(mix);
    if (key === this.mixKey) return;
    this.mixKey = key;
    this.fragCache = mix.length === 0 ? undefined : createFragCache(mix, 200_000);
  }

  reasonText(id: number): string {
    return (this.reasons[id] as { text: string }).text;
  }
  reasonClass(id: number): string {
    return (this.reasons[id] as { cls: string }).cls;
  }
  /** Reason ids in use are 0 … reasonCount − 1. */
  get reasonCount(): number {
    return this.reasons.length;
  }
  /** The reason as a JSON string literal. */
  reasonJson(id: number): string {
    return (this.reasons[id] as { json: string }).json;
  }
  /** `:"reason",` — a FailedNodes entry's tail after the quoted node name (written without concatenating per node). */
  reasonEntryTail(id: number): string {
    return (this.reasons[id] as { tail: string }).tail;
  }
  reasonUnresolvable(id: number): boolean {
    return (this.reasons[id] as { unresolvable: boolean }).unresolvable;
  }

  /**
   * Recently used reasons by what their sentence depends on (resource, container, amount,
   * unresolvable): a memo miss on an unfit node then builds no sentence and no key string.
   */
  private readonly recentReasons: { resource: string; container: string | undefined; requested: number; unresolvable: boolean; id: number }[] = [];
  private recentNext = 0;

  private reasonId(u: Unfit): number {
    const recent = this.recentReasons;
    for (let r = 0; r < recent.length; r++) {
      const e = recent[r] as (typeof recent)[number];
      if (e.requested === u.requested && e.resource === u.resource && e.container === u.container && e.unresolvable === u.unresolvable) return e.id;
    }
    const id = this.internReason(u);
    const e = { resource: u.resource, container: u.container, requested: u.requested, unresolvable: u.unresolvable, id };
    if (recent.length < RECENT_REASONS) recent.push(e);
    else recent[this.recentNext] = e;
    this.recentNext = (this.recentNext + 1) % RECENT_REASONS;
    return id;
  }

  private internReason(u: Unfit): number {
    const text = filterReason(u);
    const key = `${u.resource}\u0000${u.unresolvable ? 1 : 0}\u0000${text}`;
    let id = this.reasonIds.get(key);
    if (id === undefined) {
      if (this.reasons.length >= MAX_REASONS) {
        // ids are stored in the memo: drop it with them
        this.reasonIds.clear();
        this.reasons.length = 0;
        this.recentReasons.length = 0;
        this.recentNext = 0;
        this.memos.clear();
        this.reasonEpoch++;
      }
      id = this.reasons.length;
      const json = JSON.stringify(text);
      this.reasons.push({ text, json, tail: `:${json},`, cls: u.resource, unresolvable: u.unresolvable });
      this.reasonIds.set(key, id);
    }
    return id;
  }

  /** The fragmentation cache decisions use now (its mix is the workload mix); for tests and the admin view. */
  get currentFragCache(): FragCache | undefined {
    return this.fragCache;
  }

  private options(oc: number): PlacementOptions {
    return { computeOvercommit: oc, ...(this.fragCache === undefined ? {} : { fragCache: this.fragCache }) };
  }

  private slotFor(oc: number, ledger: Ledger, shapeKey: string): Slot | undefined {
    if (scorer.cacheable !== true) return undefined;
    let m = this.memos.get(oc);
    if (m === undefined || m.fragCache !== this.fragCache) {
      m = { opts: this.options(oc), fragCache: this.fragCache, ledger, slots: new Map() };
      this.memos.set(oc, m);
    }
    if (m.ledger !== ledger) {
      m.ledger = ledger;
      m.slots.clear();
    }
    const n = ledger.nodeCount;
    let slot = m.slots.get(shapeKey);
    if (slot !== undefined) {
      m.slots.delete(shapeKey); // most recently used goes last
    } else if (m.slots.size >= Math.max(1, this.shapesPerNode)) {
      const [oldKey, old] = m.slots.entries().next().value as [string, Slot];
      m.slots.delete(oldKey);
      old.key = shapeKey;
      old.version.fill(-1);
      old.swept = 0;
      slot = old;
    } else {
      const cap = Math.max(64, n);
      slot = { key: shapeKey, version: new Float64Array(cap).fill(-1), raw: new Float64Array(cap), reason: new Int32Array(cap), swept: 0 };
    }
    if (slot.version.length < n) {
      const cap = Math.max(n, slot.version.length * 2);
      const version = new Float64Array(cap).fill(-1);
      version.set(slot.version);
      const raw = new Float64Array(cap);
      raw.set(slot.raw);
      const reason = new Int32Array(cap);
      reason.set(slot.reason);
      slot = { key: shapeKey, version, raw, reason, swept: slot.swept };
    }
    m.slots.set(shapeKey, slot);
    return slot;
  }

  /**
   * Judge `pod` on the ledger positions `index[0..n)` (each ≥ 0) into `out`, memoised when
   * `cache` (the live ledger). Allocates nothing per node on memo hits.
   *
   * The first call for a pod shape (a new memo column) also judges every other node of the
   * ledger into the column. kube-scheduler sends a rotating window of candidates (500 of
   * 5,000 nodes), so without this a shape paid a whole window of misses (~1.5–3 ms) the first
   * time it met each window, and rare shapes met cold windows long after start; now a shape
   * pays once for the cluster, and later calls re-judge only the nodes changed since. Only
   * when the call has one overcommit value (the column is per value).
   */
  judgeInto(
    ledger: Ledger,
    pod: PodRequest,
    index: Int32Array,
    n: number,
    computeOvercommit: (k: number) => number,
    out: Judgement,
    cache: boolean,
  ): void {
    out.ensure(n);
    const raw = out.raw;
    const reason = out.reason;
    let cp: CompiledPod | null = null;
    const shapeKey = cache ? podShapeKey(pod) : '';
    let lastOc = Number.NaN;
    let g: CallGroup | undefined;
    let groups: Map<number, CallGroup> | null = null;
    for (let k = 0; k < n; k++) {
      const i = index[k] as number;
      const oc = computeOvercommit(k);
      if (oc !== lastOc) {
        groups ??= new Map();
        g = groups.get(oc);
        if (g === undefined) {
          const opts = this.options(oc);
          const slot = cache ? this.slotFor(oc, ledger, shapeKey) : undefined;
          g = { opts, ctx: { ledger, options: opts, ...(this.fragCache === undefined ? {} : { fragCache: this.fragCache }) }, slot };
          groups.set(oc, g);
        }
        lastOc = oc;
      }
      const grp = g as CallGroup;
      const view = ledger.view(i);
      const slot = grp.slot;
      if (slot !== undefined && slot.version[i] === view.version) {
        const r = slot.raw[i] as number;
        raw[k] = r;
        reason[k] = r === r ? -1 : (slot.reason[i] as number);
        continue;
      }
      cp ??= compilePod(ledger, pod);
      this.judgedFresh++;
      const f = fitNode(ledger, i, cp, grp.opts);
      let r = Number.NaN;
      let why = -1;
      if (f.ok) r = scorer.score(view, pod, f.fit, grp.ctx);
      else why = this.reasonId(f.unfit);
      raw[k] = r;
      reason[k] = why;
      if (slot !== undefined) {
        slot.version[i] = view.version;
        slot.raw[i] = r;
        slot.reason[i] = why;
      }
    }
    if (groups === null || groups.size !== 1) return;
    const only = g as CallGroup;
    const col = only.slot;
    if (col === undefined || col.swept >= ledger.nodeCount) return;
    for (let i = col.swept; i < ledger.nodeCount; i++) {
      const view = ledger.view(i);
      if (col.version[i] === view.version) continue;
      cp ??= compilePod(ledger, pod);
      this.judgedFresh++;
      const f = fitNode(ledger, i, cp, only.opts);
      col.version[i] = view.version;
      col.raw[i] = f.ok ? scorer.score(view, pod, f.fit, only.ctx) : Number.NaN;
      col.reason[i] = f.ok ? -1 : this.reasonId(f.unfit);
    }
    col.swept = ledger.nodeCount;
  }

  /** The Decision for `pod` on ledger position `index` (which must fit). */
  decideAt(ledger: Ledger, pod: PodRequest, index: number, computeOvercommit: number, nowMs: number): Decision {
    const f = fitNode(ledger, index, compilePod(ledger, pod), this.options(computeOvercommit));
    if (!f.ok) throw new Error(`node ${ledger.view(index).node.name} no longer fits: ${explainUnfit(f.unfit)}`);
    return buildDecision(ledger, pod, f.fit, nowMs);
  }

  evaluate(input: EvaluateInput): NodeVerdict[] {
    const { ledger, pod } = input;
    const names = input.nodes;
    const index = new Int32Array(names.length);
    const known: number[] = [];
    for (let k = 0; k < names.length; k++) {
      const i = ledger.indexOf(names[k] as string);
      index[k] = i;
      if (i >= 0) known.push(k);
    }
    const idx = Int32Array.from(known, (k) => index[k] as number);
    const out = new Judgement();
    this.judgeInto(ledger, pod, idx, idx.length, (j) => input.computeOvercommit(names[known[j] as number] as string), out, input.cache === true);
    const verdicts: NodeVerdict[] = [];
    let j = 0;
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as string;
      const i = index[k] as number;
      if (i < 0) {
        verdicts.push({ node: name, fits: false, reason: `node ${name}: not in the ledger`, reasonClass: 'unknown-node', unresolvable: true });
        continue;
      }
      const raw = out.raw[j] as number;
      const why = out.reason[j] as number;
      j++;
      const oc = input.computeOvercommit(name);
      if (raw === raw) {
        verdicts.push(new FitVerdict(name, raw, extenderScore(raw), ledger, pod, i, this.options(oc), input.nowMs));
      } else {
        const r = this.reasons[why] as { text: string; cls: string; unresolvable: boolean };
        verdicts.push(new UnfitVerdict(name, r.text, r.cls, r.unresolvable, ledger, pod, i, this.options(oc)));
      }
    }
    return verdicts;
  }
}

/** A node that fits; its fit and Decision are computed only when asked for (usually for one node). */
class FitVerdict {
  readonly fits = true as const;
  private decision: Decision | null = null;
  constructor(
    readonly node: string,
    readonly rawScore: number,
    readonly score: number,
    private readonly ledger: Ledger,
    private readonly pod: PodRequest,
    private readonly index: number,
    private readonly opts: PlacementOptions,
    private readonly nowMs: number,
  ) {}

  decide(): Decision {
    if (this.decision === null) {
      const f = fitNode(this.ledger, this.index, compilePod(this.ledger, this.pod), this.opts);
      if (!f.ok) throw new Error(`node ${this.node} no longer fits: ${explainUnfit(f.unfit)}`);
      this.decision = buildDecision(this.ledger, this.pod, f.fit, this.nowMs);
    }
    return this.decision;
  }
}

/** A node that does not fit: `reason` is the node-independent FailedNodes sentence, `detail` the full one (computed on demand). */
class UnfitVerdict {
  readonly fits = false as const;
  constructor(
    readonly node: string,
    readonly reason: string,
    readonly reasonClass: string,
    readonly unresolvable: boolean,
    private readonly ledger: Ledger,
    private readonly pod: PodRequest,
    private readonly index: number,
    private readonly opts: PlacementOptions,
  ) {}
  get detail(): string {
    const f = fitNode(this.ledger, this.index, compilePod(this.ledger, this.pod), this.opts);
    return f.ok ? this.reason : explainUnfit(f.unfit);
  }
}

/** The verdict of a structured Unfit. */
export function unfitVerdict(u: Unfit): NodeVerdict {
  return { node: u.node, fits: false, reason: filterReason(u), detail: explainUnfit(u), reasonClass: u.resource, unresolvable: u.unresolvable };
}

/** The FGD shape of a pod (first container's request), for the workload mix. */
export function shapeOf(pod: PodRequest): TaskShape {
  const c = pod.containers[0];
  if (c === undefined) return { cpuMilli: pod.cpuMilli, deviceCount: 0, computeMilli: 0 };
  const a = c.accel;
  const computeMilli = a.kind === 'whole' ? 1000 : (a.computeMilli ?? 0);
  return { cpuMilli: pod.cpuMilli, deviceCount: a.count, computeMilli, ...(a.allow !== undefined ? { models: a.allow } : {}) };
}
