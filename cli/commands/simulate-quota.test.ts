/** `tessera simulate quota` end to end on a hand-computed trace written to a temp dir. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../main.js';

let dir = '';
afterEach(() => {
  vi.restoreAllMocks();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

async function tessera(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'tessera', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return out;
}

function files(jobs: string): { jobs: string; vcs: string } {
  dir = mkdtempSync(join(tmpdir(), 'tessera-quota-'));
  const j = join(dir, 'philly.csv');
  const v = join(dir, 'vc.csv');
  writeFileSync(j, jobs);
  writeFileSync(v, 'vc,node num\nA,1\nB,1\n');
  return { jobs: j, vcs: v };
}

// A: 8 GPUs at 0 for 100 s, 8 GPUs at 10 for 50 s; B: 4 GPUs at 20 for 30 s (see simulator.test.ts).
const TRACE = [
  'timestamp,duration,num_gpus,gpu_time,cluster',
  '2017-10-01 00:00:00,100.0,8,800.0,A',
  '2017-10-01 00:00:10,50.0,8,400.0,A',
  '2017-10-01 00:00:20,30.0,4,120.0,B',
  '',
].join('\n');

describe('tessera simulate quota', () => {
  it('prints the elastic report with the fixed baseline, sharing safety and fairness', async () => {
    const f = files(TRACE);
    const out = await tessera(['simulate', 'quota', '--jobs', f.jobs, '--vcs', f.vcs, '--mode', 'elastic', '--from', '2017-10-01', '--to', '2017-10-01', '--json']);
    const r = JSON.parse(out) as Record<string, unknown> & { perVc: Record<string, { avgQueueDelaySec: number }>; fixedBaseline: { avgQueueDelaySec: number } };
    expect(r.mode).toBe('elastic');
    expect(r.jobs).toBe(3);
    expect(r.avgQueueDelaySec).toBe(10); // (0 + 30 + 0) / 3
    expect(r.fixedBaseline.avgQueueDelaySec).toBe(30); // (0 + 90 + 0) / 3
    expect(r.preemptions).toBe(1);
    expect(r.sharingSafetyViolations).toEqual([]);
    expect(r.perVc.A?.avgQueueDelaySec).toBe(15);
    expect(r).toHaveProperty('finishTimeFairness.jainIndexPerVcAvgRho');
  });

  it('stops on bad input, naming file, line and column', async () => {
    const f = files(TRACE.replace('50.0,8', 'fifty,8'));
    await expect(tessera(['simulate', 'quota', '--jobs', f.jobs, '--vcs', f.vcs, '--mode', 'fixed', '--json'])).rejects.toThrow(
      /philly\.csv line 3, column duration: expected a number of seconds >= 0, got 'fifty'/,
    );
  });
});
