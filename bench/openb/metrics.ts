/**
 * Placement-quality metrics exactly as FGD defines them (BENCHMARKS.md §2.1 step 5–6, §2.2):
 * per-attempt samples of arrived / allocated GPU milli and cluster fragmentation, then the
 * discretisation onto integer "arrived %" points 0…130.
 */
import { nodeFragmentation, type NodeFreeState, type TaskClass } from '../../core/index.js';

/** One sample, logged after every pod attempt (scheduled or failed). */
export interface Sample {
  /** Cumulative GPU request of every pod attempted so far, milli. */
  readonly arrivedMilli: number;
  /** Σ over nodes of (GPU count × 1000 − free milli). */
  readonly usedMilli: number;
  /** Cluster fragmentation F = Σ_n F_n(M), milli. */
  readonly fragMilli: number;
}

/** The x-axis of every curve: arrived workload, % of GPU capacity. */
export const ARRIVED_POINTS = Array.from({ length: 131 }, (_, i) => i);
/** The points the JSON output and tables report. */
export const REPORT_POINTS = [80, 90, 95, 100, 110, 120, 130] as const;

/** Python 3's round(): halves go to the even neighbour (the artifact scripts are Python). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Average `value(sample)` per integer arrived-% point x in 0…130: the samples whose
 * round(arrived / capacity × 100) equals x; when there are none, those within x ± 1;
 * null when there are none either.
 */
export function discretise(
  samples: readonly Sample[],
  capacityMilli: number,
  value: (s: Sample) => number,
): (number | null)[] {
  const sums = new Float64Array(133);
  const counts = new Uint32Array(133);
  for (const s of samples) {
    const r = roundHalfEven((s.arrivedMilli / capacityMilli) * 100);
    if (r < 0 || r > 131) continue;
    sums[r + 1] = (sums[r + 1] as number) + value(s);
    counts[r + 1] = (counts[r + 1] as number) + 1;
  }
  return ARRIVED_POINTS.map((x) => {
    const at = x + 1;
    if ((counts[at] as number) > 0) return (sums[at] as number) / (counts[at] as number);
    let sum = 0;
    let n = 0;
    for (const k of [at - 1, at, at + 1]) {
      sum += sums[k] as number;
      n += counts[k] as number;
    }
    return n > 0 ? sum / n : null;
  });
}

export interface Curves {
  /** Allocation ratio, % of capacity. */
  readonly allocatedPct: (number | null)[];
  /** 100 − allocation ratio. */
  readonly unallocatedPct: (number | null)[];
  /** Fragmentation amount, % of capacity: 100 · F / capacity. */
  readonly fragmentationPct: (number | null)[];
  /** Fragmentation ratio, % of idle GPU milli: 100 · F / idle. */
  readonly fragmentationRatioPct: (number | null)[];
}

export function curvesFrom(samples: readonly Sample[], capacityMilli: number): Curves {
  const allocatedPct = discretise(samples, capacityMilli, (s) => (s.usedMilli / capacityMilli) * 100);
  return {
    allocatedPct,
    unallocatedPct: allocatedPct.map((v) => (v === null ? null : 100 - v)),
    fragmentationPct: discretise(samples, capacityMilli, (s) => (s.fragMilli / capacityMilli) * 100),
    fragmentationRatioPct: discretise(samples, capacityMilli, (s) => {
      const idle = capacityMilli - s.usedMilli;
      return idle > 0 ? (s.fragMilli / idle) * 100 : 0;
    }),
  };
}

/** Pick the report points out of a 0…130 curve, keyed by the point ("80" … "130"). */
export function atReportPoints(curve: readonly (number | null)[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const x of REPORT_POINTS) {
    const v = curve[x];
    out[String(x)] = v === undefined || v === null ? null : Math.round(v * 1000) / 1000;
  }
  return out;
}

/** Cluster fragmentation F = Σ_n F_n(M), milli (BENCHMARKS.md §2.2). */
export function clusterFragmentation(nodes: readonly NodeFreeState[], mix: readonly TaskClass[]): number {
  let sum = 0;
  for (const n of nodes) sum += nodeFragmentation(n, mix);
  return sum;
}
