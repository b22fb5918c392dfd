/** Errors of the device plugin adapter, with stable codes. */
export type PluginErrorCode =
  | 'DP_ERR_BAD_REQUEST'
  | 'DP_ERR_UNKNOWN_DEVICE'
  | 'DP_ERR_REGISTER'
  | 'DP_ERR_CHECKPOINT'
  | 'DP_ERR_POD_RESOURCES';

export class PluginError extends Error {
  readonly code: PluginErrorCode;
  constructor(code: PluginErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.code = code;
  }
}
