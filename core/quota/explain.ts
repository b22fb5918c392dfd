/** Sentences for people, made from the structured quota outcomes. */
import { formatAmount, formatDimension, valueOf } from './amount.js';
import type { Amount, QuotaDimension } from './amount.js';
import type { AdmitDecision, QueueFigures, QuotaRefusal } from './refusal.js';

function fmt(a: Amount, dim: QuotaDimension): string {
  return formatDimension(valueOf(a, dim), dim);
}

function unit(dim: QuotaDimension): string {
  return dim === 'gpu' ? ' GPU' : '';
}

/** "queue q (tenant t, pool p): " */
function head(f: QueueFigures): string {
  const model = f.model === null ? '' : `, model ${f.model}`;
  return `queue ${f.queue} (tenant ${f.tenant}, pool ${f.pool}${model})`;
}

/** Guarantee, use, borrowing and limit in one dimension. */
export function explainFigures(f: QueueFigures, dim: QuotaDimension = 'gpu'): string {
  return (
    `guarantee ${fmt(f.guarantee, dim)}, used ${fmt(f.used, dim)}, borrowed ${fmt(f.borrowed, dim)}, ` +
    `lent ${fmt(f.lent, dim)}; limit ${fmt(f.limit, dim)}; ` +
    `idle capacity lent by others: ${fmt(f.availableToBorrow, dim)}${unit(dim)}`
  );
}

export function explainRefusal(r: QuotaRefusal): string {
  switch (r.kind) {
    case 'unknown-queue':
      return `queue ${r.queue} does not exist`;
    case 'model-mismatch':
      return `queue ${r.queue} counts only ${r.queueModel} devices; the pod asks for ${r.podModel}`;
    case 'over-guarantee': {
      const why =
        r.why === 'fixed-pool'
          ? 'fixed pools never borrow'
          : r.why === 'fixed-mode'
            ? 'the pod is in fixed quota mode and never borrows'
            : 'the queue has no limit above its guarantee';
      return `${head(r.figures)}: needs ${fmt(r.requested, r.dimension)}${unit(r.dimension)} beyond its guarantee and ${why}; ${explainFigures(r.figures, r.dimension)}`;
    }
    case 'over-limit':
      return `${head(r.figures)}: needs ${fmt(r.requested, r.dimension)}${unit(r.dimension)}, which would pass its limit; ${explainFigures(r.figures, r.dimension)}`;
    case 'no-idle-capacity':
      return `${head(r.figures)}: needs ${fmt(r.requested, r.dimension)}${unit(r.dimension)}, more than others lend idle; ${explainFigures(r.figures, r.dimension)}`;
    case 'pool-full':
      return (
        `${head(r.figures)}: needs ${fmt(r.requested, r.dimension)}${unit(r.dimension)} within its guarantee, but pool ${r.figures.pool} ` +
        `is full (${fmt(r.poolUsed, r.dimension)} of ${fmt(r.poolCapacity, r.dimension)} used) and nothing is borrowed to reclaim; ` +
        explainFigures(r.figures, r.dimension)
      );
    case 'no-victims': {
      const because = r.because === null ? '' : `; before preemption: ${explainRefusal(r.because)}`;
      return `${head(r.figures)}: needs ${formatAmount(r.requested)}, and no allowed preemption (borrowers, or lower priority in the same queue) makes room${because}`;
    }
  }
}

export function explainDecision(d: AdmitDecision): string {
  switch (d.kind) {
    case 'admitted':
      return d.how === 'guarantee' ? 'admitted within the guarantee' : `admitted by borrowing ${formatAmount(d.borrowed)}`;
    case 'needs-reclaim':
      return `${head(d.figures)}: within its guarantee; ${formatAmount(d.shortfall)} must be reclaimed from borrowers first; ${explainFigures(d.figures)}`;
    case 'refused':
      return explainRefusal(d.refusal);
  }
}
