/** Structured logs go to stderr, so stdout stays clean NDJSON for `analyze`. */
import { pino } from 'pino';

export const logger = pino({ level: process.env.AFFECTSTREAM_LOG_LEVEL ?? 'info', base: { app: 'affectstream' } }, pino.destination({ fd: 2, sync: true }));
export type Logger = typeof logger;
