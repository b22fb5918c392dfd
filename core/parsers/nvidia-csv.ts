/**
 * Parser for `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]`.
 * Cells are separated by ", "; headers may carry units (`memory.total [MiB]`) and cells
 * too (`81559 MiB`) unless `nounits` was asked for; `[N/A]`, `[Not Supported]` and
 * `[Requested functionality has been deprecated]` mean "no value". With `noheader` the
 * caller passes the field list it queried. Required columns: `uuid` and `name`;
 * `index`, `memory.total`, `pci.bus_id`, `mig.mode.current` and the health fields are used
 * when present.
 */
import { ParseError } from '../errors.js';
import { GPU_UUID, type NvidiaGpu, type NvidiaGpuList, nvidiaHealth } from './nvidia-gpu.js';
import { cellOrNull, type Line, parseIntCell, parseQuantity, quoteLine, requireNonEmpty, requireTerminated, splitLines } from './text.js';

export const NVIDIA_CSV_SOURCE = 'nvidia-smi --query-gpu';

export interface NvidiaCsvOptions {
  /** The `--query-gpu=` field list, needed when the output was made with `noheader`. */
  readonly fields?: readonly string[];
}

interface Column {
  readonly key: string;
  readonly unit: string | null;
}

const HEADER_CELL = /^([a-z][A-Za-z0-9_.]*)(?:\s+\[([^\]]+)\])?$/;

function splitCells(text: string): string[] {
  return text.split(',').map((c) => c.trim());
}

function asHeader(cells: string[]): Column[] | null {
  const cols: Column[] = [];
  for (const c of cells) {
    const m = HEADER_CELL.exec(c);
    if (!m || m[1] === undefined) return null;
    cols.push({ key: m[1], unit: m[2] ?? null });
  }
  return cols;
}

export function parseNvidiaSmiCsv(text: string, options: NvidiaCsvOptions = {}): NvidiaGpuList {
  const src = NVIDIA_CSV_SOURCE;
  requireNonEmpty(src, text);
  const lines = splitLines(text);
  while (lines.length > 0 && (lines[lines.length - 1] as Line).text.trim() === '') lines.pop();
  const warnings: string[] = [];

  const first = lines[0] as Line;
  const firstHeader = asHeader(splitCells(first.text));
  let columns: Column[];
  let body: Line[];
  if (options.fields !== undefined && options.fields.length > 0) {
    const given = asHeader(options.fields.map((f) => f.trim()));
    if (given === null) {
      throw new ParseError(src, null, `field list '${options.fields.join(',')}' is not a list of --query-gpu field names`);
    }
    columns = given;
    body = lines;
    if (firstHeader !== null) {
      const same = firstHeader.length === given.length && firstHeader.every((c, k) => c.key === given[k]?.key);
      if (!same) {
        throw new ParseError(src, first.no, `header ${quoteLine(first.text)} does not match the given fields '${options.fields.join(',')}'`);
      }
      columns = firstHeader;
      body = lines.slice(1);
    }
  } else {
    if (firstHeader === null) {
      throw new ParseError(
        src,
        first.no,
        `expected a header line of field names (e.g. 'index, uuid, name, memory.total [MiB]'), got ${quoteLine(first.text)}; ` +
          'for output made with noheader, pass the field list',
      );
    }
    columns = firstHeader;
    body = lines.slice(1);
  }

  const col = (key: string): number => columns.findIndex((c) => c.key === key);
  for (const key of ['uuid', 'name']) {
    if (col(key) === -1) {
      throw new ParseError(
        src,
        options.fields ? null : first.no,
        `no '${key}' column; expected --query-gpu output with at least uuid and name (got ${columns.map((c) => c.key).join(', ')})`,
      );
    }
  }
  if (col('index') === -1) warnings.push("no 'index' column; GPUs are numbered in row order");
  if (body.length === 0) {
    // nvidia-smi prints 'No devices were found' rather than a bare header.
    throw new ParseError(src, first.no, 'a header but no GPU rows; expected one row per GPU (truncated file?)');
  }

  const gpus: NvidiaGpu[] = body.map((line, row) => parseRow(src, line, row, columns));
  requireTerminated(src, text, splitLines(text), body[body.length - 1] ?? first);
  checkUnique(src, body, gpus);
  checkCount(src, body, columns, gpus.length, warnings);
  gpus.sort((a, b) => a.index - b.index);
  const driverCol = col('driver_version');
  const driverVersion = driverCol === -1 || body[0] === undefined ? null : cellOrNull(splitCells(body[0].text)[driverCol]);
  return { source: src, driverVersion, dtdVersion: null, gpus, warnings };
}

function parseRow(src: string, line: Line, row: number, columns: Column[]): NvidiaGpu {
  const cells = splitCells(line.text);
  if (line.text.trim() === '') throw new ParseError(src, line.no, `empty line; expected ${columns.length} cells`);
  if (cells.length !== columns.length) {
    throw new ParseError(
      src,
      line.no,
      `expected ${columns.length} cells separated by ', ' (one per header field), got ${cells.length}`,
    );
  }
  const get = (key: string): string | undefined => {
    const k = columns.findIndex((c) => c.key === key);
    return k === -1 ? undefined : cells[k];
  };
  const id = cellOrNull(get('uuid'));
  if (id === null || !GPU_UUID.test(id)) {
    throw new ParseError(src, line.no, `uuid: expected a GPU UUID like GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, got '${get('uuid') ?? ''}'`);
  }
  const model = cellOrNull(get('name'));
  if (model === null) throw new ParseError(src, line.no, `name: expected the GPU product name, got '${get('name') ?? ''}'`);
  const index = get('index') === undefined ? row : parseIntCell(src, line.no, 'index', get('index'));
  if (index === null) throw new ParseError(src, line.no, `index: expected a non-negative integer, got '${get('index') ?? ''}'`);
  const mig = cellOrNull(get('mig.mode.current'));
  return {
    id,
    index,
    minor: null,
    model,
    memoryMiB: parseQuantity(src, line.no, 'memory.total', get('memory.total'), 'MiB'),
    pciBusId: cellOrNull(get('pci.bus_id')),
    ...nvidiaHealth({
      retiredPagesPending: cellOrNull(get('retired_pages.pending')),
      remappedRowsPending: cellOrNull(get('remapped_rows.pending')),
      remappedRowsFailure: cellOrNull(get('remapped_rows.failure')),
      resetRequired: cellOrNull(get('reset_status.reset_required')),
      drainAndResetRecommended: cellOrNull(get('reset_status.drain_and_reset_recommended')),
      recoveryAction: cellOrNull(get('gpu_recovery_action')),
    }),
    migEnabled: mig === null ? null : /^enabled$/i.test(mig),
    migDevices: [],
  };
}

function checkUnique(src: string, body: Line[], gpus: NvidiaGpu[]): void {
  const ids = new Set<string>();
  const indexes = new Set<number>();
  for (const [row, g] of gpus.entries()) {
    const line = body[row]?.no ?? null;
    if (ids.has(g.id)) throw new ParseError(src, line, `duplicate GPU UUID ${g.id}; expected one row per GPU`);
    if (indexes.has(g.index)) throw new ParseError(src, line, `duplicate GPU index ${g.index}; expected one row per GPU`);
    ids.add(g.id);
    indexes.add(g.index);
  }
}

/**
 * `count` is the number of GPUs in the system, repeated on every row. More rows than that
 * is an error; fewer is legitimate with `-i <id>` but also what a file cut at a row
 * boundary looks like, so it earns a warning.
 */
function checkCount(src: string, body: Line[], columns: Column[], rows: number, warnings: string[]): void {
  const k = columns.findIndex((c) => c.key === 'count');
  if (k === -1) return;
  const counts = new Set<number>();
  for (const line of body) {
    const count = parseIntCell(src, line.no, 'count', splitCells(line.text)[k]);
    if (count === null) continue;
    if (count < rows) throw new ParseError(src, line.no, `count says ${count} GPUs but the output has ${rows} rows; expected at most ${count}`);
    counts.add(count);
  }
  for (const count of counts) {
    if (count > rows) warnings.push(`count says ${count} GPUs but the output has ${rows} row(s): filtered with -i, or truncated`);
  }
}
