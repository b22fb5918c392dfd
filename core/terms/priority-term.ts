/**
 * Priority term: keep pods of one priority together, so that preempting low-priority work
 * frees whole nodes and high-priority pods do not sit beside preemptible ones.
 * Score = share of the node's granted device compute held by pods of the same priority;
 * an empty node is neutral (0.5).
 */
import type { ScoreTerm } from './term.js';

export const priorityTerm: ScoreTerm = ({ view, pod }) => {
  let total = 0;
  for (const v of view.computeByPriority.values()) total += v;
  if (total <= 0) return 0.5;
  return (view.computeByPriority.get(pod.priority) ?? 0) / total;
};
