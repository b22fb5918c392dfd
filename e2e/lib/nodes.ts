/**
 * Fake accelerator servers for kwok: Node objects whose capacity and
 * `tessera.io/inventory` annotation describe real machine shapes, built from the
 * `nvidia-smi topo -m` fixtures (DGX-1 V100 hybrid cube mesh, DGX H100 NVSwitch,
 * 8-GPU PCIe) and the Atlas 800 training server (8 x Ascend 910 in two HCCS rings).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Node } from '@kubernetes/client-node';
import { NODE_INVENTORY, type NodeInventory } from '../../core/annotations.js';
import type { LinkClass } from '../../core/model.js';
import { SHARED_FIXTURES } from '../../bench/shared-dir.js';

export const FIXTURES = SHARED_FIXTURES;

/** Virtual device slots per GPU advertised to the kubelet for shares (docs/handoff.md §3). */
export const SLOTS_PER_GPU = 4; // the agent's default --slots-per-device

interface TopoFixture {
  readonly name: string;
  readonly gpus: number;
  readonly matrix: readonly (readonly string[])[];
  readonly numaAffinity?: readonly number[];
}

export interface GpuServerShape {
  readonly fixture: string; // file name under nvidia-smi/topo without .json
  readonly model: string;
  readonly memoryMiB: number;
}

export const SHAPES = {
  dgx1V100: { fixture: 'dgx1-v100-hybrid-cube-mesh', model: 'Tesla V100-SXM2-32GB', memoryMiB: 32_768 },
  dgxH100: { fixture: 'dgx-h100-8x-nv18', model: 'NVIDIA H100 80GB HBM3', memoryMiB: 81_559 },
  pcie8: { fixture: 'pcie-8x-2socket-pix-phb-sys', model: 'NVIDIA A10', memoryMiB: 23_028 },
} as const satisfies Record<string, GpuServerShape>;

export function loadTopo(fixture: string): TopoFixture {
  const raw = JSON.parse(readFileSync(join(FIXTURES, 'nvidia-smi', 'topo', `${fixture}.json`), 'utf8')) as TopoFixture;
  if (raw.matrix.length !== raw.gpus) throw new Error(`fixture ${fixture}: matrix has ${raw.matrix.length} rows, expected ${raw.gpus}`);
  return raw;
}

/** Deterministic NVIDIA-style UUID for GPU `index` of `node`. */
export function gpuUuid(node: string, index: number): string {
  const h = createHash('sha256').update(`${node}/${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function gpuInventory(node: string, shape: GpuServerShape): NodeInventory {
  const topo = loadTopo(shape.fixture);
  return {
    version: 1,
    vendor: 'nvidia',
    devices: topo.matrix.map((_, i) => ({
      id: gpuUuid(node, i),
      index: i,
      model: shape.model,
      memoryMiB: shape.memoryMiB,
      numa: topo.numaAffinity?.[i] ?? null,
      health: 'healthy',
    })),
    topology: { kind: 'nvlink', links: topo.matrix.map((row) => row.map((c) => c as LinkClass)) },
    slotsPerDevice: SLOTS_PER_GPU,
    agent: 'e2e-fixture',
  };
}

/** Atlas 800 training server (model 9010): 8 x Ascend 910, two HCCS rings of 4. */
export function ascendInventory(): NodeInventory {
  return {
    version: 1,
    vendor: 'ascend',
    devices: Array.from({ length: 8 }, (_, i) => ({
      id: `Ascend910-${i}`,
      index: i,
      model: 'Ascend910',
      memoryMiB: 32_768,
      numa: i < 4 ? 0 : 1,
      health: 'healthy' as const,
    })),
    topology: { kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false },
    slotsPerDevice: 1,
    agent: 'e2e-fixture',
  };
}

export interface FakeNodeOptions {
  readonly name: string;
  readonly inventory: NodeInventory;
  readonly labels?: Record<string, string>;
}

export function fakeNode(opts: FakeNodeOptions): V1Node {
  const inv = opts.inventory;
  const extended: Record<string, string> =
    inv.vendor === 'nvidia'
      ? { 'nvidia.com/gpu': String(inv.devices.length * inv.slotsPerDevice) }
      : { 'huawei.com/Ascend910': String(inv.devices.length) };
  const resources = { cpu: '128', memory: '1Ti', pods: '110', ...extended };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: opts.name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', [NODE_INVENTORY]: JSON.stringify(inv) },
      labels: { 'kubernetes.io/hostname': opts.name, type: 'kwok', ...(opts.labels ?? {}) },
    },
    spec: {},
    status: { capacity: resources, allocatable: resources },
  };
}

/** True when every pair of the given device positions is NVLink-connected in the inventory. */
export function allPairsNvlink(inv: NodeInventory, positions: readonly number[]): boolean {
  if (inv.topology.kind !== 'nvlink') return false;
  const links = inv.topology.links;
  return positions.every((a) => positions.every((b) => a === b || /^NV\d+$/.test(links[a]?.[b] ?? '')));
}
