import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OpenbPod } from './csv.js';
import { createRng } from './rng.js';
import { prepareWorkload, totalGpuMilli, tunePods } from './tune.js';

function pod(name: string, gpuCount: number, gpuMilli: number): OpenbPod {
  return { name, cpuMilli: 1000, memoryMiB: 1024, gpuCount, gpuMilli, models: [] };
}

describe('FGD workload tuning', () => {
  it('keeps the quirk: the stop check adds gpu_milli only, the total adds num_gpu × gpu_milli', () => {
    // One 8-GPU pod (8000 milli) and a target of 20000. Start total 8000.
    // Draw 1: check 8000 + 1000 ≤ 20000 → append, total 16000.
    // Draw 2: check 16000 + 1000 ≤ 20000 → append, total 24000 (past the target: the quirk).
    // Draw 3: check 24000 + 1000 > 20000 → stop. Without the quirk we would stop at 16000.
    const out = tunePods([pod('a', 8, 1000)], 20000, createRng(1));
    expect(out.map((p) => p.name)).toEqual(['a', 'a-clone-0', 'a-clone-1']);
    expect(totalGpuMilli(out)).toBe(24000);
  });

  it('stops just before a share pod would overshoot', () => {
    // 400-milli pods, target 1000: 400 → 800 (check 800 ≤ 1000) → check 1200 > 1000: stop.
    const out = tunePods([pod('s', 1, 400)], 1000, createRng(7));
    expect(totalGpuMilli(out)).toBe(800);
  });

  it('removes random pods from a trace over the target until it is not', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 40 }), fc.integer(), (milli, seed) => {
        const pods = milli.map((m, i) => pod(`p${i}`, 1, m));
        const target = Math.floor(totalGpuMilli(pods) / 2);
        const out = tunePods(pods, target, createRng(seed));
        expect(totalGpuMilli(out)).toBeLessThanOrEqual(target);
        // Removing is minimal: adding back the last removed pod would exceed the target,
        // so the kept total is within one pod of the target.
        expect(totalGpuMilli(out)).toBeGreaterThan(target - 1000);
        for (const p of out) expect(pods).toContain(p);
      }),
    );
  });

  it('inflated workloads only clone existing pods and end within one pod of the target', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 20 }), fc.integer(), (milli, seed) => {
        const pods = milli.map((m, i) => pod(`p${i}`, 1, m));
        const target = totalGpuMilli(pods) * 3;
        const out = tunePods(pods, target, createRng(seed));
        expect(totalGpuMilli(out)).toBeLessThanOrEqual(target);
        expect(totalGpuMilli(out)).toBeGreaterThan(target - 1000);
        expect(out.slice(0, pods.length)).toEqual(pods);
        for (const p of out.slice(pods.length)) expect(p.name).toMatch(/^p\d+-clone-\d+$/);
      }),
    );
  });

  it('prepareWorkload is a seeded permutation of the tuned list', () => {
    const pods = Array.from({ length: 50 }, (_, i) => pod(`p${String(i).padStart(2, '0')}`, 1, 500));
    const a = prepareWorkload(pods, 10_000, 1.3, 42);
    const b = prepareWorkload(pods, 10_000, 1.3, 42);
    const c = prepareWorkload(pods, 10_000, 1.3, 43);
    expect(a).toEqual(b);
    expect(a.map((p) => p.name)).not.toEqual(c.map((p) => p.name));
    expect(totalGpuMilli(a)).toBe(13_000);
  });
});
