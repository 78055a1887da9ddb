/** Codes of the errors Tailor throws. Hot paths never throw; these are for mistakes at construction. */
export type TailorErrorCode =
  | 'invalid_options'
  | 'invalid_plan'
  | 'invalid_config'
  | 'storage_unavailable'
  /** A projection step started from an applied seq the store has moved past (another projector wrote). */
  | 'stale_projection'
  | 'transport_failed'
  | 'internal';

/**
 * The one error class Tailor throws. The message says what to do; `code` is for programs.
 *
 * @example
 * throw new TailorError('invalid_options', 'createTailor: "writeKey" is required');
 */
export class TailorError extends Error {
  readonly code: TailorErrorCode;

  constructor(code: TailorErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[tailor] ${message}`);
    this.name = 'TailorError';
    this.code = code;
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

/** True for errors Tailor threw, across realms and duplicate package copies. */
export function isTailorError(value: unknown): value is TailorError {
  return value instanceof Error && value.name === 'TailorError' && typeof (value as TailorError).code === 'string';
}
