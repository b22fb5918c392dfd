/** Errors of the openb simulator's input handling. Text names the file, line and column. */

export type SimErrorCode = 'SIM_ERR_INPUT' | 'SIM_ERR_ARGS';

export class SimInputError extends Error {
  readonly code: SimErrorCode = 'SIM_ERR_INPUT';
  readonly file: string;
  /** 1-based line in the file (the header is line 1); null when the whole file is at fault. */
  readonly line: number | null;
  /** Column name, when one column is at fault. */
  readonly column: string | null;
  constructor(where: { file: string; line: number | null; column: string | null }, message: string) {
    const at = `${where.file}${where.line === null ? '' : `:${where.line}`}`;
    super(`${at}: ${where.column === null ? '' : `column ${where.column}: `}${message}`);
    this.name = 'SimInputError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

/** A bad command-line argument (unknown policy, malformed seed list …). */
export class SimArgsError extends Error {
  readonly code: SimErrorCode = 'SIM_ERR_ARGS';
  constructor(message: string) {
    super(message);
    this.name = 'SimArgsError';
  }
}
