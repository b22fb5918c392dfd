/**
 * FailedNodes text. kube-scheduler groups a pod's FailedScheduling event by identical reason
 * strings ("0/5000 nodes are available: 2400 insufficient free GPUs …"), so the extender's
 * per-node text names no node and no per-node usage: one sentence per kind of misfit and
 * size asked. (The per-node detail, with free/used/capacity, is in the admin API's `why`.)
 * Sentences are interned: thousands of failing nodes share a handful of strings.
 */
import type { Unfit } from '../../core/index.js';

const interned = new Map<string, string>();
const byUnfit = new WeakMap<Unfit, string>();

function sentence(u: Unfit): string {
  const who = u.container === undefined ? 'pod' : `container ${u.container}`;
  switch (u.resource) {
    case 'node':
      return 'node unknown to the Tessera ledger';
    case 'cpu':
      return `insufficient cpu (pod needs ${u.requested}m)`;
    case 'memory':
      return `insufficient memory (pod needs ${u.requested} MiB)`;
    case 'accelerator-model':
      return `no accelerator of a model ${who} allows`;
    case 'device-count':
      return `node cannot give ${u.requested} devices to ${who} (too few matching devices, or a count its interconnect rules forbid: Ascend 910 HCCS rings allow 1, 2, 4 or 8 chips per node)`;
    case 'devices':
      return `insufficient free whole devices (${who} needs ${u.requested})`;
    case 'device-memory':
      return `insufficient free device memory (${who} needs ${u.requested} MiB per device)`;
    case 'device-compute':
      return `insufficient free device compute (${who} needs ${u.requested} milli per device)`;
    case 'device-slots':
      return `no free share slot on enough devices for ${who} (needs ${u.requested}; each device takes at most the share slots its node agent advertises)`;
    case 'topology':
      return `no ${u.requested} free devices inside one interconnect group for ${who}`;
  }
}

export function filterReason(u: Unfit): string {
  let s = byUnfit.get(u);
  if (s !== undefined) return s;
  const text = sentence(u) + (u.unresolvable ? ' (no node of this kind can fit it)' : '');
  s = interned.get(text);
  if (s === undefined) {
    if (interned.size > 10_000) interned.clear();
    interned.set(text, text);
    s = text;
  }
  byUnfit.set(u, s);
  return s;
}
