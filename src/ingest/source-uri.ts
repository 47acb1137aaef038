/**
 * Accepts what a user types as a source (a path or a URI) and returns the URI GStreamer gets, failing
 * early with a clear error for a local file that is not there.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AffectStreamError } from '../core/errors.js';

const URI_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

export function toSourceUri(input: string): string {
  if (input.trim() === '') throw new AffectStreamError('invalid_argument', 'the source is empty: give a file path or a URI');
  if (URI_SCHEME.test(input)) {
    if (input.startsWith('file://')) checkLocalFile(new URL(input).pathname, input);
    return input;
  }
  const path = resolve(input);
  checkLocalFile(path, input);
  return pathToFileURL(path).href;
}

function checkLocalFile(path: string, asGiven: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new AffectStreamError('source_not_found', `source not found: no such file: ${asGiven}`);
  }
  if (!stats.isFile()) throw new AffectStreamError('source_not_found', `source not found: not a regular file: ${asGiven}`);
}

/** A short, stable stream id from a source (its file name or last path segment). */
export function defaultStreamId(input: string): string {
  const withoutQuery = input.split(/[?#]/)[0] ?? input;
  const last = withoutQuery.replace(/\/+$/, '').split('/').pop() ?? 'stream';
  return last.replace(/[^A-Za-z0-9._-]/g, '_') || 'stream';
}
