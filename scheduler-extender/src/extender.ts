/**
 * The four extender verbs over the cluster cache, the placement engine and the quota
 * engine. Transport-free: server.ts maps HTTP onto these methods.
 *
 * Reservation protocol: filter picks the best node, holds its devices for `reservationTtlMs`
 * (so the next pod cannot be promised them) and passes every feasible node; prioritize
 * ranks the held node first (10) and the others ≤ 9. If kube-scheduler still binds to
 * another node, bind places the pod there afresh against the ledger, or refuses (the
 * scheduler retries). Bind writes the decision annotations, then the Binding; on failure it
 * removes the annotations and releases the grant.
 */
import type { Logger } from 'pino';
import type { Decision, PodRequest } from '../../core/index.js';
import { modelMatches } from '../../core/index.js';
import { Judgement, extenderScore, type CorePlacement } from './core-placement.js';
import type { ClusterState } from './cluster-state.js';
import { decisionAnnotations, removalPatch } from './decision-codec.js';
import { ExtenderError, messageOf } from './errors.js';
import type { Journal } from './journal.js';
import type { Binder, PodPatcher } from './kube.js';
import type { ExtenderMetrics } from './metrics.js';
import type { NodeVerdict } from './placement-port.js';
import { NO_QUOTA, type QuotaPort } from './quota-port.js';
import { podMeta, translatePod } from './translate.js';
import type { ReclaimHook } from './reclaim.js';
import { WIRE_JSON } from './wire.js';
import type {
  ExtenderArgs,
  ExtenderBindingArgs,
  ExtenderBindingResult,
  ExtenderFilterResult,
  ExtenderPreemptionArgs,
  ExtenderPreemptionResult,
  HostPriority,
  MetaVictimsOut,
} from './wire.js';

export interface ExtenderDeps {
  readonly state: ClusterState;
  readonly placement: CorePlacement;
  readonly kube: Binder & PodPatcher;
  readonly clock: () => number;
  readonly reservationTtlMs: number;
  readonly isLeader: () => boolean;
  readonly metrics: ExtenderMetrics;
  readonly journal: Journal;
  readonly log: Logger;
  readonly quota?: () => QuotaPort;
  /** Active reclaim of borrowed capacity for refused pods (reclaim.ts). */
  readonly reclaim?: ReclaimHook;
}

interface FilterMemo {
  readonly version: number;
  /** The nodes that passed judging, in the order sent, and their extender scores. */
  readonly names: readonly string[];
  readonly scores: Uint8Array;
  readonly held: string | null;
}

/** Kind of a candidate in filter's scratch arrays. */
const KNOWN = 0;
const UNKNOWN = 1;
const BROKEN = 2;
const NOT_IN_LEDGER = 3;
const UNKNOWN_REASON = "node not in the Tessera extender's cache (no Node object seen yet)";
const BROKEN_POS = -2;
const NOT_IN_LEDGER_POS = -3;
const INDEX_LIKE = /^(?:0|[1-9][0-9]*)$/;

/** JSON of a name as an object key, or '' when JS objects would order it first (array index). */
function quoteKey(name: string): string {
  const c = name.charCodeAt(0);
  if (c >= 48 && c <= 57 && INDEX_LIKE.test(name) && Number(name) < 4294967295) return '';
  return JSON.stringify(name);
}

const SAMPLE = 8;
/** Node names with interned prioritize entries before the table starts over. */
const MAX_HOST_PRIORITY_NODES = 200_000;

function nameOfNode(item: unknown): string | null {
  const n = (item as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof n === 'string' && n !== '' ? n : null;
}

export class Extender {
  private readonly memo = new Map<string, FilterMemo>();
  /** Filter scratch, reused across calls (filter is synchronous). */
  private kind = new Uint8Array(0);
  private pos = new Int32Array(0);
  private knownK = new Int32Array(0);
  /** Name → ledger position (≥ 0), BROKEN_POS or NOT_IN_LEDGER_POS; absent: unknown. Rebuilt when nodes change. */
  private resolve: { structure: number; ledger: object; byName: Map<string, number> } | null = null;
  /** Per ledger position: the JSON-quoted node name, or '' when it is array-index-like (key order differs). */
  private quoted: string[] = [];
  private quotedLedger: object | null = null;
  private perReason = new Int32Array(64);
  private readonly failedParts = new EntryParts();
  private readonly unresolvableParts = new EntryParts();
  /** Per ledger position: the last filter call that saw it (duplicate candidates). */
  private seen = new Int32Array(0);
  private call = 0;
  private readonly judged = new Judgement();
  /** Interned prioritize entries: node name → by score. */
  private readonly hostPriorities = new Map<string, HostPriority[]>();

  constructor(private readonly d: ExtenderDeps) {}

  private quota(): QuotaPort {
    return this.d.quota?.() ?? NO_QUOTA;
  }

  /** Quota verdict for a pod placed as `decision` (admin explanations). */
  checkQuota(pod: PodRequest, decision: Decision): ReturnType<QuotaPort['check']> {
    return this.quota().check(pod, decision);
  }

  /** Judge every known, healthy-inventory node; unknown/broken nodes get their reason. */
  judge(pod: PodRequest, names: readonly string[]): NodeVerdict[] {
    const { state } = this.d;
    const known: string[] = [];
    const out: NodeVerdict[] = [];
    for (const n of names) {
      const e = state.nodes.get(n);
      if (e === undefined) {
        out.push({ node: n, fits: false, reason: UNKNOWN_REASON, reasonClass: 'unknown-node', unresolvable: true });
      } else if (e.problem !== null) {
        out.push({ node: n, fits: false, reason: e.problem, reasonClass: 'no-inventory', unresolvable: true });
      } else {
        known.push(n);
      }
    }
    if (known.length > 0) {
      out.push(
        ...this.d.placement.evaluate({
          ledger: state.ledger,
          pod,
          nodes: known,
          nowMs: this.d.clock(),
          computeOvercommit: state.pools.size === 0 ? () => 1 : (node) => this.overcommitOf(node),
          cache: true,
        }),
      );
    }
    return out;
  }

  overcommitOf(node: string): number {
    if (this.d.state.pools.size === 0) return 1;
    const pool = this.d.state.nodes.get(node)?.node.pool;
    const p = pool === undefined ? undefined : this.d.state.pools.get(pool);
    if (p === undefined || p.spec.mode === 'fixed') return 1;
    return p.spec.computeOvercommit ?? 1;
  }

  filter(args: ExtenderArgs): ExtenderFilterResult {
    const { state, metrics } = this.d;
    const now = this.d.clock();
    state.sweep(now);
    const nodeCache = args.NodeNames !== undefined && args.NodeNames !== null;
    const items = nodeCache ? [] : (args.Nodes?.items ?? []);
    // Node-cache mode reads the request's list as is (never written to): no copy per call.
    const names: string[] = nodeCache ? (args.NodeNames as string[]) : [];
    const itemByName = new Map<string, unknown>();
    if (!nodeCache) {
      for (const it of items) {
        const n = nameOfNode(it);
        if (n === null) continue;
        names.push(n);
        itemByName.set(n, it);
        // Full Node objects teach the cache about nodes it has not seen yet.
        if (!state.nodes.has(n)) state.event({ kind: 'nodes', type: 'upsert', object: it });
      }
    }
    const failed: Record<string, string> = {};
    const unresolvable: Record<string, string> = {};
    const answer = (passed: readonly string[]): ExtenderFilterResult => {
      if (passed.length > 0) metrics.filterOutcomes.inc({ outcome: 'passed', reason: 'fits' }, passed.length);
      return {
        Nodes: nodeCache ? null : { items: passed.map((n) => itemByName.get(n)) },
        NodeNames: nodeCache ? [...passed] : null,
        FailedNodes: failed,
        FailedAndUnresolvableNodes: unresolvable,
        Error: '',
      };
    };
    let pod: PodRequest;
    try {
      pod = translatePod(args.Pod, state);
    } catch (err) {
      const who = safeName(args.Pod);
      for (const n of names) unresolvable[n] = `pod ${who}: ${messageOf(err)}`;
      metrics.filterOutcomes.inc({ outcome: 'unresolvable', reason: 'bad-pod' }, names.length);
      return answer([]);
    }
    if (pod.containers.length === 0) return answer(names);
    if (!state.synced) {
      // Judging against a partial cache could promise devices twice: make the scheduler retry.
      metrics.filterOutcomes.inc({ outcome: 'error', reason: 'not-synced' });
      return { ...answer([]), Error: `Tessera extender cache is not synced (${state.syncMessage}); retry` };
    }
    const held = state.holdings.get(pod.uid);
    if (held !== undefined && held.kind !== 'bound') state.releaseGrant(pod.uid, 're-filtered');

    // Hot path: candidates resolved into scratch arrays, judged into typed arrays; per node
    // only the FailedNodes entry is written (interned sentences), no per-node objects.
    const n = names.length;
    if (this.kind.length < n) {
      const cap = Math.max(n, this.kind.length * 2);
      this.kind = new Uint8Array(cap);
      this.pos = new Int32Array(cap);
      this.knownK = new Int32Array(cap);
    }
    const { kind, pos, knownK } = this;
    const ledger = state.ledger;
    const byName = this.byName();
    if (this.seen.length < ledger.nodeCount) {
      const seen = new Int32Array(Math.max(ledger.nodeCount, this.seen.length * 2));
      seen.set(this.seen);
      this.seen = seen;
    }
    const seen = this.seen;
    const call = ++this.call;
    // The wire JSON is written directly unless an object would differ (duplicate or index-like names).
    let direct = nodeCache;
    let nKnown = 0;
    for (let k = 0; k < n; k++) {
      const name = names[k] as string;
      const i = byName.get(name);
      if (i === undefined) {
        kind[k] = UNKNOWN;
        direct = false;
      } else if (i === BROKEN_POS) {
        kind[k] = BROKEN;
        direct = false;
      } else if (i === NOT_IN_LEDGER_POS) {
        kind[k] = NOT_IN_LEDGER;
        direct = false;
      } else {
        pos[k] = i;
        kind[k] = KNOWN;
        knownK[nKnown++] = k;
        if (seen[i] === call) direct = false;
        seen[i] = call;
      }
    }
    const judged = this.judged;
    const placement = this.d.placement;
    const knownPos = nKnown === n ? pos : Int32Array.from(knownK.subarray(0, nKnown), (k) => pos[k] as number);
    let judgedAt = now;
    const overcommit = state.pools.size === 0 ? () => 1 : (j: number) => this.overcommitOf(names[knownK[j] as number] as string);
    try {
      placement.judgeInto(ledger, pod, knownPos, nKnown, overcommit, judged, true);
      if (nKnown > 0) judgedAt = this.d.clock();
    } catch (err) {
      // The engine refused the request itself (core RequestError): no node can take it.
      for (const nm of names) unresolvable[nm] = `pod ${pod.namespace}/${pod.name}: ${messageOf(err)}`;
      this.d.log.warn({ pod: `${pod.namespace}/${pod.name}`, err: messageOf(err) }, 'placement engine refused the pod');
      return answer([]);
    }
    const raw = judged.raw;
    const why = judged.reason;
    // Unfit candidates in answer order: unknown and broken nodes first, then the judged ones.
    const eachUnfit = (cb: (node: string, reason: string, reasonClass: string, unresolvable: boolean) => void): void => {
      for (let k = 0; k < n; k++) {
        const c = kind[k];
        if (c === UNKNOWN) cb(names[k] as string, UNKNOWN_REASON, 'unknown-node', true);
        else if (c === BROKEN) cb(names[k] as string, state.nodes.get(names[k] as string)?.problem ?? '', 'no-inventory', true);
      }
      for (let k = 0, j = 0; k < n; k++) {
        const c = kind[k];
        if (c === NOT_IN_LEDGER) {
          const nm = names[k] as string;
          cb(nm, `node ${nm}: not in the ledger`, 'unknown-node', true);
        } else if (c === KNOWN) {
          const r = raw[j] as number;
          if (r !== r) {
            const id = why[j] as number;
            cb(names[k] as string, placement.reasonText(id), placement.reasonClass(id), placement.reasonUnresolvable(id));
          }
          j++;
        }
      }
    };
    // FailedNodes: written as JSON text straight from the interned reasons (the usual case), or
    // as objects below when no node is held (hooks and the pending journal read them).
    const failedParts = this.failedParts;
    const unresolvableParts = this.unresolvableParts;
    failedParts.reset();
    unresolvableParts.reset();
    // Unfit nodes counted per reason id (ids seen listed once, in `touched`).
    if (this.perReason.length < placement.reasonCount) this.perReason = new Int32Array(Math.max(placement.reasonCount * 2, 64));
    const perReason = this.perReason;
    const touched: number[] = [];
    if (direct) {
      const quoted = this.quotedNames(ledger);
      for (let j = 0; j < nKnown; j++) {
        const r = raw[j] as number;
        if (r === r) continue;
        const id = why[j] as number;
        if (id >= perReason.length) {
          direct = false; // a reason first met in this call beyond the counters: count below instead
          break;
        }
        if ((perReason[id] as number) === 0) touched.push(id);
        perReason[id] = (perReason[id] as number) + 1;
        const q = quoted[pos[knownK[j] as number] as number] as string;
        if (q === '') {
          direct = false;
          break;
        }
        // `"name"` then `:"reason",` as two parts (no string built per node); the trailing comma goes at the join
        const parts = placement.reasonUnresolvable(id) ? unresolvableParts : failedParts;
        parts.add(q, placement.reasonEntryTail(id));
      }
    }
    const failedBy = new Map<string, number>();
    const unresolvableBy = new Map<string, number>();
    if (direct) {
      for (const id of touched) {
        const c = perReason[id] as number;
        const by = placement.reasonUnresolvable(id) ? unresolvableBy : failedBy;
        const cls = placement.reasonClass(id);
        by.set(cls, (by.get(cls) ?? 0) + c);
      }
    } else {
      eachUnfit((node, reason, cls, unres) => {
        if (unres) {
          unresolvable[node] = reason;
          unresolvableBy.set(cls, (unresolvableBy.get(cls) ?? 0) + 1);
        } else {
          failed[node] = reason;
          failedBy.set(cls, (failedBy.get(cls) ?? 0) + 1);
        }
      });
    }
    for (const id of touched) perReason[id] = 0;
    for (const [reason, c] of failedBy) metrics.filterOutcomes.inc({ outcome: 'failed', reason }, c);
    for (const [reason, c] of unresolvableBy) metrics.filterOutcomes.inc({ outcome: 'unresolvable', reason }, c);
    const refused: [string, string][] = [];
    const objectsBuilt = !direct;
    // Fitting candidates (j: position among the judged), their scores for prioritize.
    const nodeOfJ = (j: number): string => names[knownK[j] as number] as string;
    // A queue whose guarantee names a device model: nodes without that model do not pass.
    const queueModel = this.quota().queueModel?.(pod) ?? null;
    const modelRefused: [string, string][] = [];
    const modelOut = new Set<number>();
    if (queueModel !== null) {
      // One token match per distinct device model, not per device of every candidate.
      const seenModels = new Map<string, boolean>();
      const modelIsQueues = (model: string): boolean => {
        let ok = seenModels.get(model);
        if (ok === undefined) seenModels.set(model, (ok = modelMatches(model, [queueModel])));
        return ok;
      };
      for (let j = 0; j < nKnown; j++) {
        const r = raw[j] as number;
        if (r !== r) continue;
        const nm = nodeOfJ(j);
        const devices = state.nodes.get(nm)?.node.devices ?? [];
        if (devices.some((d) => modelIsQueues(d.model))) continue;
        modelOut.add(j);
        modelRefused.push([nm, `quota: the pod's queue holds quota for ${queueModel} only; this node has ${[...new Set(devices.map((d) => d.model))].join(', ') || 'no devices'}`]);
      }
      if (modelRefused.length > 0) direct = false;
    }
    let nFit = 0;
    for (let j = 0; j < nKnown; j++) {
      const r = raw[j] as number;
      if (r === r && (modelOut.size === 0 || !modelOut.has(j))) nFit++;
    }
    const fitJ = new Int32Array(nFit);
    const memoNames: string[] = new Array(nFit);
    const memoScores = new Uint8Array(nFit);
    for (let j = 0, t = 0; j < nKnown; j++) {
      const r = raw[j] as number;
      if (r !== r || (modelOut.size > 0 && modelOut.has(j))) continue;
      fitJ[t] = j;
      memoNames[t] = nodeOfJ(j);
      memoScores[t] = extenderScore(r);
      t++;
    }
    // Best first; ties keep the order the scheduler sent (pick the first maximum, again after a refusal).
    const tried = new Set<number>();
    let heldNode: string | null = null;
    let quotaProblem: { reason: string; resolvable: boolean; reasonClass: string } | null = null;
    let queue: string | null = null;
    while (tried.size < fitJ.length) {
      let best = -1;
      let bestRaw = Number.NEGATIVE_INFINITY;
      for (const j of fitJ) {
        if (tried.has(j)) continue;
        const r = raw[j] as number;
        if (best < 0 || r > bestRaw) {
          best = j;
          bestRaw = r;
        }
      }
      tried.add(best);
      const node = nodeOfJ(best);
      const oc = this.overcommitOf(node);
      const decision = placement.decideAt(ledger, pod, knownPos[best] as number, oc, judgedAt);
      const q = this.quota().check(pod, decision);
      queue = q.queue;
      if (!q.ok && q.nodeOnly === true) {
        // This node's devices are not the queue's model: refuse it alone, try the next best.
        modelRefused.push([node, q.reason]);
        direct = false;
        continue;
      }
      if (!q.ok) {
        quotaProblem = q;
        break;
      }
      const r = state.reserve(decision, pod, now + this.d.reservationTtlMs, oc);
      if (r.ok) {
        heldNode = node;
        break;
      }
      failed[node] = r.reason;
      refused.push([node, r.reason]);
    }
    for (const [node] of refused) if (quoteKey(node) === '') direct = false;
    if (direct && heldNode !== null) {
      // The usual answer: one node held, every other candidate failed or passed.
      // Distinct names here: the fitting candidates in the order sent, less those refused.
      const passedDirect: string[] = [];
      for (const j of fitJ) {
        const nm = nodeOfJ(j);
        if (refused.length === 0 || failed[nm] === undefined) passedDirect.push(nm);
      }
      for (const [node, reason] of refused) failedParts.add(JSON.stringify(node), `:${JSON.stringify(reason)},`);
      this.rememberScores(pod.uid, memoNames, memoScores, heldNode);
      this.d.journal.clearPending(pod.uid);
      metrics.filterOutcomes.inc({ outcome: 'passed', reason: 'fits' }, passedDirect.length);
      return directAnswer(passedDirect, failedParts.join(), unresolvableParts.join());
    }
    if (!objectsBuilt) {
      // Nothing held (or an odd name): the objects are needed after all (quota, reclaim, pending journal).
      eachUnfit((node, reason, _cls, unres) => {
        (unres ? unresolvable : failed)[node] = reason;
      });
      for (const [node, reason] of refused) failed[node] = reason;
    }
    for (const [node, reason] of modelRefused) unresolvable[node] = reason;
    if (heldNode === null && quotaProblem === null && modelRefused.length > 0) {
      const reason = (modelRefused[0] as [string, string])[1];
      quotaProblem = { reason, resolvable: false, reasonClass: 'quota' };
    }
    let passed: string[];
    if (quotaProblem !== null) {
      // Best first, ties in the order sent (as the scheduler reads the map).
      const order = [...fitJ].sort((a, b) => (raw[b] as number) - (raw[a] as number));
      for (const j of order) if (unresolvable[nodeOfJ(j)] === undefined) (quotaProblem.resolvable ? failed : unresolvable)[nodeOfJ(j)] = quotaProblem.reason;
      metrics.filterOutcomes.inc({ outcome: quotaProblem.resolvable ? 'failed' : 'unresolvable', reason: 'quota' }, fitJ.length);
      passed = [];
    } else if (heldNode === null) {
      passed = [];
    } else {
      passed = [];
      const fitNames = new Set<string>();
      for (const j of fitJ) fitNames.add(nodeOfJ(j));
      for (const nm of names) if (fitNames.has(nm) && failed[nm] === undefined && unresolvable[nm] === undefined) passed.push(nm);
    }
    // Prioritize reads these scores; keep them for a bounded number of pending pods.
    this.rememberScores(pod.uid, memoNames, memoScores, heldNode);
    if (passed.length === 0 && this.d.reclaim !== undefined) {
      // Borrowers hold this queue's guarantee: the leader evicts them; the scheduler retries.
      const r = this.d.reclaim.onRefused(pod, names, now);
      if (r !== null) {
        delete unresolvable[r.node];
        failed[r.node] = r.reason;
        metrics.filterOutcomes.inc({ outcome: 'failed', reason: 'reclaiming' });
        quotaProblem = { reason: r.reason, resolvable: true, reasonClass: 'quota' };
      }
    }
    if (passed.length === 0) this.notePending(pod, names.length, eachUnfit, quotaProblem, queue, now);
    else this.d.journal.clearPending(pod.uid);
    return answer(passed);
  }

  /**
   * The answer entry for `node` scored `score` (0–10), one frozen object per node and score
   * for the process: prioritize answers hundreds of nodes per pod, and building an object per
   * node per call was a tenth of a decision's garbage.
   */
  private hostPriority(node: string, score: number): HostPriority {
    let row = this.hostPriorities.get(node);
    if (row === undefined) {
      if (this.hostPriorities.size >= MAX_HOST_PRIORITY_NODES) this.hostPriorities.clear();
      row = [];
      this.hostPriorities.set(node, row);
    }
    return (row[score] ??= Object.freeze({ Host: node, Score: score }));
  }

  /** Prioritize reads these scores; keep them for a bounded number of pending pods. */
  private rememberScores(uid: string, names: string[], scores: Uint8Array, held: string | null): void {
    if (this.memo.size >= 2048) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(uid, { version: this.d.state.version, names, scores, held });
  }

  private byName(): Map<string, number> {
    const { state } = this.d;
    const r = this.resolve;
    if (r !== null && r.structure === state.structureVersion && r.ledger === state.ledger) return r.byName;
    const byName = new Map<string, number>();
    for (const [name, e] of state.nodes) {
      const i = state.ledger.indexOf(name);
      byName.set(name, e.problem !== null ? BROKEN_POS : i < 0 ? NOT_IN_LEDGER_POS : i);
    }
    this.resolve = { structure: state.structureVersion, ledger: state.ledger, byName };
    return byName;
  }

  private quotedNames(ledger: { readonly nodeCount: number; view(i: number): { readonly node: { readonly name: string } } }): string[] {
    if (this.quotedLedger !== ledger) {
      this.quotedLedger = ledger;
      this.quoted = [];
    }
    const q = this.quoted;
    for (let i = q.length; i < ledger.nodeCount; i++) q.push(quoteKey(ledger.view(i).node.name));
    return q;
  }

  private notePending(
    pod: PodRequest,
    total: number,
    eachUnfit: (cb: (node: string, reason: string, reasonClass: string) => void) => void,
    quota: { reason: string; reasonClass: string } | null,
    queue: string | null,
    now: number,
  ): void {
    const counts = new Map<string, number>();
    const nodes: Record<string, string> = {};
    let sampled = 0;
    eachUnfit((node, reason, reasonClass) => {
      counts.set(reasonClass, (counts.get(reasonClass) ?? 0) + 1);
      if (sampled < SAMPLE) {
        nodes[node] = reason;
        sampled++;
      }
    });
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    const reason = quota !== null ? 'quota' : (top?.[0] ?? 'no-nodes');
    const summary =
      quota !== null
        ? quota.reason
        : total === 0
          ? 'no candidate nodes were sent'
          : `0/${total} nodes fit: ${[...counts].map(([k, c]) => `${c} ${k}`).join(', ')}`;
    this.d.journal.setPending({ uid: pod.uid, namespace: pod.namespace, name: pod.name, atMs: now, reason, summary, nodes, queue });
  }

  prioritize(args: ExtenderArgs): HostPriority[] {
    const { state } = this.d;
    const nodeCache = args.NodeNames !== undefined && args.NodeNames !== null;
    const names = nodeCache ? (args.NodeNames as string[]) : (args.Nodes?.items ?? []).map(nameOfNode).filter((n): n is string => n !== null);
    // Filter remembered the scores of this pod (by UID; only accelerator pods are remembered):
    // no second translation of the pod.
    const uid = (args.Pod as { metadata?: { uid?: unknown } } | null)?.metadata?.uid;
    let memo = typeof uid === 'string' && uid !== '' ? this.memo.get(uid) : undefined;
    let pod: PodRequest | null = null;
    if (memo === undefined) {
      try {
        pod = translatePod(args.Pod, state);
      } catch {
        return names.map((n) => ({ Host: n, Score: 0 }));
      }
      if (pod.containers.length === 0) return names.map((n) => ({ Host: n, Score: 0 }));
      memo = this.memo.get(pod.uid);
    }
    if (memo !== undefined) {
      // kube-scheduler sends back (a subsequence of) the names filter passed, in order: walk
      // both lists; anything else is looked up by name.
      const { names: fitNames, scores: s, held: h } = memo;
      let byName: Map<string, number> | null = null;
      const out: HostPriority[] = new Array(names.length);
      let p = 0;
      for (let k = 0; k < names.length; k++) {
        const n = names[k] as string;
        while (p < fitNames.length && fitNames[p] !== n && fitNames.length - p > names.length - k) p++;
        let v: number;
        if (p < fitNames.length && fitNames[p] === n) v = s[p++] as number;
        else {
          if (byName === null) {
            byName = new Map();
            for (let t = 0; t < fitNames.length; t++) byName.set(fitNames[t] as string, s[t] as number);
          }
          v = byName.get(n) ?? 0;
        }
        out[k] = this.hostPriority(n, n === h ? 10 : Math.min(9, v));
      }
      return out;
    }
    let scores: Map<string, number>;
    let held: string | null;
    {
      let verdicts: NodeVerdict[] = [];
      try {
        verdicts = this.judge(pod as PodRequest, names); // no memo: translated above
      } catch {
        /* scored 0 below; prioritize errors never fail scheduling anyway */
      }
      scores = new Map();
      for (const v of verdicts) if (v.fits) scores.set(v.node, v.score);
      held = null;
    }
    return names.map((n) => ({ Host: n, Score: n === held ? 10 : Math.min(9, Math.max(0, Math.round(scores.get(n) ?? 0))) }));
  }

  async bind(args: ExtenderBindingArgs): Promise<ExtenderBindingResult> {
    const { state, kube, metrics, log } = this.d;
    const who = `${args.PodNamespace}/${args.PodName}`;
    const fail = (result: string, message: string): ExtenderBindingResult => {
      metrics.bindResults.inc({ result });
      log.warn({ pod: who, node: args.Node, reason: message }, 'bind refused');
      return { Error: message };
    };
    if (!this.d.isLeader()) return fail('not-leader', 'this Tessera extender replica is not the leader; retry');
    const rec = state.podByName(args.PodNamespace, args.PodName);
    if (rec === undefined) return fail('unknown-pod', `pod ${who} is not in the extender's cache yet; retry`);
    if (args.PodUID !== '' && rec.meta.uid !== args.PodUID) {
      return fail('uid-mismatch', `pod ${who}: UID ${args.PodUID} does not match the cached pod ${rec.meta.uid}`);
    }
    const uid = rec.meta.uid;
    this.memo.delete(uid);
    if (rec.meta.nodeName !== undefined) {
      // A retried bind (the first answer was lost): succeed if it is the same node, never undo it.
      if (rec.meta.nodeName === args.Node) {
        metrics.bindResults.inc({ result: 'already-bound' });
        return { Error: '' };
      }
      return fail('already-bound', `pod ${who} is already bound to ${rec.meta.nodeName}`);
    }
    const now = this.d.clock();
    state.sweep(now);
    let decision: Decision;
    const held = state.holdings.get(uid);
    if (held !== undefined && held.decision.node === args.Node) {
      // The usual bind: filter held this node (only accelerator pods are held); its decision
      // stands, so the pod is not translated again.
      decision = held.decision;
    } else {
      let pod: PodRequest;
      try {
        pod = translatePod(rec.raw, state);
      } catch (err) {
        return fail('bad-pod', `pod ${who}: ${messageOf(err)}`);
      }
      if (pod.containers.length === 0) {
        try {
          await kube.bind({ namespace: args.PodNamespace, name: args.PodName, uid, node: args.Node });
        } catch (err) {
          return fail('binding-failed', `binding ${who} to ${args.Node}: ${messageOf(err)}`);
        }
        metrics.bindResults.inc({ result: 'bound' });
        return { Error: '' };
      }
      if (held !== undefined) state.releaseGrant(uid, `bound to ${args.Node}, not the held node ${held.decision.node}`);
      let v: NodeVerdict | undefined;
      try {
        v = this.judge(pod, [args.Node])[0];
      } catch (err) {
        return fail('bad-pod', `pod ${who}: ${messageOf(err)}`);
      }
      if (v === undefined || !v.fits) return fail('no-fit', `pod ${who} no longer fits node ${args.Node}: ${v?.fits === false ? v.reason : 'not judged'}`);
      const fresh = v.decide();
      const q = this.quota().check(pod, fresh);
      if (!q.ok) return fail('quota', q.reason);
      const r = state.reserve(fresh, pod, now + this.d.reservationTtlMs, this.overcommitOf(args.Node));
      if (!r.ok) return fail('no-fit', `pod ${who} on ${args.Node}: ${r.reason}`);
      decision = fresh;
    }
    decision = { ...decision, decidedAtMs: now };
    const annotations = decisionAnnotations(decision);
    state.markDecided(uid, decision);
    try {
      await kube.patchPodAnnotations(args.PodNamespace, args.PodName, annotations);
    } catch (err) {
      state.releaseGrant(uid, 'annotation patch failed');
      return fail('patch-failed', `recording the decision on pod ${who}: ${messageOf(err)}`);
    }
    try {
      await kube.bind({ namespace: args.PodNamespace, name: args.PodName, uid, node: args.Node });
    } catch (err) {
      const message = `binding ${who} to ${args.Node}: ${messageOf(err)}`;
      if (err instanceof ExtenderError && err.code === 'EXT_ERR_CONFLICT') {
        // 409: the pod is already bound (a concurrent or earlier bind won); its annotations and
        // grant are the informer's to settle, not ours to remove.
        return fail('conflict', message);
      }
      try {
        await kube.patchPodAnnotations(args.PodNamespace, args.PodName, removalPatch(annotations));
      } catch (err2) {
        log.error({ pod: who, err: err2 }, 'could not remove decision annotations after a failed bind');
      }
      state.releaseGrant(uid, 'binding failed');
      return fail('binding-failed', message);
    }
    state.markBound(uid);
    this.d.journal.clearPending(uid);
    metrics.bindResults.inc({ result: 'bound' });
    log.info({ pod: who, node: args.Node, devices: decision.containers.map((c) => c.devices.map((x) => x.id)) }, 'bound pod');
    return { Error: '' };
  }

  preempt(args: ExtenderPreemptionArgs): ExtenderPreemptionResult {
    const { state, metrics } = this.d;
    const out: Record<string, MetaVictimsOut> = {};
    let pod: PodRequest;
    try {
      pod = translatePod(args.Pod, state);
    } catch {
      return { NodeNameToMetaVictims: out };
    }
    const proposals = new Map<string, { uids: string[]; pdb: number }>();
    if (args.NodeNameToMetaVictims) {
      for (const [n, v] of Object.entries(args.NodeNameToMetaVictims)) {
        proposals.set(n, { uids: (v.Pods ?? []).map((p) => p.UID), pdb: v.NumPDBViolations ?? 0 });
      }
    } else if (args.NodeNameToVictims) {
      for (const [n, v] of Object.entries(args.NodeNameToVictims)) {
        const uids: string[] = [];
        for (const p of v.Pods ?? []) {
          try {
            uids.push(podMeta(p).uid);
          } catch {
            /* a victim without metadata cannot be named back; skip it */
          }
        }
        proposals.set(n, { uids, pdb: v.NumPDBViolations ?? 0 });
      }
    }
    if (pod.containers.length === 0) {
      for (const [n, p] of proposals) out[n] = { Pods: p.uids.map((UID) => ({ UID })), NumPDBViolations: p.pdb };
      return { NodeNameToMetaVictims: out };
    }
    for (const [node, prop] of proposals) {
      const r = this.narrowVictims(pod, node, prop.uids);
      metrics.preemptVictims.inc({ decision: 'dropped' }, prop.uids.length - (r?.keep.length ?? 0));
      // No victim needed (the pod fits once a reclaim in flight finishes, or already does):
      // leave the node out — kube-scheduler rejects a node with an empty victim list
      // ("expected at least one victim pod on node") and retries the pod later anyway.
      if (r === null || r.keep.length === 0) continue;
      metrics.preemptVictims.inc({ decision: 'kept' }, r.keep.length);
      out[node] = { Pods: r.keep.map((UID) => ({ UID })), NumPDBViolations: prop.pdb };
      this.d.journal.addPreemption({
        atMs: this.d.clock(),
        preemptor: { namespace: pod.namespace, name: pod.name, uid: pod.uid, priority: pod.priority },
        node,
        victims: r.keep,
        dropped: r.dropped,
        kind: r.reclaim ? 'reclaim' : 'priority',
      });
    }
    return { NodeNameToMetaVictims: out };
  }

  /**
   * The smallest set of the proposed victims on `node` whose grants must go for the pod
   * to fit, keeping victims that hold no devices (kube-scheduler chose them for CPU/memory).
   * Null when even all allowed victims do not make room.
   */
  private narrowVictims(
    pod: PodRequest,
    node: string,
    uids: readonly string[],
  ): { keep: string[]; dropped: { uid: string; why: string }[]; reclaim: boolean } | null {
    const { state } = this.d;
    const entry = state.nodes.get(node);
    if (entry === undefined || entry.problem !== null) return null;
    const granted = uids.filter((u) => state.ledger.reservation(u)?.node === node);
    const others = uids.filter((u) => !granted.includes(u));
    const cands = granted.map((uid) => ({ uid, priority: state.ledger.reservation(uid)?.priority ?? 0 }));
    const { allowed, refused } = this.quota().allowedVictims(pod, cands);
    const ledger = state.ledger.clone();
    ledger.release(pod.uid);
    const removable = cands.filter((c) => allowed.has(c.uid));
    for (const c of removable) ledger.release(c.uid);
    const fitsNow = (): boolean => {
      const v = this.d.placement.evaluate({ ledger, pod, nodes: [node], nowMs: this.d.clock(), computeOvercommit: (n) => this.overcommitOf(n) })[0];
      return v !== undefined && v.fits;
    };
    if (!fitsNow()) return null;
    // Give back the most important victims first while the pod still fits.
    const needed: string[] = [];
    const dropped: { uid: string; why: string }[] = [...refused].map(([uid, why]) => ({ uid, why }));
    for (const c of [...removable].sort((a, b) => b.priority - a.priority)) {
      const p = state.ledger.reservation(c.uid);
      if (p === undefined) continue;
      const r = ledger.reserve(c.uid, p, { computeOvercommit: Number.POSITIVE_INFINITY });
      if (r.ok && fitsNow()) {
        dropped.push({ uid: c.uid, why: 'its devices are not needed' });
        continue;
      }
      if (r.ok) ledger.release(c.uid);
      needed.push(c.uid);
    }
    const reclaim = needed.some((u) => {
      const h = state.holdings.get(u);
      return h !== undefined && h.request.queue !== pod.queue;
    });
    return { keep: [...others, ...needed], dropped, reclaim };
  }
}

/**
 * FailedNodes entries as parts [`"a"`, `:"x",`, `"b"`, `:"y",`], joined into `"a":"x","b":"y"`.
 * The array is reused across filter calls without shrinking (`length = 0` would drop its
 * backing store and every call would regrow it): slots past the current count hold ''.
 */
class EntryParts {
  private readonly parts: string[] = [];
  private count = 0;
  /** Slots below this may hold entries of an earlier call (one that did not join). */
  private dirty = 0;

  reset(): void {
    this.count = 0;
  }

  add(quotedName: string, tail: string): void {
    const p = this.parts;
    if (this.count < p.length) p[this.count] = quotedName;
    else p.push(quotedName);
    this.count++;
    if (this.count < p.length) p[this.count] = tail;
    else p.push(tail);
    this.count++;
    if (this.count > this.dirty) this.dirty = this.count;
  }

  /** One flat string, the last comma dropped; '' when empty. */
  join(): string {
    const p = this.parts;
    for (let i = this.count; i < this.dirty; i++) p[i] = '';
    this.dirty = this.count;
    return this.count === 0 ? '' : p.join('').slice(0, -1);
  }
}

/**
 * A node-cache filter answer whose wire JSON was written directly; the objects are parsed from
 * it on demand. FailedNodes / FailedAndUnresolvableNodes are own enumerable accessors (a spread
 * or JSON.stringify sees them), defined with getter functions shared by every answer: V8 keeps
 * accessors in the object's hidden class, so per-answer getter closures would give every answer
 * a new map (old space) pointing at its closures, and the ~23 KB FailedNodes text of every
 * answer would survive young-generation GCs until the next full GC.
 */
class DirectAnswer {
  declare readonly Nodes: null;
  declare readonly NodeNames: string[];
  declare readonly FailedNodes: Record<string, string>;
  declare readonly FailedAndUnresolvableNodes: Record<string, string>;
  declare readonly Error: string;
  readonly #failedJson: string;
  readonly #unresolvableJson: string;
  #failed: Record<string, string> | null = null;
  #unresolvable: Record<string, string> | null = null;

  constructor(passed: string[], failedJson: string, unresolvableJson: string) {
    // Own properties in the wire order.
    (this as { Nodes: null }).Nodes = null;
    (this as { NodeNames: string[] }).NodeNames = passed;
    Object.defineProperty(this, 'FailedNodes', FAILED_NODES);
    Object.defineProperty(this, 'FailedAndUnresolvableNodes', UNRESOLVABLE_NODES);
    (this as { Error: string }).Error = '';
    this.#failedJson = failedJson;
    this.#unresolvableJson = unresolvableJson;
  }

  static failed(a: DirectAnswer): Record<string, string> {
    return (a.#failed ??= JSON.parse(`{${a.#failedJson}}`) as Record<string, string>);
  }

  static unresolvable(a: DirectAnswer): Record<string, string> {
    return (a.#unresolvable ??= JSON.parse(`{${a.#unresolvableJson}}`) as Record<string, string>);
  }

  [WIRE_JSON](): string {
    return `{"Nodes":null,"NodeNames":${JSON.stringify(this.NodeNames)},"FailedNodes":{${this.#failedJson}},"FailedAndUnresolvableNodes":{${this.#unresolvableJson}},"Error":""}`;
  }
}

const FAILED_NODES: PropertyDescriptor = {
  get(this: DirectAnswer) {
    return DirectAnswer.failed(this);
  },
  enumerable: true,
  configurable: false,
};
const UNRESOLVABLE_NODES: PropertyDescriptor = {
  get(this: DirectAnswer) {
    return DirectAnswer.unresolvable(this);
  },
  enumerable: true,
  configurable: false,
};

function directAnswer(passed: string[], failedJson: string, unresolvableJson: string): ExtenderFilterResult {
  return new DirectAnswer(passed, failedJson, unresolvableJson);
}

function safeName(pod: unknown): string {
  try {
    const m = podMeta(pod);
    return `${m.namespace}/${m.name}`;
  } catch {
    return '(unnamed)';
  }
}

export { ExtenderError };
