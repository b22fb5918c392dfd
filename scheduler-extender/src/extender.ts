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
import type { ClusterState } from './cluster-state.js';
import { decisionAnnotations, removalPatch } from './decision-codec.js';
import { ExtenderError, messageOf } from './errors.js';
import type { Journal } from './journal.js';
import type { Binder, PodPatcher } from './kube.js';
import type { ExtenderMetrics } from './metrics.js';
import type { NodeFits, NodeVerdict, PlacementPort } from './placement-port.js';
import { NO_QUOTA, type QuotaPort } from './quota-port.js';
import { podMeta, translatePod } from './translate.js';
import type { ReclaimHook } from './reclaim.js';
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
  readonly placement: PlacementPort;
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
  readonly fits: readonly NodeFits[];
  readonly held: string | null;
}

const SAMPLE = 8;

function nameOfNode(item: unknown): string | null {
  const n = (item as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof n === 'string' && n !== '' ? n : null;
}

export class Extender {
  private readonly memo = new Map<string, FilterMemo>();

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
        out.push({ node: n, fits: false, reason: "node not in the Tessera extender's cache (no Node object seen yet)", reasonClass: 'unknown-node', unresolvable: true });
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
    const names: string[] = nodeCache ? [...(args.NodeNames as string[])] : [];
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

    let verdicts: NodeVerdict[];
    try {
      verdicts = this.judge(pod, names);
    } catch (err) {
      // The engine refused the request itself (core RequestError): no node can take it.
      for (const n of names) unresolvable[n] = `pod ${pod.namespace}/${pod.name}: ${messageOf(err)}`;
      this.d.log.warn({ pod: `${pod.namespace}/${pod.name}`, err: messageOf(err) }, 'placement engine refused the pod');
      return answer([]);
    }
    const fits: NodeFits[] = [];
    const failedBy = new Map<string, number>();
    const unresolvableBy = new Map<string, number>();
    for (const v of verdicts) {
      if (v.fits) {
        fits.push(v);
        continue;
      }
      const cls = v.reasonClass;
      if (v.unresolvable) {
        unresolvable[v.node] = v.reason;
        unresolvableBy.set(cls, (unresolvableBy.get(cls) ?? 0) + 1);
      } else {
        failed[v.node] = v.reason;
        failedBy.set(cls, (failedBy.get(cls) ?? 0) + 1);
      }
    }
    for (const [reason, n] of failedBy) metrics.filterOutcomes.inc({ outcome: 'failed', reason }, n);
    for (const [reason, n] of unresolvableBy) metrics.filterOutcomes.inc({ outcome: 'unresolvable', reason }, n);
    // Best first; ties keep the order the scheduler sent.
    fits.sort((a, b) => b.rawScore - a.rawScore);
    let heldNode: string | null = null;
    let quotaProblem: { reason: string; resolvable: boolean; reasonClass: string } | null = null;
    let queue: string | null = null;
    for (const best of fits) {
      const decision = best.decide();
      const q = this.quota().check(pod, decision);
      queue = q.queue;
      if (!q.ok) {
        quotaProblem = q;
        break;
      }
      const r = state.reserve(decision, pod, now + this.d.reservationTtlMs, this.overcommitOf(best.node));
      if (r.ok) {
        heldNode = best.node;
        break;
      }
      failed[best.node] = r.reason;
    }
    let passed: string[];
    if (quotaProblem !== null) {
      for (const f of fits) (quotaProblem.resolvable ? failed : unresolvable)[f.node] = quotaProblem.reason;
      metrics.filterOutcomes.inc({ outcome: quotaProblem.resolvable ? 'failed' : 'unresolvable', reason: 'quota' }, fits.length);
      passed = [];
    } else {
      const fitNames = new Set(fits.map((f) => f.node));
      passed = heldNode === null ? [] : names.filter((n) => fitNames.has(n) && failed[n] === undefined);
    }
    // Prioritize reads these scores; keep them for a bounded number of pending pods.
    if (this.memo.size >= 2048) this.memo.delete(this.memo.keys().next().value as string);
    this.memo.set(pod.uid, { version: state.version, fits, held: heldNode });
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
    if (passed.length === 0) this.notePending(pod, verdicts, quotaProblem, queue, now);
    else this.d.journal.clearPending(pod.uid);
    return answer(passed);
  }

  private notePending(
    pod: PodRequest,
    verdicts: readonly NodeVerdict[],
    quota: { reason: string; reasonClass: string } | null,
    queue: string | null,
    now: number,
  ): void {
    const counts = new Map<string, number>();
    const nodes: Record<string, string> = {};
    let sampled = 0;
    for (const v of verdicts) {
      if (v.fits) continue;
      counts.set(v.reasonClass, (counts.get(v.reasonClass) ?? 0) + 1);
      if (sampled < SAMPLE) {
        nodes[v.node] = v.reason;
        sampled++;
      }
    }
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    const reason = quota !== null ? 'quota' : (top?.[0] ?? 'no-nodes');
    const summary =
      quota !== null
        ? quota.reason
        : verdicts.length === 0
          ? 'no candidate nodes were sent'
          : `0/${verdicts.length} nodes fit: ${[...counts].map(([k, c]) => `${c} ${k}`).join(', ')}`;
    this.d.journal.setPending({ uid: pod.uid, namespace: pod.namespace, name: pod.name, atMs: now, reason, summary, nodes, queue });
  }

  prioritize(args: ExtenderArgs): HostPriority[] {
    const { state } = this.d;
    const nodeCache = args.NodeNames !== undefined && args.NodeNames !== null;
    const names = nodeCache ? (args.NodeNames as string[]) : (args.Nodes?.items ?? []).map(nameOfNode).filter((n): n is string => n !== null);
    let pod: PodRequest;
    try {
      pod = translatePod(args.Pod, state);
    } catch {
      return names.map((n) => ({ Host: n, Score: 0 }));
    }
    if (pod.containers.length === 0) return names.map((n) => ({ Host: n, Score: 0 }));
    const memo = this.memo.get(pod.uid);
    let scores: Map<string, number>;
    let held: string | null;
    if (memo !== undefined) {
      scores = new Map();
      for (const f of memo.fits) scores.set(f.node, f.score);
      held = memo.held;
    } else {
      let verdicts: NodeVerdict[] = [];
      try {
        verdicts = this.judge(pod, names);
      } catch {
        /* scored 0 below; prioritize errors never fail scheduling anyway */
      }
      scores = new Map(verdicts.filter((v): v is NodeFits => v.fits).map((v) => [v.node, v.score]));
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
    const now = this.d.clock();
    state.sweep(now);
    let decision: Decision;
    const held = state.holdings.get(uid);
    if (held !== undefined && held.decision.node === args.Node) {
      decision = held.decision;
    } else {
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
      if (r === null) continue;
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

function safeName(pod: unknown): string {
  try {
    const m = podMeta(pod);
    return `${m.namespace}/${m.name}`;
  } catch {
    return '(unnamed)';
  }
}

export { ExtenderError };
