/**
 * The real backends run real executables: here small shell scripts in a temp dir that
 * print recorded real outputs, standing in for nvidia-smi / npu-smi.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AscendBackend } from '../src/backends/ascend.js';
import { execTool } from '../src/backends/exec.js';
import { NvidiaBackend } from '../src/backends/nvidia.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
let tmp: string | undefined;
afterEach(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

function script(name: string, body: string): string {
  tmp ??= mkdtempSync(path.join(os.tmpdir(), 'tna-'));
  const file = path.join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('NvidiaBackend running a fake nvidia-smi', () => {
  it('reads -q -x, tolerates a failing topo -m and telemetry query, and passes the args nvidia-smi expects', async () => {
    const log = path.join(os.tmpdir(), `tna-args-${process.pid}-${Date.now()}`);
    const smi = script(
      'nvidia-smi',
      `echo "$*" >> ${log}
case "$1" in
  -q) cat ${path.join(fixtures, 'tesla-t4', 'nvidia-smi-q-x.xml')} ;;
  topo) echo "topo not supported" >&2; exit 9 ;;
  *) echo "GPU-d37e67a5-91dd-3774-a5cb-99096249601a, 00000000:00:1E.0, 17, 300, 14800, 15360, 41, 27.5, 0" ;;
esac`,
    );
    const b = new NvidiaBackend({ run: execTool(5000), smiPath: smi });
    const d = await b.discover();
    expect(d.devices.map((x) => [x.id, x.model, x.memoryMiB])).toEqual([['GPU-d37e67a5-91dd-3774-a5cb-99096249601a', 'Tesla T4', 15360]]);
    expect(d.warnings.some((w) => /topo -m failed: .*exit|topo -m failed/.test(w))).toBe(true);
    expect(d.telemetry[0]).toMatchObject({ utilPct: 17, memUsedMiB: 300, tempC: 41, powerW: 27.5 });
    const { readFileSync } = await import('node:fs');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    rmSync(log, { force: true });
    expect(calls[0]).toBe('-q -x');
    expect(calls[1]).toBe('topo -m');
    expect(calls[2]).toMatch(/^--query-gpu=uuid,pci.bus_id,utilization.gpu,.* --format=csv,noheader,nounits$/);
  });

  it('reports new XIDs from the kernel-log command and ECC increases as health events', async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tna-'));
    const kern = path.join(tmp, 'kern.log');
    const ecc = path.join(tmp, 'ecc');
    writeFileSync(kern, 'NVRM: Xid (PCI:0000:00:1e): 79, pid=1, GPU has fallen off the bus.\n');
    writeFileSync(ecc, '0');
    const smi = script(
      'nvidia-smi',
      `case "$1" in
  -q) cat ${path.join(fixtures, 'tesla-t4', 'nvidia-smi-q-x.xml')} ;;
  topo) exit 1 ;;
  *) echo "GPU-d37e67a5-91dd-3774-a5cb-99096249601a, 00000000:00:1E.0, 0, 0, 15360, 15360, 30, 20, $(cat ${ecc})" ;;
esac`,
    );
    const dmesg = script('dmesg', `cat ${kern}`);
    const b = new NvidiaBackend({ run: execTool(5000), smiPath: smi, xidCommand: [dmesg] });
    // The first poll takes what is already in the log as history.
    expect((await b.discover()).events).toEqual([]);
    writeFileSync(kern, 'NVRM: Xid (PCI:0000:00:1e): 79, pid=1, GPU has fallen off the bus.\nNVRM: Xid (PCI:0000:00:1e): 48, pid=2, DBE\n');
    writeFileSync(ecc, '2');
    const d = await b.discover();
    expect(d.events).toEqual([
      { deviceId: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a', kind: 'ecc', code: 2, message: 'uncorrectable ECC errors 0 → 2' },
      { deviceId: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a', kind: 'xid', code: 48, message: 'XID 48' },
    ]);
    expect((await b.discover()).events).toEqual([]);
  });

  it('fails with a message naming the command when nvidia-smi is missing', async () => {
    const b = new NvidiaBackend({ run: execTool(5000), smiPath: '/nonexistent/nvidia-smi' });
    await expect(b.discover()).rejects.toThrow('/nonexistent/nvidia-smi -q -x: not found');
  });

  it('names the parse problem when nvidia-smi prints garbage', async () => {
    const smi = script('nvidia-smi', 'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver."');
    const b = new NvidiaBackend({ run: execTool(5000), smiPath: smi });
    await expect(b.discover()).rejects.toThrow(/nvidia-smi -q -x/);
  });
});

describe('AscendBackend running a fake npu-smi', () => {
  it('reads npu-smi info and the HCCS topo matrix', async () => {
    const info = path.join(fixtures, 'atlas800-910a', 'npu-smi-info.txt');
    const topo = path.join(fixtures, 'atlas800-910a', 'SYNTHESIZED_910b-8x-hccs_topo.txt');
    const smi = script('npu-smi', `if [ "$2" = "-t" ]; then cat ${topo}; else cat ${info}; fi`);
    const d = await new AscendBackend({ run: execTool(5000), smiPath: smi }).discover();
    expect(d.devices).toHaveLength(8);
    // The (synthesized) matrix is all-HCCS: one full-mesh group.
    expect(d.topology).toMatchObject({ kind: 'hccs', fullMesh: true });
    expect(d.telemetry.map((t) => t.tempC)).toEqual([43, 38, 34, 42, 44, 33, 35, 40]);
  });
});
