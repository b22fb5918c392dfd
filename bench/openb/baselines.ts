/**
 * The FGD paper's comparison policies (BENCHMARKS.md §2.1 step 7, §2.2), re-implemented as
 * core `NodeScorer`s so that they run through the same filter, device checks and ledger as
 * the production policy. They exist only for the benchmark; the extender never uses them.
 *
 * GPU choice follows FGD's defaults: shares go to the feasible GPU with the least free
 * compute ("best"), whole GPUs are taken in index order. Scores are truncated to integers
 * 0–100 as the Kubernetes score plugins of FGD's simulator return them; the node order the
 * simulator passes as candidates (a seeded permutation) breaks ties.
 */
import {
  fgdScore,
  fragmentationDelta,
  lowestBits,
  pickLeastFragmentation,
  type NodeFit,
  type NodeScorer,
  type NodeView,
  type PodRequest,
  type SharePicker,
  type WholeSetPicker,
} from '../../core/index.js';

/** Per-node facts only the simulator knows (which GPU-request classes each node hosts). */
export interface NodeClassBook {
  /** Bit mask of GPU-request classes hosted, per node position (see `gpuClassBit`). */
  readonly classes: Uint32Array;
}

export interface BaselineContext {
  readonly random: () => number;
  readonly classBook: NodeClassBook;
  /** Largest node CPU (milli) and GPU count of the cluster, for DotProd's normalisation. */
  readonly maxCpuMilli: number;
  readonly maxGpus: number;
}

const MAX_SCORE = 100;
/** BestFit's fixed normalisation: 128 cores and 8 GPUs. */
const BESTFIT_CPU_MILLI = 128_000;
const BESTFIT_GPU_MILLI = 8_000;

/** GPU request of the pod per device and device count (openb shape: one container at most). */
export function gpuShape(pod: PodRequest): { count: number; milli: number } {
  const c = pod.containers[0];
  if (c === undefined) return { count: 0, milli: 0 };
  if (c.accel.kind === 'whole') return { count: c.accel.count, milli: 1000 };
  return { count: c.accel.count, milli: c.accel.computeMilli ?? 0 };
}

/** GpuClustering's classes: share-gpu, 1-gpu, 2-gpu, 4-gpu, 8-gpu (other counts: their own bit). */
export function gpuClassBit(pod: PodRequest): number {
  const { count, milli } = gpuShape(pod);
  if (count === 0) return 0;
  if (milli < 1000) return 1;
  return 1 << Math.min(count, 30);
}

/** Free compute of device `i` (0 when held exclusively). */
function devFree(view: NodeView, i: number): number {
  const cap = view.node.devices[i]?.computeMilli ?? 0;
  if (view.devExclusive[i] === 1 || view.devHealthy[i] !== 1) return 0;
  return Math.max(0, cap - (view.devComputeUsed[i] as number));
}

function nodeFreeGpuMilli(view: NodeView): number {
  let sum = 0;
  for (let i = 0; i < view.deviceCount; i++) sum += devFree(view, i);
  return sum;
}

function nodeUsedAnyGpu(view: NodeView): boolean {
  for (let i = 0; i < view.deviceCount; i++) if (devFree(view, i) < (view.node.devices[i]?.computeMilli ?? 0)) return true;
  return false;
}

/** "best" GPU for a share: least free compute left, then lowest position. */
export const pickBestShare: SharePicker = (view, candidates, need, ctx) => {
  let best = candidates[0] as number;
  let bestLeft = Infinity;
  for (const p of candidates) {
    const left = devFree(view, p) - (ctx.pendingCompute[p] as number) - need.computeMilli;
    if (left < bestLeft) {
      best = p;
      bestLeft = left;
    }
  }
  return best;
};

/** Whole GPUs in index order. */
export const pickIndexOrder: WholeSetPicker = (_view, freeMask, count) => lowestBits(freeMask, count);

function truncate(score: number): number {
  return Math.trunc(score);
}

export function randomScorer(ctx: BaselineContext): NodeScorer {
  return {
    name: 'random',
    // A continuous random score: no ties, so the node is uniformly random among the feasible
    // ones (kube-scheduler breaks the plugin's integer ties at random; a seeded node order
    // would bias this policy towards the first nodes).
    score: () => ctx.random(),
    pickShareDevice: (_view, candidates) => candidates[Math.floor(ctx.random() * candidates.length)] as number,
    pickWholeSet: (_view, freeMask, count) => {
      const free: number[] = [];
      for (let i = 0; i < 32; i++) if ((freeMask & (1 << i)) !== 0) free.push(i);
      let mask = 0;
      for (let k = 0; k < count && free.length > 0; k++) {
        const j = Math.floor(ctx.random() * free.length);
        mask |= 1 << (free[j] as number);
        free.splice(j, 1);
      }
      return mask;
    },
  };
}

/**
 * DotProd (Tetris-style): dot product of the pod's (CPU, GPU) request with the node's free
 * (CPU, GPU), both normalised by the largest node; the smaller product scores higher.
 */
export function dotProdScorer(ctx: BaselineContext): NodeScorer {
  return {
    name: 'dotprod',
    score(view, pod) {
      const { count, milli } = gpuShape(pod);
      const reqCpu = pod.cpuMilli / ctx.maxCpuMilli;
      const reqGpu = (count * milli) / 1000 / ctx.maxGpus;
      const freeCpu = (view.node.cpuMilli - view.cpuUsedMilli) / ctx.maxCpuMilli;
      const freeGpu = nodeFreeGpuMilli(view) / 1000 / ctx.maxGpus;
      const dot = reqCpu * freeCpu + reqGpu * freeGpu; // in [0, 2]
      return truncate(MAX_SCORE * (1 - dot / 2));
    },
    pickShareDevice: pickBestShare,
    pickWholeSet: pickIndexOrder,
  };
}

/**
 * GpuClustering: tiers (best first) node hosts only the pod's class; several classes
 * including the pod's; empty; other classes only. Within a tier less free GPU wins.
 * CPU-only pods score 0 everywhere.
 */
export function clusteringScorer(ctx: BaselineContext): NodeScorer {
  return {
    name: 'clustering',
    score(view, pod) {
      const bit = gpuClassBit(pod);
      if (bit === 0) return 0;
      const hosted = ctx.classBook.classes[view.index] as number;
      let tier: number;
      if (hosted === bit) tier = 3;
      else if ((hosted & bit) !== 0) tier = 2;
      else if (hosted === 0) tier = 1;
      else tier = 0;
      const freeFrac = nodeFreeGpuMilli(view) / (1000 * Math.max(1, view.deviceCount));
      return tier * MAX_SCORE + truncate(MAX_SCORE * (1 - freeFrac) * 0.99);
    },
    pickShareDevice: pickBestShare,
    pickWholeSet: pickIndexOrder,
  };
}

/**
 * GpuPacking: shares prefer an already-shared GPU (the one with least free), then a free
 * GPU on a used node, then an empty node; whole-GPU and CPU-only pods prefer used nodes,
 * then empty ones. Within a tier less free GPU wins.
 */
export function packingScorer(): NodeScorer {
  return {
    name: 'packing',
    score(view, pod, fit) {
      const { milli } = gpuShape(pod);
      const cap = 1000 * Math.max(1, view.deviceCount);
      const used = nodeUsedAnyGpu(view);
      if (milli > 0 && milli < 1000) {
        const pos = fit.containers[0]?.positions[0];
        if (pos !== undefined) {
          const free = devFree(view, pos);
          if (free < 1000) return 2 * MAX_SCORE + truncate(MAX_SCORE * (1 - free / 1000) * 0.99);
        }
      }
      const tier = used ? 1 : 0;
      return tier * MAX_SCORE + truncate(MAX_SCORE * (1 - nodeFreeGpuMilli(view) / cap) * 0.99);
    },
    pickShareDevice: pickBestShare,
    pickWholeSet: pickIndexOrder,
  };
}

/** BestFit: 1 − Σ_{cpu,gpu} 0.5 × (free − req) / maxSpec (128 cores, 8 GPUs). */
export function bestFitScorer(): NodeScorer {
  return {
    name: 'bestfit',
    score(view, pod) {
      const { count, milli } = gpuShape(pod);
      const cpuLeft = view.node.cpuMilli - view.cpuUsedMilli - pod.cpuMilli;
      const gpuLeft = nodeFreeGpuMilli(view) - count * milli;
      const s = 1 - 0.5 * (cpuLeft / BESTFIT_CPU_MILLI) - 0.5 * (gpuLeft / BESTFIT_GPU_MILLI);
      return truncate(MAX_SCORE * s);
    },
    pickShareDevice: pickBestShare,
    pickWholeSet: pickIndexOrder,
  };
}

/** FGD: sigmoid(Δ/1000) of the fragmentation change; shares try every GPU (least fragmentation). */
export function fgdScorer(): NodeScorer {
  return {
    name: 'fgd',
    score(view: NodeView, pod: PodRequest, fit: NodeFit, sctx) {
      const cache = sctx.fragCache;
      if (cache === undefined) return 0;
      return truncate(MAX_SCORE * fgdScore(fragmentationDelta(view, pod, fit, cache)));
    },
    pickShareDevice: pickLeastFragmentation,
    pickWholeSet: pickIndexOrder,
  };
}

/** First fit: the first feasible node in candidate order (for the offline FFD bound). */
export function firstFitScorer(): NodeScorer {
  return {
    name: 'ffd',
    score: () => 0,
    pickShareDevice: pickBestShare,
    pickWholeSet: pickIndexOrder,
  };
}

export const BASELINE_NAMES = ['random', 'dotprod', 'clustering', 'packing', 'bestfit', 'fgd'] as const;
