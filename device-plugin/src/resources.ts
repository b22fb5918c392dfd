/**
 * Which kubelet resources a node offers and how their device IDs map to physical
 * devices. Virtual IDs are `<physical id>::<k>` (NVIDIA shares: `GPU-…::3`; vNPU
 * template slots: `Ascend910-2::5`); whole Ascend chips are advertised as themselves.
 */
import type { Vendor } from '../../core/index.js';

export interface AdvertisedResource {
  /** Kubernetes extended resource name, e.g. `nvidia.com/gpu`, `huawei.com/Ascend910-2c`. */
  readonly resourceName: string;
  readonly vendor: Vendor;
  /** IDs advertised per physical device (1 = the physical id itself). */
  readonly slotsPerDevice: number;
  /** vNPU template (`2c`) when this resource is a vNPU template resource. */
  readonly vnpuTemplate?: string;
}

const SLOT_SEPARATOR = '::';

/** Physical device id of an advertised id (`GPU-x::3` → `GPU-x`). */
export function physicalIdOf(deviceId: string): string {
  const at = deviceId.indexOf(SLOT_SEPARATOR);
  return at < 0 ? deviceId : deviceId.slice(0, at);
}

/** The advertised IDs of one physical device for a resource. */
export function advertisedIds(resource: AdvertisedResource, physicalId: string): string[] {
  if (resource.slotsPerDevice <= 1 && resource.vnpuTemplate === undefined) return [physicalId];
  const ids: string[] = [];
  for (let k = 0; k < resource.slotsPerDevice; k++) ids.push(`${physicalId}${SLOT_SEPARATOR}${k}`);
  return ids;
}

/** Socket file name for a resource: `tessera-nvidia.com_gpu.sock` (no slashes, kubelet-relative). */
export function socketNameFor(resourceName: string): string {
  return `tessera-${resourceName.replace(/[^A-Za-z0-9.-]/g, '_')}.sock`;
}

/** Ascend chip family resource suffix from a model name (`910B3` → `Ascend910`, `310P3` → `Ascend310P`). */
export function ascendFamily(model: string): string {
  const m = /(910|310P|310)/i.exec(model);
  if (m === null || m[1] === undefined) return 'Ascend910';
  return `Ascend${m[1].toUpperCase()}`;
}

/** AI cores per chip by family, used to size vNPU template slots. */
export function aiCoresPerChip(family: string): number {
  switch (family) {
    case 'Ascend910':
      return 32;
    case 'Ascend310P':
      return 8;
    default:
      return 0;
  }
}

export interface ResourcePlanOptions {
  readonly vendor: Vendor;
  readonly models: readonly string[];
  readonly slotsPerDevice: number;
  /** vNPU templates to offer for Ascend 910 chips (`['2c','4c','8c','16c']`). */
  readonly vnpuTemplates: readonly string[];
}

/** The resources a node with these devices offers. */
export function planResources(opts: ResourcePlanOptions): AdvertisedResource[] {
  if (opts.vendor === 'nvidia') {
    return [{ resourceName: 'nvidia.com/gpu', vendor: 'nvidia', slotsPerDevice: Math.max(1, opts.slotsPerDevice) }];
  }
  const families = [...new Set(opts.models.map(ascendFamily))];
  if (families.length === 0) families.push('Ascend910');
  const out: AdvertisedResource[] = [];
  for (const family of families) {
    out.push({ resourceName: `huawei.com/${family}`, vendor: 'ascend', slotsPerDevice: 1 });
    const cores = aiCoresPerChip(family);
    if (cores === 0) continue;
    for (const template of opts.vnpuTemplates) {
      const m = /^(\d+)c$/.exec(template);
      if (m === null || m[1] === undefined) continue;
      const perSlot = Number(m[1]);
      if (perSlot <= 0 || perSlot > cores) continue;
      out.push({
        resourceName: `huawei.com/${family}-${template}`,
        vendor: 'ascend',
        slotsPerDevice: Math.floor(cores / perSlot),
        vnpuTemplate: template,
      });
    }
  }
  return out;
}
