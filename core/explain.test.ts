import { describe, expect, it } from 'vitest';
import { explainUnfit, explainUnschedulable } from './explain.js';
import type { Unfit } from './fit.js';

const u = (over: Partial<Unfit>): Unfit => ({
  node: 'n1',
  resource: 'cpu',
  requested: 0,
  free: 0,
  used: 0,
  capacity: 0,
  unit: 'devices',
  unresolvable: false,
  ...over,
});

describe('explainUnfit', () => {
  it.each([
    { name: 'cpu', input: u({ resource: 'cpu', unit: 'milli-cpu', requested: 4000, free: 3000, used: 5000, capacity: 8000 }), want: 'node n1: pod needs 4000m CPU, 3000m CPU free (5000 used of 8000)' },
    { name: 'memory, unresolvable', input: u({ resource: 'memory', unit: 'MiB', requested: 70000, free: 65536, capacity: 65536, unresolvable: true }), want: 'node n1: pod needs 70000 MiB host memory, 65536 MiB free (0 used of 65536) (no node of this kind can fit it)' },
    { name: 'model', input: u({ resource: 'accelerator-model', container: 'main', unresolvable: true }), want: 'node n1: container main allows no accelerator model on this node (no node of this kind can fit it)' },
    { name: 'devices', input: u({ resource: 'devices', container: 'main', requested: 2, free: 1, used: 1, capacity: 2 }), want: 'node n1: container main needs 2 devices whole, 1 device free (1 used of 2)' },
    { name: 'device memory', input: u({ resource: 'device-memory', container: 'c', unit: 'MiB', requested: 8000, free: 6384, capacity: 16384 }), want: 'node n1: container c needs 8000 MiB device memory per device, at most 6384 MiB free on a device (device capacity 16384 MiB)' },
    { name: 'device compute', input: u({ resource: 'device-compute', container: 'c', unit: 'milli-device', requested: 600, free: 500, capacity: 1000 }), want: 'node n1: container c needs 600 milli-device compute per device, at most 500 free on a device (capacity 1000)' },
    { name: 'topology', input: u({ resource: 'topology', container: 'c', requested: 4, free: 6 }), want: 'node n1: container c needs 4 devices in one interconnect group (HCCS ring), 6 free but not in an allowed set' },
    { name: 'unknown node', input: u({ resource: 'node', unresolvable: true }), want: 'node n1: unknown to the scheduler (no device inventory)' },
  ])('$name', ({ input, want }) => expect(explainUnfit(input)).toBe(want));

  it('device-count mentions the ring rule', () => {
    expect(explainUnfit(u({ resource: 'device-count', container: 'c', requested: 3, capacity: 8, unresolvable: true }))).toMatch(/1, 2, 4 or 8/);
  });

  it('summarises by resource, most frequent first', () => {
    const list = [u({ resource: 'cpu' }), u({ resource: 'devices' }), u({ resource: 'devices' })];
    expect(explainUnschedulable(list)).toBe('0/3 nodes are available: 2 insufficient devices, 1 insufficient cpu');
  });
});
