/**
 * Bin-packing terms. `binpack`: device compute in use on the node after the placement,
 * over the node's healthy device compute (CPU share for nodes without devices), in [0, 1].
 * `spread` = 1 − binpack.
 */
import type { ScoreTerm, TermInput } from './term.js';

export function utilisationAfter({ view, pod, fit }: TermInput): number {
  const node = view.node;
  let cap = 0;
  let used = 0;
  for (let i = 0; i < view.deviceCount; i++) {
    if (view.devHealthy[i] !== 1) continue;
    const c = node.devices[i]?.computeMilli ?? 0;
    cap += c;
    used += Math.min(c, view.devComputeUsed[i] as number);
  }
  for (const c of fit.containers) for (const m of c.computeMilli) used += m;
  if (cap === 0) {
    if (node.cpuMilli <= 0) return 0;
    return Math.min(1, (view.cpuUsedMilli + pod.cpuMilli) / node.cpuMilli);
  }
  return Math.min(1, used / cap);
}

export const binpackTerm: ScoreTerm = (input) => utilisationAfter(input);
export const spreadTerm: ScoreTerm = (input) => 1 - utilisationAfter(input);
