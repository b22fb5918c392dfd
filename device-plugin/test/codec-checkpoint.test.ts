import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServedRecord } from '../src/allocation-ledger.js';
import { Checkpoint } from '../src/checkpoint.js';
import { decodeDecision } from '../src/decision-codec.js';

const good = { version: 1, podUid: 'u', namespace: 'n', name: 'p', node: 'node-1', isolation: 'hami-core', decidedAtMs: 3, containers: [{ name: 'c', index: 0, resource: 'nvidia.com/gpu', devices: [{ id: 'GPU-a', index: 0, memoryMiB: 100, computeMilli: 300, exclusive: false }] }] };

describe('decision annotation decoding', () => {
  const cases: { name: string; raw: string; want: RegExp }[] = [
    { name: 'not JSON', raw: '{"version":1,', want: /tessera.io\/decision: expected JSON/ },
    { name: 'wrong version', raw: JSON.stringify({ ...good, version: 2 }), want: /decision.version: expected 1, got 2/ },
    { name: 'unknown isolation', raw: JSON.stringify({ ...good, isolation: 'magic' }), want: /decision.isolation: expected one of .*got "magic"/ },
    { name: 'negative memory', raw: JSON.stringify({ ...good, containers: [{ ...good.containers[0], devices: [{ ...good.containers[0]!.devices[0], memoryMiB: -1 }] }] }), want: /decision.containers\[0\].devices\[0\].memoryMiB: expected non-negative integer, got -1/ },
    { name: 'copied from another pod', raw: JSON.stringify({ ...good, podUid: 'other' }), want: /decision.podUid: expected the pod's own uid u, got other/ },
    { name: 'for another node', raw: JSON.stringify({ ...good, node: 'node-2' }), want: /decision.node: expected node-1, got node-2/ },
  ];
  it.each(cases)('rejects $name with a message naming the field', ({ raw, want }) => {
    const r = decodeDecision(raw, { uid: 'u', node: 'node-1' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(want);
  });
  it('accepts a well-formed decision', () => {
    const r = decodeDecision(JSON.stringify(good), { uid: 'u', node: 'node-1' });
    expect(r.ok && r.decision.containers[0]?.devices[0]?.computeMilli).toBe(300);
  });
});

describe('checkpoint', () => {
  it('coalesces concurrent saves: every caller resolves, the file holds the newest state, no temp files stay', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tcp-'));
    try {
      const cp = new Checkpoint(dir);
      const state: ServedRecord[] = [];
      const saves: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        state.push({ podUid: `p${i}`, namespace: 'n', name: `p${i}`, container: 'c', containerIndex: 0, resource: 'nvidia.com/gpu', kubeletIds: [`GPU-a::${i}`], devices: ['GPU-a'], atMs: i });
        saves.push(cp.save(() => [...state]));
      }
      await Promise.all(saves);
      expect((await cp.load()).map((e) => e.podUid)).toEqual(state.map((e) => e.podUid));
      expect(await fs.readdir(dir)).toEqual(['allocations.json']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
