/**
 * Parsers for the Alibaba openb CSV formats (cluster-trace-gpu-v2023):
 * nodes `sn,cpu_milli,memory_mib,gpu,model`, pods
 * `name,cpu_milli,memory_mib,num_gpu,gpu_milli[,gpu_spec,…]`. Columns are found by header
 * name, in any order; extra columns are ignored. Every bad cell stops the parse with the
 * file, line and column named.
 */
import { SimInputError } from './errors.js';

export interface OpenbNode {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly gpuCount: number;
  /** GPU model; '' for CPU-only nodes. */
  readonly model: string;
}

export interface OpenbPod {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** openb `num_gpu`. */
  readonly gpuCount: number;
  /** openb `gpu_milli`: per-GPU share, 1000 = whole GPU, 0 for CPU-only pods. */
  readonly gpuMilli: number;
  /** Allowed GPU models (openb `gpu_spec`, `|`-separated); empty = any. */
  readonly models: readonly string[];
}

const NODE_COLUMNS = ['sn', 'cpu_milli', 'memory_mib', 'gpu', 'model'] as const;
const POD_COLUMNS = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli'] as const;

/** Split one CSV line; double-quoted fields may contain commas and doubled quotes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

interface Table {
  readonly file: string;
  readonly index: ReadonlyMap<string, number>;
  /** [line number, cells] of every non-empty data row. */
  readonly rows: readonly (readonly [number, readonly string[]])[];
}

function readTable(text: string, file: string, required: readonly string[]): Table {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim() ?? '';
  if (header === '') throw new SimInputError({ file, line: 1, column: null }, `empty file, expected a header with columns ${required.join(',')}`);
  const names = splitCsvLine(header).map((h) => h.trim().replace(/^\uFEFF/, ''));
  const index = new Map<string, number>();
  names.forEach((n, i) => index.set(n, i));
  for (const col of required) {
    if (!index.has(col)) {
      throw new SimInputError({ file, line: 1, column: col }, `missing column '${col}'; expected header with ${required.join(',')}, got '${header}'`);
    }
  }
  const rows: [number, string[]][] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    const cells = splitCsvLine(raw);
    if (cells.length < names.length) {
      const missing = names[cells.length] ?? '?';
      if (required.includes(missing)) {
        throw new SimInputError({ file, line: i + 1, column: missing }, `row has ${cells.length} cells, expected ${names.length}`);
      }
    }
    rows.push([i + 1, cells]);
  }
  return { file, index, rows };
}

function cell(t: Table, row: readonly [number, readonly string[]], col: string): string {
  const i = t.index.get(col);
  return i === undefined ? '' : (row[1][i] ?? '').trim();
}

function intCell(t: Table, row: readonly [number, readonly string[]], col: string, min: number, max: number): number {
  const text = cell(t, row, col);
  if (!/^\d+$/.test(text)) {
    throw new SimInputError({ file: t.file, line: row[0], column: col }, `expected a non-negative integer, got '${text}'`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new SimInputError({ file: t.file, line: row[0], column: col }, `expected an integer in ${min}–${max}, got ${n}`);
  }
  return n;
}

export function parseNodeCsv(text: string, file: string): OpenbNode[] {
  const t = readTable(text, file, NODE_COLUMNS);
  const seen = new Set<string>();
  const nodes = t.rows.map((row) => {
    const name = cell(t, row, 'sn');
    if (name === '') throw new SimInputError({ file, line: row[0], column: 'sn' }, 'expected a node name, got an empty cell');
    if (seen.has(name)) throw new SimInputError({ file, line: row[0], column: 'sn' }, `duplicate node name '${name}'`);
    seen.add(name);
    const gpuCount = intCell(t, row, 'gpu', 0, 64);
    const model = cell(t, row, 'model');
    if (gpuCount > 0 && model === '') {
      throw new SimInputError({ file, line: row[0], column: 'model' }, `node has ${gpuCount} GPUs, expected a GPU model name, got an empty cell`);
    }
    return {
      name,
      cpuMilli: intCell(t, row, 'cpu_milli', 0, Number.MAX_SAFE_INTEGER),
      memoryMiB: intCell(t, row, 'memory_mib', 0, Number.MAX_SAFE_INTEGER),
      gpuCount,
      model: gpuCount > 0 ? model : '',
    };
  });
  if (nodes.length === 0) throw new SimInputError({ file, line: null, column: null }, 'no node rows after the header');
  return nodes;
}

/**
 * Parse a pod list. `knownModels` are the GPU models of the node list: a `gpu_spec` that
 * names any other model is rejected (it could never be placed and hints at a wrong file).
 */
export function parsePodCsv(text: string, file: string, knownModels: ReadonlySet<string>): OpenbPod[] {
  const t = readTable(text, file, POD_COLUMNS);
  const known = new Map([...knownModels].map((m) => [m.toLowerCase(), m]));
  const pods = t.rows.map((row) => {
    const name = cell(t, row, 'name');
    if (name === '') throw new SimInputError({ file, line: row[0], column: 'name' }, 'expected a pod name, got an empty cell');
    const gpuCount = intCell(t, row, 'num_gpu', 0, 64);
    const gpuMilli = intCell(t, row, 'gpu_milli', 0, 1000);
    if (gpuCount === 0 && gpuMilli !== 0) {
      throw new SimInputError({ file, line: row[0], column: 'gpu_milli' }, `expected 0 for a pod with num_gpu 0, got ${gpuMilli}`);
    }
    if (gpuCount > 0 && gpuMilli === 0) {
      throw new SimInputError({ file, line: row[0], column: 'gpu_milli' }, `expected 1–1000 for a pod with num_gpu ${gpuCount}, got 0`);
    }
    if (gpuCount > 1 && gpuMilli !== 1000) {
      throw new SimInputError({ file, line: row[0], column: 'gpu_milli' }, `expected 1000 (whole GPUs) for a pod with num_gpu ${gpuCount}, got ${gpuMilli}`);
    }
    const spec = cell(t, row, 'gpu_spec');
    const models: string[] = [];
    if (spec !== '') {
      for (const m of spec.split('|')) {
        const canonical = known.get(m.trim().toLowerCase());
        if (canonical === undefined) {
          throw new SimInputError(
            { file, line: row[0], column: 'gpu_spec' },
            `unknown GPU model '${m}'; the node list has ${[...knownModels].sort().join(', ') || 'no GPU models'}`,
          );
        }
        if (!models.includes(canonical)) models.push(canonical);
      }
    }
    return {
      name,
      cpuMilli: intCell(t, row, 'cpu_milli', 0, Number.MAX_SAFE_INTEGER),
      memoryMiB: intCell(t, row, 'memory_mib', 0, Number.MAX_SAFE_INTEGER),
      gpuCount,
      gpuMilli,
      models,
    };
  });
  if (pods.length === 0) throw new SimInputError({ file, line: null, column: null }, 'no pod rows after the header');
  return pods;
}

/** The GPU models present in a node list. */
export function nodeModelSet(nodes: readonly OpenbNode[]): Set<string> {
  return new Set(nodes.filter((n) => n.gpuCount > 0).map((n) => n.model));
}
