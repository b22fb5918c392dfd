/**
 * Builds the kubelet's ContainerAllocateResponse for one container from the devices the
 * extender chose (or, for pods Tessera did not schedule, from the kubelet's own choice):
 * visible devices, CDI names, HAMi-core / MPS limits, vNPU options and the pod UID.
 */
import type { DeviceShare, IsolationMode, Vendor } from '../../core/index.js';
import type { PbContainerAllocateResponse } from './proto.js';

export interface ResponseInput {
  readonly vendor: Vendor;
  readonly isolation: IsolationMode;
  /** Devices in the order the container sees them (CUDA index i = position i). */
  readonly devices: readonly DeviceShare[];
  readonly podUid?: string;
  /** vNPU template (`2c`) when served from a template resource. */
  readonly vnpuTemplate?: string;
}

function percentOf(computeMilli: number): number {
  return Math.max(1, Math.min(100, Math.round(computeMilli / 10)));
}

/** True when the share needs limits (a fraction of the device, not exclusive). */
function isShare(d: DeviceShare): boolean {
  return !d.exclusive;
}

export function buildContainerResponse(input: ResponseInput): PbContainerAllocateResponse {
  const envs: Record<string, string> = {};
  const cdi: { name: string }[] = [];
  if (input.podUid !== undefined) envs['TESSERA_POD_UID'] = input.podUid;
  if (input.vendor === 'nvidia') {
    envs['NVIDIA_VISIBLE_DEVICES'] = input.devices.map((d) => d.id).join(',');
    for (const d of input.devices) cdi.push({ name: `nvidia.com/gpu=${d.id}` });
    const shares = input.devices.filter(isShare);
    if (shares.length > 0) applyShareLimits(envs, input.isolation, input.devices);
  } else {
    envs['ASCEND_VISIBLE_DEVICES'] = input.devices.map((d) => String(d.index)).join(',');
    if (input.isolation === 'vnpu' || input.vnpuTemplate !== undefined) {
      envs['ASCEND_RUNTIME_OPTIONS'] = 'VIRTUAL';
      if (input.vnpuTemplate !== undefined) envs['TESSERA_VNPU_TEMPLATE'] = input.vnpuTemplate;
    }
  }
  return { envs, mounts: [], devices: [], annotations: {}, cdi_devices: cdi };
}

function applyShareLimits(envs: Record<string, string>, isolation: IsolationMode, devices: readonly DeviceShare[]): void {
  const computeMilli = Math.max(...devices.map((d) => (d.exclusive ? 1000 : d.computeMilli)));
  switch (isolation) {
    case 'mps': {
      const mem = devices
        .map((d, i) => (d.exclusive || d.memoryMiB === 0 ? null : `${i}=${d.memoryMiB}M`))
        .filter((s): s is string => s !== null);
      if (mem.length > 0) envs['CUDA_MPS_PINNED_DEVICE_MEM_LIMIT'] = mem.join(',');
      if (computeMilli > 0 && computeMilli < 1000) envs['CUDA_MPS_ACTIVE_THREAD_PERCENTAGE'] = String(percentOf(computeMilli));
      return;
    }
    case 'hami-core':
    case 'time-slicing':
    case 'exclusive':
    case 'mig':
    case 'vnpu': {
      if (isolation === 'time-slicing' || isolation === 'mig') return;
      devices.forEach((d, i) => {
        if (!d.exclusive && d.memoryMiB > 0) envs[`CUDA_DEVICE_MEMORY_LIMIT_${i}`] = `${d.memoryMiB}m`;
      });
      if (computeMilli > 0 && computeMilli < 1000) envs['CUDA_DEVICE_SM_LIMIT'] = String(percentOf(computeMilli));
      return;
    }
  }
}
