/** Pod JSON → core PodRequest: named cases, and clear errors for invalid values. */
import { describe, expect, it } from 'vitest';
import { translatePod } from '../src/translate.js';
import { managedResources } from '../src/resources.js';
import { parseQuantity } from '../src/quantity.js';
import { kubePod } from './helpers.js';

describe('translatePod', () => {
  const cases: { name: string; resources: Record<string, string>; want: unknown }[] = [
    { name: 'whole GPUs', resources: { 'nvidia.com/gpu': '2' }, want: { kind: 'whole', vendor: 'nvidia', count: 2 } },
    // gpucores 30 → 30 % of SMs = 300 milli-devices
    { name: 'HAMi share by MiB and cores', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '3000', 'nvidia.com/gpucores': '30' }, want: { kind: 'share', vendor: 'nvidia', count: 1, memoryMiB: 3000, computeMilli: 300 } },
    { name: 'HAMi share by percentage', resources: { 'nvidia.com/gpu': '2', 'nvidia.com/gpumem-percentage': '25' }, want: { kind: 'share', vendor: 'nvidia', count: 2, memoryPercent: 25 } },
    { name: 'Ascend 910 chips', resources: { 'huawei.com/Ascend910': '4' }, want: { kind: 'whole', vendor: 'ascend', count: 4, allow: ['Ascend910'], deny: [] } },
    { name: 'Ascend 310 (not 310P)', resources: { 'huawei.com/Ascend310': '1' }, want: { kind: 'whole', vendor: 'ascend', count: 1, allow: ['Ascend310'], deny: ['Ascend310P'] } },
    // 2 of 32 AI cores = 62.5 → 63 milli
    { name: 'vNPU template 910-2c', resources: { 'huawei.com/Ascend910-2c': '1' }, want: { kind: 'share', vendor: 'ascend', count: 1, computeMilli: 63, template: '2c', allow: ['Ascend910'] } },
    // 4 of 8 cores = 500 milli
    { name: 'vNPU template 310P-4c', resources: { 'huawei.com/Ascend310P-4c': '1' }, want: { kind: 'share', vendor: 'ascend', count: 1, computeMilli: 500, template: '4c', allow: ['Ascend310P'] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = translatePod(kubePod('p', { resources: c.resources }));
      expect(r.containers).toEqual([{ name: 'main', index: 0, accel: c.want }]);
    });
  }

  it('sums CPU and memory over containers, takes the max init container, reads priority and labels', () => {
    const pod = kubePod('p', { containers: [{ 'nvidia.com/gpu': '1' }, { cpu: '500m' }], priority: 7, labels: { 'tessera.io/queue': 'q1', 'tessera.io/pool': 'training' } }) as any;
    pod.spec.containers[1].resources.requests = { cpu: '500m', memory: '512Mi' };
    pod.spec.initContainers = [{ name: 'init', resources: { requests: { cpu: '4', memory: '100Mi' } } }];
    const r = translatePod(pod);
    // containers: 1000m + 500m = 1500m < init 4000m → 4000m; memory 1024 + 512 = 1536 MiB > 100
    expect(r.cpuMilli).toBe(4000);
    expect(r.memoryMiB).toBe(1536);
    expect(r.priority).toBe(7);
    expect(r.queue).toBe('q1');
    expect(r.pool).toBe('training');
    expect(r.containers).toHaveLength(1);
    expect(r.isolation).toBe('exclusive');
  });

  it('takes pool and queue from the tenant of the namespace when labels are absent', () => {
    const r = translatePod(kubePod('p'), {
      tenantForNamespace: (ns) => (ns === 'ml' ? { metadata: { name: 't' }, spec: { namespaces: ['ml'], defaultPool: 'inference', defaultQueue: 'q-inf' } } : undefined),
      pool: (n) => (n === 'inference' ? { metadata: { name: n }, spec: { mode: 'fixed' as const, isolation: 'mps' as const } } : undefined),
    });
    expect(r.pool).toBe('inference');
    expect(r.queue).toBe('q-inf');
  });

  const bad: { name: string; resources: Record<string, string>; want: RegExp }[] = [
    { name: 'fractional GPU count', resources: { 'nvidia.com/gpu': '0.5' }, want: /container main nvidia\.com\/gpu: expected an integer ≥ 1, got "0\.5"/ },
    { name: 'gpucores over 100', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpucores': '150' }, want: /gpucores: expected an integer 0–100, got "150"/ },
    { name: 'gpumem without gpu', resources: { 'nvidia.com/gpumem': '1000' }, want: /needs nvidia\.com\/gpu/ },
    { name: 'both memory forms', resources: { 'nvidia.com/gpu': '1', 'nvidia.com/gpumem': '1000', 'nvidia.com/gpumem-percentage': '10' }, want: /either/ },
    { name: 'garbage quantity', resources: { 'nvidia.com/gpu': 'two' }, want: /expected a Kubernetes quantity.*got "two"/ },
    { name: 'two vendors', resources: { 'nvidia.com/gpu': '1', 'huawei.com/Ascend910': '1' }, want: /both NVIDIA .* and Ascend/ },
    { name: 'vNPU template larger than a chip', resources: { 'huawei.com/Ascend310P-16c': '1' }, want: /16 AI cores, a Ascend310P chip has 8/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      expect(() => translatePod(kubePod('p', { resources: c.resources }))).toThrow(c.want);
    });
  }

  it('rejects non-objects and missing metadata with the field named', () => {
    expect(() => translatePod(42)).toThrow(/Pod: expected an object/);
    expect(() => translatePod({ spec: {} })).toThrow(/Pod\.metadata/);
    expect(() => translatePod({ metadata: { name: 'x' }, spec: { containers: 'no' } })).toThrow(/Pod\.spec\.containers: expected an array/);
  });
});

describe('quantities', () => {
  it.each([
    ['500m', 0.5],
    ['2', 2],
    ['1Gi', 2 ** 30],
    ['1e3', 1000],
    ['1.5k', 1500],
  ])('%s = %d', (q, v) => expect(parseQuantity('f', q)).toBeCloseTo(v));
});

describe('managedResources', () => {
  it('marks only share sizes ignoredByScheduler', () => {
    const ignored = managedResources.filter((r) => r.ignoredByScheduler).map((r) => r.name).sort();
    expect(ignored).toEqual(['nvidia.com/gpucores', 'nvidia.com/gpumem', 'nvidia.com/gpumem-percentage']);
    expect(managedResources.map((r) => r.name)).toContain('huawei.com/Ascend910-2c');
    expect(new Set(managedResources.map((r) => r.name)).size).toBe(managedResources.length);
  });
});
