import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

// 4 nodes, 16 GPUs. Pods ask for 0.5 / 1 / 2 / 4 GPUs (and one CPU-only).
const NODES = `sn,cpu_milli,memory_mib,gpu,model
a,32000,131072,8,G2
b,32000,131072,4,T4
c,16000,65536,2,T4
d,8000,32768,2,P100
`;
const PODS = `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec
p0,2000,4096,1,500,
p1,4000,8192,1,1000,
p2,8000,16384,2,1000,T4|G2
p3,16000,32768,4,1000,
p4,1000,1024,0,0,
p5,2000,4096,1,300,P100
`;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-sim-'));
  writeFileSync(join(dir, 'nodes.csv'), NODES);
  writeFileSync(join(dir, 'pods.csv'), PODS);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tessera(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [join(ROOT, 'cli', 'main.ts'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tessera simulate (end to end through the CLI)', () => {
  it('runs two policies × two seeds and prints one JSON object per run, and writes the report', () => {
    const r = tessera(['simulate', '--nodes', 'nodes.csv', '--pods', 'pods.csv', '--policy', 'tessera,bestfit', '--seed', '1,2', '--json', '--report', 'out.html']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => `${x['policy']}/${x['seed']}`)).toEqual(['tessera/1', 'tessera/2', 'bestfit/1', 'bestfit/2']);
    for (const row of rows) {
      expect(row['gpus']).toBe(16);
      expect(row['tune']).toBe(1.3);
      // Tuning inflates to 1.3 × 16 GPUs: more pods than the 6 in the file.
      expect(row['pods'] as number).toBeGreaterThan(6);
      expect(row['failedPods'] as number).toBeGreaterThan(0);
      const un = row['unallocatedPct'] as Record<string, number | null>;
      expect(Object.keys(un)).toEqual(['80', '90', '95', '100', '110', '120', '130']);
      // Tiny pod lists arrive in big steps, so some points have no sample within ±1 (null).
      const values = Object.values(un).filter((v): v is number => v !== null);
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(100);
      }
      expect(Object.keys(row['fragmentationPct'] as object)).toEqual(Object.keys(un));
    }
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    expect(html).toContain('tessera (ours)');
    expect(html).toContain('bestfit (ours)');
    expect(html).not.toMatch(/<script|https?:/i);
  });

  it('stops on bad input naming file, line and column, and writes no report', () => {
    writeFileSync(join(dir, 'pods.csv'), PODS.replace('p3,16000', 'p3,lots'));
    const r = tessera(['simulate', '--nodes', 'nodes.csv', '--pods', 'pods.csv', '--report', 'out.html']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pods.csv:5: column cpu_milli: expected a non-negative integer, got \'lots\'');
    expect(existsSync(join(dir, 'out.html'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['nodes.csv', 'pods.csv']);
  });

  it('simulates a generated cluster: the node list repeated', () => {
    const r = tessera(['simulate', '--nodes', 'nodes.csv', '--pods', 'pods.csv', '--policy', 'fgd', '--replicate', '3', '--json']);
    expect(r.code).toBe(0);
    const row = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    // 3 × (8 + 4 + 2 + 2) GPUs over 3 × 4 nodes.
    expect(row['gpus']).toBe(48);
    expect(row['nodes']).toBe(12);
  });

  it('rejects an unknown policy by name', () => {
    const r = tessera(['simulate', '--nodes', 'nodes.csv', '--pods', 'pods.csv', '--policy', 'tessera,magic']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown policy 'magic'/);
  });
});
