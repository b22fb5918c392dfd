/**
 * Golden tests: parse(fixture) must equal test/golden/parsers/<file>.json. Regenerate on
 * purpose with `npx tsx test/golden/regenerate.ts` and review the diff. Plus cross-checks
 * against independent descriptions of the same fixtures (the synthesized matrices' JSON
 * twins, the npu-smi chip mappings) and the builders' node view.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildAscendDevices,
  buildAscendDevicesFromText,
  buildNvidiaDevices,
  buildNvidiaDevicesFromText,
  parseNpuSmiInfo,
  parseNpuSmiTopo,
  parseNvidiaSmiCsv,
  parseNvidiaSmiXml,
  parseNvidiaTopo,
} from '../../core/index.js';
import {
  FIXTURES_DIR,
  fixtureCases,
  GOLDEN_DIR,
  goldenJson,
  goldenOf,
  goldenPath,
  SHARED_FIXTURES_DIR,
} from './parser-cases.js';

const cases = fixtureCases();
const parsed = cases.filter((c) => c.kind !== null);
const read = (fixture: string): string => readFileSync(join(FIXTURES_DIR, fixture), 'utf8');

describe('parser golden files', () => {
  it('classifies every fixture file', () => {
    expect(cases.filter((c) => c.why === 'UNCLASSIFIED').map((c) => c.fixture)).toEqual([]);
    expect(parsed.length).toBeGreaterThanOrEqual(23);
  });

  it.each(parsed.map((c) => [c.fixture, c] as const))('%s matches its golden file', (_name, c) => {
    const path = goldenPath(c.fixture);
    expect(existsSync(path), `missing ${path}: run npx tsx test/golden/regenerate.ts`).toBe(true);
    const want = readFileSync(path, 'utf8');
    expect(goldenJson(goldenOf(c.kind as NonNullable<typeof c.kind>, c.fixture))).toBe(want);
  });

  it('has no stale golden files', () => {
    const expected = new Set(parsed.map((c) => goldenPath(c.fixture)));
    const stale = readdirSync(GOLDEN_DIR).map((f) => join(GOLDEN_DIR, f)).filter((p) => !expected.has(p));
    expect(stale).toEqual([]);
  });

  it('fails only on the outputs that are not --query-gpu (query-compute-apps)', () => {
    const failing = parsed.filter((c) => 'error' in (goldenOf(c.kind as NonNullable<typeof c.kind>, c.fixture) as object));
    expect(failing.map((c) => c.fixture).every((f) => f.includes('query-compute-apps'))).toBe(true);
    expect(failing.length).toBe(2);
  });
});

describe.skipIf(!existsSync(SHARED_FIXTURES_DIR))('fixture copies', () => {
  const sharedParserInputs = fixtureCases(SHARED_FIXTURES_DIR).filter(
    (c) => c.kind !== null && !c.fixture.startsWith('nvidia-smi/captures/linux'),
  );
  it.each(sharedParserInputs.map((c) => [c.fixture] as const))('%s is copied unchanged', (fixture) => {
    expect(read(fixture)).toBe(readFileSync(join(SHARED_FIXTURES_DIR, fixture), 'utf8'));
  });
});

interface TopoTwin {
  readonly gpus: number;
  readonly matrix: string[][];
  readonly cpuAffinity: string[];
  readonly numaAffinity?: number[];
}

describe('nvidia-smi topo -m cross-checks', () => {
  const twins = cases.filter((c) => c.fixture.startsWith('nvidia-smi/topo/') && c.fixture.endsWith('.json'));
  it('has a JSON twin for each synthesized matrix', () => {
    expect(twins.length).toBe(7);
  });
  it.each(twins.map((c) => [c.fixture] as const))('%s agrees with the parsed matrix', (fixture) => {
    const twin = JSON.parse(read(fixture)) as TopoTwin;
    const topo = parseNvidiaTopo(read(fixture.replace(/\.json$/, '.topo-m.txt')));
    expect(topo.links.length).toBe(twin.gpus);
    expect(topo.links).toEqual(twin.matrix);
    expect(topo.gpus.map((g) => g.cpuAffinity)).toEqual(twin.cpuAffinity);
    expect(topo.gpus.map((g) => g.numaAffinity)).toEqual(twin.numaAffinity ?? twin.cpuAffinity.map(() => null));
  });
});

describe('npu-smi cross-checks', () => {
  const mappings = cases.filter((c) => c.fixture.endsWith('_mapping.txt'));
  it.each(mappings.map((c) => [c.fixture] as const))('%s lists the same NPU/chip pairs as npu-smi info', (fixture) => {
    // `npu-smi info -m`: NPU ID, Chip ID, Chip Logic ID, Chip Name; the MCU row has logic id '-'.
    const pairs = read(fixture)
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/))
      .filter((cells) => /^\d+$/.test(cells[0] ?? '') && /^\d+$/.test(cells[2] ?? ''))
      .map((cells) => `${cells[0]}/${cells[1]}`);
    const info = parseNpuSmiInfo(read(fixture.replace(/_mapping\.txt$/, '.txt')));
    expect(info.chips.map((c) => `${c.npuId}/${c.chipId}`)).toEqual(pairs);
  });
});

describe('builders on fixtures', () => {
  it('Atlas 800 training (8x 910A) without topo: two HCCS rings of 4, 32 GiB HBM each', () => {
    const node = buildAscendDevices({ info: parseNpuSmiInfo(read('ascend/npu-smi/ai-server_atlas-800-training-server_model-9010_version-6.0.RC1.txt')) });
    expect(node.topology).toEqual({ kind: 'hccs', groups: [[0, 1, 2, 3], [4, 5, 6, 7]], fullMesh: false });
    expect(node.devices.map((d) => d.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `Ascend910-${i}`));
    expect(new Set(node.devices.map((d) => d.memoryMiB))).toEqual(new Set([32768]));
  });

  it('310 inference card: four chips of one NPU id, ids from the Device column, no HCCS', () => {
    const node = buildAscendDevices({ info: parseNpuSmiInfo(read('ascend/npu-smi/ai-server_atlas-800-inference-server_model-3000_version-1.0.11-1.0.15.txt')) });
    expect(node.devices.map((d) => d.id)).toEqual(['Ascend310-3', 'Ascend310-4', 'Ascend310-5', 'Ascend310-6']);
    expect(node.devices.every((d) => d.memoryMiB === 8192 && d.model === 'Ascend310')).toBe(true);
    expect(node.topology).toEqual({ kind: 'none' });
  });

  it('910B topo all-HCCS: one full mesh', () => {
    const topo = parseNpuSmiTopo(read('ascend/npu-smi/SYNTHESIZED_910b-8x-hccs_topo.txt'));
    expect(topo.groups).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(topo.fullMesh).toBe(true);
  });

  it('H100 CSV + topo: one device with NUMA 0 from topo, 81559 MiB from CSV, MIG box too', () => {
    for (const box of ['nvidia-h100-80gb-hbm3', 'nvidia-h100-mig']) {
      const base = `nvidia-smi/captures/extracted/linux-x86_64__${box}__590.48.01`;
      const node = buildNvidiaDevices({
        gpus: parseNvidiaSmiCsv(read(`${base}.query-gpu-idle.csv`)),
        topo: parseNvidiaTopo(read(`${base}.topo-m.txt`)),
      });
      expect(node.devices).toEqual([
        {
          id: 'GPU-00000000-0000-0000-0000-000000000000',
          index: 0,
          vendor: 'nvidia',
          model: 'NVIDIA H100 80GB HBM3',
          memoryMiB: 81559,
          computeMilli: 1000,
          numa: 0,
          health: 'healthy',
        },
      ]);
      expect(node.topology).toEqual({ kind: 'none' });
    }
  });

  it('A100 XML with MIG: whole GPU as the device (minor 1), four 1g MIG instances reported', () => {
    const list = parseNvidiaSmiXml(read('nvidia-smi/xml/a100-sxm4-v12.xml'));
    const node = buildNvidiaDevices({ gpus: list });
    expect(node.devices.map((d) => [d.index, d.memoryMiB])).toEqual([[1, 81920]]);
    expect(list.gpus[0]?.migDevices.map((m) => m.memoryMiB)).toEqual([19968, 19968, 19968, 19968]);
    expect(node.warnings.some((w) => w.includes('attached_gpus says 4'))).toBe(true);
  });

  it('topo with 8 GPUs and a 1-GPU XML do not merge', () => {
    expect(() =>
      buildNvidiaDevices({
        gpus: parseNvidiaSmiXml(read('nvidia-smi/xml/tesla-t4.xml')),
        topo: parseNvidiaTopo(read('nvidia-smi/topo/dgx-h100-8x-nv18.topo-m.txt')),
      }),
    ).toThrow(/matrix has 8 GPUs but nvidia-smi -q -x lists 1/);
  });

  it('from text: CSV + topo for NVIDIA, info + topo for Ascend; exactly one GPU list required', () => {
    const base = 'nvidia-smi/captures/extracted/linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01';
    const nv = buildNvidiaDevicesFromText({ csv: read(`${base}.query-gpu-load.csv`), topo: read(`${base}.topo-m.txt`) });
    expect(nv.devices.map((d) => [d.model, d.numa])).toEqual([['NVIDIA H100 80GB HBM3', 0]]);
    expect(() => buildNvidiaDevicesFromText({ topo: read(`${base}.topo-m.txt`) })).toThrow(/expected exactly one of/);
    const asc = buildAscendDevicesFromText({
      info: read('ascend/npu-smi/ai-server_atlas-800-training-server_model-9010_version-6.0.RC1.txt'),
      topo: read('ascend/npu-smi/SYNTHESIZED_910b-8x-hccs_topo.txt'),
    });
    // The topo output wins over the model-based two-ring guess.
    expect(asc.topology).toEqual({ kind: 'hccs', groups: [[0, 1, 2, 3, 4, 5, 6, 7]], fullMesh: true });
    expect(asc.warnings.some((w) => w.includes('assumed'))).toBe(false);
  });

  it('--query-gpu without memory.total cannot become devices', () => {
    expect(() => buildNvidiaDevices({ gpus: parseNvidiaSmiCsv(read('nvidia-smi/query-gpu/nvidia_gpu_exporter-query.txt')) })).toThrow(
      /has no memory total/,
    );
  });
});
