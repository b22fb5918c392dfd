/**
 * Parser for `nvidia-smi topo -m`: the GPU-to-GPU link matrix plus per-GPU CPU and NUMA
 * affinity. Real outputs carry ANSI escapes in the header, NIC rows/columns (`NIC0`,
 * `mlx5_0`) followed by a NIC legend, `NUMA Affinity` / `GPU NUMA ID` columns (the latter
 * after an empty cell), and a link legend; all of that is tolerated, while anything that
 * would give a wrong matrix (non-square, unknown class, asymmetric, missing rows) is a
 * ParseError naming the line.
 */
import { ParseError } from '../errors.js';
import type { LinkClass } from '../model.js';
import { type Line, parseCpuList, parseIntCell, quoteLine, requireNonEmpty, requireTerminated, splitLines } from './text.js';

export const NVIDIA_TOPO_SOURCE = 'nvidia-smi topo -m';

export interface NvidiaTopoGpu {
  /** Position in the matrix = nvidia-smi GPU index. */
  readonly index: number;
  /** CPU list the GPU is close to (`0-15,32-47`), null when `N/A` or not printed. */
  readonly cpuAffinity: string | null;
  /** NUMA node of the CPUs close to the GPU, null when `N/A` or not printed (old drivers). */
  readonly numaAffinity: number | null;
  /** NUMA node of the GPU's own memory (Grace/coherent systems), usually null. */
  readonly gpuNumaId: number | null;
}

export interface NvidiaTopo {
  readonly gpus: readonly NvidiaTopoGpu[];
  /** links[i][j]: link class between GPU i and GPU j; `X` on the diagonal. */
  readonly links: readonly (readonly LinkClass[])[];
  /** Names of ignored non-GPU columns (NICs), for the record. */
  readonly ignoredColumns: readonly string[];
  readonly warnings: readonly string[];
}

const GPU_LABEL = /^GPU(\d+)$/;

/** Known trailing (non-link) columns; anything else after the GPU columns is a NIC column. */
const CPU_AFFINITY = 'CPU Affinity';
const NUMA_AFFINITY = 'NUMA Affinity';
const GPU_NUMA_ID = 'GPU NUMA ID';
const INFO_COLUMNS = new Set([CPU_AFFINITY, NUMA_AFFINITY, GPU_NUMA_ID]);

/**
 * Link class of one matrix cell. `SOC` (drivers before 2017) is the old name of `SYS`.
 * Returns null for anything else.
 */
export function toLinkClass(cell: string): LinkClass | null {
  const c = cell.trim();
  if (c === 'X' || c === 'PIX' || c === 'PXB' || c === 'PHB' || c === 'NODE' || c === 'SYS') return c;
  if (c === 'SOC') return 'SYS';
  const nv = /^NV(\d+)$/.exec(c);
  if (nv && nv[1] !== undefined && Number(nv[1]) > 0) return `NV${Number(nv[1])}`;
  return null;
}

/**
 * Cells of a matrix line: tab separated. A terminal copy with tabs expanded to spaces is
 * split on runs of 2+ spaces for the header (its names contain single spaces) and on any
 * whitespace for rows (row cells never contain spaces).
 */
function cellsOf(text: string, isHeader = false): string[] {
  if (text.includes('\t')) return text.split('\t').map((c) => c.trim());
  return text.trim().split(isHeader ? /\s{2,}/ : /\s+/);
}

export function parseNvidiaTopo(text: string): NvidiaTopo {
  const src = NVIDIA_TOPO_SOURCE;
  requireNonEmpty(src, text);
  const lines = splitLines(text);
  const warnings: string[] = [];

  const headerIdx = lines.findIndex((l) => l.text.trim() !== '');
  const header = lines[headerIdx] as Line;
  if (/no devices were found/i.test(header.text)) {
    throw new ParseError(src, header.no, `nvidia-smi reported '${header.text.trim()}'; expected a topology matrix`);
  }
  const headerCells = cellsOf(header.text, true);
  // The header starts with an empty cell (the row-label column); a spaces-only copy loses it.
  if (headerCells[0] === '') headerCells.shift();
  const gpuCount = countGpuColumns(src, header, headerCells);
  const rest = headerCells.slice(gpuCount);
  const nicColumns = rest.filter((c) => !INFO_COLUMNS.has(c) && c !== '');
  const infoColumns = rest.filter((c) => INFO_COLUMNS.has(c));
  const firstInfo = rest.findIndex((c) => INFO_COLUMNS.has(c));
  if (firstInfo !== -1 && rest.slice(firstInfo).some((c) => !INFO_COLUMNS.has(c) && c !== '')) {
    throw new ParseError(src, header.no, `unexpected column after '${CPU_AFFINITY}' in header ${quoteLine(header.text)}`);
  }

  const gpus: NvidiaTopoGpu[] = [];
  const links: LinkClass[][] = [];
  let i = headerIdx + 1;
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    const cells = cellsOf(line.text);
    const label = cells[0] ?? '';
    if (!GPU_LABEL.test(label)) break; // NIC rows, blank line, legend: the GPU matrix is over
    const row = gpus.length;
    if (label !== `GPU${row}`) {
      throw new ParseError(src, line.no, `expected row GPU${row}, got '${label}'`);
    }
    const linkCells = cells.slice(1, 1 + gpuCount);
    const nicCells = cells.slice(1 + gpuCount, 1 + gpuCount + nicColumns.length);
    if (linkCells.length < gpuCount || nicCells.length < nicColumns.length) {
      throw new ParseError(
        src,
        line.no,
        `row ${label} has ${cells.length - 1} cells; expected ${gpuCount} GPU link cells` +
          (nicColumns.length > 0 ? ` and ${nicColumns.length} NIC cells` : '') +
          ' (non-square matrix or truncated line)',
      );
    }
    links.push(linkCells.map((c, col) => parseLink(src, line, c, row, col)));
    gpus.push(parseInfoCells(src, line, row, infoColumns, cells.slice(1 + gpuCount + nicColumns.length)));
  }

  if (gpus.length !== gpuCount) {
    const at = lines[i] ?? lines[lines.length - 1];
    const ended = at === undefined || at.text.trim() === '' ? 'the matrix ended' : `got ${quoteLine(at.text)}`;
    throw new ParseError(
      src,
      at?.no ?? null,
      `header lists ${gpuCount} GPUs but ${gpus.length} GPU rows follow; expected row GPU${gpus.length}, ${ended}`,
    );
  }
  checkSymmetric(src, lines[headerIdx + 1]?.no ?? header.no, links);
  requireTerminated(src, text, lines, lines[i - 1] as Line);
  checkTrailer(lines.slice(i), warnings);
  return { gpus, links, ignoredColumns: nicColumns, warnings };
}

function countGpuColumns(src: string, header: Line, headerCells: string[]): number {
  let n = 0;
  while (n < headerCells.length && headerCells[n] === `GPU${n}`) n++;
  if (n === 0) {
    throw new ParseError(src, header.no, `expected a header starting with GPU0, got ${quoteLine(header.text)}`);
  }
  const next = headerCells[n];
  if (next !== undefined && GPU_LABEL.test(next)) {
    throw new ParseError(src, header.no, `expected column GPU${n} in the header, got '${next}'`);
  }
  return n;
}

function parseLink(src: string, line: Line, cell: string, row: number, col: number): LinkClass {
  const link = toLinkClass(cell);
  if (link === null) {
    throw new ParseError(
      src,
      line.no,
      `GPU${row}/GPU${col}: unknown link class '${cell}'; expected X, NV<n>, PIX, PXB, PHB, NODE or SYS`,
    );
  }
  if ((row === col) !== (link === 'X')) {
    throw new ParseError(
      src,
      line.no,
      row === col
        ? `GPU${row}/GPU${col}: expected X on the diagonal, got '${cell}'`
        : `GPU${row}/GPU${col}: X is only allowed on the diagonal`,
    );
  }
  return link;
}

function parseInfoCells(src: string, line: Line, row: number, columns: string[], rawCells: string[]): NvidiaTopoGpu {
  // `GPU NUMA ID` is printed after an empty cell (two tabs); empty cells carry nothing.
  const cells = rawCells.filter((c) => c !== '');
  if (cells.length !== columns.length) {
    throw new ParseError(
      src,
      line.no,
      `row GPU${row} has ${cells.length} affinity cells; expected ${columns.length} (${columns.join(', ') || 'none'})`,
    );
  }
  const get = (name: string): string | undefined => {
    const k = columns.indexOf(name);
    return k === -1 ? undefined : cells[k];
  };
  return {
    index: row,
    cpuAffinity: parseCpuList(src, line.no, get(CPU_AFFINITY)),
    numaAffinity: parseIntCell(src, line.no, `GPU${row} NUMA Affinity`, get(NUMA_AFFINITY)),
    gpuNumaId: parseIntCell(src, line.no, `GPU${row} GPU NUMA ID`, get(GPU_NUMA_ID)),
  };
}

function checkSymmetric(src: string, firstRowLine: number, links: LinkClass[][]): void {
  for (let r = 0; r < links.length; r++) {
    for (let c = r + 1; c < links.length; c++) {
      const a = links[r]?.[c];
      const b = links[c]?.[r];
      if (a !== b) {
        throw new ParseError(
          src,
          firstRowLine + c,
          `matrix is not symmetric: GPU${r}/GPU${c} is ${a} but GPU${c}/GPU${r} is ${b}`,
        );
      }
    }
  }
}

/** After the GPU rows: NIC rows, blank lines, the legends. Anything else only earns a warning. */
function checkTrailer(lines: Line[], warnings: string[]): void {
  let inLegend = false;
  for (const line of lines) {
    const t = line.text.trim();
    if (t === '') continue;
    if (/^(NIC Legend|Legend)\s*:/i.test(t)) {
      inLegend = true;
      continue;
    }
    if (inLegend) continue;
    if (/^(NIC\d+|mlx\d+_\d+|[a-z]+\d*_\d+)\b/.test(t)) continue;
    warnings.push(`line ${line.no}: ignored ${quoteLine(t)} after the GPU matrix`);
  }
}

/** The CPU list text as an array of CPU numbers (for callers that pin CPUs). */
export function expandCpuList(list: string | null): number[] {
  if (list === null) return [];
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [lo, hi] = part.split('-').map(Number);
    if (lo === undefined || Number.isNaN(lo)) continue;
    for (let c = lo; c <= (hi ?? lo); c++) out.push(c);
  }
  return out;
}
