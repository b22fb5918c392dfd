/** The extender's FGD mix: the running pods' typical shapes, F* scaled by host scarcity as the simulator's `tessera`. */
import { describe, expect, it } from 'vitest';
import { withHostScarcity, typicalTaskClasses } from '../../core/index.js';
import { CorePlacement } from '../src/core-placement.js';

describe('CorePlacement.setWorkload', () => {
  const shapes = [
    { cpuMilli: 4000, deviceCount: 1, computeMilli: 1000 },
    { cpuMilli: 4000, deviceCount: 1, computeMilli: 1000 },
    { cpuMilli: 2000, deviceCount: 1, computeMilli: 500, models: ['T4'] },
  ];
  const hosts = [
    { model: 'V100', devices: 8, cpuMilli: 96_000 },
    { model: 'T4', devices: 2, cpuMilli: 64_000 },
  ];

  it('scales each class by all devices / devices that could host it (T4-only: 10 / 2)', () => {
    const p = new CorePlacement();
    p.setWorkload(shapes, hosts);
    const mix = p.currentFragCache?.mix ?? [];
    expect(mix).toEqual(withHostScarcity(typicalTaskClasses(shapes), hosts));
    const t4 = mix.find((c) => c.models?.includes('T4'));
    expect(t4?.fillScale).toBeCloseTo(5, 12);
    expect(mix.find((c) => c.models === undefined)?.fillScale).toBeCloseTo(1, 12);
    // FGD's F decides (plus the scarce class's excess F*), F + w·F* only breaks ties.
    expect(p.currentFragCache?.primary).toBeDefined();
  });

  it('without node shapes the mix is the plain typical classes', () => {
    const p = new CorePlacement();
    p.setWorkload(shapes);
    expect(p.currentFragCache?.mix).toEqual(typicalTaskClasses(shapes));
  });
});
