/** Builds the admin API's JSON (schemas.ts) from the service's cache; pure reads. */
import { type QueueFigures, type QuotaAmount } from '../../../core/index.js';
import type { Service } from '../service.js';
import type { PendingEntry } from '../journal.js';
import { livePending } from '../server.js';
import { messageOf } from '../errors.js';
import type { NodeVerdict } from '../placement-port.js';

/** Namespaces the caller may see pod names in; null = all. */
export type NamespaceFilter = Set<string> | null;

export function namespacesOf(service: Service, tenants: Set<string> | null): NamespaceFilter {
  if (tenants === null) return null;
  const out = new Set<string>();
  for (const t of tenants) for (const ns of service.state.tenants.get(t)?.spec.namespaces ?? []) out.add(ns);
  return out;
}

function podRef(ns: NamespaceFilter, namespace: string, name: string, uid: string): { namespace: string; name: string; uid: string } {
  if (ns === null || ns.has(namespace)) return { namespace, name, uid };
  return { namespace: '(hidden)', name: '(hidden)', uid: '' };
}

function gpuAmount(a: QuotaAmount): { gpu: number | null; memoryMiB: number | null } {
  return {
    gpu: Number.isFinite(a.gpuMilli) ? a.gpuMilli / 1000 : null,
    memoryMiB: Number.isFinite(a.memoryMiB) ? a.memoryMiB : null,
  };
}

export function usageView(service: Service, tenants: Set<string> | null): unknown[] {
  const pendingByQueue = new Map<string, number>();
  for (const p of livePending(service)) if (p.queue !== null) pendingByQueue.set(p.queue, (pendingByQueue.get(p.queue) ?? 0) + 1);
  return service.quota
    .usage()
    .filter((f) => tenants === null || tenants.has(f.tenant))
    .map((f: QueueFigures) => ({
      queue: f.queue,
      tenant: f.tenant,
      pool: f.pool,
      poolMode: f.poolMode,
      model: f.model,
      priority: f.priority,
      guarantee: gpuAmount(f.guarantee),
      limit: gpuAmount(f.limit),
      used: gpuAmount(f.used),
      borrowed: gpuAmount(f.borrowed),
      lent: gpuAmount(f.lent),
      availableToBorrow: gpuAmount(f.availableToBorrow),
      pods: f.allocations,
      pending: pendingByQueue.get(f.queue) ?? 0,
    }));
}

export function nodeView(service: Service, name: string, ns: NamespaceFilter): unknown | undefined {
  const { state } = service;
  const entry = state.nodes.get(name);
  if (entry === undefined) return undefined;
  const node = entry.node;
  const idx = state.ledger.indexOf(name);
  const view = idx >= 0 ? state.ledger.view(idx) : undefined;
  const topo = node.topology;
  const groups: number[][] = topo.kind === 'hccs' ? topo.groups.map((g) => [...g]) : topo.kind === 'nvlink' ? nvlinkIslands(topo.links) : [];
  const groupOf = (pos: number): number | null => {
    const g = groups.findIndex((x) => x.includes(pos));
    return g < 0 ? null : g;
  };
  const shares = new Map<string, unknown[]>();
  for (const [uid, h] of state.holdings) {
    if (h.decision.node !== name) continue;
    for (const c of h.decision.containers) {
      for (const d of c.devices) {
        const list = shares.get(d.id) ?? [];
        list.push({ pod: podRef(ns, h.decision.namespace, h.decision.name, uid), container: c.name, memoryMiB: d.memoryMiB, computeMilli: d.computeMilli, exclusive: d.exclusive, state: h.kind });
        shares.set(d.id, list);
      }
    }
  }
  return {
    name,
    pool: node.pool ?? null,
    vendor: entry.vendor,
    problem: entry.problem,
    cpu: { capacityMilli: node.cpuMilli, usedMilli: view?.cpuUsedMilli ?? 0 },
    memory: { capacityMiB: node.memoryMiB, usedMiB: view?.memoryUsedMiB ?? 0 },
    interconnect: { kind: topo.kind, groups },
    devices: node.devices.map((d, pos) => ({
      id: d.id,
      index: d.index,
      model: d.model,
      health: d.health,
      memoryMiB: d.memoryMiB,
      usedMemoryMiB: view?.devMemUsed[pos] ?? 0,
      usedComputeMilli: view?.devComputeUsed[pos] ?? 0,
      exclusive: view?.devExclusive[pos] === 1,
      group: groupOf(pos),
      shares: shares.get(d.id) ?? [],
    })),
  };
}

/** NVLink islands: connected components over NV<n> links. */
function nvlinkIslands(links: readonly (readonly string[])[]): number[][] {
  const n = links.length;
  const seen = new Array<boolean>(n).fill(false);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    if (seen[i]) continue;
    const comp: number[] = [];
    const stack = [i];
    seen[i] = true;
    while (stack.length > 0) {
      const x = stack.pop() as number;
      comp.push(x);
      for (let j = 0; j < n; j++) {
        if (!seen[j] && links[x]?.[j]?.startsWith('NV')) {
          seen[j] = true;
          stack.push(j);
        }
      }
    }
    out.push(comp.sort((a, b) => a - b));
  }
  return out;
}

export function pendingView(p: PendingEntry, ns: NamespaceFilter): unknown {
  return { pod: podRef(ns, p.namespace, p.name, p.uid), queue: p.queue, reason: p.reason, summary: p.summary, nodes: p.nodes, sinceMs: p.atMs };
}

/** Explain a pod across quota, fit and topology, judging it now against every known node. */
export function whyView(service: Service, namespace: string, name: string): unknown | undefined {
  const { state } = service;
  const rec = state.podByName(namespace, name);
  if (rec === undefined) return undefined;
  const uid = rec.meta.uid;
  const held = state.holdings.get(uid);
  const problems: string[] = [];
  if (rec.decisionProblem !== null) problems.push(rec.decisionProblem);
  const gp = state.grantProblems.get(uid);
  if (gp !== undefined) problems.push(gp);
  const last = service.journal.pending.get(uid);
  const base = {
    pod: { namespace, name, uid },
    node: held?.decision.node ?? rec.meta.nodeName ?? null,
    problems,
    lastFilter: last === undefined ? null : pendingView(last, null),
  };
  let pod;
  try {
    pod = state.requestOf(rec);
  } catch (err) {
    problems.push(`invalid request: ${messageOf(err)}`);
    return { ...base, phase: 'pending', request: null, quota: { ok: false, queue: null, message: 'not checked: the request is invalid' }, fit: emptyFit(), topology: [] };
  }
  if (pod === null || pod.containers.length === 0) {
    return { ...base, phase: 'not-tessera', request: 'no accelerators', quota: { ok: true, queue: null, message: 'no accelerators: not under Tessera quota' }, fit: emptyFit(), topology: [] };
  }
  const request = pod.containers
    .map((c) => {
      const a = c.accel;
      const size = a.kind === 'whole' ? 'whole' : `share (${[a.memoryMiB !== undefined ? `${a.memoryMiB} MiB` : '', a.memoryPercent !== undefined ? `${a.memoryPercent}% memory` : '', a.computeMilli !== undefined ? `${a.computeMilli / 10}% compute` : '', a.template ?? ''].filter(Boolean).join(', ')})`;
      return `${c.name}: ${a.count} × ${a.vendor} ${size}`;
    })
    .join('; ');
  const phase = held?.kind ?? (rec.meta.nodeName !== undefined ? 'bound' : 'pending');
  // Judge on a copy without the pod's own grant, so a held pod is explained the same way.
  const ledger = state.ledger.clone();
  ledger.release(uid);
  const names = [...state.nodes.keys()];
  const verdicts: NodeVerdict[] = [];
  const known = names.filter((n) => state.nodes.get(n)?.problem === null);
  for (const n of names) {
    const e = state.nodes.get(n);
    if (e?.problem != null) verdicts.push({ node: n, fits: false, reason: e.problem, reasonClass: 'no-inventory', unresolvable: true });
  }
  if (known.length > 0) {
    verdicts.push(...service.placement.evaluate({ ledger, pod, nodes: known, nowMs: service.clock(), computeOvercommit: (n) => service.extender.overcommitOf(n) }));
  }
  const byReason: Record<string, number> = {};
  const sample: Record<string, string> = {};
  let best: { node: string; score: number; devices: string[] } | null = null;
  let bestRaw = -Infinity;
  for (const v of verdicts) {
    if (v.fits) {
      if (v.rawScore > bestRaw) {
        bestRaw = v.rawScore;
        best = { node: v.node, score: v.score, devices: v.decide().containers.flatMap((c) => c.devices.map((d) => d.id)) };
      }
      continue;
    }
    byReason[v.reasonClass] = (byReason[v.reasonClass] ?? 0) + 1;
    if (Object.keys(sample).length < 10) sample[v.node] = v.detail ?? v.reason;
  }
  const feasible = verdicts.filter((v) => v.fits).length;
  let quota = { ok: true, queue: null as string | null, message: 'no node fits, so quota was not checked' };
  const bestVerdict = verdicts.find((v) => v.fits && v.node === best?.node);
  if (bestVerdict !== undefined && bestVerdict.fits) {
    const q = service.extender.checkQuota(pod, bestVerdict.decide());
    quota = { ok: q.ok, queue: q.queue, message: q.ok ? q.note : q.reason };
  }
  const topology: string[] = [];
  if ((byReason['topology'] ?? 0) > 0) topology.push(`${byReason['topology']} node(s) have enough free devices, but not inside one interconnect group (HCCS ring rules 1/2/4/8)`);
  if ((byReason['device-count'] ?? 0) > 0) topology.push(`${byReason['device-count']} node(s) cannot give this many devices at all`);
  if (best !== null && pod.containers.some((c) => c.accel.kind === 'whole' && c.accel.count > 1)) {
    topology.push(`best placement on ${best.node} uses ${best.devices.join(', ')}`);
  }
  return {
    ...base,
    phase,
    request,
    quota,
    fit: { nodes: verdicts.length, feasible, byReason, sample, best },
    topology,
  };
}

function emptyFit(): unknown {
  return { nodes: 0, feasible: 0, byReason: {}, sample: {}, best: null };
}
