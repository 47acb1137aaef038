/**
 * The `serve --config file.json` file: sources, tokens, ports, the model pack and device, and RTSP
 * defaults, validated with messages that name the field. Settings come from, in order of precedence:
 * command-line flags, AFFECTSTREAM_* environment variables, the config file, the defaults. JSON only:
 * no YAML parser is among the project's dependencies.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AffectStreamError } from '../core/errors.js';
import { rtspOptionsSchema } from '../ingest/rtsp/rtsp-options.js';
import { isRtspUri } from '../ingest/rtsp/rtsp-url.js';
import { DEVICES } from '../pipeline/inference-protocol.js';
import { STREAM_ID } from './control-api.js';

const token = z.string().min(8, 'a bearer token needs at least 8 characters').regex(/^[\x21-\x7e]+$/, 'a bearer token is printable ASCII without spaces');

const sourceEntry = z.union([
  z.string().min(1),
  z
    .object({
      id: z.string().regex(STREAM_ID, 'a stream id is 1–64 characters of A–Z a–z 0–9 . _ -').optional(),
      source: z.string().min(1),
      options: rtspOptionsSchema.optional(),
    })
    .strict()
    .refine((r) => r.options === undefined || isRtspUri(r.source), { message: 'options apply to rtsp:// and rtsps:// sources only', path: ['options'] }),
]);

/** Analysis settings in the file use the flags' names in camelCase (`batchSize` for --batch-size). */
const analysisSchema = z
  .object({
    fps: z.number().optional(),
    width: z.number().optional(),
    window: z.number().optional(),
    realtime: z.boolean().optional(),
    models: z.string().optional(),
    workers: z.number().optional(),
    threads: z.number().optional(),
    features: z.boolean().optional(),
    device: z.enum(DEVICES).optional(),
    deviceStrict: z.boolean().optional(),
    batching: z.boolean().optional(),
    batchSize: z.number().optional(),
    batchDelay: z.number().optional(),
  })
  .strict();

export const serveConfigSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    apiToken: token.optional(),
    whipToken: token.optional(),
    whepToken: token.optional(),
    whep: z.array(z.string().regex(/^https?:\/\//i, 'a WHEP endpoint is an http(s) URL')).optional(),
    analysis: analysisSchema.optional(),
    /** Defaults for every RTSP source; a source's own `options` override them field by field. */
    rtsp: rtspOptionsSchema.optional(),
    sources: z.array(sourceEntry).optional(),
  })
  .strict();

export type ServeConfig = z.infer<typeof serveConfigSchema>;

export function loadServeConfig(path: string): ServeConfig {
  if (/\.ya?ml$/i.test(path)) throw new AffectStreamError('invalid_argument', `${path}: YAML config files are not supported; write the same settings as JSON`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AffectStreamError('invalid_argument', `cannot read the config file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AffectStreamError('invalid_argument', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseServeConfig(raw, path);
}

export function parseServeConfig(raw: unknown, path = 'config'): ServeConfig {
  const parsed = serveConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`).join('; ');
    throw new AffectStreamError('invalid_argument', `invalid config file ${path}: ${issues}`);
  }
  return withPathsFrom(parsed.data, dirname(resolve(path)));
}

/** Relative paths in the file (model pack, local sources) are relative to the file, not the cwd. */
function withPathsFrom(config: ServeConfig, base: string): ServeConfig {
  const local = (p: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    ...(config.analysis ? { analysis: { ...config.analysis, ...(config.analysis.models ? { models: local(config.analysis.models) } : {}) } } : {}),
    ...(config.sources ? { sources: config.sources.map((s) => (typeof s === 'string' ? local(s) : { ...s, source: local(s.source) })) } : {}),
  };
}

/**
 * Merges one setting's layers: the flag's value when it was given on the command line or came from
 * its environment variable, else the config file's, else the flag's default.
 */
export function layered(flags: Record<string, unknown>, sourceOf: (key: string) => string | undefined, fromFile: Record<string, unknown> | undefined): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...flags };
  for (const [key, value] of Object.entries(fromFile ?? {})) {
    const source = sourceOf(key);
    if (value !== undefined && source !== 'cli' && source !== 'env') merged[key] = value;
  }
  return merged;
}
