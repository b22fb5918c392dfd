/**
 * Openb-like GPU nodes for the extender benchmarks (bench/extender-bench.ts,
 * bench/extender-list-bench.ts): the openb node list's GPU-count mix (617×8, 518×2, 54×4,
 * 24×1 of 1,213 nodes), one of its GPU models at random, V100s in NVLink quads.
 */
import type { NodeInventory } from '../core/index.js';

const MODELS = ['G2', 'T4', 'G3', 'P100', 'V100M32', 'V100M16'];

/** Node i's inventory and allocatable CPU; draws two numbers from `random` (GPU count, then model). */
export function openbLikeNode(i: number, random: () => number): { inventory: NodeInventory; cpu: string } {
  const r = random();
  const gpus = r < 617 / 1213 ? 8 : r < 1135 / 1213 ? 2 : r < 1189 / 1213 ? 4 : 1;
  const model = MODELS[Math.floor(random() * MODELS.length)] as string;
  const nv = model.startsWith('V100');
  const quad = (x: number, y: number): boolean => Math.floor(x / 4) === Math.floor(y / 4);
  const inventory: NodeInventory = {
    version: 1,
    vendor: 'nvidia',
    devices: Array.from({ length: gpus }, (_, d) => ({ id: `GPU-${i}-${d}`, index: d, model, memoryMiB: 32768, numa: d < gpus / 2 ? 0 : 1, health: 'healthy' as const })),
    topology:
      gpus === 1
        ? { kind: 'none' }
        : { kind: 'nvlink', links: Array.from({ length: gpus }, (_, x) => Array.from({ length: gpus }, (_, y) => (x === y ? 'X' : nv && quad(x, y) ? 'NV2' : quad(x, y) ? 'PIX' : 'SYS'))) },
    slotsPerDevice: 10,
  };
  return { inventory, cpu: gpus === 8 ? '96' : '64' };
}
