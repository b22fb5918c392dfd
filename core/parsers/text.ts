/**
 * Small text helpers shared by the tool-output parsers: line splitting, ANSI stripping,
 * `N/A`-style placeholders and numbers with units. Pure functions, no I/O.
 */
import { ParseError } from '../errors.js';

/** One input line with its 1-based line number. */
export interface Line {
  readonly no: number;
  readonly text: string;
}

const ANSI_ESCAPE = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Remove terminal colour/underline escapes (`ESC[4m … ESC[0m`) that appear when output was captured from a tty. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPE, '');
}

/** Split into lines (LF or CRLF), strip ANSI escapes and a UTF-8 BOM, keep 1-based numbers. */
export function splitLines(text: string): Line[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return body.split(/\r?\n/).map((t, i) => ({ no: i + 1, text: stripAnsi(t) }));
}

/** Throw a ParseError when the text has no non-blank line. */
export function requireNonEmpty(source: string, text: string): void {
  if (stripAnsi(text).replace(/^\uFEFF/, '').trim() === '') throw new ParseError(source, null, 'input is empty; expected the output of the command');
}

/** Placeholders nvidia-smi / npu-smi print for a missing value. */
const PLACEHOLDER = /^(\[.*\]|N\/A|NA|-|Not Supported|Unknown Error|Unknown|)$/i;

/** True when a cell holds no value (`[N/A]`, `N/A`, `[Not Supported]`, `NA`, `-`, empty). */
export function isPlaceholder(cell: string): boolean {
  return PLACEHOLDER.test(cell.trim());
}

/** A cell as a string, or null when it is a placeholder. */
export function cellOrNull(cell: string | undefined): string | null {
  if (cell === undefined) return null;
  const t = cell.trim();
  return isPlaceholder(t) ? null : t;
}

/**
 * Parse a non-negative integer quantity, optionally followed by a unit
 * (`81920 MiB`, `81920`, `192 bank(s)`). Returns null for placeholders.
 * Throws a ParseError naming the line when the cell is something else.
 */
export function parseQuantity(
  source: string,
  line: number | null,
  what: string,
  cell: string | undefined,
  unit?: string,
): number | null {
  const value = cellOrNull(cell);
  if (value === null) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z%()]*)$/.exec(value);
  if (!m || m[1] === undefined) {
    throw new ParseError(source, line, `${what}: expected a number${unit ? ` in ${unit}` : ''}, got '${value}'`);
  }
  const suffix = m[2] ?? '';
  if (unit !== undefined && suffix !== '' && suffix.toLowerCase() !== unit.toLowerCase()) {
    throw new ParseError(source, line, `${what}: expected a value in ${unit}, got '${value}'`);
  }
  return Number(m[1]);
}

/** Parse an integer cell (index, NUMA node); null for placeholders; ParseError otherwise. */
export function parseIntCell(source: string, line: number | null, what: string, cell: string | undefined): number | null {
  const value = cellOrNull(cell);
  if (value === null) return null;
  if (!/^\d+$/.test(value)) throw new ParseError(source, line, `${what}: expected a non-negative integer, got '${value}'`);
  return Number(value);
}

/**
 * Parse a Linux CPU list (`0-19`, `0-15,32-47`) into a sorted list of CPU numbers' ranges;
 * returns the canonical text back, or null for placeholders. ParseError for anything else.
 */
export function parseCpuList(source: string, line: number | null, cell: string | undefined): string | null {
  const value = cellOrNull(cell);
  if (value === null) return null;
  for (const part of value.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) {
      throw new ParseError(source, line, `CPU affinity: expected a CPU list such as '0-15,32-47', got '${value}'`);
    }
  }
  return value.replace(/\s+/g, '');
}

/** Quote a line for an error message, shortened so messages stay readable. */
export function quoteLine(text: string): string {
  const t = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  return `'${t}'`;
}

/**
 * Tools end every line with a newline. When the last data row is also the last line of
 * the input and has no newline, the output was probably cut off inside that row (a
 * truncated `81559 MiB` still reads as a number), so refuse it.
 */
export function requireTerminated(source: string, text: string, lines: readonly Line[], last: Line): void {
  const final = lines[lines.length - 1];
  if (final !== undefined && final.no === last.no && !text.endsWith('\n')) {
    throw new ParseError(source, last.no, 'the last row has no newline; the output looks truncated (expected a complete line)');
  }
}
