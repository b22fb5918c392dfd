/** The shape of a scoring term: a pure function of one candidate fit, returning [0, 1] (higher is better). */
import type { PodRequest } from '../request.js';
import type { NodeView } from '../ledger.js';
import type { NodeFit } from '../fit.js';
import type { ScoreContext } from '../score-context.js';

export interface TermInput {
  readonly view: NodeView;
  readonly pod: PodRequest;
  readonly fit: NodeFit;
  readonly ctx: ScoreContext;
}

export type ScoreTerm = (input: TermInput) => number;
