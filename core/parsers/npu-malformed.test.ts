/**
 * Table tests for `npu-smi info` and `npu-smi info -t topo`: malformed inputs are
 * ParseErrors naming the line; real-world variations (910B layout, process table,
 * health words, two HCCS rings) parse to the right model.
 */
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { buildAscendDevices } from './build-devices.js';
import { parseNpuSmiInfo } from './npu-smi.js';
import { parseNpuSmiTopo } from './npu-smi-topo.js';

function expectParseError(fn: () => unknown, line: number | null, fragment: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ParseError);
  const e = caught as ParseError;
  expect({ line: e.line, message: e.message }).toMatchObject({ line });
  expect(e.message).toMatch(fragment);
}

const BORDER = '+===========================+===============+====================================================+';
const THIN = '+---------------------------+---------------+----------------------------------------------------+';
const HEADER = [
  '+------------------------------------------------------------------------------------------------+',
  '| npu-smi 23.0.rc3                 Version: 23.0.rc3                                             |',
  THIN,
  '| NPU   Name                | Health        | Power(W)    Temp(C)           Hugepages-Usage(page)|',
  '| Chip                      | Bus-Id        | AICore(%)   Memory-Usage(MB)  HBM-Usage(MB)        |',
  BORDER,
];
/** Two lines of one 910B NPU, as npu-smi 23.x prints them. */
function npu(id: number, health = 'OK', usage = `0    / 0          3164 / 65536`): string[] {
  return [
    `| ${String(id).padEnd(5)} 910B3               | ${health.padEnd(13)} | 94.2        37                0    / 0             |`,
    `| 0                         | 0000:C${id}:00.0  | 0           ${usage.padEnd(39)}|`,
  ];
}
const PROCESSES = [
  THIN,
  '| NPU     Chip              | Process id    | Process name             | Process memory(MB)      |',
  BORDER,
  '| No running processes found in NPU 0                                                            |',
  BORDER,
];
const info = (...parts: string[][]): string => `${parts.flat().join('\n')}\n`;

describe('npu-smi info: malformed', () => {
  // Line numbers: HEADER is lines 1-6, the first NPU block is 7-8, its border 9.
  const cases: { name: string; input: string; line: number | null; want: RegExp }[] = [
    { name: 'empty file', input: '', line: null, want: /input is empty/ },
    { name: 'no banner', input: 'npu-smi: command not found\n', line: 1, want: /expected the banner/ },
    { name: 'banner without versions', input: '| npu-smi x |\n', line: 1, want: /expected 'npu-smi <version>  Version: <version>'/ },
    { name: 'truncated in the header', input: info(HEADER.slice(0, 4)), line: 4, want: /expected two header rows .* \(truncated file\?\)/ },
    { name: 'header only, no NPU', input: info(HEADER), line: 5, want: /no NPU rows after the header/ },
    { name: 'truncated after the NPU row', input: info(HEADER, npu(0).slice(0, 1)), line: 7, want: /NPU block ends without a closing '\+===' border \(truncated file\?\)/ },
    { name: 'truncated before the closing border', input: info(HEADER, npu(0)), line: 8, want: /ends without a closing/ },
    { name: 'NPU row without a chip row', input: info(HEADER, npu(0).slice(0, 1), [BORDER]), line: 7, want: /NPU 0 has no chip row/ },
    { name: 'usage with a value missing', input: info(HEADER, npu(0, 'OK', '0    / 0'), [BORDER]), line: 8, want: /expected 3 values \(AICore\(%\) Memory-Usage\(MB\) HBM-Usage\(MB\)\)/ },
    { name: 'usage not used/total', input: info(HEADER, npu(0, 'OK', '0    / 0          lots'), [BORDER]), line: 8, want: /HBM-Usage\(MB\): expected '<used> \/ <total>', got 'lots'/ },
    { name: 'chip id not a number', input: info(HEADER, [npu(0)[0] as string, (npu(0)[1] as string).replace('| 0 ', '| x ')], [BORDER]), line: 8, want: /expected 'Chip' as 1 number/ },
    { name: 'NPU id not a number', input: info(HEADER, [(npu(0)[0] as string).replace('| 0 ', '| ? '), npu(0)[1] as string], [BORDER]), line: 7, want: /expected an NPU row/ },
    { name: 'empty health', input: info(HEADER, npu(0, ''), [BORDER]), line: 7, want: /empty Health cell/ },
    { name: 'stray text inside a block', input: info(HEADER, npu(0), ['oops'], [BORDER]), line: 9, want: /expected a row or a '\+===' border/ },
    { name: 'duplicate NPU id', input: info(HEADER, npu(0), [BORDER], npu(0), [BORDER]), line: 11, want: /duplicate NPU 0 chip 0 \(also on line 8\)/ },
  ];
  it.each(cases)('$name', ({ input, line, want }) => {
    expectParseError(() => parseNpuSmiInfo(input), line, want);
  });
});

describe('npu-smi info: variations', () => {
  it('910B layout: memory from HBM, process table ignored without warnings', () => {
    const blocks = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [...npu(i), BORDER]);
    const r = parseNpuSmiInfo(info(HEADER, blocks, PROCESSES));
    expect(r.chips.map((c) => [c.id, c.model, c.memoryMiB])).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`Ascend910-${i}`, 'Ascend910B3', 65536]));
    expect(r.warnings).toEqual([]);
    // 910B without a topo output: no HCCS assumption (PCIe 910B cards exist).
    expect(buildAscendDevices({ info: r }).topology).toEqual({ kind: 'none' });
  });

  it('health words: OK/Warning healthy; Alarm/Critical/Abnormal unhealthy; unknown words unhealthy with a warning', () => {
    const words = ['OK', 'Warning', 'Alarm', 'Critical', 'Abnormal', 'Broken'];
    const r = parseNpuSmiInfo(info(HEADER, words.flatMap((w, i) => [...npu(i, w), BORDER])));
    expect(r.chips.map((c) => [c.healthText, c.health])).toEqual([
      ['OK', 'healthy'],
      ['Warning', 'healthy'],
      ['Alarm', 'unhealthy'],
      ['Critical', 'unhealthy'],
      ['Abnormal', 'unhealthy'],
      ['Broken', 'unhealthy'],
    ]);
    expect(r.warnings).toEqual(["line 22: unknown health 'Broken', counted as unhealthy"]);
  });

  it('a block with one NPU row and several chip rows (Device column) gives one device per chip', () => {
    const text = [
      '+--------------------------------------------------------------------------------------------------------+',
      '| npu-smi 23.0.0                   Version: 23.0.0                                                       |',
      '+-------------------------------+-----------------+------------------------------------------------------+',
      '| NPU     Name                  | Health          | Power(W)     Temp(C)           Hugepages-Usage(page) |',
      '| Chip    Device                | Bus-Id          | AICore(%)    Memory-Usage(MB)                        |',
      '+===============================+=================+======================================================+',
      '| 1       310P3                 | OK              | NA           53                0     / 0             |',
      '| 0       0                     | 0000:01:00.0    | 0            1668 / 44280                            |',
      '| 1       1                     | 0000:01:00.0    | 0            1436 / 43693                            |',
      '+===============================+=================+======================================================+',
    ].join('\n');
    const r = parseNpuSmiInfo(text);
    expect(r.chips.map((c) => [c.id, c.npuId, c.chipId, c.memoryMiB])).toEqual([
      ['Ascend310P-0', 1, 0, 44280],
      ['Ascend310P-1', 1, 1, 43693],
    ]);
  });
});

const TOPO_HEAD = '\t   NPU0       NPU1       NPU2       NPU3       CPU Affinity';
const topoRow = (i: number, cells: string[], cpus = '0-23'): string => `NPU${i}       ${cells.join('       ')}       ${cpus}`;
const RING4 = [
  topoRow(0, ['X', 'HCCS', 'HCCS', 'HCCS']),
  topoRow(1, ['HCCS', 'X', 'HCCS', 'HCCS']),
  topoRow(2, ['HCCS', 'HCCS', 'X', 'HCCS']),
  topoRow(3, ['HCCS', 'HCCS', 'HCCS', 'X']),
];
const LEGEND = ['', 'Legend:', '', '  X    = Self', '  HCCS = Connection traversing HCCS.', '  NA   = Unknown relationship.'];

describe('npu-smi info -t topo: malformed', () => {
  const cases: { name: string; input: string; line: number | null; want: RegExp }[] = [
    { name: 'empty file', input: '', line: null, want: /input is empty/ },
    { name: 'no NPU header', input: 'Error: device not found\n', line: 1, want: /expected a header starting with NPU0/ },
    { name: 'unknown header column', input: `${TOPO_HEAD} Extra\n`, line: 1, want: /unexpected header column\(s\) 'CPU Affinity Extra'/ },
    { name: 'truncated: rows missing', input: [TOPO_HEAD, ...RING4.slice(0, 2)].join('\n'), line: 3, want: /header lists 4 NPUs but only 2 rows follow \(truncated file\?\)/ },
    { name: 'legend where a row belongs', input: [TOPO_HEAD, ...RING4.slice(0, 2), ...LEGEND].join('\n'), line: 4, want: /expected row NPU2, got a blank line/ },
    { name: 'unknown link class', input: [TOPO_HEAD, RING4[0], topoRow(1, ['HCCS', 'X', 'NVLINK', 'HCCS']), ...RING4.slice(2)].join('\n'), line: 3, want: /NPU1\/NPU2: unknown link class 'NVLINK'/ },
    { name: 'missing cell (non-square)', input: [TOPO_HEAD, RING4[0], topoRow(1, ['HCCS', 'X', 'HCCS']), ...RING4.slice(2)].join('\n'), line: 3, want: /row NPU1 has 4 cells; expected 5/ },
    { name: 'asymmetric', input: [TOPO_HEAD, RING4[0], topoRow(1, ['SYS', 'X', 'HCCS', 'HCCS']), ...RING4.slice(2)].join('\n'), line: 3, want: /not symmetric: NPU0\/NPU1 is HCCS but NPU1\/NPU0 is SYS/ },
    { name: 'cut inside the last row (0-23 would read as 0-2)', input: [TOPO_HEAD, ...RING4].join('\n').slice(0, -1), line: 5, want: /last row has no newline; the output looks truncated/ },
    { name: 'diagonal not X', input: [TOPO_HEAD, topoRow(0, ['HCCS', 'HCCS', 'HCCS', 'HCCS']), ...RING4.slice(1)].join('\n'), line: 2, want: /NPU0\/NPU0: expected X on the diagonal/ },
  ];
  it.each(cases)('$name', ({ input, line, want }) => {
    expectParseError(() => parseNpuSmiTopo(input), line, want);
  });
});

describe('npu-smi info -t topo: groups', () => {
  it('Atlas 800 training (910): two HCCS rings of 4 joined by SYS', () => {
    const head = '           NPU0 NPU1 NPU2 NPU3 NPU4 NPU5 NPU6 NPU7 CPU Affinity';
    const rows = [0, 1, 2, 3, 4, 5, 6, 7].map((r) =>
      topoRow(
        r,
        [0, 1, 2, 3, 4, 5, 6, 7].map((c) => (r === c ? 'X' : Math.floor(r / 4) === Math.floor(c / 4) ? 'HCCS' : 'SYS')),
        r < 4 ? '0-23' : '24-47',
      ),
    );
    const t = parseNpuSmiTopo([head, ...rows, ...LEGEND].join('\n'));
    expect(t.groups).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(t.fullMesh).toBe(false);
    expect(t.warnings).toEqual([]);
  });

  it('a tab-led header and a legend; all-HCCS 4 NPUs is a full mesh', () => {
    const t = parseNpuSmiTopo([TOPO_HEAD, ...RING4, ...LEGEND].join('\n'));
    expect(t.groups).toEqual([[0, 1, 2, 3]]);
    expect(t.fullMesh).toBe(true);
  });

  it('an HCCS chain that is not fully connected is one group, not a full mesh, with a warning', () => {
    const rows = [
      topoRow(0, ['X', 'HCCS', 'SYS', 'SYS']),
      topoRow(1, ['HCCS', 'X', 'HCCS', 'SYS']),
      topoRow(2, ['SYS', 'HCCS', 'X', 'HCCS']),
      topoRow(3, ['SYS', 'SYS', 'HCCS', 'X']),
    ];
    const t = parseNpuSmiTopo(`${[TOPO_HEAD, ...rows].join('\n')}\n`);
    expect(t.groups).toEqual([[0, 1, 2, 3]]);
    expect(t.fullMesh).toBe(false);
    expect(t.warnings[0]).toMatch(/not fully connected \(no HCCS between NPU0\/NPU2, NPU0\/NPU3, NPU1\/NPU3\)/);
  });
});
