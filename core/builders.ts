/**
 * Builders for nodes and pods: used by tests, benchmarks and the simulator to make
 * synthetic clusters (openb-like nodes, DGX boxes, Ascend servers) without tool output.
 */
import type { Device, LinkClass, Node, Topology } from './model.js';
import type { ContainerRequest, PodRequest, ShareRequest, WholeRequest } from './request.js';

export interface NvidiaNodeSpec {
  readonly name: string;
  readonly model?: string;
  readonly gpus: number;
  readonly memoryMiB?: number;
  readonly cpuMilli?: number;
  readonly hostMemoryMiB?: number;
  /** `nvidia-smi topo -m` link matrix (device order); omitted → topology `none`. */
  readonly links?: readonly (readonly (LinkClass | string)[])[];
  readonly unhealthy?: readonly number[];
  readonly labels?: Readonly<Record<string, string>>;
}

export function buildNvidiaNode(spec: NvidiaNodeSpec): Node {
  const model = spec.model ?? 'NVIDIA A100-SXM4-80GB';
  const devices: Device[] = [];
  for (let i = 0; i < spec.gpus; i++) {
    devices.push({
      id: `GPU-${spec.name}-${i}`,
      index: i,
      vendor: 'nvidia',
      model,
      memoryMiB: spec.memoryMiB ?? 81920,
      computeMilli: 1000,
      numa: null,
      health: spec.unhealthy?.includes(i) ? 'unhealthy' : 'healthy',
    });
  }
  const topology: Topology =
    spec.links === undefined ? { kind: 'none' } : { kind: 'nvlink', links: spec.links.map((r) => r.map((l) => l as LinkClass)) };
  return {
    name: spec.name,
    cpuMilli: spec.cpuMilli ?? 96_000,
    memoryMiB: spec.hostMemoryMiB ?? 1_024_000,
    labels: spec.labels ?? {},
    devices,
    topology,
  };
}

export interface AscendNodeSpec {
  readonly name: string;
  /** `910`: two HCCS rings of 4 (Atlas 800 training); `910B`: one full mesh. */
  readonly chip: '910' | '910B';
  readonly chips?: number;
  readonly unhealthy?: readonly number[];
  readonly cpuMilli?: number;
  readonly hostMemoryMiB?: number;
}

export function buildAscendNode(spec: AscendNodeSpec): Node {
  const chips = spec.chips ?? 8;
  const model = spec.chip === '910' ? 'Ascend910' : 'Ascend910B';
  const devices: Device[] = [];
  for (let i = 0; i < chips; i++) {
    devices.push({
      id: `Ascend910-${i}`,
      index: i,
      vendor: 'ascend',
      model,
      memoryMiB: spec.chip === '910' ? 32768 : 65536,
      computeMilli: 1000,
      numa: null,
      health: spec.unhealthy?.includes(i) ? 'unhealthy' : 'healthy',
    });
  }
  const all = devices.map((_, i) => i);
  const topology: Topology =
    spec.chip === '910'
      ? { kind: 'hccs', groups: [all.filter((i) => i < 4), all.filter((i) => i >= 4)], fullMesh: false }
      : { kind: 'hccs', groups: [all], fullMesh: true };
  return {
    name: spec.name,
    cpuMilli: spec.cpuMilli ?? 192_000,
    memoryMiB: spec.hostMemoryMiB ?? 1_536_000,
    labels: {},
    devices,
    topology,
  };
}

export interface PodSpec {
  readonly uid?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly cpuMilli?: number;
  readonly memoryMiB?: number;
  readonly priority?: number;
}

function container(accel: WholeRequest | ShareRequest, index = 0): ContainerRequest {
  return { name: index === 0 ? 'main' : `c${index}`, index, accel };
}

/** A pod with one container asking for `count` whole devices. */
export function wholePod(count: number, spec: PodSpec = {}, accel: Partial<WholeRequest> = {}): PodRequest {
  return podWith([container({ kind: 'whole', vendor: 'nvidia', count, ...accel })], spec);
}

/** A pod with one container asking for `count` shares. */
export function sharePod(share: Omit<ShareRequest, 'kind' | 'vendor'> & { vendor?: ShareRequest['vendor'] }, spec: PodSpec = {}): PodRequest {
  return podWith([container({ kind: 'share', vendor: 'nvidia', ...share })], spec);
}

export function podWith(containers: readonly ContainerRequest[], spec: PodSpec = {}): PodRequest {
  const name = spec.name ?? spec.uid ?? 'pod';
  return {
    uid: spec.uid ?? name,
    namespace: spec.namespace ?? 'default',
    name,
    cpuMilli: spec.cpuMilli ?? 1000,
    memoryMiB: spec.memoryMiB ?? 1024,
    priority: spec.priority ?? 0,
    containers,
  };
}
