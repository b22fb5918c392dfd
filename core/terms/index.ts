/**
 * The table of scoring terms, keyed by the name used in policy configuration.
 * To add a term: write `core/terms/<name>-term.ts` exporting a `ScoreTerm`, add it here.
 */
import { binpackTerm, spreadTerm } from './binpack-term.js';
import { fragmentationTerm } from './fragmentation-term.js';
import { fgdTerm } from './fgd-term.js';
import { interconnectTerm } from './interconnect-term.js';
import { priorityTerm } from './priority-term.js';
import type { ScoreTerm } from './term.js';

export type { ScoreTerm, TermInput } from './term.js';
export { fgdScore, sigmoid } from './fragmentation-term.js';
export { fgdBinnedScore } from './fgd-term.js';
export { setQuality } from './interconnect-term.js';
export { utilisationAfter } from './binpack-term.js';

export const SCORE_TERMS: Readonly<Record<string, ScoreTerm>> = {
  fragmentation: fragmentationTerm,
  fgd: fgdTerm,
  interconnect: interconnectTerm,
  binpack: binpackTerm,
  spread: spreadTerm,
  priority: priorityTerm,
};
