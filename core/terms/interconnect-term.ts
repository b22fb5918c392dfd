/**
 * Interconnect term: mean pair score of each multi-device whole set, divided by the best
 * link score (NV18 = 28), averaged over such containers. Single devices and shares have no
 * interconnect to judge: 1.
 */
import { MAX_LINK_SCORE } from '../link-score.js';
import type { ScoreTerm } from './term.js';

/** Mean pair score of `positions` over MAX_LINK_SCORE, in [0, 1]; 1 for fewer than 2 devices. */
export function setQuality(pair: Uint8Array, n: number, positions: readonly number[]): number {
  if (positions.length < 2) return 1;
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < positions.length; a++) {
    for (let b = a + 1; b < positions.length; b++) {
      sum += pair[(positions[a] as number) * n + (positions[b] as number)] ?? 0;
      pairs++;
    }
  }
  return sum / pairs / MAX_LINK_SCORE;
}

export const interconnectTerm: ScoreTerm = ({ view, fit }) => {
  let total = 0;
  let sets = 0;
  for (const c of fit.containers) {
    if (!c.exclusive || c.positions.length < 2) continue;
    total += setQuality(view.pair, view.deviceCount, c.positions);
    sets++;
  }
  return sets === 0 ? 1 : total / sets;
};
