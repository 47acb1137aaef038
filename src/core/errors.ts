/**
 * One error type for the whole pipeline, so every stage can turn a failure into the same typed error
 * event (`{type:"error", code, message}`) without branching on message text.
 */
/** Every error code an event, a log line or an API answer can carry. */
export const ERROR_CODES = [
  'source_not_found',
  'source_unreachable',
  'unsupported_media',
  'corrupt_media',
  'decode_failed',
  'invalid_argument',
  'model_missing',
  'model_checksum_mismatch',
  'model_failed',
  'worker_failed',
  'device_unavailable',
  'peer_lost',
  'unauthorized',
  'closed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Errors the stream goes on after by default: one batch of one model failed, a worker was replaced.
 * Everything else ends the stream unless its producer says otherwise.
 */
const RECOVERABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['model_failed', 'worker_failed']);

export class AffectStreamError extends Error {
  readonly code: ErrorCode;
  /** True when trying the same thing again later may succeed (network, busy resource). */
  readonly retryable: boolean;
  /** True when the stream it hit goes on (the error cost one window or one attempt, not the stream). */
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; recoverable?: boolean; cause?: unknown } = {}) {
    // Messages end up on one log line and in one JSON event: multi-line native messages are folded.
    super(message.replace(/\s*\n\s*/g, ' ').trim(), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AffectStreamError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.recoverable = options.recoverable ?? RECOVERABLE_BY_DEFAULT.has(code);
  }
}

export function toAffectStreamError(err: unknown, fallback: ErrorCode = 'internal'): AffectStreamError {
  if (err instanceof AffectStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AffectStreamError(fallback, message, { cause: err });
}
