/**
 * Errors of the scheduler extender, the webhook and the admin API. Each has a stable code;
 * `httpStatusFor` is the one table that maps codes to HTTP status at the boundary.
 */
export type ExtenderErrorCode =
  | 'EXT_ERR_BAD_ARGS'
  | 'EXT_ERR_BAD_POD'
  | 'EXT_ERR_BAD_INVENTORY'
  | 'EXT_ERR_NOT_FOUND'
  | 'EXT_ERR_CONFLICT'
  | 'EXT_ERR_UNAUTHENTICATED'
  | 'EXT_ERR_FORBIDDEN'
  | 'EXT_ERR_NOT_LEADER'
  | 'EXT_ERR_NOT_READY'
  | 'EXT_ERR_KUBE'
  | 'EXT_ERR_CONFIG'
  | 'EXT_ERR_INTERNAL';

export class ExtenderError extends Error {
  readonly code: ExtenderErrorCode;
  constructor(code: ExtenderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtenderError';
    this.code = code;
  }
}

/** A pod whose accelerator requests cannot be understood (bad quantity, unknown combination). */
export class PodRequestError extends ExtenderError {
  constructor(message: string) {
    super('EXT_ERR_BAD_POD', message);
    this.name = 'PodRequestError';
  }
}

const STATUS: Record<ExtenderErrorCode, number> = {
  EXT_ERR_BAD_ARGS: 400,
  EXT_ERR_BAD_POD: 400,
  EXT_ERR_BAD_INVENTORY: 400,
  EXT_ERR_NOT_FOUND: 404,
  EXT_ERR_CONFLICT: 409,
  EXT_ERR_UNAUTHENTICATED: 401,
  EXT_ERR_FORBIDDEN: 403,
  EXT_ERR_NOT_LEADER: 503,
  EXT_ERR_NOT_READY: 503,
  EXT_ERR_KUBE: 502,
  EXT_ERR_CONFIG: 500,
  EXT_ERR_INTERNAL: 500,
};

export function httpStatusFor(code: ExtenderErrorCode): number {
  return STATUS[code];
}

/** Message of anything thrown, for logs and answers. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
