/**
 * Kubernetes Node JSON (with the agent's `tessera.io/inventory` annotation) → core `Node`.
 * A node whose inventory is missing or corrupt becomes a node with no devices plus a
 * `problem` text that the filter reports in FailedNodes.
 */
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { MILLI_PER_DEVICE, NODE_INVENTORY, type Node, type NodeInventory, type Topology } from '../../core/index.js';
import { cpuToMilli, memoryToMiB } from './quantity.js';
import { messageOf } from './errors.js';

const LinkClass = Type.String({ pattern: '^(X|PIX|PXB|PHB|NODE|SYS|NV[0-9]+)$' });

const InventorySchema = Type.Object({
  version: Type.Literal(1),
  vendor: Type.Union([Type.Literal('nvidia'), Type.Literal('ascend')]),
  devices: Type.Array(
    Type.Object({
      id: Type.String({ minLength: 1 }),
      index: Type.Integer({ minimum: 0 }),
      model: Type.String(),
      memoryMiB: Type.Integer({ minimum: 0 }),
      numa: Type.Union([Type.Integer(), Type.Null()]),
      health: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
      reason: Type.Optional(Type.String()),
    }),
  ),
  topology: Type.Union([
    Type.Object({ kind: Type.Literal('none') }),
    Type.Object({ kind: Type.Literal('nvlink'), links: Type.Array(Type.Array(LinkClass)) }),
    Type.Object({
      kind: Type.Literal('hccs'),
      groups: Type.Array(Type.Array(Type.Integer({ minimum: 0 }))),
      fullMesh: Type.Boolean(),
    }),
  ]),
  slotsPerDevice: Type.Integer({ minimum: 1 }),
  agent: Type.Optional(Type.String()),
});

/** Parse and check the inventory annotation text; throws with what was wrong. */
export function parseInventory(text: string): NodeInventory {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`annotation ${NODE_INVENTORY}: not JSON (${messageOf(err)})`);
  }
  if (!Value.Check(InventorySchema, raw)) {
    const e = Value.Errors(InventorySchema, raw)[0];
    throw new Error(`annotation ${NODE_INVENTORY}: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}; expected NodeInventory version 1 (core/annotations.ts)`);
  }
  const inv = raw as NodeInventory;
  const n = inv.devices.length;
  if (inv.topology.kind === 'nvlink') {
    const links = inv.topology.links;
    if (links.length !== n || links.some((row) => row.length !== n)) {
      throw new Error(`annotation ${NODE_INVENTORY}: topology.links must be ${n}×${n} (one row and column per device)`);
    }
  }
  if (inv.topology.kind === 'hccs' && inv.topology.groups.some((g) => g.some((p) => p >= n))) {
    throw new Error(`annotation ${NODE_INVENTORY}: topology.groups names a device position ≥ ${n}`);
  }
  return inv;
}

/**
 * What the cache keeps per node. The parsed inventory itself is not kept: its devices and
 * topology are in `node` (a second copy of every device was ~4 MB at 10,000 nodes).
 */
export interface NodeEntry {
  readonly node: Node;
  /** The inventory's vendor, or null without a valid inventory. */
  readonly vendor: NodeInventory['vendor'] | null;
  /** Why the node cannot take accelerator pods (no/corrupt inventory, unschedulable), or null. */
  readonly problem: string | null;
  readonly unschedulable: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shared by every node without labels; frozen so nobody writes to it. */
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Nodes of one hardware model have the same link matrix: one frozen copy per distinct
 * topology (a 8×8 matrix is nine arrays; ~6 MB at 10,000 nodes when each node had its own).
 */
const topologies = new Map<string, Topology>();
function sharedTopology(t: Topology): Topology {
  if (t.kind === 'none') return NO_TOPOLOGY;
  const key = JSON.stringify(t);
  const known = topologies.get(key);
  if (known !== undefined) return known;
  if (topologies.size >= 4096) return t; // an unusual cluster: stop sharing rather than grow
  const frozen = deepFreeze(t);
  topologies.set(key, frozen);
  return frozen;
}
const NO_TOPOLOGY: Topology = Object.freeze({ kind: 'none' }) as Topology;

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Build the cache entry for a Node object; never throws for a node with a name. */
export function nodeEntryFrom(obj: unknown): NodeEntry | null {
  if (!isObj(obj) || !isObj(obj['metadata'])) return null;
  const md = obj['metadata'];
  const name = md['name'];
  if (typeof name !== 'string' || name === '') return null;
  const own = strings(md['labels']);
  const labels = Object.keys(own).length === 0 ? NO_LABELS : own;
  const annotations = strings(md['annotations']);
  const status = isObj(obj['status']) ? obj['status'] : {};
  const alloc = isObj(status['allocatable']) ? status['allocatable'] : {};
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  let cpuMilli = 0;
  let memoryMiB = 0;
  let problem: string | null = null;
  try {
    cpuMilli = alloc['cpu'] === undefined ? 0 : cpuToMilli('status.allocatable.cpu', alloc['cpu']);
    memoryMiB = alloc['memory'] === undefined ? 0 : memoryToMiB('status.allocatable.memory', alloc['memory']);
  } catch (err) {
    problem = `node ${name}: ${messageOf(err)}`;
  }
  let inventory: NodeInventory | null = null;
  const text = annotations[NODE_INVENTORY];
  if (text === undefined) problem ??= `node has no ${NODE_INVENTORY} annotation (no Tessera node agent)`;
  else {
    try {
      inventory = parseInventory(text);
    } catch (err) {
      problem ??= messageOf(err);
    }
  }
  const vendor = inventory?.vendor ?? 'nvidia';
  const node: Node = {
    name,
    cpuMilli,
    memoryMiB,
    labels,
    devices: (inventory?.devices ?? []).map((d) => ({
      id: d.id,
      index: d.index,
      vendor,
      model: d.model,
      memoryMiB: d.memoryMiB,
      computeMilli: MILLI_PER_DEVICE,
      numa: d.numa,
      health: d.health,
    })),
    topology: sharedTopology((inventory?.topology ?? { kind: 'none' }) as Topology),
    // The agent advertises this many virtual IDs per device to the kubelet: more shares on
    // one device than that cannot be admitted by the kubelet, so core caps them (device-slots).
    ...(inventory !== null ? { maxSharesPerDevice: inventory.slotsPerDevice } : {}),
  };
  return { node, vendor: inventory?.vendor ?? null, problem, unschedulable: spec['unschedulable'] === true };
}

/**
 * Name and a digest of everything of a Node object that `nodeEntryFrom` reads (allocatable
 * cpu/memory, labels, the inventory annotation, unschedulable): kubelet heartbeats that change
 * none of it have the same key and can be skipped before parsing the inventory.
 */
export function nodeKeyOf(obj: unknown): { name: string; key: string } | null {
  if (!isObj(obj) || !isObj(obj['metadata'])) return null;
  const md = obj['metadata'];
  const name = md['name'];
  if (typeof name !== 'string' || name === '') return null;
  const status = isObj(obj['status']) ? obj['status'] : {};
  const alloc = isObj(status['allocatable']) ? status['allocatable'] : {};
  const spec = isObj(obj['spec']) ? obj['spec'] : {};
  const ann = isObj(md['annotations']) ? md['annotations'][NODE_INVENTORY] : undefined;
  const text = JSON.stringify([alloc['cpu'] ?? null, alloc['memory'] ?? null, md['labels'] ?? null, ann ?? null, spec['unschedulable'] === true]);
  return { name, key: createHash('sha1').update(text).digest('base64') };
}
