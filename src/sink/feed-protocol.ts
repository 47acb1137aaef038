/**
 * The messages of the event feed (/v1/events), client → server and server → client, as zod schemas.
 * The server validates what clients send with them at run time; `feedJsonSchemas()` turns the same
 * definitions into the JSON Schema published in docs/feed-protocol.md, which the tests validate every
 * emitted message against. Event objects are open (`additionalProperties` allowed): events gain fields
 * over time and a field is never renamed (see events.ts).
 */
import { z } from 'zod';
import { affectEventSchema as coreAffectEventSchema, errorEventSchema as coreErrorEventSchema, statusEventSchema as coreStatusEventSchema } from '../core/events.js';

export const FEED_PROTOCOL_VERSION = 1;
export const FEED_PATH = '/v1/events';
export const EVENT_TYPES = ['affect', 'status', 'error'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const streamId = z.string().min(1).max(256);
const seq = z.number().int().min(0);
const requestId = z.string().max(64);

// ── client → server ────────────────────────────────────────────────────────────────────────────

export const subscribeMessageSchema = z.strictObject({
  type: z.literal('subscribe'),
  /** Echoed in `subscribed` (and in an `error` about this message). */
  id: requestId.optional(),
  /** `*`: every stream the token may read, including streams that start later; a list: those; `[]`: none. */
  streams: z.union([z.literal('*'), z.array(streamId).max(256)]),
  /** Event types to receive; all when absent. */
  types: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional(),
  /** Streams not named in `resume`: `all` replays the replay buffer first (the default), `none` sends live events only. */
  replay: z.enum(['all', 'none']).optional(),
  /** Per stream, the last `feed.seq` the client has: the feed sends what came after it (or a `gap`). */
  resume: z.record(streamId, seq).optional(),
});

export const pingMessageSchema = z.strictObject({ type: z.literal('ping'), id: requestId.optional() });

export const clientMessageSchema = z.discriminatedUnion('type', [subscribeMessageSchema, pingMessageSchema]);

export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;
export type PingMessage = z.infer<typeof pingMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;

// ── server → client ────────────────────────────────────────────────────────────────────────────

/** Added by the feed to every event: per-stream feed sequence (every event type) and emission time. */
export const feedMetaSchema = z.strictObject({ seq, ts: z.number().int().min(0) });

// Events on the wire: the core schemas, open to fields added later, with the feed's sequence and
// time; error codes stay open too, so a client validating with an older schema accepts new codes.
export const affectEventSchema = coreAffectEventSchema.extend({ feed: feedMetaSchema }).loose();
export const statusEventSchema = coreStatusEventSchema.extend({ feed: feedMetaSchema }).loose();
export const streamErrorEventSchema = coreErrorEventSchema.extend({ code: z.string().min(1), feed: feedMetaSchema }).loose();

export const helloMessageSchema = z.strictObject({
  type: z.literal('hello'),
  version: z.literal(FEED_PROTOCOL_VERSION),
  /** Changes when the server restarts: `feed.seq` values of another instance cannot be resumed. */
  instance: z.string(),
  /** Streams the client may read that the feed knows (live or in the replay buffer). */
  streams: z.array(streamId),
  /** Per stream, the `feed.seq` of its latest event (a client that wants live events only starts after it). */
  last_seq: z.record(streamId, seq),
  heartbeat_ms: z.number().int().min(1),
  idle_timeout_ms: z.number().int().min(1),
  max_message_bytes: z.number().int().min(1),
  replay_per_stream: z.number().int().min(0),
});

export const subscribedMessageSchema = z.strictObject({
  type: z.literal('subscribed'),
  id: requestId.optional(),
  streams: z.union([z.literal('*'), z.array(streamId)]),
  types: z.array(z.enum(EVENT_TYPES)),
});

/** Events a resuming client asked for that the replay buffer no longer holds. */
export const gapMessageSchema = z.strictObject({ type: z.literal('gap'), stream: streamId, from: seq, to: seq });

/** Events dropped for a client that fell behind, per stream (`from`..`to`: the feed seqs skipped). */
export const laggedMessageSchema = z.strictObject({
  type: z.literal('lagged'),
  dropped: z.number().int().min(1),
  streams: z.record(streamId, z.strictObject({ dropped: z.number().int().min(1), from: seq, to: seq })),
});

export const pongMessageSchema = z.strictObject({ type: z.literal('pong'), id: requestId.optional(), ts: z.number().int().min(0) });

export const FEED_ERROR_CODES = ['bad_message', 'message_too_large', 'forbidden'] as const;
export type FeedErrorCode = (typeof FEED_ERROR_CODES)[number];

/** The answer to a client message the feed cannot use; it has no `stream` (stream errors always do). */
export const feedErrorMessageSchema = z.strictObject({
  type: z.literal('error'),
  code: z.enum(FEED_ERROR_CODES),
  message: z.string(),
  id: requestId.optional(),
});

export const serverMessageSchema = z.union([
  helloMessageSchema,
  subscribedMessageSchema,
  affectEventSchema,
  statusEventSchema,
  streamErrorEventSchema,
  gapMessageSchema,
  laggedMessageSchema,
  pongMessageSchema,
  feedErrorMessageSchema,
]);

export type HelloMessage = z.infer<typeof helloMessageSchema>;
export type SubscribedMessage = z.infer<typeof subscribedMessageSchema>;
export type GapMessage = z.infer<typeof gapMessageSchema>;
export type LaggedMessage = z.infer<typeof laggedMessageSchema>;
export type PongMessage = z.infer<typeof pongMessageSchema>;
export type FeedErrorMessage = z.infer<typeof feedErrorMessageSchema>;
export type FeedMeta = z.infer<typeof feedMetaSchema>;

const MESSAGE_SCHEMAS = {
  subscribe: subscribeMessageSchema,
  ping: pingMessageSchema,
  hello: helloMessageSchema,
  subscribed: subscribedMessageSchema,
  affect: affectEventSchema,
  status: statusEventSchema,
  stream_error: streamErrorEventSchema,
  gap: gapMessageSchema,
  lagged: laggedMessageSchema,
  pong: pongMessageSchema,
  feed_error: feedErrorMessageSchema,
  client: clientMessageSchema,
  server: serverMessageSchema,
} as const;

export type FeedSchemaName = keyof typeof MESSAGE_SCHEMAS;

/** JSON Schema (draft 2020-12) of every message type, and of `client` and `server` (any message each way). */
export function feedJsonSchemas(): Record<FeedSchemaName, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(MESSAGE_SCHEMAS).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>])) as Record<FeedSchemaName, Record<string, unknown>>;
}

/** Parses one client message: the message, or a one-line reason naming the field at fault. */
export function parseClientMessage(text: string): { ok: true; message: ClientMessage } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = clientMessageSchema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join('.') : 'message'}: ${i.message}`);
  return { ok: false, reason: issues.join('; ') };
}
