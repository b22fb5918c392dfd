/**
 * Table tests for malformed and unusual nvidia-smi outputs: every bad input is a
 * ParseError whose message names the line and what was expected.
 */
import { describe, expect, it } from 'vitest';
import { ParseError } from '../errors.js';
import { parseNvidiaSmiCsv } from './nvidia-csv.js';
import { parseNvidiaTopo } from './nvidia-topo.js';
import { parseNvidiaSmiXml } from './nvidia-xml.js';

const T = '\t';
/** A topo -m text from rows of cells (tab separated), like nvidia-smi prints it. */
const topo = (...rows: string[][]): string => `${rows.map((r) => r.join(T)).join('\n')}\n`;
const HEAD2 = ['', 'GPU0', 'GPU1', 'CPU Affinity', 'NUMA Affinity', 'GPU NUMA ID'];
const OK2 = [HEAD2, ['GPU0', ' X ', 'NV4', '0-7', '0', '', 'N/A'], ['GPU1', 'NV4', ' X ', '8-15', '1', '', 'N/A']];

function expectParseError(fn: () => unknown, line: number | null, fragment: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ParseError);
  const e = caught as ParseError;
  expect(e.line).toBe(line);
  if (line !== null) expect(e.message).toContain(`line ${line}:`);
  expect(e.message).toMatch(fragment);
}

describe('nvidia-smi topo -m: malformed', () => {
  const cases: { name: string; input: string; line: number | null; want: RegExp }[] = [
    { name: 'empty file', input: '', line: null, want: /input is empty/ },
    { name: 'blank lines only', input: '\n\n  \n', line: null, want: /input is empty/ },
    { name: 'no devices', input: 'No devices were found\n', line: 1, want: /expected a topology matrix/ },
    { name: 'not a matrix', input: 'hello world\n', line: 1, want: /expected a header starting with GPU0/ },
    { name: 'gap in GPU columns', input: topo(['', 'GPU0', 'GPU2'], ['GPU0', 'X', 'SYS']), line: 1, want: /expected column GPU1/ },
    {
      name: 'row with a missing cell (non-square)',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-7', '0', '', 'N/A'], ['GPU1', ' X ']),
      line: 3,
      want: /row GPU1 has 1 cells; expected 2 GPU link cells/,
    },
    {
      name: 'unknown link class',
      input: topo(HEAD2, ['GPU0', ' X ', 'NVX', '0-7', '0', '', 'N/A'], ['GPU1', 'NVX', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /unknown link class 'NVX'; expected X, NV<n>/,
    },
    {
      name: 'NV0 is not a link',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV0', '0-7', '0', '', 'N/A'], ['GPU1', 'NV0', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /unknown link class 'NV0'/,
    },
    {
      name: 'diagonal not X',
      input: topo(HEAD2, ['GPU0', 'SYS', 'SYS', '0-7', '0', '', 'N/A'], ['GPU1', 'SYS', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /GPU0\/GPU0: expected X on the diagonal/,
    },
    {
      name: 'X off the diagonal',
      input: topo(HEAD2, ['GPU0', ' X ', ' X ', '0-7', '0', '', 'N/A'], ['GPU1', 'SYS', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /X is only allowed on the diagonal/,
    },
    {
      name: 'asymmetric matrix',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-7', '0', '', 'N/A'], ['GPU1', 'SYS', ' X ', '8-15', '1', '', 'N/A']),
      line: 3,
      want: /not symmetric: GPU0\/GPU1 is NV4 but GPU1\/GPU0 is SYS/,
    },
    {
      name: 'truncated: fewer rows than the header',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-7', '0', '', 'N/A']),
      line: 3,
      want: /header lists 2 GPUs but 1 GPU rows follow; expected row GPU1/,
    },
    {
      name: 'cut inside the last row (affinity 8-15 would read as 8-1)',
      input: topo(...OK2.slice(0, 2), ['GPU1', 'NV4', ' X ', '8-1']).slice(0, -1),
      line: 3,
      want: /row GPU1 has 1 affinity cells; expected 3/,
    },
    {
      name: 'cut inside the last row of an old-format matrix (0-15 would read as 0-1)',
      input: topo(['', 'GPU0', 'GPU1', 'CPU Affinity'], ['GPU0', ' X ', 'SYS', '0-15'], ['GPU1', 'SYS', ' X ', '0-15']).slice(0, -2),
      line: 3,
      want: /last row has no newline; the output looks truncated/,
    },
    {
      name: 'rows out of order',
      input: topo(HEAD2, ['GPU1', 'NV4', ' X ', '8-15', '1', '', 'N/A'], ['GPU0', ' X ', 'NV4', '0-7', '0', '', 'N/A']),
      line: 2,
      want: /expected row GPU0, got 'GPU1'/,
    },
    {
      name: 'bad CPU affinity',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-x', '0', '', 'N/A'], ['GPU1', 'NV4', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /CPU affinity: expected a CPU list/,
    },
    {
      name: 'bad NUMA affinity',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-7', 'zero', '', 'N/A'], ['GPU1', 'NV4', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /NUMA Affinity: expected a non-negative integer, got 'zero'/,
    },
    {
      name: 'missing affinity cells',
      input: topo(HEAD2, ['GPU0', ' X ', 'NV4', '0-7'], ['GPU1', 'NV4', ' X ', '8-15', '1', '', 'N/A']),
      line: 2,
      want: /row GPU0 has 1 affinity cells; expected 3/,
    },
  ];
  it.each(cases)('$name', ({ input, line, want }) => {
    expectParseError(() => parseNvidiaTopo(input), line, want);
  });
});

describe('nvidia-smi topo -m: real-world variations', () => {
  it('ignores NIC columns, NIC rows and the NIC legend', () => {
    const text =
      topo(
        ['', 'GPU0', 'GPU1', 'NIC0', 'NIC1', 'CPU Affinity', 'NUMA Affinity', 'GPU NUMA ID'],
        ['GPU0', ' X ', 'NV18', 'PIX', 'SYS', '0-55', '0', '', 'N/A'],
        ['GPU1', 'NV18', ' X ', 'SYS', 'PIX', '56-111', '1', '', 'N/A'],
        ['NIC0', 'PIX', 'SYS', ' X ', 'SYS', '', '', ''],
        ['NIC1', 'SYS', 'PIX', 'SYS', ' X ', '', '', ''],
      ) + '\nLegend:\n\n  X    = Self\n  NV#  = Connection traversing a bonded set of # NVLinks\n\nNIC Legend:\n\n  NIC0: mlx5_0\n  NIC1: mlx5_1\n';
    const t = parseNvidiaTopo(text);
    expect(t.links).toEqual([
      ['X', 'NV18'],
      ['NV18', 'X'],
    ]);
    expect(t.ignoredColumns).toEqual(['NIC0', 'NIC1']);
    expect(t.gpus.map((g) => g.numaAffinity)).toEqual([0, 1]);
    expect(t.warnings).toEqual([]);
  });

  it('reads old mlx5_N columns, SOC as SYS, no NUMA columns', () => {
    const t = parseNvidiaTopo(
      topo(['', 'GPU0', 'GPU1', 'mlx5_0', 'CPU Affinity'], ['GPU0', ' X ', 'SOC', 'PHB', '0-11'], ['GPU1', 'SOC', ' X ', 'SOC', '12-23'], ['mlx5_0', 'PHB', 'SOC', ' X ', '']),
    );
    expect(t.links).toEqual([
      ['X', 'SYS'],
      ['SYS', 'X'],
    ]);
    expect(t.gpus.map((g) => [g.cpuAffinity, g.numaAffinity])).toEqual([
      ['0-11', null],
      ['12-23', null],
    ]);
  });

  it('strips ANSI escapes, accepts CRLF and a copy with spaces instead of tabs', () => {
    const ansi = `\u001b[4m${OK2.map((r) => r.join(T)).join('\r\n')}\u001b[0m\r\n`;
    const spaced = '        GPU0    GPU1    CPU Affinity    NUMA Affinity   GPU NUMA ID\nGPU0     X      NV4     0-7     0               N/A\nGPU1    NV4      X      8-15    1               N/A\n';
    // Tab stops every 8 columns can leave a single space between cells.
    const tight = '\t\tGPU0    GPU1    CPU Affinity    NUMA Affinity   GPU NUMA ID'.replace(/\t/g, '') + '\nGPU0     X  NV4 0-7 0 N/A\nGPU1 NV4  X 8-15 1 N/A\n';
    for (const text of [ansi, spaced, tight]) {
      const t = parseNvidiaTopo(text);
      expect(t.links).toEqual([
        ['X', 'NV4'],
        ['NV4', 'X'],
      ]);
      expect(t.gpus.map((g) => [g.cpuAffinity, g.numaAffinity, g.gpuNumaId])).toEqual([
        ['0-7', 0, null],
        ['8-15', 1, null],
      ]);
    }
  });
});

const GPU_A = 'GPU-11111111-2222-3333-4444-555555555555';
const GPU_B = 'GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
function xmlDoc(gpus: string, extra = ''): string {
  return `<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v13.dtd">\n<nvidia_smi_log>\n\t<driver_version>580.1</driver_version>\n${extra}${gpus}</nvidia_smi_log>\n`;
}
function xmlGpu(uuid: string, opts: { name?: string; total?: string; inner?: string } = {}): string {
  return `\t<gpu id="00000000:01:00.0">\n\t\t<product_name>${opts.name ?? 'NVIDIA H100'}</product_name>\n\t\t<uuid>${uuid}</uuid>\n\t\t<minor_number>0</minor_number>\n\t\t<fb_memory_usage>\n\t\t\t<total>${opts.total ?? '81559 MiB'}</total>\n\t\t</fb_memory_usage>\n${opts.inner ?? ''}\t</gpu>\n`;
}

describe('nvidia-smi -q -x: malformed', () => {
  const good = xmlDoc(xmlGpu(GPU_A));
  const cases: { name: string; input: string; line: number | null; want: RegExp }[] = [
    { name: 'empty file', input: '', line: null, want: /input is empty/ },
    { name: 'declaration only', input: '<?xml version="1.0" ?>\n', line: 2, want: /no root element/ },
    { name: 'truncated inside an element', input: good.slice(0, good.indexOf('</fb_memory_usage>')), line: 11, want: /<fb_memory_usage> opened on line 9 is not closed \(truncated file\?\)/ },
    { name: 'truncated inside a tag', input: good.slice(0, good.indexOf('<uuid>') + 3), line: 7, want: /unterminated start tag <uu|expected '>'/ },
    { name: 'mismatched end tag', input: good.replace('</uuid>', '</uid>'), line: 7, want: /expected <\/uuid> \(opened on line 7\), got <\/uid>/ },
    { name: 'wrong root element', input: '<?xml version="1.0" ?>\n<log></log>\n', line: 2, want: /expected root element <nvidia_smi_log>, got <log>/ },
    { name: 'text after the root', input: `${good}<gpu/>\n`, line: 14, want: /unexpected content after the root element/ },
    { name: 'missing uuid', input: xmlDoc(xmlGpu(GPU_A).replace(/\t\t<uuid>.*<\/uuid>\n/, '')), line: 5, want: /<gpu> is missing <uuid>/ },
    { name: 'bad uuid', input: xmlDoc(xmlGpu('GPU-nope')), line: 7, want: /expected a GPU UUID .* got 'GPU-nope'/ },
    { name: 'memory not a number', input: xmlDoc(xmlGpu(GPU_A, { total: 'lots' })), line: 10, want: /fb_memory_usage\/total: expected a number in MiB, got 'lots'/ },
    { name: 'memory in the wrong unit', input: xmlDoc(xmlGpu(GPU_A, { total: '80 GiB' })), line: 10, want: /expected a value in MiB, got '80 GiB'/ },
    { name: 'unknown entity', input: xmlDoc(xmlGpu(GPU_A, { name: 'A &bogus; B' })), line: 6, want: /unknown entity '&bogus;'/ },
    { name: 'duplicate UUID', input: xmlDoc(xmlGpu(GPU_A) + xmlGpu(GPU_A)), line: 13, want: /duplicate GPU UUID/ },
    { name: 'DOCTYPE internal subset', input: '<!DOCTYPE x [ <!ENTITY a "b"> ]>\n<nvidia_smi_log/>', line: 1, want: /internal subset is not supported/ },
    { name: 'unquoted attribute', input: xmlDoc(xmlGpu(GPU_A).replace('id="00000000:01:00.0"', 'id=0')), line: 5, want: /expected a quoted value for attribute id/ },
  ];
  it.each(cases)('$name', ({ input, line, want }) => {
    expectParseError(() => parseNvidiaSmiXml(input), line, want);
  });
});

describe('nvidia-smi -q -x: variations', () => {
  it('decodes entities, skips comments and self-closing elements, reads health signals', () => {
    const inner =
      '\t\t<!-- a comment -->\n\t\t<empty/>\n\t\t<remapped_rows>\n\t\t\t<remapped_row_pending>Yes</remapped_row_pending>\n\t\t\t<remapped_row_failure>No</remapped_row_failure>\n\t\t</remapped_rows>\n\t\t<gpu_recovery_action>None</gpu_recovery_action>\n';
    const list = parseNvidiaSmiXml(xmlDoc(xmlGpu(GPU_A, { name: 'A &amp; B &#x41;', inner }) + xmlGpu(GPU_B)));
    expect(list.dtdVersion).toBe('v13');
    expect(list.gpus.map((g) => [g.index, g.model, g.health, g.healthReason])).toEqual([
      [0, 'A & B A', 'unhealthy', 'row remapping pending (reset required)'],
      [1, 'NVIDIA H100', 'healthy', null],
    ]);
  });

  it('warns on an unknown DTD version and on attached_gpus disagreeing with the <gpu> elements', () => {
    const text = xmlDoc(xmlGpu(GPU_A), '\t<attached_gpus>2</attached_gpus>\n').replace('v13.dtd', 'v99.dtd');
    const list = parseNvidiaSmiXml(text);
    expect(list.gpus).toHaveLength(1);
    expect(list.warnings).toHaveLength(2);
    expect(list.warnings.join('\n')).toMatch(/newer than the versions checked[\s\S]*attached_gpus says 2/);
  });

  it('marks a pending recovery action unhealthy', () => {
    const list = parseNvidiaSmiXml(xmlDoc(xmlGpu(GPU_A, { inner: '\t\t<gpu_recovery_action>Drain and Reset</gpu_recovery_action>\n' })));
    expect(list.gpus[0]?.healthReason).toBe('recovery action Drain and Reset');
  });
});

describe('nvidia-smi --query-gpu CSV: malformed', () => {
  const head = 'index, uuid, name, memory.total [MiB]';
  const cases: { name: string; input: string; fields?: string[]; line: number | null; want: RegExp }[] = [
    { name: 'empty file', input: '', line: null, want: /input is empty/ },
    { name: 'noheader output without a field list', input: `0, ${GPU_A}, H100, 81559 MiB\n`, line: 1, want: /expected a header line of field names.*pass the field list/ },
    { name: 'row with a missing cell', input: `${head}\n0, ${GPU_A}, H100, 81559 MiB\n1, ${GPU_B}, H100\n`, line: 3, want: /expected 4 cells separated by ', ' .* got 3/ },
    { name: 'row with an extra cell', input: `${head}\n0, ${GPU_A}, H100, 81559 MiB, x\n`, line: 2, want: /expected 4 cells .* got 5/ },
    { name: 'memory not a number', input: `${head}\n0, ${GPU_A}, H100, lots MiB\n`, line: 2, want: /memory.total: expected a number in MiB, got 'lots MiB'/ },
    { name: 'memory in the wrong unit', input: `${head}\n0, ${GPU_A}, H100, 80 GiB\n`, line: 2, want: /expected a value in MiB, got '80 GiB'/ },
    { name: 'bad uuid', input: `${head}\n0, 0000, H100, 1 MiB\n`, line: 2, want: /uuid: expected a GPU UUID/ },
    { name: 'bad index', input: `${head}\n-1, ${GPU_A}, H100, 1 MiB\n`, line: 2, want: /index: expected a non-negative integer, got '-1'/ },
    { name: 'duplicate uuid', input: `${head}\n0, ${GPU_A}, H100, 1 MiB\n1, ${GPU_A}, H100, 1 MiB\n`, line: 3, want: /duplicate GPU UUID/ },
    { name: 'duplicate index', input: `${head}\n0, ${GPU_A}, H100, 1 MiB\n0, ${GPU_B}, H100, 1 MiB\n`, line: 3, want: /duplicate GPU index 0/ },
    { name: 'cut inside the last cell (81559 MiB would read as 815)', input: `${head}\n0, ${GPU_A}, H100, 815`, line: 2, want: /last row has no newline; the output looks truncated/ },
    { name: 'more rows than count', input: `count, uuid, name\n1, ${GPU_A}, H100\n1, ${GPU_B}, H100\n`, line: 2, want: /count says 1 GPUs but the output has 2 rows; expected at most 1/ },
    { name: 'header only', input: `${head}\n`, line: 1, want: /a header but no GPU rows; expected one row per GPU/ },
    { name: 'No devices were found', input: 'No devices were found\n', line: 1, want: /expected a header line of field names/ },
    { name: 'no uuid column', input: 'index, name\n0, H100\n', line: 1, want: /no 'uuid' column/ },
    { name: 'blank line between rows', input: `${head}\n\n0, ${GPU_A}, H100, 1 MiB\n`, line: 2, want: /empty line; expected 4 cells/ },
    { name: 'header disagrees with the given fields', input: `${head}\n0, ${GPU_A}, H100, 1 MiB\n`, fields: ['uuid', 'name'], line: 1, want: /does not match the given fields/ },
  ];
  it.each(cases)('$name', ({ input, fields, line, want }) => {
    expectParseError(() => parseNvidiaSmiCsv(input, fields ? { fields } : {}), line, want);
  });
});

describe('nvidia-smi --query-gpu CSV: variations', () => {
  it('reads noheader,nounits output with a field list, sorted by index', () => {
    const list = parseNvidiaSmiCsv(`1, ${GPU_B}, NVIDIA A100, 40960\n0, ${GPU_A}, NVIDIA A100, 40960\n`, {
      fields: ['index', 'uuid', 'name', 'memory.total'],
    });
    expect(list.gpus.map((g) => [g.index, g.id, g.memoryMiB])).toEqual([
      [0, GPU_A, 40960],
      [1, GPU_B, 40960],
    ]);
  });

  it('fewer rows than count (nvidia-smi -i, or a cut file) earns a warning', () => {
    const list = parseNvidiaSmiCsv(`count, uuid, name\n8, ${GPU_A}, H100\n`);
    expect(list.gpus).toHaveLength(1);
    expect(list.warnings).toContain('count says 8 GPUs but the output has 1 row(s): filtered with -i, or truncated');
  });

  it('treats [N/A] and [Not Supported] as no value and reads health fields', () => {
    const list = parseNvidiaSmiCsv(
      `uuid, name, memory.total [MiB], remapped_rows.pending, retired_pages.pending\n${GPU_A}, T4, [N/A], Yes, [Not Supported]\n`,
    );
    expect(list.gpus[0]).toMatchObject({ index: 0, memoryMiB: null, health: 'unhealthy', healthReason: 'row remapping pending (reset required)' });
    expect(list.warnings).toEqual(["no 'index' column; GPUs are numbered in row order"]);
  });

});
