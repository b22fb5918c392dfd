/**
 * What a pod asks for, in core's units. Adapters translate Kubernetes resource names
 * (`nvidia.com/gpu`, `nvidia.com/gpumem`, `huawei.com/Ascend910`, …) into this.
 */
import type { Vendor } from './model.js';

/** How a share is enforced on the device. */
export type IsolationMode = 'exclusive' | 'hami-core' | 'mps' | 'mig' | 'time-slicing' | 'vnpu';

export interface ModelFilter {
  /** Only these models (substring match, case-insensitive); empty/undefined = any. */
  readonly allow?: readonly string[];
  /** Never these models (substring match, case-insensitive). */
  readonly deny?: readonly string[];
}

/** Whole devices: `count` devices used exclusively. */
export interface WholeRequest extends ModelFilter {
  readonly kind: 'whole';
  readonly vendor: Vendor;
  readonly count: number;
}

/**
 * Shares: `count` distinct devices, each shared at the given size. Memory is either
 * absolute (`memoryMiB`) or a percentage of the chosen device (`memoryPercent`);
 * compute is milli-devices per device (HAMi `gpucores: 30` → 300). A missing dimension
 * means "no explicit size": memory 0 and compute 0 (pure time-slicing) unless the
 * adapter's defaults fill it.
 */
export interface ShareRequest extends ModelFilter {
  readonly kind: 'share';
  readonly vendor: Vendor;
  readonly count: number;
  readonly memoryMiB?: number;
  readonly memoryPercent?: number;
  readonly computeMilli?: number;
  /** Ascend vNPU template name (e.g. `2c`), when the share is a vNPU. */
  readonly template?: string;
}

export type AcceleratorRequest = WholeRequest | ShareRequest;

/** Per-container accelerator needs; a pod may have several containers that ask. */
export interface ContainerRequest {
  readonly name: string;
  /** Position in `spec.containers` (init containers are not given devices). */
  readonly index: number;
  readonly accel: AcceleratorRequest;
}

export interface PodRequest {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** Sum over containers (plus max init container), as the scheduler counts it. */
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Kubernetes priority (spec.priority); higher is more important. */
  readonly priority: number;
  readonly containers: readonly ContainerRequest[];
  readonly isolation?: IsolationMode;
  readonly pool?: string;
  readonly queue?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** True when the pod asks for any accelerator. */
export function wantsAccelerators(pod: PodRequest): boolean {
  return pod.containers.length > 0;
}
