/**
 * Annotation and label names shared by the extender, the webhook and the node agent,
 * and the versioned JSON they carry. See docs/handoff.md for the full protocol.
 */
import type { DeviceHealth, LinkClass, Vendor } from './model.js';

export const ANNOTATION_PREFIX = 'tessera.io/';

/** Node annotation written by the node agent: devices, topology and health (NodeInventory JSON). */
export const NODE_INVENTORY = 'tessera.io/inventory';

/** Pod annotation written by the extender before it creates the Binding (Decision JSON). */
export const POD_DECISION = 'tessera.io/decision';
/**
 * Per-container pod annotations written together with the decision, read by the
 * downward-API env vars that the webhook injects (`<key>.<containerIndex>`):
 * comma-joined device ids, memory limit (`<MiB>m`, HAMi format), compute limit (percent).
 */
export const POD_VISIBLE_DEVICES = 'tessera.io/visible-devices';
export const POD_MEMORY_LIMIT = 'tessera.io/memory-limit';
export const POD_CORE_LIMIT = 'tessera.io/core-limit';
/** Pod annotation written by the node agent once Allocate has served the pod: JSON {version, devices per container}. */
export const POD_ALLOCATED = 'tessera.io/allocated';

/** Every annotation a user may not set: the webhook strips them on CREATE. */
export const DECISION_ANNOTATION_PREFIXES = [
  POD_DECISION,
  POD_VISIBLE_DEVICES,
  POD_MEMORY_LIMIT,
  POD_CORE_LIMIT,
  POD_ALLOCATED,
] as const;

/** Pod labels users may set. */
export const LABEL_POOL = 'tessera.io/pool';
export const LABEL_QUEUE = 'tessera.io/queue';
/** In a `mixed` pool: `elastic` (functional tests) or `fixed` (stress tests). */
export const LABEL_QUOTA_MODE = 'tessera.io/quota-mode';

/** Annotation key for one container's value: `tessera.io/visible-devices.0`. */
export function containerKey(base: string, containerIndex: number): string {
  return `${base}.${containerIndex}`;
}

export interface InventoryDevice {
  readonly id: string;
  readonly index: number;
  readonly model: string;
  readonly memoryMiB: number;
  readonly numa: number | null;
  readonly health: DeviceHealth;
  /** Why a device is unhealthy (e.g. `XID 79`), empty when healthy. */
  readonly reason?: string;
}

/** JSON carried by the `tessera.io/inventory` node annotation. */
export interface NodeInventory {
  readonly version: 1;
  readonly vendor: Vendor;
  readonly devices: readonly InventoryDevice[];
  /**
   * `nvlink`: link class matrix in device order; `hccs`: groups of device positions;
   * `none`: no interconnect information.
   */
  readonly topology:
    | { readonly kind: 'none' }
    | { readonly kind: 'nvlink'; readonly links: readonly (readonly LinkClass[])[] }
    | { readonly kind: 'hccs'; readonly groups: readonly (readonly number[])[]; readonly fullMesh: boolean };
  /** Virtual device slots per physical device advertised to the kubelet for shares. */
  readonly slotsPerDevice: number;
  /** Agent version string, for debugging. */
  readonly agent?: string;
}
