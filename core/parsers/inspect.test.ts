import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { formatInspectReport, INSPECT_KINDS, inspectToolOutput, isInspectKind } from './inspect.js';

const GPU = 'GPU-11111111-2222-3333-4444-555555555555';
const XML = `<?xml version="1.0" ?>
<nvidia_smi_log>
<gpu id="0000:01:00.0"><product_name>NVIDIA A100</product_name><uuid>${GPU}</uuid><minor_number>0</minor_number>
<fb_memory_usage><total>40960 MiB</total></fb_memory_usage>
<mig_devices><mig_device><index>0</index><fb_memory_usage><total>9856 MiB</total></fb_memory_usage></mig_device></mig_devices>
</gpu>
</nvidia_smi_log>
`;

describe('inspectToolOutput', () => {
  it('knows exactly the five kinds', () => {
    expect(INSPECT_KINDS.every(isInspectKind)).toBe(true);
    expect(isInspectKind('dcgm')).toBe(false);
  });

  it('every kind rejects empty input with a ParseError', () => {
    for (const kind of INSPECT_KINDS) expect(() => inspectToolOutput(kind, '')).toThrow(ParseError);
  });

  it('reports GPUs from XML with their MIG instance count, and formats a MIG column', () => {
    const r = inspectToolOutput('nvidia-smi-xml', XML);
    expect(r.devices).toEqual([
      { id: GPU, index: 0, model: 'NVIDIA A100', memoryMiB: 40960, health: 'healthy', healthReason: null, numa: null, migDevices: 1 },
    ]);
    const text = formatInspectReport(r);
    expect(text.split('\n')[0]).toMatch(/^IDX\s+ID\s+MODEL\s+MEMORY\s+HEALTH\s+NUMA\s+CPUS\s+MIG$/);
    expect(text).toMatch(/NVIDIA A100\s+40960 MiB\s+healthy\s+-\s+-\s+1/);
  });

  it('reports a topo matrix with NUMA per GPU and prints it', () => {
    const r = inspectToolOutput('nvidia-smi-topo', '\tGPU0\tGPU1\tCPU Affinity\tNUMA Affinity\nGPU0\t X \tPIX\t0-3\t0\nGPU1\tPIX\t X \t4-7\t1\n');
    expect(r.devices.map((d) => [d.id, d.numa, d.cpuAffinity])).toEqual([
      ['GPU0', 0, '0-3'],
      ['GPU1', 1, '4-7'],
    ]);
    expect(r.topology).toEqual({ kind: 'nvlink', links: [['X', 'PIX'], ['PIX', 'X']] });
    expect(formatInspectReport(r)).toMatch(/GPU1\s+PIX\s+X\n/);
  });

  it('passes the field list through for noheader CSV', () => {
    const r = inspectToolOutput('nvidia-smi-csv', `${GPU}, T4, 15360\n`, { csvFields: ['uuid', 'name', 'memory.total'] });
    expect(r.devices.map((d) => [d.id, d.memoryMiB])).toEqual([[GPU, 15360]]);
  });
});
