/**
 * Fit one pod on one node: resource checks, device choice, and a structured "does not fit"
 * value when it cannot. Pure reads of the ledger; nothing is reserved here.
 */
import type { ContainerRequest, PodRequest } from './request.js';
import type { FitOptions, Ledger, NodeView } from './ledger.js';
import { percentOfMiB } from './units.js';
import {
  ASCEND_RING_COUNTS,
  bestConnectedSet,
  hasRingRules,
  lowestBits,
  maskToPositions,
  pickRingSet,
  popcount,
} from './device-select.js';
import type { FragCache } from './frag-cache.js';
import { pickLeastFragmentation } from './share-pick.js';
import { RequestError } from './errors.js';

export { pickLeastFragmentation } from './share-pick.js';

export type UnfitResource =
  | 'node'
  | 'cpu'
  | 'memory'
  | 'accelerator-model'
  | 'devices'
  | 'device-count'
  | 'device-memory'
  | 'device-compute'
  | 'device-slots'
  | 'topology';

export type UnfitUnit = 'milli-cpu' | 'MiB' | 'devices' | 'milli-device';

/** Why a pod does not fit a node, as data; `explainUnfit` turns it into text. */
export interface Unfit {
  readonly node: string;
  readonly resource: UnfitResource;
  /** Container name, for accelerator reasons. */
  readonly container?: string;
  readonly requested: number;
  readonly free: number;
  readonly used: number;
  readonly capacity: number;
  readonly unit: UnfitUnit;
  /** True when even an empty node of this kind could not fit it (extender: FailedAndUnresolvable). */
  readonly unresolvable: boolean;
}

/** Devices chosen for one container (positions are indexes into `Node.devices`). */
export interface ContainerChoice {
  /** Position of the container request in `pod.containers`. */
  readonly request: number;
  readonly positions: readonly number[];
  readonly memoryMiB: readonly number[];
  readonly computeMilli: readonly number[];
  readonly exclusive: boolean;
}

export interface NodeFit {
  /** Node name (same as `ledger.view(nodeIndex).node.name`). */
  readonly node: string;
  readonly nodeIndex: number;
  readonly containers: readonly ContainerChoice[];
}

export type FitResult = { readonly ok: true; readonly fit: NodeFit } | { readonly ok: false; readonly unfit: Unfit };

/** What a share needs on each candidate device. */
export interface ShareNeed {
  readonly computeMilli: number;
  /** Memory needed on each device position (percent requests differ by device). */
  readonly memoryMiB: ArrayLike<number>;
}

export interface SharePickContext {
  readonly ledger: Ledger;
  /** Node CPU free after the pod is placed. */
  readonly cpuFreeAfterMilli: number;
  /** Compute this pod has already taken on this node in the current fit, per position. */
  readonly pendingCompute: Float64Array;
  readonly fragCache?: FragCache;
  readonly random?: () => number;
}

/** Picks one device position for one share from `candidates` (never empty). */
export type SharePicker = (
  view: NodeView,
  candidates: readonly number[],
  need: ShareNeed,
  ctx: SharePickContext,
) => number;

/** Picks `count` positions for a whole request from `freeMask`; returns a mask or -1. */
export type WholeSetPicker = (view: NodeView, freeMask: number, count: number) => number;

export interface PlacementOptions extends FitOptions {
  /** Fragmentation memo (carries the workload mix) for the default share picker and the FGD term. */
  readonly fragCache?: FragCache;
  readonly pickShareDevice?: SharePicker;
  readonly pickWholeSet?: WholeSetPicker;
  /** Randomness for random policies (core has no randomness of its own). */
  readonly random?: () => number;
}

/** A container request with its model filter compiled against the ledger's models. */
export interface CompiledContainer {
  readonly request: number;
  readonly req: ContainerRequest;
  readonly whole: boolean;
  readonly count: number;
  /** Per interned model id: 1 when this container may use it. */
  readonly modelOk: Uint8Array;
  readonly memoryMiB: number | undefined;
  readonly memoryPercent: number | undefined;
  readonly computeMilli: number;
}

export interface CompiledPod {
  readonly pod: PodRequest;
  readonly containers: readonly CompiledContainer[];
}

/** Lower-case name tokens: `NVIDIA A100-SXM4-80GB` → [nvidia, a100, sxm4, 80gb]. */
function modelTokens(name: string): string[] {
  return name.toLowerCase().split(/[^a-z0-9.]+/).filter((t) => t.length > 0);
}

/** A pattern token names a model token that equals it or extends it by a non-digit. */
function tokenMatches(modelToken: string, patternToken: string): boolean {
  if (!modelToken.startsWith(patternToken)) return false;
  const next = modelToken.charCodeAt(patternToken.length);
  return Number.isNaN(next) || next < 48 || next > 57;
}

/**
 * True when one of the patterns names this model: the pattern's tokens appear, in order
 * and contiguous, among the model's tokens, each equal or extended by a non-digit. So
 * `A100` and `a100-sxm4` match `NVIDIA A100-SXM4-80GB`, `Ascend910` matches `Ascend910B`
 * and `V100` matches `V100M16`, but `A10` does not match `A100` (as a substring it would).
 */
export function modelMatches(model: string, patterns: readonly string[] | undefined): boolean {
  if (patterns === undefined) return false;
  const m = modelTokens(model);
  return patterns.some((p) => {
    const t = modelTokens(p);
    if (t.length === 0) return false;
    for (let i = 0; i + t.length <= m.length; i++) {
      let k = 0;
      while (k < t.length && tokenMatches(m[i + k] as string, t[k] as string)) k++;
      if (k === t.length) return true;
    }
    return false;
  });
}

/** Validate and compile a pod's accelerator requests; throws RequestError on nonsense. */
export function compilePod(ledger: Ledger, pod: PodRequest): CompiledPod {
  const containers = pod.containers.map((req, request): CompiledContainer => {
    const a = req.accel;
    if (!Number.isInteger(a.count) || a.count < 1) {
      throw new RequestError(`pod ${pod.namespace}/${pod.name} container ${req.name}: count must be an integer ≥ 1, got ${a.count}`);
    }
    const modelOk = new Uint8Array(ledger.modelCount);
    for (let id = 0; id < ledger.modelCount; id++) {
      const name = ledger.modelName(id);
      if (ledger.modelVendor(id) !== a.vendor) continue;
      if (a.allow !== undefined && a.allow.length > 0 && !modelMatches(name, a.allow)) continue;
      if (modelMatches(name, a.deny)) continue;
      modelOk[id] = 1;
    }
    if (a.kind === 'whole') {
      return { request, req, whole: true, count: a.count, modelOk, memoryMiB: undefined, memoryPercent: undefined, computeMilli: 0 };
    }
    const bad = (v: number | undefined, max: number): boolean => v !== undefined && (!Number.isFinite(v) || v < 0 || v > max);
    if (bad(a.memoryMiB, Number.MAX_SAFE_INTEGER) || bad(a.memoryPercent, 100) || bad(a.computeMilli, Number.MAX_SAFE_INTEGER)) {
      throw new RequestError(
        `pod ${pod.namespace}/${pod.name} container ${req.name}: share sizes must be ≥ 0 (memoryPercent ≤ 100), got memoryMiB=${a.memoryMiB} memoryPercent=${a.memoryPercent} computeMilli=${a.computeMilli}`,
      );
    }
    return {
      request,
      req,
      whole: false,
      count: a.count,
      modelOk,
      memoryMiB: a.memoryMiB,
      memoryPercent: a.memoryMiB === undefined ? a.memoryPercent : undefined,
      computeMilli: a.computeMilli ?? 0,
    };
  });
  return { pod, containers };
}

const pendingScratch = { buf: new Float64Array(32) };
const needScratch = new Float64Array(32);
const candScratch: number[] = [];

/** Fit a compiled pod onto node `nodeIndex`. */
export function fitNode(ledger: Ledger, nodeIndex: number, cp: CompiledPod, options: PlacementOptions = {}): FitResult {
  const s = ledger.view(nodeIndex);
  const node = s.node;
  const pod = cp.pod;
  const cpuFree = node.cpuMilli - s.cpuUsedMilli;
  if (pod.cpuMilli > cpuFree) {
    return unfit(node.name, 'cpu', undefined, pod.cpuMilli, cpuFree, s.cpuUsedMilli, node.cpuMilli, 'milli-cpu');
  }
  const memFree = node.memoryMiB - s.memoryUsedMiB;
  if (pod.memoryMiB > memFree) {
    return unfit(node.name, 'memory', undefined, pod.memoryMiB, memFree, s.memoryUsedMiB, node.memoryMiB, 'MiB');
  }
  if (cp.containers.length === 0) return { ok: true, fit: { node: node.name, nodeIndex, containers: [] } };
  const n = s.deviceCount;
  const overcommit = options.computeOvercommit ?? 1;
  const pending = pendingScratch.buf;
  pending.fill(0, 0, n);
  let taken = 0;
  const choices: ContainerChoice[] = [];
  for (const c of cp.containers) {
    const name = c.req.name;
    let matching = 0;
    let eligible = 0;
    for (let i = 0; i < n; i++) {
      if (c.modelOk[s.devModel[i] as number] !== 1) continue;
      matching++;
      if (s.devHealthy[i] === 1 && (taken & (1 << i)) === 0) eligible |= 1 << i;
    }
    if (matching === 0) return unfit(node.name, 'accelerator-model', name, c.count, 0, 0, 0, 'devices');
    if (c.count > matching) return unfit(node.name, 'device-count', name, c.count, popcount(eligible), 0, matching, 'devices');
    if (c.whole) {
      const r = fitWhole(s, c, eligible, matching, options);
      if (!r.ok) return r;
      taken |= r.mask;
      const positions = maskToPositions(r.mask);
      choices.push({
        request: c.request,
        positions,
        memoryMiB: positions.map((p) => node.devices[p]?.memoryMiB ?? 0),
        computeMilli: positions.map((p) => node.devices[p]?.computeMilli ?? 0),
        exclusive: true,
      });
      for (const p of positions) pending[p] = node.devices[p]?.computeMilli ?? 0;
      continue;
    }
    // shares: candidates by memory and compute
    let memOk = 0;
    let cand = 0;
    let maxMemFree = 0;
    let maxComputeFree = 0;
    let memCap = 0;
    let computeCap = 0;
    let anyMemCap = false;
    let anyComputeCap = false;
    let capFit = 0;
    let slotFull = 0;
    const maxShares = node.maxSharesPerDevice;
    for (let i = 0; i < n; i++) {
      if (c.modelOk[s.devModel[i] as number] !== 1) continue;
      const dev = node.devices[i];
      if (dev === undefined) continue;
      const needMem = c.memoryMiB ?? (c.memoryPercent === undefined ? 0 : percentOfMiB(dev.memoryMiB, c.memoryPercent));
      needScratch[i] = needMem;
      const limit = dev.computeMilli * overcommit;
      if (needMem <= dev.memoryMiB) anyMemCap = true;
      if (c.computeMilli <= limit) anyComputeCap = true;
      if (needMem <= dev.memoryMiB && c.computeMilli <= limit) capFit++;
      memCap = Math.max(memCap, dev.memoryMiB);
      computeCap = Math.max(computeCap, limit);
      if ((eligible & (1 << i)) === 0 || s.devExclusive[i] === 1) continue;
      const mf = dev.memoryMiB - (s.devMemUsed[i] as number);
      const cf = limit - (s.devComputeUsed[i] as number);
      if (mf > maxMemFree) maxMemFree = mf;
      if (cf > maxComputeFree) maxComputeFree = cf;
      if (mf < needMem) continue;
      memOk |= 1 << i;
      if (cf < c.computeMilli) continue;
      if (maxShares !== undefined && (s.devShares[i] as number) >= maxShares) {
        slotFull++;
        continue;
      }
      cand |= 1 << i;
    }
    const needMemShown = c.memoryMiB ?? (c.memoryPercent === undefined ? 0 : percentOfMiB(memCap, c.memoryPercent));
    if (!anyMemCap) return unfit(node.name, 'device-memory', name, needMemShown, maxMemFree, 0, memCap, 'MiB', true);
    if (!anyComputeCap) return unfit(node.name, 'device-compute', name, c.computeMilli, maxComputeFree, 0, computeCap, 'milli-device', true);
    if (capFit < c.count) {
      // even empty, too few devices are large enough for this share
      return unfit(node.name, 'device-count', name, c.count, popcount(cand), 0, capFit, 'devices', true);
    }
    const nCand = popcount(cand);
    if (nCand < c.count) {
      if (nCand + slotFull >= c.count) {
        // devices have room, but every share slot the kubelet knows of on them is taken
        return unfit(node.name, 'device-slots', name, c.count, nCand, slotFull, n, 'devices');
      }
      if (popcount(memOk) < c.count) {
        return unfit(node.name, 'device-memory', name, needMemShown, maxMemFree, memCap - maxMemFree, memCap, 'MiB');
      }
      return unfit(node.name, 'device-compute', name, c.computeMilli, maxComputeFree, computeCap - maxComputeFree, computeCap, 'milli-device');
    }
    const picker = options.pickShareDevice ?? pickLeastFragmentation;
    const positions: number[] = [];
    const mems: number[] = [];
    const comps: number[] = [];
    const ctx: SharePickContext = {
      ledger,
      cpuFreeAfterMilli: cpuFree - pod.cpuMilli,
      pendingCompute: pending,
      ...(options.fragCache === undefined ? {} : { fragCache: options.fragCache }),
      ...(options.random === undefined ? {} : { random: options.random }),
    };
    for (let k = 0; k < c.count; k++) {
      candScratch.length = 0;
      for (let i = 0; i < n; i++) if ((cand & (1 << i)) !== 0) candScratch.push(i);
      const p = picker(s, candScratch, { computeMilli: c.computeMilli, memoryMiB: needScratch }, ctx);
      if ((cand & (1 << p)) === 0) throw new RequestError(`share picker returned position ${p}, not a candidate`);
      cand &= ~(1 << p);
      taken |= 1 << p;
      pending[p] = (pending[p] as number) + c.computeMilli;
      positions.push(p);
      mems.push(needScratch[p] as number);
      comps.push(c.computeMilli);
    }
    choices.push({ request: c.request, positions, memoryMiB: mems, computeMilli: comps, exclusive: false });
  }
  return { ok: true, fit: { node: node.name, nodeIndex, containers: choices } };
}

function fitWhole(
  s: NodeView,
  c: CompiledContainer,
  eligible: number,
  matching: number,
  options: PlacementOptions,
): { ok: true; mask: number } | { ok: false; unfit: Unfit } {
  const node = s.node;
  const name = c.req.name;
  const rings = hasRingRules(node);
  if ((rings && !ASCEND_RING_COUNTS.includes(c.count)) || (options.validWholeCount !== undefined && !options.validWholeCount(node, c.count))) {
    return unfit(node.name, 'device-count', name, c.count, 0, 0, matching, 'devices', true);
  }
  let free = 0;
  for (let i = 0; i < s.deviceCount; i++) {
    if ((eligible & (1 << i)) === 0) continue;
    if (s.devExclusive[i] === 1 || (s.devShares[i] as number) > 0 || (s.devMemUsed[i] as number) > 0 || (s.devComputeUsed[i] as number) > 0) continue;
    free |= 1 << i;
  }
  const nFree = popcount(free);
  if (nFree < c.count) {
    return unfit(node.name, 'devices', name, c.count, nFree, matching - nFree, matching, 'devices');
  }
  let mask: number;
  if (options.pickWholeSet !== undefined) mask = options.pickWholeSet(s, free, c.count);
  else mask = defaultWholeSet(s, free, c.count);
  if (mask < 0 || popcount(mask) !== c.count || (mask & ~free) !== 0) {
    return unfit(node.name, 'topology', name, c.count, nFree, matching - nFree, matching, 'devices');
  }
  return { ok: true, mask };
}

/** The engine's whole-set choice (interconnect-aware; Ascend ring rules). */
export function defaultWholeSet(s: NodeView, free: number, count: number): number {
  const topo = s.node.topology;
  switch (topo.kind) {
    case 'none':
      return lowestBits(free, count);
    case 'hccs':
      if (!topo.fullMesh) return pickRingSet(topo.groups, free, count);
      return lowestBits(free, count);
    case 'nvlink': {
      if (count <= 1 && count === popcount(free)) return free;
      const key = free * 32 + count;
      const cache = (s as unknown as { setCache: Map<number, number> }).setCache;
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const mask = bestConnectedSet(s.pair, s.deviceCount, free, count);
      cache.set(key, mask);
      return mask;
    }
  }
}

function unfit(
  node: string,
  resource: UnfitResource,
  container: string | undefined,
  requested: number,
  free: number,
  used: number,
  capacity: number,
  unit: UnfitUnit,
  unresolvable?: boolean,
): { ok: false; unfit: Unfit } {
  const un =
    unresolvable ??
    (resource === 'cpu' || resource === 'memory'
      ? requested > capacity
      : resource === 'accelerator-model' || resource === 'device-count' || resource === 'node');
  const u: Unfit =
    container === undefined
      ? { node, resource, requested, free, used, capacity, unit, unresolvable: un }
      : { node, resource, container, requested, free, used, capacity, unit, unresolvable: un };
  return { ok: false, unfit: u };
}
