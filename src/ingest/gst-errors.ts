/**
 * Turns a GStreamer bus error into a typed error. The element that failed tells what went wrong
 * (source, type finder, demuxer, decoder) more reliably than the message text, which is localised.
 */
import { AffectStreamError, type ErrorCode } from '../core/errors.js';
import type { BusMessage } from './gstreamer-binding.js';

function failingElementType(message: BusMessage): string {
  const path = typeof message.name === 'string' ? message.name : '';
  const last = path.split('/').pop() ?? '';
  return last.split(':')[0] ?? '';
}

function codeFor(elementType: string, uri: string, text: string): ErrorCode {
  const isFile = uri.startsWith('file:');
  if (elementType === 'GstURIDecodeBin' && /URI handler/i.test(text)) return 'invalid_argument';
  if (/Src$/.test(elementType)) return isFile ? 'source_not_found' : 'source_unreachable';
  // decodebin's own errors are about what it cannot decode at all: text files, missing plugins.
  if (elementType === 'GstTypeFindElement' || elementType === 'GstDecodeBin') return 'unsupported_media';
  if (/Demux|Parse/i.test(elementType)) return 'corrupt_media';
  if (/Dec$|Decoder/i.test(elementType)) return 'decode_failed';
  return 'decode_failed';
}

const EXPLANATION: Record<ErrorCode, string> = {
  source_not_found: 'source not found',
  source_unreachable: 'source unreachable',
  unsupported_media: 'not a media file GStreamer can read',
  corrupt_media: 'media is truncated or corrupt',
  decode_failed: 'decoding failed',
  invalid_argument: 'unsupported source',
  model_missing: 'model missing',
  model_checksum_mismatch: 'model checksum mismatch',
  model_failed: 'model failed',
  worker_failed: 'worker failed',
  device_unavailable: 'execution provider unavailable',
  peer_lost: 'WebRTC peer lost',
  unauthorized: 'unauthorized',
  closed: 'closed',
  internal: 'internal error',
};

export function errorFromBus(message: BusMessage, uri: string): AffectStreamError {
  const elementType = failingElementType(message);
  const text = typeof message.message === 'string' ? message.message : 'unknown GStreamer error';
  const debugLine = typeof message.debug === 'string' ? message.debug.split('\n').pop()?.trim() : undefined;
  const code = codeFor(elementType, uri, text);
  const detail = debugLine && debugLine !== text ? `${text} (${debugLine})` : text;
  return new AffectStreamError(code, `${EXPLANATION[code]}: ${uri}: ${detail}`, {
    retryable: code === 'source_unreachable',
  });
}
