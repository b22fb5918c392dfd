/**
 * The `tessera.io/inventory` Node annotation: devices, topology and health as versioned
 * JSON (core's NodeInventory). Patched through a NodePatcher only when the content
 * changes, plus a slow resync; a failed patch is retried on the next tick.
 */
import { NODE_INVENTORY, type Device, type NodeInventory, type Topology, type Vendor } from '../../core/index.js';

export interface NodePatcher {
  /** Merge-patch annotations of the agent's own Node (null removes a key). */
  patchNodeAnnotations(node: string, annotations: Readonly<Record<string, string | null>>): Promise<void>;
}

export interface InventoryInput {
  readonly vendor: Vendor;
  readonly devices: readonly Device[];
  readonly topology: Topology;
  readonly reasons: Readonly<Record<string, string>>;
  readonly slotsPerDevice: number;
  readonly agent: string;
}

export function buildInventory(input: InventoryInput): NodeInventory {
  return {
    version: 1,
    vendor: input.vendor,
    devices: input.devices.map((d) => ({
      id: d.id,
      index: d.index,
      model: d.model,
      memoryMiB: d.memoryMiB,
      numa: d.numa,
      health: d.health,
      ...(d.health === 'unhealthy' ? { reason: input.reasons[d.id] ?? 'unhealthy' } : {}),
    })),
    topology: input.topology,
    slotsPerDevice: input.slotsPerDevice,
    agent: input.agent,
  };
}

export interface PublisherOptions {
  readonly nodeName: string;
  readonly patcher: NodePatcher;
  readonly resyncMs: number;
  readonly nowMs: () => number;
}

export class InventoryPublisher {
  private lastText: string | null = null;
  private lastAtMs = 0;
  patches = 0;

  constructor(private readonly opts: PublisherOptions) {}

  /** Patch when the JSON changed or the resync period passed; returns whether it patched. */
  async publish(inv: NodeInventory): Promise<boolean> {
    const text = JSON.stringify(inv);
    const now = this.opts.nowMs();
    if (text === this.lastText && now - this.lastAtMs < this.opts.resyncMs) return false;
    await this.opts.patcher.patchNodeAnnotations(this.opts.nodeName, { [NODE_INVENTORY]: text });
    this.lastText = text;
    this.lastAtMs = now;
    this.patches++;
    return true;
  }

  last(): NodeInventory | null {
    return this.lastText === null ? null : (JSON.parse(this.lastText) as NodeInventory);
  }
}
