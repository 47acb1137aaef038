/**
 * Settings of an RTSP source, with their defaults and the schema that checks them wherever they come
 * from (config file, control API, command line), with messages that name the field.
 */
import { z } from 'zod';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { RtspTransport } from './rtsp-launch.js';

export interface RtspSourceOptions {
  /** RTP over the RTSP TCP connection (`tcp`, works through NAT and firewalls), plain `udp`, or `auto`. */
  readonly transport: RtspTransport;
  /** rtspsrc's jitter buffer, ms. */
  readonly latencyMs: number;
  /** Credentials; override those in the URL. */
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** rtsps: check the server's certificate. */
  readonly tlsVerify: boolean;
  readonly reconnect: BackoffOptions;
  /** A live feed whose audio or video sends nothing for this long counts as dropped (a frozen server). */
  readonly noMediaTimeoutSeconds: number;
  /** Time a connection has from its start to deliver its first media. */
  readonly openTimeoutSeconds: number;
  /** Time the server has to answer DESCRIBE. */
  readonly describeTimeoutSeconds: number;
}

export const DEFAULT_RTSP_OPTIONS: Readonly<RtspSourceOptions> = Object.freeze({
  transport: 'tcp',
  latencyMs: 200,
  user: undefined,
  password: undefined,
  tlsVerify: true,
  reconnect: DEFAULT_BACKOFF,
  noMediaTimeoutSeconds: 5,
  openTimeoutSeconds: 10,
  describeTimeoutSeconds: 5,
});

export const rtspOptionsSchema = z
  .object({
    transport: z.enum(['tcp', 'udp', 'auto']).optional(),
    latencyMs: z.number().int().min(0).max(10_000).optional(),
    user: z.string().min(1).max(256).optional(),
    password: z.string().max(256).optional(),
    tlsVerify: z.boolean().optional(),
    reconnect: z
      .object({
        initialDelayMs: z.number().int().min(0).max(600_000).optional(),
        maxDelayMs: z.number().int().min(0).max(600_000).optional(),
        factor: z.number().min(1).max(10).optional(),
        maxAttempts: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    noMediaTimeoutSeconds: z.number().min(0.5).max(600).optional(),
    openTimeoutSeconds: z.number().min(1).max(600).optional(),
    describeTimeoutSeconds: z.number().min(0.5).max(600).optional(),
  })
  .strict();

export type RtspOptionsInput = z.infer<typeof rtspOptionsSchema>;

/** Defaults, then each layer in turn (later layers win), field by field. */
export function resolveRtspOptions(...layers: Array<RtspOptionsInput | undefined>): RtspSourceOptions {
  let options: RtspSourceOptions = DEFAULT_RTSP_OPTIONS;
  for (const layer of layers) {
    if (!layer) continue;
    const { reconnect, ...rest } = layer;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const reconnectDefined = Object.fromEntries(Object.entries(reconnect ?? {}).filter(([, v]) => v !== undefined));
    options = { ...options, ...defined, reconnect: { ...options.reconnect, ...reconnectDefined } };
  }
  if (options.reconnect.maxDelayMs < options.reconnect.initialDelayMs) {
    options = { ...options, reconnect: { ...options.reconnect, maxDelayMs: options.reconnect.initialDelayMs } };
  }
  return options;
}
