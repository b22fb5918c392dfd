/**
 * FGD term (BENCHMARKS.md §2.2): Δ = F_n(M) before − after the placement, in milli-devices;
 * score = sigmoid(Δ / 1000), in (0, 1). The placement that grows fragmentation least wins.
 * Without a workload mix the term is neutral (0.5).
 */
import { fragmentationDelta } from '../score-context.js';
import type { ScoreTerm } from './term.js';

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** sigmoid(Δ/1000) for a fragmentation change Δ in milli-devices. */
export function fgdScore(deltaMilli: number): number {
  return sigmoid(deltaMilli / 1000);
}

export const fragmentationTerm: ScoreTerm = ({ view, pod, fit, ctx }) => {
  const cache = ctx.fragCache;
  if (cache === undefined || cache.mix.length === 0) return 0.5;
  return fgdScore(fragmentationDelta(view, pod, fit, cache));
};
