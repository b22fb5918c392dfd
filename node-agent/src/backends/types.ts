/**
 * Discovery backends (like NVIDIA's `rm` resource managers): each turns a vendor's tools
 * into devices, topology, telemetry and health events. The agent polls one backend.
 */
import type { Device, Topology, Vendor } from '../../../core/index.js';

/** Live readings of one device; every field optional (tools differ). */
export interface DeviceTelemetry {
  readonly id: string;
  readonly pciBusId?: string;
  readonly utilPct?: number;
  readonly memUsedMiB?: number;
  readonly memFreeMiB?: number;
  readonly memTotalMiB?: number;
  readonly tempC?: number;
  readonly powerW?: number;
  /** NVIDIA: cumulative uncorrectable volatile ECC errors. */
  readonly eccUncorrectable?: number;
}

/** A health-relevant event seen since the previous poll (NVIDIA XID, ECC increase). */
export interface HealthEvent {
  readonly deviceId: string;
  readonly kind: 'xid' | 'ecc';
  readonly code: number;
  readonly message: string;
}

export interface Discovery {
  readonly vendor: Vendor;
  /** Devices in topology order; `health` is what the tool itself reports. */
  readonly devices: readonly Device[];
  readonly topology: Topology;
  /** Why a device is unhealthy according to the tool (parser health reason). */
  readonly reasons: Readonly<Record<string, string>>;
  readonly telemetry: readonly DeviceTelemetry[];
  readonly events: readonly HealthEvent[];
  readonly warnings: readonly string[];
}

export interface DiscoveryBackend {
  readonly name: string;
  readonly vendor: Vendor;
  /** One poll. Throws (with a message naming the tool) when the tool fails or is missing. */
  discover(): Promise<Discovery>;
}

export function emptyDiscovery(vendor: Vendor, warning: string): Discovery {
  return { vendor, devices: [], topology: { kind: 'none' }, reasons: {}, telemetry: [], events: [], warnings: [warning] };
}
