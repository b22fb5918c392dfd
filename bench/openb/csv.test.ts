import { describe, expect, it } from 'vitest';
import { parseNodeCsv, parsePodCsv, splitCsvLine, nodeModelSet } from './csv.js';
import { SimInputError } from './errors.js';

const NODES = `sn,cpu_milli,memory_mib,gpu,model
n0,64000,262144,2,P100
n1,96000,786432,8,G2
n2,32000,65536,0,
`;

const PODS = `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
p0,12000,16384,1,1000,,LS,Running,0,1,0
p1,6000,12288,1,460,P100|g2,LS,Running,0,1,0
p2,88000,327680,8,1000,,BE,Running,0,1,0
p3,4000,1024,0,0,,BE,Running,0,1,0
`;

function caught(fn: () => unknown): SimInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SimInputError) return err;
    throw err;
  }
  throw new Error('expected a SimInputError');
}

describe('openb CSV parsing', () => {
  it('parses a node list, CPU-only nodes included', () => {
    const nodes = parseNodeCsv(NODES, 'nodes.csv');
    expect(nodes).toEqual([
      { name: 'n0', cpuMilli: 64000, memoryMiB: 262144, gpuCount: 2, model: 'P100' },
      { name: 'n1', cpuMilli: 96000, memoryMiB: 786432, gpuCount: 8, model: 'G2' },
      { name: 'n2', cpuMilli: 32000, memoryMiB: 65536, gpuCount: 0, model: '' },
    ]);
    expect([...nodeModelSet(nodes)].sort()).toEqual(['G2', 'P100']);
  });

  it('parses pods, canonicalising gpu_spec models against the node list', () => {
    const pods = parsePodCsv(PODS, 'pods.csv', new Set(['P100', 'G2']));
    expect(pods.map((p) => [p.name, p.gpuCount, p.gpuMilli, p.models])).toEqual([
      ['p0', 1, 1000, []],
      ['p1', 1, 460, ['P100', 'G2']],
      ['p2', 8, 1000, []],
      ['p3', 0, 0, []],
    ]);
  });

  it('accepts the five-column multigpu format and columns in any order', () => {
    const text = 'gpu_milli,name,num_gpu,memory_mib,cpu_milli\n1000,a,2,100,2000\n';
    const pods = parsePodCsv(text, 'm.csv', new Set());
    expect(pods).toEqual([{ name: 'a', cpuMilli: 2000, memoryMiB: 100, gpuCount: 2, gpuMilli: 1000, models: [] }]);
  });

  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });

  const bad: { name: string; run: () => unknown; file: string; line: number | null; column: string | null; text: RegExp }[] = [
    {
      name: 'node list without the model column',
      run: () => parseNodeCsv('sn,cpu_milli,memory_mib,gpu\nn0,1,1,1\n', 'nodes.csv'),
      file: 'nodes.csv', line: 1, column: 'model', text: /missing column 'model'/,
    },
    {
      name: 'pod list without gpu_milli',
      run: () => parsePodCsv('name,cpu_milli,memory_mib,num_gpu\np,1,1,1\n', 'pods.csv', new Set()),
      file: 'pods.csv', line: 1, column: 'gpu_milli', text: /missing column 'gpu_milli'/,
    },
    {
      name: 'non-numeric cpu on line 3',
      run: () => parseNodeCsv('sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,1,T4\nn1,lots,1,1,T4\n', 'nodes.csv'),
      file: 'nodes.csv', line: 3, column: 'cpu_milli', text: /expected a non-negative integer, got 'lots'/,
    },
    {
      name: 'fractional gpu count',
      run: () => parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1.5,1000\n', 'pods.csv', new Set()),
      file: 'pods.csv', line: 2, column: 'num_gpu', text: /got '1.5'/,
    },
    {
      name: 'gpu_milli over 1000',
      run: () => parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,1,1500\n', 'pods.csv', new Set()),
      file: 'pods.csv', line: 2, column: 'gpu_milli', text: /0–1000, got 1500/,
    },
    {
      name: 'shared multi-GPU pod',
      run: () => parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np,1,1,2,500\n', 'pods.csv', new Set()),
      file: 'pods.csv', line: 2, column: 'gpu_milli', text: /expected 1000/,
    },
    {
      name: 'unknown GPU model constraint',
      run: () => parsePodCsv(PODS.replace('P100|g2', 'P100|H100'), 'pods.csv', new Set(['P100', 'G2'])),
      file: 'pods.csv', line: 3, column: 'gpu_spec', text: /unknown GPU model 'H100'; the node list has G2, P100/,
    },
    {
      name: 'GPU node without a model',
      run: () => parseNodeCsv('sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,4,\n', 'nodes.csv'),
      file: 'nodes.csv', line: 2, column: 'model', text: /expected a GPU model name/,
    },
    {
      name: 'short row',
      run: () => parseNodeCsv('sn,cpu_milli,memory_mib,gpu,model\nn0,1\n', 'nodes.csv'),
      file: 'nodes.csv', line: 2, column: 'memory_mib', text: /2 cells, expected 5/,
    },
    {
      name: 'header only',
      run: () => parsePodCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\n', 'pods.csv', new Set()),
      file: 'pods.csv', line: null, column: null, text: /no pod rows/,
    },
  ];

  it.each(bad)('rejects $name, naming file, line and column', ({ run, file, line, column, text }) => {
    const err = caught(run);
    expect(err.code).toBe('SIM_ERR_INPUT');
    expect(err.file).toBe(file);
    expect(err.line).toBe(line);
    expect(err.column).toBe(column);
    expect(err.message).toMatch(text);
    expect(err.message.startsWith(line === null ? `${file}:` : `${file}:${line}:`)).toBe(true);
  });
});
