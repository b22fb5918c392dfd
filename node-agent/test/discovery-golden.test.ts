/**
 * Golden tests of discovery: each repo fixture replayed through the fixture backend and
 * turned into the published NodeInventory. Regenerate on purpose with
 * `UPDATE_GOLDEN=1 npx vitest run node-agent/test/discovery-golden.test.ts` and review the diff.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FixtureBackend } from '../src/backends/fixture.js';
import { buildInventory } from '../src/inventory.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'fixtures');
const golden = path.join(here, 'golden');

describe.each(['dgx-a100-8x', 'tesla-t4', 'atlas800-910a'])('discovery of fixture %s', (name) => {
  it('matches the golden inventory and telemetry', async () => {
    const d = await new FixtureBackend(path.join(fixtures, name)).discover();
    const inventory = buildInventory({ vendor: d.vendor, devices: d.devices, topology: d.topology, reasons: d.reasons, slotsPerDevice: 4, agent: 'golden' });
    const got = JSON.stringify({ inventory, telemetry: d.telemetry, warnings: d.warnings }, null, 1) + '\n';
    const file = path.join(golden, `${name}.json`);
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
      mkdirSync(golden, { recursive: true });
      writeFileSync(file, got);
    }
    expect(got).toBe(readFileSync(file, 'utf8'));
  });
});

describe('discovery facts (independent of the golden files)', () => {
  it('DGX A100: 8 GPUs, all pairs NV12, NUMA from topo -m, telemetry joined by UUID', async () => {
    const d = await new FixtureBackend(path.join(fixtures, 'dgx-a100-8x')).discover();
    expect(d.devices).toHaveLength(8);
    expect(d.topology.kind).toBe('nvlink');
    if (d.topology.kind === 'nvlink') expect(d.topology.links[0]?.[7]).toBe('NV12');
    expect(d.devices.map((x) => x.numa)).toEqual([3, 3, 1, 1, 7, 7, 5, 5]);
    expect(d.telemetry.find((t) => t.id === d.devices[3]?.id)?.utilPct).toBe(30);
    expect(d.events).toEqual([]);
  });

  it('Atlas 800 (8 × 910A, no topo output): two HCCS rings of 4, chips named Ascend910-<phy>', async () => {
    const d = await new FixtureBackend(path.join(fixtures, 'atlas800-910a')).discover();
    expect(d.devices.map((x) => x.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `Ascend910-${i}`));
    expect(d.topology).toEqual({ kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false });
    // Row 2 of chip 0: `0  1867 / 15077  0 / 32768` → AICore 0 %, HBM 0 of 32768 MB; temp 43, power 67.2.
    expect(d.telemetry[0]).toMatchObject({ utilPct: 0, memUsedMiB: 0, memTotalMiB: 32768, tempC: 43, powerW: 67.2 });
  });

  it('names the manifest problem for a directory without fixture.json', async () => {
    await expect(new FixtureBackend(here).discover()).rejects.toThrow(/fixture.json: expected a JSON manifest/);
  });
});
