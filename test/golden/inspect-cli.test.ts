/**
 * `tessera inspect` run as a real child process on fixtures, on stdin and on broken input.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from './parser-cases.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'tessera-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function inspect(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, 'cli/main.ts', 'inspect', ...args], { cwd: ROOT, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const fixture = (p: string): string => join(FIXTURES_DIR, p);

describe('tessera inspect (child process)', () => {
  it('prints the DGX A100 matrix and NUMA affinity as JSON', async () => {
    const r = await inspect(['nvidia-smi-topo', fixture('nvidia-smi/topo/dgx-a100-8x-nv12.topo-m.txt'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { devices: { id: string; numa: number | null }[]; topology: { kind: string; links: string[][] } };
    expect(report.devices.map((d) => d.numa)).toEqual([3, 3, 1, 1, 7, 7, 5, 5]);
    expect(report.topology.kind).toBe('nvlink');
    expect(report.topology.links[0]).toEqual(['X', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12', 'NV12']);
  });

  it("reads stdin for '-' and prints a human table with the HCCS rings", async () => {
    const text = readFileSync(fixture('ascend/npu-smi/ai-server_atlas-800-training-server_model-9010_version-6.0.RC1.txt'), 'utf8');
    const r = await inspect(['npu-smi', '-'], text);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^IDX\s+ID\s+MODEL/);
    expect(r.stdout).toMatch(/7\s+Ascend910-7\s+Ascend910A\s+32768 MiB\s+healthy/);
    expect(r.stdout).toContain('HCCS groups: [0,1,2,3] [4,5,6,7]');
  });

  it('reads a UTF-16 file with BOM (PowerShell redirect) of --query-gpu CSV', async () => {
    const text = readFileSync(fixture('nvidia-smi/query-gpu/nvidia_gpu_exporter-query.txt'), 'utf8');
    const file = join(tmp, 'query-utf16.csv');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf16le')]));
    const r = await inspect(['nvidia-smi-csv', file, '--json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { devices: { model: string }[] };
    expect(report.devices.map((d) => d.model)).toEqual(['NVIDIA GeForce RTX 2080 SUPER', 'Some Other GPU']);
  });

  it('exits 2 with the ParseError naming the line on a broken file', async () => {
    const good = readFileSync(fixture('nvidia-smi/topo/dgx1-p100.topo-m.txt'), 'utf8');
    const broken = good.replace(/^GPU3\t(\S+)\t/m, 'GPU3\tQPI\t');
    expect(broken).not.toBe(good);
    const file = join(tmp, 'broken.txt');
    writeFileSync(file, broken);
    const r = await inspect(['nvidia-smi-topo', file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("tessera inspect: nvidia-smi topo -m line 5: GPU3/GPU0: unknown link class 'QPI'; expected X, NV<n>, PIX, PXB, PHB, NODE or SYS\n");
  });

  it('exits 2 on an empty stdin, an unknown kind and a missing file', async () => {
    const [empty, kind, missing] = await Promise.all([
      inspect(['nvidia-smi-xml', '-'], ''),
      inspect(['dcgm', '-'], ''),
      inspect(['npu-smi', join(tmp, 'nope.txt')]),
    ]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('nvidia-smi -q -x: input is empty');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/unknown KIND 'dcgm'; expected one of nvidia-smi-topo, nvidia-smi-xml/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.txt/);
  });
});
