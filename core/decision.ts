/**
 * The extender's decision for one pod: which node, and for each container the exact
 * devices and the size of the share on each. This is what the extender records on the
 * pod (annotation `tessera.io/decision`) and what the device plugin hands to the container.
 */
import type { IsolationMode } from './request.js';

export interface DeviceShare {
  /** Device id (NVIDIA UUID / Ascend id). */
  readonly id: string;
  /** Device index on the node. */
  readonly index: number;
  /** Device memory granted on this device, MiB (the whole memory for exclusive use). */
  readonly memoryMiB: number;
  /** Compute granted, milli-devices (1000 = whole device). */
  readonly computeMilli: number;
  /** True when the device is used exclusively (whole-device request). */
  readonly exclusive: boolean;
}

export interface ContainerAssignment {
  readonly name: string;
  readonly index: number;
  /** Kubernetes resource name the devices are counted under (e.g. `nvidia.com/gpu`). */
  readonly resource: string;
  readonly devices: readonly DeviceShare[];
}

export interface Decision {
  readonly version: 1;
  readonly podUid: string;
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly isolation: IsolationMode;
  readonly containers: readonly ContainerAssignment[];
  readonly pool?: string;
  readonly queue?: string;
  /** Milliseconds since the epoch; supplied by the adapter (core has no clock). */
  readonly decidedAtMs: number;
}
