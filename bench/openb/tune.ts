/**
 * FGD's workload "tuning" (BENCHMARKS.md §2.1 step 2) and pod order (step 3).
 *
 * The target total GPU request is `tune × capacity`. A trace over the target loses random
 * pods until it is not; a trace under it gains random clones (drawn with replacement)
 * until the next draw would overshoot. FGD's quirk is kept on purpose: the stop check adds
 * only the drawn pod's `gpu_milli`, while the running total adds `num_gpu × gpu_milli`, so
 * multi-GPU draws can carry the total past the target.
 */
import type { OpenbPod } from './csv.js';
import { createRng, shuffled, type Rng } from './rng.js';

export function podGpuMilli(p: Pick<OpenbPod, 'gpuCount' | 'gpuMilli'>): number {
  return p.gpuCount * p.gpuMilli;
}

export function totalGpuMilli(pods: readonly OpenbPod[]): number {
  let sum = 0;
  for (const p of pods) sum += podGpuMilli(p);
  return sum;
}

export function tunePods(pods: readonly OpenbPod[], targetMilli: number, rng: Rng): OpenbPod[] {
  let total = totalGpuMilli(pods);
  if (total > targetMilli) {
    const kept = [...pods];
    while (total > targetMilli && kept.length > 0) {
      const i = rng.int(kept.length);
      total -= podGpuMilli(kept[i] as OpenbPod);
      kept.splice(i, 1);
    }
    return kept;
  }
  const out = [...pods];
  if (pods.length === 0) return out;
  let clone = 0;
  for (;;) {
    const drawn = pods[rng.int(pods.length)] as OpenbPod;
    // The quirk: compare with gpu_milli alone, then add num_gpu × gpu_milli.
    if (total + drawn.gpuMilli > targetMilli) break;
    // A CPU-only draw adds nothing; stop if the list can never reach the target.
    if (clone > pods.length * 100) break;
    out.push({ ...drawn, name: `${drawn.name}-clone-${clone}` });
    clone += 1;
    total += podGpuMilli(drawn);
  }
  return out;
}

/** The full §2.1 workload step: tune with `seed`, sort by name, shuffle with the same seed. */
export function prepareWorkload(pods: readonly OpenbPod[], capacityMilli: number, tune: number, seed: number): OpenbPod[] {
  const tuned = tunePods(pods, Math.round(tune * capacityMilli), createRng(seed));
  const byName = [...tuned].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return shuffled(byName, createRng(seed ^ 0x5bd1e995));
}
