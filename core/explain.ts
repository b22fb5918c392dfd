/** Human text for structured "does not fit" reasons; adapters print it, core never logs. */
import type { Unfit } from './fit.js';

function amount(v: number, unit: Unfit['unit']): string {
  switch (unit) {
    case 'milli-cpu':
      return `${v}m CPU`;
    case 'MiB':
      return `${v} MiB`;
    case 'devices':
      return `${v} device${v === 1 ? '' : 's'}`;
    case 'milli-device':
      return `${v} milli-device compute`;
  }
}

/** One line, e.g. "node n1: container main needs 4 devices, 2 free (6 used of 8)". */
export function explainUnfit(u: Unfit): string {
  const who = u.container === undefined ? 'pod' : `container ${u.container}`;
  const tail = u.unresolvable ? ' (no node of this kind can fit it)' : '';
  const usage = `${amount(u.free, u.unit)} free (${u.used} used of ${u.capacity})`;
  switch (u.resource) {
    case 'node':
      return `node ${u.node}: unknown to the scheduler (no device inventory)`;
    case 'cpu':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)}, ${usage}${tail}`;
    case 'memory':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} host memory, ${usage}${tail}`;
    case 'accelerator-model':
      return `node ${u.node}: ${who} allows no accelerator model on this node${tail}`;
    case 'device-count':
      return `node ${u.node}: ${who} asks for ${amount(u.requested, u.unit)}, which this node cannot give (it has ${u.capacity} matching; Ascend 910 rings allow 1, 2, 4 or 8)${tail}`;
    case 'devices':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} whole, ${usage}${tail}`;
    case 'device-memory':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} device memory per device, at most ${amount(u.free, u.unit)} free on a device (device capacity ${u.capacity} MiB)${tail}`;
    case 'device-compute':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} per device, at most ${u.free} free on a device (capacity ${u.capacity})${tail}`;
    case 'device-slots':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} with a free share slot, ${u.free} have one (${u.used} are at the node's per-device share limit of its advertised slots)${tail}`;
    case 'topology':
      return `node ${u.node}: ${who} needs ${amount(u.requested, u.unit)} in one interconnect group (HCCS ring), ${u.free} free but not in an allowed set${tail}`;
  }
}

/** Summary over all nodes, as the scheduler's "0/N nodes are available" line. */
export function explainUnschedulable(unfit: readonly Unfit[]): string {
  const counts = new Map<string, number>();
  for (const u of unfit) counts.set(u.resource, (counts.get(u.resource) ?? 0) + 1);
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} insufficient ${r}`);
  return `0/${unfit.length} nodes are available: ${parts.join(', ')}`;
}
