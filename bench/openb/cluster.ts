/**
 * openb rows → core's cluster model and pod requests.
 *
 * openb has no device memory, ids or topology. Devices get ids `<node>/gpu<i>`, a nominal
 * memory per model (shares ask compute only, so memory never binds here), and by default
 * no topology (`none`), as in FGD's simulator. `overlayTopology` adds the synthetic layouts
 * of BENCHMARKS.md §5 scenario B.
 */
import type { Device, LinkClass, Node, PodRequest, Topology } from '../../core/index.js';
import type { OpenbNode, OpenbPod } from './csv.js';

const NOMINAL_MEMORY_MIB: Readonly<Record<string, number>> = {
  V100M16: 16384,
  V100M32: 32768,
  P100: 16384,
  T4: 15360,
  A10: 24576,
};

/** GPU models with NVLink in the scenario-B overlay (islands of 4). */
export const NVLINK_MODELS: ReadonlySet<string> = new Set(['V100M16', 'V100M32', 'G2', 'G3']);
/** GPU models on an NVSwitch (one all-to-all domain). */
export const NVSWITCH_MODELS: ReadonlySet<string> = new Set(['A100', 'A800', 'H100', 'H800', 'H20', 'H200']);

export type TopologyMode = 'none' | 'overlay';

/**
 * Synthetic topology by GPU model (scenario B): NVLink models get islands of 4 GPUs
 * (8-GPU nodes: two hybrid cube-mesh islands; `NV2` inside, `SYS` across); NVSwitch models
 * one all-to-all domain (`NV12`); everything else PCIe with one switch per 4 GPUs
 * (`PIX` inside, `NODE` across).
 */
export function overlayTopology(model: string, count: number): Topology {
  if (count <= 1) return { kind: 'none' };
  const links: LinkClass[][] = [];
  for (let i = 0; i < count; i++) {
    const row: LinkClass[] = [];
    for (let j = 0; j < count; j++) {
      if (i === j) row.push('X');
      else if (NVSWITCH_MODELS.has(model)) row.push('NV12');
      else if (NVLINK_MODELS.has(model)) row.push(Math.floor(i / 4) === Math.floor(j / 4) ? 'NV2' : 'SYS');
      else row.push(Math.floor(i / 4) === Math.floor(j / 4) ? 'PIX' : 'NODE');
    }
    links.push(row);
  }
  return { kind: 'nvlink', links };
}

export function toCoreNode(n: OpenbNode, topology: TopologyMode = 'none'): Node {
  const devices: Device[] = [];
  for (let i = 0; i < n.gpuCount; i++) {
    devices.push({
      id: `${n.name}/gpu${i}`,
      index: i,
      vendor: 'nvidia',
      model: n.model,
      memoryMiB: NOMINAL_MEMORY_MIB[n.model] ?? 16384,
      computeMilli: 1000,
      numa: null,
      health: 'healthy',
    });
  }
  return {
    name: n.name,
    cpuMilli: n.cpuMilli,
    memoryMiB: n.memoryMiB,
    labels: {},
    devices,
    topology: topology === 'overlay' ? overlayTopology(n.model, n.gpuCount) : { kind: 'none' },
  };
}

/**
 * One openb pod as a core request: CPU-only pods have no containers asking for devices;
 * `gpu_milli` 1000 → whole devices; below 1000 → one share of that compute. `gpu_spec`
 * becomes the model allow-list.
 */
export function toPodRequest(p: OpenbPod): PodRequest {
  const base = { uid: p.name, namespace: 'openb', name: p.name, cpuMilli: p.cpuMilli, memoryMiB: p.memoryMiB, priority: 0 };
  if (p.gpuCount === 0) return { ...base, containers: [] };
  const allow = p.models.length > 0 ? { allow: p.models } : {};
  const accel =
    p.gpuMilli >= 1000
      ? ({ kind: 'whole', vendor: 'nvidia', count: p.gpuCount, ...allow } as const)
      : ({ kind: 'share', vendor: 'nvidia', count: 1, computeMilli: p.gpuMilli, ...allow } as const);
  return { ...base, containers: [{ name: 'main', index: 0, accel }] };
}
