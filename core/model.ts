/**
 * The cluster model: nodes, accelerator devices and the interconnect between them.
 * Plain readonly data; built by parsers (real tool output) or by the adapters from
 * the node inventory annotation.
 */

export type Vendor = 'nvidia' | 'ascend';
export type DeviceHealth = 'healthy' | 'unhealthy';

export interface Device {
  /** Stable device id: the NVIDIA UUID (`GPU-…`) or the Ascend id (`Ascend910-3`). */
  readonly id: string;
  /** Index on the node (nvidia-smi minor / npu-smi physical id). */
  readonly index: number;
  readonly vendor: Vendor;
  /** Model name as the tool reports it, e.g. `NVIDIA H100 80GB HBM3`, `Ascend910B`. */
  readonly model: string;
  readonly memoryMiB: number;
  /** Compute capacity in milli-devices; 1000 for a whole device. */
  readonly computeMilli: number;
  /** NUMA node the device is attached to, or null when unknown. */
  readonly numa: number | null;
  readonly health: DeviceHealth;
}

/**
 * Link class between two GPUs, as `nvidia-smi topo -m` prints it:
 * `NV<n>` (n bonded NVLinks), `PIX`, `PXB`, `PHB`, `NODE`, `SYS`; `X` on the diagonal.
 */
export type LinkClass = `NV${number}` | 'PIX' | 'PXB' | 'PHB' | 'NODE' | 'SYS' | 'X';

export type Topology =
  /** No interconnect information (single device or unknown): every pair counts as SYS. */
  | { readonly kind: 'none' }
  /** NVIDIA: link class of every device pair, indexed by position in `Node.devices`. */
  | { readonly kind: 'nvlink'; readonly links: readonly (readonly LinkClass[])[] }
  /**
   * Ascend: HCCS groups of device positions. Atlas 800 training (910): two rings of 4,
   * allocations of 1/2/4 chips stay inside one ring, 8 takes both. 910B: one full mesh.
   */
  | { readonly kind: 'hccs'; readonly groups: readonly (readonly number[])[]; readonly fullMesh: boolean };

export interface Node {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Pool name this node belongs to (resolved by the adapter from Pool selectors), if any. */
  readonly pool?: string;
  readonly devices: readonly Device[];
  readonly topology: Topology;
  /**
   * Most shares one device may hold (the node agent advertises this many virtual device
   * slots per device to the kubelet, `NodeInventory.slotsPerDevice`); undefined = no cap.
   */
  readonly maxSharesPerDevice?: number;
}

/** Device models on a node (unique, in device order). */
export function nodeModels(node: Node): string[] {
  return [...new Set(node.devices.map((d) => d.model))];
}
