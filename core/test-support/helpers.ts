/** Small helpers shared by core's tests (no I/O). */
import type { Node } from '../model.js';
import { Ledger, type FitOptions } from '../ledger.js';
import { compilePod, fitNode, type PlacementOptions } from '../fit.js';
import { wholePod } from '../builders.js';
import type { PodRequest } from '../request.js';

/** Reserve the given device positions of `node` whole, as pod `uid`. */
export function occupy(ledger: Ledger, node: Node, positions: readonly number[], uid = `busy-${positions.join('-')}`, options: FitOptions = {}): void {
  const r = ledger.reserve(
    uid,
    {
      node: node.name,
      cpuMilli: 0,
      memoryMiB: 0,
      priority: 0,
      containers: [
        {
          name: 'main',
          index: 0,
          resource: 'test',
          devices: positions.map((p) => {
            const d = node.devices[p];
            if (d === undefined) throw new Error(`no device ${p}`);
            return { id: d.id, index: d.index, memoryMiB: d.memoryMiB, computeMilli: d.computeMilli, exclusive: true };
          }),
        },
      ],
    },
    options,
  );
  if (!r.ok) throw new Error(r.reason);
}

export type PickOutcome = { positions: number[] } | { unfit: string; unresolvable: boolean };

/** Fit `pod` on a one-node ledger with `busy` positions taken; positions of the first container, or the unfit resource. */
export function pickOn(node: Node, busy: readonly number[], pod: PodRequest, options: PlacementOptions = {}): PickOutcome {
  const ledger = Ledger.fromNodes([node]);
  if (busy.length > 0) occupy(ledger, node, busy);
  const r = fitNode(ledger, 0, compilePod(ledger, pod), options);
  if (!r.ok) return { unfit: r.unfit.resource, unresolvable: r.unfit.unresolvable };
  return { positions: [...(r.fit.containers[0]?.positions ?? [])] };
}

export function wholeOn(node: Node, busy: readonly number[], count: number): PickOutcome {
  const vendor = node.devices[0]?.vendor ?? 'nvidia';
  return pickOn(node, busy, wholePod(count, {}, { vendor }));
}
