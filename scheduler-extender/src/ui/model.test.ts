/** The board's pure helpers (ui/model.js), run in Node. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deviceUnits, fmtAge, fmtGpu, fmtMiB, groupLabel, occupancy, poolSummary, shareUnits, viridis, type DeviceLike } from '../../ui/model.js';

const dev = (over: Partial<DeviceLike> = {}): DeviceLike => ({ model: 'A100', health: 'healthy', memoryMiB: 80000, usedMemoryMiB: 0, usedComputeMilli: 0, exclusive: false, shares: [], ...over });

describe('formats', () => {
  const cases = [
    { name: 'whole', input: 4, want: '4' },
    { name: 'two decimals', input: 0.761, want: '0.76' },
    { name: 'float noise', input: 4.8999999999, want: '4.9' },
    { name: 'unlimited', input: null, want: '∞' },
  ];
  for (const c of cases) it(`fmtGpu ${c.name}`, () => expect(fmtGpu(c.input)).toBe(c.want));
  it('fmtMiB and fmtAge', () => {
    expect(fmtMiB(81920)).toBe('80.0 GiB');
    expect(fmtMiB(null)).toBe('∞');
    expect(fmtAge(0, 59_000)).toBe('59 s ago');
    expect(fmtAge(0, 7 * 60_000)).toBe('7 min ago');
    expect(fmtAge(10_000, 0)).toBe('0 s ago');
  });
});

describe('GPU equivalents, as the quota counts them', () => {
  it('counts a share as the larger of its memory and compute fractions, a whole device as 1', () => {
    // 20000 / 80000 = 0.25 memory, 300 milli = 0.3 compute → 0.3
    expect(shareUnits({ exclusive: false, memoryMiB: 20000, computeMilli: 300 }, 80000)).toBeCloseTo(0.3);
    expect(shareUnits({ exclusive: true, memoryMiB: 80000, computeMilli: 1000 }, 80000)).toBe(1);
    // three of them: 0.9; a fourth 0.3 would be 1.2, capped at one device
    const s = { exclusive: false, memoryMiB: 20000, computeMilli: 300 };
    expect(deviceUnits(dev({ shares: [s, s, s] }))).toBeCloseTo(0.9);
    expect(deviceUnits(dev({ shares: [s, s, s, s] }))).toBe(1);
  });

  it('occupancy stays in [0, 1]', () => {
    fc.assert(
      fc.property(fc.nat(200000), fc.nat(3000), fc.boolean(), (mem, cmp, ex) => {
        const o = occupancy(dev({ usedMemoryMiB: mem, usedComputeMilli: cmp, exclusive: ex }));
        expect(o).toBeGreaterThanOrEqual(0);
        expect(o).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('sums pools per device model and borrowed/lent per pool', () => {
    const whole = { exclusive: true, memoryMiB: 80000, computeMilli: 1000 };
    const nodes = [
      { pool: 'training', devices: [dev({ shares: [whole], usedMemoryMiB: 80000 }), dev(), dev({ model: 'H100', health: 'unhealthy' })] },
      { pool: 'test', devices: [dev({ model: 'Ascend910', memoryMiB: 32768 })] },
    ];
    const queues = [
      { pool: 'training', guarantee: { gpu: 2 }, used: { gpu: 1 }, borrowed: { gpu: 0.5 }, lent: { gpu: 0 } },
      { pool: 'training', guarantee: { gpu: 1 }, used: { gpu: 0 }, borrowed: { gpu: 0 }, lent: { gpu: 0.25, memoryMiB: 2048 } },
      { pool: 'training', model: 'H100', guarantee: { gpu: 1 }, used: { gpu: 0 }, borrowed: { gpu: 0.5 }, lent: { gpu: 0 } },
    ];
    const [test, training] = poolSummary(nodes, queues);
    expect(test).toMatchObject({ pool: 'test', nodes: 1, borrowed: 0, total: { devices: 1, memoryMiB: 32768, allocated: 0 } });
    // borrowed 0.5 + 0 + 0.5; lent 0.25 (2048 MiB); guarantee 2 + 1 + 1
    expect(training).toMatchObject({ pool: 'training', nodes: 1, borrowed: 1, lent: 0.25, lentMiB: 2048, guarantee: 4, total: { devices: 3, unhealthy: 1, allocated: 1, usedMemoryMiB: 80000 } });
    // Only the queue naming H100 is attributed to a model.
    expect(training!.models.map((m) => [m.model, m.devices, m.allocated, m.borrowed])).toEqual([['A100', 2, 1, null], ['H100', 1, 0, 0.5]]);
  });
});

describe('labels and colours', () => {
  it('names interconnect groups', () => {
    expect(groupLabel('hccs', [[0, 1, 2, 3], [4, 5, 6, 7]], 1)).toBe('HCCS ring 1');
    expect(groupLabel('hccs', [[0, 1, 2, 3, 4, 5, 6, 7]], 0)).toBe('HCCS full mesh');
    expect(groupLabel('nvlink', [[0, 1], [2, 3]], 1)).toBe('NVLink island 1');
    expect(groupLabel('nvlink', [[0], [1]], 1)).toBe('PCIe slot 1');
    expect(groupLabel('none', [], null)).toBe('no interconnect group');
  });

  it('viridis: dark purple at 0, yellow at 1, and text that contrasts (WCAG ≥ 4.5:1) everywhere', () => {
    expect(viridis(0).background).toBe('rgb(68, 1, 84)');
    expect(viridis(1).background).toBe('rgb(253, 231, 37)');
    const lum = (css: string): number => {
      const [r, g, b] = (css.match(/\d+/g) ?? []).map(Number).map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    for (let i = 0; i <= 100; i++) {
      const c = viridis(i / 100);
      const bg = lum(c.background);
      const fg = c.text === '#fff' ? 1 : lum('rgb(0, 0, 0)');
      const ratio = (Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05);
      expect(ratio, `occupancy ${i}%: ${c.background} with ${c.text}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
