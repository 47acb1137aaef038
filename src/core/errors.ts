/**
 * One error type for the whole pipeline, so every stage can turn a failure into the same typed error
 * event (`{type:"error", code, message}`) without branching on message text.
 */
export type ErrorCode =
  | 'source_not_found'
  | 'source_unreachable'
  | 'unsupported_media'
  | 'corrupt_media'
  | 'decode_failed'
  | 'invalid_argument'
  | 'model_missing'
  | 'model_checksum_mismatch'
  | 'model_failed'
  | 'worker_failed'
  | 'device_unavailable'
  | 'peer_lost'
  | 'unauthorized'
  | 'closed'
  | 'internal';

export class AffectStreamError extends Error {
  readonly code: ErrorCode;
  /** True when trying the same thing again later may succeed (network, busy resource). */
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    // Messages end up on one log line and in one JSON event: multi-line native messages are folded.
    super(message.replace(/\s*\n\s*/g, ' ').trim(), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AffectStreamError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

export function toAffectStreamError(err: unknown, fallback: ErrorCode = 'internal'): AffectStreamError {
  if (err instanceof AffectStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AffectStreamError(fallback, message, { cause: err });
}
