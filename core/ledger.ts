/**
 * The ledger: what is allocated on every device of every node, and by which pod.
 * Per-node free state lives in flat typed arrays so the placement hot loop reads numbers,
 * not objects. Reserve and release are exact inverses (all amounts are integers).
 * `clone()` gives a cheap independent copy for what-ifs; `release()` is the undo.
 */
import type { ContainerAssignment } from './decision.js';
import { RequestError } from './errors.js';
import type { DeviceHealth, Node, Vendor } from './model.js';
import { pairScoreMatrix } from './link-score.js';

/** Devices per node the engine supports (device sets are 32-bit masks). */
export const MAX_DEVICES_PER_NODE = 30;

/** Options every fit check takes. */
export interface FitOptions {
  /**
   * Compute overcommit ratio for shares (elastic pools): a device accepts shares until
   * their compute sums to `computeMilli × computeOvercommit`. Default 1. Memory is never
   * overcommitted, and whole devices are always exclusive.
   */
  readonly computeOvercommit?: number;
  /**
   * Whole-device counts the adapter allows on this node (e.g. Ascend SKU rules); return
   * false to reject. Ascend 910 ring rules (1/2/4/8) are applied regardless.
   */
  readonly validWholeCount?: (node: Node, count: number) => boolean;
}

/** What one pod holds on one node; the input of reserve and what release undoes. */
export interface Placement {
  readonly node: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly priority: number;
  readonly containers: readonly ContainerAssignment[];
}

/** Read-only view of one node's state, handed to scorers. */
export interface NodeView {
  readonly node: Node;
  /** Position of this node in the ledger. */
  readonly index: number;
  readonly deviceCount: number;
  readonly cpuUsedMilli: number;
  readonly memoryUsedMiB: number;
  /** Per device position: memory granted, MiB. */
  readonly devMemUsed: Float64Array;
  /** Per device position: compute granted, milli (may exceed capacity with overcommit). */
  readonly devComputeUsed: Float64Array;
  /** Per device position: 1 when held exclusively by a whole-device request. */
  readonly devExclusive: Uint8Array;
  /** Per device position: number of shares placed on it. */
  readonly devShares: Int32Array;
  readonly devHealthy: Uint8Array;
  /** Per device position: interned model id (see `Ledger.modelName`). */
  readonly devModel: Int32Array;
  /** Flat n×n pair scores (`link-score.ts`). */
  readonly pair: Uint8Array;
  /** Compute granted on this node per pod priority. */
  readonly computeByPriority: ReadonlyMap<number, number>;
  /** Changes on every change of this node; unique across a ledger and all its clones (keys caches). */
  readonly version: number;
}

interface NodeState extends NodeView {
  cpuUsedMilli: number;
  memoryUsedMiB: number;
  computeByPriority: Map<number, number>;
  version: number;
  idToPos: Map<string, number>;
  /** Device-set choice memo for whole requests: key (mask, count) → chosen mask. */
  setCache: Map<number, number>;
  /** Memoised fragmentation of the current state (see score context). */
  fragOwner: object | null;
  fragVersion: number;
  fragValue: number;
}

/** Shared by a ledger and its clones so node versions never repeat with different contents. */
interface VersionClock {
  v: number;
}

export type ReserveResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

function newState(node: Node, index: number, modelId: (v: Vendor, m: string) => number, clock: VersionClock): NodeState {
  const n = node.devices.length;
  if (n > MAX_DEVICES_PER_NODE) {
    throw new RequestError(`node ${node.name}: ${n} devices, at most ${MAX_DEVICES_PER_NODE} supported`);
  }
  const devHealthy = new Uint8Array(n);
  const devModel = new Int32Array(n);
  const idToPos = new Map<string, number>();
  node.devices.forEach((d, i) => {
    devHealthy[i] = d.health === 'healthy' ? 1 : 0;
    devModel[i] = modelId(d.vendor, d.model);
    idToPos.set(d.id, i);
  });
  return {
    node,
    index,
    deviceCount: n,
    cpuUsedMilli: 0,
    memoryUsedMiB: 0,
    devMemUsed: new Float64Array(n),
    devComputeUsed: new Float64Array(n),
    devExclusive: new Uint8Array(n),
    devShares: new Int32Array(n),
    devHealthy,
    devModel,
    pair: pairScoreMatrix(node),
    computeByPriority: new Map(),
    version: ++clock.v,
    idToPos,
    setCache: new Map(),
    fragOwner: null,
    fragVersion: -1,
    fragValue: 0,
  };
}

function cloneState(s: NodeState): NodeState {
  return {
    ...s,
    devMemUsed: s.devMemUsed.slice(),
    devComputeUsed: s.devComputeUsed.slice(),
    devExclusive: s.devExclusive.slice(),
    devShares: s.devShares.slice(),
    devHealthy: s.devHealthy.slice(),
    computeByPriority: new Map(s.computeByPriority),
    setCache: s.setCache, // depends only on topology + mask: safe to share
    fragOwner: null,
    fragVersion: -1,
  };
}

export class Ledger {
  private readonly states: NodeState[];
  private readonly byName: Map<string, number>;
  private readonly models: string[];
  private readonly modelIds: Map<string, number>;
  private readonly vendors: Vendor[];
  private readonly reservations: Map<string, Placement>;
  private readonly clock: VersionClock;

  private constructor(
    states: NodeState[],
    byName: Map<string, number>,
    models: string[],
    modelIds: Map<string, number>,
    vendors: Vendor[],
    reservations: Map<string, Placement>,
    clock: VersionClock,
  ) {
    this.clock = clock;
    this.vendors = vendors;
    this.states = states;
    this.byName = byName;
    this.models = models;
    this.modelIds = modelIds;
    this.reservations = reservations;
  }

  /** An empty ledger over these nodes (names must be unique). */
  static fromNodes(nodes: readonly Node[]): Ledger {
    const ledger = new Ledger([], new Map(), [], new Map(), [], new Map(), { v: 0 });
    for (const node of nodes) ledger.upsertNode(node);
    return ledger;
  }

  /** An independent copy (typed arrays copied); what-ifs on it never touch this ledger. */
  clone(): Ledger {
    return new Ledger(
      this.states.map(cloneState),
      new Map(this.byName),
      [...this.models],
      new Map(this.modelIds),
      [...this.vendors],
      new Map(this.reservations),
      this.clock,
    );
  }

  get nodeCount(): number {
    return this.states.length;
  }

  /** Interned model id → model name. */
  modelName(id: number): string {
    return this.models[id] ?? '';
  }

  /** Number of interned models; model ids are 0 … modelCount-1. */
  get modelCount(): number {
    return this.models.length;
  }

  /** Vendor of an interned model id. */
  modelVendor(id: number): Vendor | undefined {
    return this.vendors[id];
  }

  private modelId(vendor: Vendor, model: string): number {
    const key = `${vendor}/${model}`;
    let id = this.modelIds.get(key);
    if (id === undefined) {
      id = this.models.length;
      this.models.push(model);
      this.vendors.push(vendor);
      this.modelIds.set(key, id);
    }
    return id;
  }

  /** Position of a node by name, or -1. */
  indexOf(name: string): number {
    return this.byName.get(name) ?? -1;
  }

  view(index: number): NodeView {
    const s = this.states[index];
    if (s === undefined) throw new RequestError(`ledger: no node at position ${index}`);
    return s;
  }

  /** Internal state, for the engine modules (same object as `view`). */
  state(index: number): NodeState {
    const s = this.states[index];
    if (s === undefined) throw new RequestError(`ledger: no node at position ${index}`);
    return s;
  }

  nodeNames(): string[] {
    return this.states.map((s) => s.node.name);
  }

  reservation(podUid: string): Placement | undefined {
    return this.reservations.get(podUid);
  }

  reservationCount(): number {
    return this.reservations.size;
  }

  /** All reservations, pod uid → placement. */
  allReservations(): ReadonlyMap<string, Placement> {
    return this.reservations;
  }

  /**
   * Add a node, or replace it (new inventory or health). Reservations on the node are
   * re-applied to devices that still exist (matched by device id).
   */
  upsertNode(node: Node): void {
    const existing = this.byName.get(node.name);
    const index = existing ?? this.states.length;
    const state = newState(node, index, (v, m) => this.modelId(v, m), this.clock);
    if (existing === undefined) {
      this.states.push(state);
      this.byName.set(node.name, index);
      return;
    }
    this.states[index] = state;
    for (const p of this.reservations.values()) {
      if (p.node === node.name) applyPlacement(state, p, 1, true, this.clock);
    }
  }

  /** Mark one device healthy or unhealthy; unhealthy devices get no new work, existing grants stay. */
  setDeviceHealth(nodeName: string, deviceId: string, health: DeviceHealth): boolean {
    const index = this.byName.get(nodeName);
    if (index === undefined) return false;
    const s = this.state(index);
    const pos = s.idToPos.get(deviceId);
    if (pos === undefined) return false;
    s.devHealthy[pos] = health === 'healthy' ? 1 : 0;
    s.version = ++this.clock.v;
    return true;
  }

  /**
   * Record a pod's placement. Checks that the node and devices exist, that no device gets
   * two grants of the pod, that whole devices are free, and that memory and compute stay
   * within capacity (compute × overcommit). Health is not checked here: restart recovery
   * must be able to re-record grants on devices that went bad since.
   */
  reserve(podUid: string, placement: Placement, options: FitOptions = {}): ReserveResult {
    if (this.reservations.has(podUid)) return { ok: false, reason: `pod ${podUid} already holds a reservation` };
    const index = this.byName.get(placement.node);
    if (index === undefined) return { ok: false, reason: `unknown node ${placement.node}` };
    const s = this.state(index);
    const problem = checkPlacement(s, placement, options.computeOvercommit ?? 1);
    if (problem !== null) return { ok: false, reason: `node ${placement.node}: ${problem}` };
    applyPlacement(s, placement, 1, false, this.clock);
    this.reservations.set(podUid, placement);
    return { ok: true };
  }

  /** Undo a reservation exactly; returns the released placement, or undefined when none. */
  release(podUid: string): Placement | undefined {
    const p = this.reservations.get(podUid);
    if (p === undefined) return undefined;
    this.reservations.delete(podUid);
    const index = this.byName.get(p.node);
    if (index !== undefined) applyPlacement(this.state(index), p, -1, true, this.clock);
    return p;
  }
}

function checkPlacement(s: NodeState, p: Placement, overcommit: number): string | null {
  if (s.cpuUsedMilli + p.cpuMilli > s.node.cpuMilli) return `cpu ${p.cpuMilli}m does not fit`;
  if (s.memoryUsedMiB + p.memoryMiB > s.node.memoryMiB) return `memory ${p.memoryMiB}MiB does not fit`;
  const seen = new Set<number>();
  for (const c of p.containers) {
    for (const d of c.devices) {
      const pos = s.idToPos.get(d.id);
      if (pos === undefined) return `no device ${d.id}`;
      if (seen.has(pos)) return `device ${d.id} granted twice to one pod`;
      seen.add(pos);
      const dev = s.node.devices[pos];
      if (dev === undefined) return `no device ${d.id}`;
      if (s.devExclusive[pos] === 1) return `device ${d.id} is held exclusively`;
      if (d.exclusive && ((s.devShares[pos] ?? 0) > 0 || (s.devMemUsed[pos] ?? 0) > 0)) {
        return `device ${d.id} is shared, cannot be taken whole`;
      }
      const maxShares = s.node.maxSharesPerDevice;
      if (!d.exclusive && maxShares !== undefined && (s.devShares[pos] ?? 0) >= maxShares) {
        return `device ${d.id} already holds ${maxShares} shares, its slot limit`;
      }
      if ((s.devMemUsed[pos] ?? 0) + d.memoryMiB > dev.memoryMiB) return `device ${d.id} memory over capacity`;
      const limit = d.exclusive ? dev.computeMilli : dev.computeMilli * overcommit;
      if ((s.devComputeUsed[pos] ?? 0) + d.computeMilli > limit) return `device ${d.id} compute over capacity`;
    }
  }
  return null;
}

function applyPlacement(s: NodeState, p: Placement, sign: 1 | -1, lenient: boolean, clock: VersionClock): void {
  s.cpuUsedMilli += sign * p.cpuMilli;
  s.memoryUsedMiB += sign * p.memoryMiB;
  let compute = 0;
  for (const c of p.containers) {
    for (const d of c.devices) {
      const pos = s.idToPos.get(d.id);
      if (pos === undefined) {
        if (lenient) continue;
        throw new RequestError(`no device ${d.id} on ${s.node.name}`);
      }
      s.devMemUsed[pos] = (s.devMemUsed[pos] ?? 0) + sign * d.memoryMiB;
      s.devComputeUsed[pos] = (s.devComputeUsed[pos] ?? 0) + sign * d.computeMilli;
      if (d.exclusive) s.devExclusive[pos] = sign > 0 ? 1 : 0;
      else s.devShares[pos] = (s.devShares[pos] ?? 0) + sign;
      compute += d.computeMilli;
    }
  }
  const prev = s.computeByPriority.get(p.priority) ?? 0;
  const next = prev + sign * compute;
  if (next === 0) s.computeByPriority.delete(p.priority);
  else s.computeByPriority.set(p.priority, next);
  s.version = ++clock.v;
}
