/** Errors thrown by core for malformed input (parsers, annotation decoding, config). */

export type CoreErrorCode =
  | 'CORE_ERR_PARSE'
  | 'CORE_ERR_ANNOTATION'
  | 'CORE_ERR_CONFIG'
  | 'CORE_ERR_REQUEST';

export class CoreError extends Error {
  readonly code: CoreErrorCode;
  constructor(code: CoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreError';
    this.code = code;
  }
}

/** A tool output that does not have the expected shape; names the line and what was expected. */
export class ParseError extends CoreError {
  readonly line: number | null;
  readonly source: string;
  constructor(source: string, line: number | null, message: string, options?: { cause?: unknown }) {
    super('CORE_ERR_PARSE', `${source}${line === null ? '' : ` line ${line}`}: ${message}`, options);
    this.name = 'ParseError';
    this.line = line;
    this.source = source;
  }
}

export class AnnotationError extends CoreError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('CORE_ERR_ANNOTATION', `annotation ${key}: ${message}`, options);
    this.name = 'AnnotationError';
    this.key = key;
  }
}

export class ConfigError extends CoreError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('CORE_ERR_CONFIG', `config ${field}: ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

export class RequestError extends CoreError {
  constructor(message: string) {
    super('CORE_ERR_REQUEST', message);
    this.name = 'RequestError';
  }
}
