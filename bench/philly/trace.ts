/**
 * Parsers for the Philly job extract (philly.csv, Pollux artifact) and the Helios VC sizes
 * (philly_vc.csv). Bad input stops with the file, line and column named.
 */

export class PhillyInputError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: string | null;
  constructor(file: string, line: number, column: string | null, message: string) {
    super(`${file} line ${line}${column === null ? '' : `, column ${column}`}: ${message}`);
    this.name = 'PhillyInputError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

export interface PhillyJob {
  /** 1-based line in the CSV (unique id). */
  readonly line: number;
  /** Submission time, seconds since the Unix epoch (the trace's local time read as UTC). */
  readonly submit: number;
  readonly duration: number;
  readonly gpus: number;
  readonly vc: string;
}

export interface PhillyVc {
  readonly vc: string;
  readonly nodes: number;
}

export interface JobFilter {
  /** Inclusive lower bound on submit (seconds). */
  readonly from?: number;
  /** Exclusive upper bound on submit (seconds). */
  readonly to?: number;
  /** VCs to keep; a job of another VC is an error unless `dropUnknownVcs`. */
  readonly vcs?: ReadonlySet<string>;
  readonly dropUnknownVcs?: boolean;
}

export interface ParsedJobs {
  readonly jobs: PhillyJob[];
  /** Jobs dropped because their VC is not in the VC file (only with dropUnknownVcs), per VC. */
  readonly droppedByVc: Record<string, number>;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** "YYYY-MM-DD HH:MM:SS" (or "YYYY-MM-DD") read as UTC, in seconds; null when malformed. */
export function parseTraceTime(text: string): number | null {
  const t = TIME.exec(text.length === 10 ? `${text} 00:00:00` : text);
  if (t === null) return null;
  const [y, mo, d, h, mi, s] = t.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms / 1000;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

function headerIndex(file: string, header: string[], wanted: readonly string[]): Map<string, number> {
  const idx = new Map<string, number>();
  for (const name of wanted) {
    const i = header.findIndex((h) => h.trim() === name);
    if (i < 0) {
      throw new PhillyInputError(file, 1, name, `missing column '${name}' (header has: ${header.map((h) => h.trim()).join(', ')})`);
    }
    idx.set(name, i);
  }
  return idx;
}

export function parsePhillyJobs(text: string, file: string, filter: JobFilter = {}): ParsedJobs {
  const lines = splitLines(text);
  const header = (lines[0] ?? '').split(',');
  const col = headerIndex(file, header, ['timestamp', 'duration', 'num_gpus', 'cluster']);
  const at = (cells: string[], name: string): string => (cells[col.get(name) ?? -1] ?? '').trim();
  const jobs: PhillyJob[] = [];
  const droppedByVc: Record<string, number> = {};
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const lineNo = i + 1;
    const cells = raw.split(',');
    if (cells.length !== header.length) {
      throw new PhillyInputError(file, lineNo, null, `expected ${header.length} cells like the header, got ${cells.length}`);
    }
    const ts = at(cells, 'timestamp');
    const submit = parseTraceTime(ts);
    if (submit === null) throw new PhillyInputError(file, lineNo, 'timestamp', `expected 'YYYY-MM-DD HH:MM:SS', got '${ts}'`);
    const durText = at(cells, 'duration');
    const duration = Number(durText);
    if (durText === '' || !Number.isFinite(duration) || duration < 0) {
      throw new PhillyInputError(file, lineNo, 'duration', `expected a number of seconds >= 0, got '${durText}'`);
    }
    const gpuText = at(cells, 'num_gpus');
    const gpus = Number(gpuText);
    if (gpuText === '' || !Number.isInteger(gpus) || gpus < 1) {
      throw new PhillyInputError(file, lineNo, 'num_gpus', `expected a whole number of GPUs >= 1, got '${gpuText}'`);
    }
    const vc = at(cells, 'cluster');
    if (vc === '') throw new PhillyInputError(file, lineNo, 'cluster', 'expected a VC name, got an empty cell');
    if (filter.from !== undefined && submit < filter.from) continue;
    if (filter.to !== undefined && submit >= filter.to) continue;
    if (filter.vcs !== undefined && !filter.vcs.has(vc)) {
      if (filter.dropUnknownVcs !== true) {
        throw new PhillyInputError(file, lineNo, 'cluster', `unknown VC '${vc}' (not in the VC file; pass --drop-unknown-vcs to skip such jobs)`);
      }
      droppedByVc[vc] = (droppedByVc[vc] ?? 0) + 1;
      continue;
    }
    jobs.push({ line: lineNo, submit, duration, gpus, vc });
  }
  jobs.sort((a, b) => a.submit - b.submit || a.line - b.line);
  return { jobs, droppedByVc };
}

export function parsePhillyVcs(text: string, file: string): PhillyVc[] {
  const lines = splitLines(text);
  const header = (lines[0] ?? '').split(',');
  const col = headerIndex(file, header, ['vc', 'node num']);
  const out: PhillyVc[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (raw.trim() === '') continue;
    const cells = raw.split(',');
    const vc = (cells[col.get('vc') ?? -1] ?? '').trim();
    const nodesText = (cells[col.get('node num') ?? -1] ?? '').trim();
    const nodes = Number(nodesText);
    if (vc === '') throw new PhillyInputError(file, i + 1, 'vc', 'expected a VC name, got an empty cell');
    if (seen.has(vc)) throw new PhillyInputError(file, i + 1, 'vc', `VC '${vc}' is listed twice`);
    if (nodesText === '' || !Number.isInteger(nodes) || nodes < 1) {
      throw new PhillyInputError(file, i + 1, 'node num', `expected a whole number of nodes >= 1, got '${nodesText}'`);
    }
    seen.add(vc);
    out.push({ vc, nodes });
  }
  if (out.length === 0) throw new PhillyInputError(file, 2, null, 'expected at least one VC row');
  return out;
}
