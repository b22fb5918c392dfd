/**
 * GetPreferredAllocation: steer the kubelet to the devices of a pending decision
 * (docs/handoff.md §3), otherwise pick a topology-friendly set of distinct devices.
 */
import { bestConnectedSet, maskToPositions, pairScoreMatrix, pickRingSet, type Node, type Topology } from '../../core/index.js';
import type { PendingContainer } from './allocation-ledger.js';
import { physicalIdOf } from './resources.js';

export interface PreferredInput {
  readonly available: readonly string[];
  readonly mustInclude: readonly string[];
  readonly size: number;
}

/** Available advertised IDs grouped by physical device, lowest slot first. */
export function groupByPhysical(ids: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const phys = physicalIdOf(id);
    const g = groups.get(phys);
    if (g === undefined) groups.set(phys, [id]);
    else g.push(id);
  }
  for (const g of groups.values()) g.sort(compareSlotIds);
  return groups;
}

function compareSlotIds(a: string, b: string): number {
  const na = Number(a.slice(a.lastIndexOf(':') + 1));
  const nb = Number(b.slice(b.lastIndexOf(':') + 1));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a.localeCompare(b);
}

/** IDs on the devices of the oldest pending decision that fits, or null. */
export function steerToDecision(pending: readonly PendingContainer[], input: PreferredInput): string[] | null {
  const groups = groupByPhysical(input.available);
  const mustPhys = new Map<string, string>();
  for (const id of input.mustInclude) mustPhys.set(physicalIdOf(id), id);
  for (const p of pending) {
    const devs = p.container.devices;
    if (devs.length !== input.size) continue;
    const ids = new Set(devs.map((d) => d.id));
    if (ids.size !== devs.length) continue;
    if (![...mustPhys.keys()].every((phys) => ids.has(phys))) continue;
    const answer: string[] = [];
    for (const d of devs) {
      const must = mustPhys.get(d.id);
      const free = groups.get(d.id)?.[0];
      const pick = must ?? free;
      if (pick === undefined) break;
      answer.push(pick);
    }
    if (answer.length === input.size) return answer;
  }
  return null;
}

/** Link strength between two device positions (higher is better). */
export function linkScore(topology: Topology, a: number, b: number): number {
  switch (topology.kind) {
    case 'none':
      return 0;
    case 'nvlink': {
      const cls = topology.links[a]?.[b];
      if (cls === undefined) return 0;
      if (cls.startsWith('NV')) return 100 + Number(cls.slice(2));
      const table: Record<string, number> = { PIX: 50, PXB: 40, PHB: 30, NODE: 20, SYS: 10, X: 0 };
      return table[cls] ?? 0;
    }
    case 'hccs':
      if (topology.fullMesh) return 100;
      return topology.groups.some((g) => g.includes(a) && g.includes(b)) ? 100 : 0;
  }
}

export interface TopologyContext {
  readonly topology: Topology;
  /** The node's devices in topology order; enables core's set selection. */
  readonly node?: Node;
  /** Position of a physical device id in the node's device order (topology index). */
  readonly positionOf: (physicalId: string) => number | undefined;
}

/**
 * Core's whole-device choice (Ascend ring rules, else the best-connected set that leaves the
 * rest best connected) over the free physical devices; null when core cannot answer.
 */
function coreSet(ctx: TopologyContext, candidates: readonly string[], k: number): string[] | null {
  const node = ctx.node;
  if (node === undefined || node.devices.length > 30 || k === 0) return null;
  let freeMask = 0;
  for (const phys of candidates) {
    const pos = ctx.positionOf(phys);
    if (pos === undefined || pos >= node.devices.length) return null;
    freeMask |= 1 << pos;
  }
  const n = node.devices.length;
  let mask = -1;
  if (node.topology.kind === 'hccs' && !node.topology.fullMesh) mask = pickRingSet(node.topology.groups, freeMask, k);
  if (mask < 0) mask = bestConnectedSet(pairScoreMatrix(node), n, freeMask, k);
  if (mask < 0) return null;
  const out = maskToPositions(mask).map((pos) => node.devices[pos]?.id);
  return out.every((id): id is string => id !== undefined) ? out : null;
}

/** Subsets of `k` items (lexicographic), stopping after `limit` subsets. */
function* subsets<T>(items: readonly T[], k: number, limit: number): Generator<T[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  let produced = 0;
  if (k > items.length) return;
  for (;;) {
    yield idx.map((i) => items[i] as T);
    if (++produced >= limit) return;
    let i = k - 1;
    while (i >= 0 && idx[i] === items.length - k + i) i--;
    if (i < 0) return;
    idx[i] = (idx[i] as number) + 1;
    for (let j = i + 1; j < k; j++) idx[j] = (idx[j - 1] as number) + 1;
  }
}

const MAX_SUBSETS = 5000;

/**
 * Topology-aware choice without a decision: distinct physical devices (must-include ones
 * first) whose links to each other are strongest while the devices left free keep their
 * own links (so a lone request takes an orphan, a pair takes an NVLink pair); ties go to
 * the devices with fewer free slots. Extra slots of chosen devices only when there are
 * not enough distinct devices.
 */
export function topologyPreferred(ctx: TopologyContext, input: PreferredInput): string[] {
  const groups = groupByPhysical(input.available);
  const chosen: string[] = [];
  const chosenPhys = new Set<string>();
  const take = (phys: string, id: string): void => {
    chosen.push(id);
    chosenPhys.add(phys);
    const g = groups.get(phys);
    const at = g?.indexOf(id) ?? -1;
    if (g !== undefined && at >= 0) g.splice(at, 1);
  };
  for (const id of input.mustInclude) if (chosen.length < input.size) take(physicalIdOf(id), id);
  const need = input.size - chosen.length;
  const candidates = [...groups.entries()].filter(([phys, ids]) => ids.length > 0 && !chosenPhys.has(phys)).map(([phys]) => phys);
  const link = (a: string, b: string): number => {
    const pa = ctx.positionOf(a);
    const pb = ctx.positionOf(b);
    return pa === undefined || pb === undefined ? 0 : linkScore(ctx.topology, pa, pb);
  };
  const k = Math.min(need, candidates.length);
  const viaCore = chosenPhys.size === 0 && k === need ? coreSet(ctx, candidates, k) : null;
  if (viaCore !== null) {
    for (const phys of viaCore) {
      const id = groups.get(phys)?.[0];
      if (id !== undefined) take(phys, id);
    }
  } else if (k > 0) {
    let best: string[] | null = null;
    let bestScore = -Infinity;
    for (const set of subsets(candidates, k, MAX_SUBSETS)) {
      const members = [...chosenPhys, ...set];
      let inner = 0;
      for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) inner += link(members[i] as string, members[j] as string);
      let cross = 0;
      for (const m of set) for (const rest of candidates) if (!set.includes(rest)) cross += link(m, rest);
      const slots = set.reduce((n, p) => n + (groups.get(p)?.length ?? 0), 0);
      const score = (2 * inner - cross) * 1000 - slots;
      if (score > bestScore) {
        bestScore = score;
        best = set;
      }
    }
    for (const phys of best ?? []) {
      const id = groups.get(phys)?.[0];
      if (id !== undefined) take(phys, id);
    }
  }
  // Not enough distinct devices: add further slots of devices already chosen, then any.
  while (chosen.length < input.size) {
    const extra = [...groups.entries()].find(([phys, ids]) => ids.length > 0 && chosenPhys.has(phys)) ?? [...groups.entries()].find(([, ids]) => ids.length > 0);
    const id = extra?.[1][0];
    if (extra === undefined || id === undefined) break;
    take(extra[0], id);
  }
  return chosen;
}
