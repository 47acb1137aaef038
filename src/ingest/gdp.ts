/**
 * Parser for GStreamer Data Protocol packets. gstreamer-superficial hands pulled buffers over without
 * their timestamps; putting `gdppay` before the appsink carries PTS, duration, caps and segment events
 * in-band, so media time survives the trip into JavaScript.
 */
export const GDP_HEADER_BYTES = 62;
const NO_TIME = 0xffffffffffffffffn;
const PAYLOAD_BUFFER = 1;
const PAYLOAD_CAPS = 2;
const PAYLOAD_EVENT_BASE = 64;

export type GdpPacket =
  | { type: 'buffer'; ptsNs: bigint | null; durationNs: bigint | null; payload: Buffer }
  | { type: 'caps'; caps: string }
  | { type: 'event'; text: string }
  | { type: 'unknown'; payloadType: number };

export function parseGdpPacket(packet: Buffer): GdpPacket {
  if (packet.length < GDP_HEADER_BYTES) throw new RangeError(`GDP packet of ${packet.length} bytes is shorter than its header`);
  const payloadType = packet.readUInt16BE(4);
  const length = packet.readUInt32BE(6);
  const payload = packet.subarray(GDP_HEADER_BYTES, GDP_HEADER_BYTES + length);
  if (payloadType === PAYLOAD_BUFFER) {
    const pts = packet.readBigUInt64BE(10);
    const duration = packet.readBigUInt64BE(18);
    return { type: 'buffer', ptsNs: pts === NO_TIME ? null : pts, durationNs: duration === NO_TIME ? null : duration, payload };
  }
  // Caps and events are NUL-terminated strings.
  const text = payload.toString('utf8').replace(/\0+$/, '');
  if (payloadType === PAYLOAD_CAPS) return { type: 'caps', caps: text };
  if (payloadType >= PAYLOAD_EVENT_BASE) return { type: 'event', text };
  return { type: 'unknown', payloadType };
}

/** Reads `field=(type)value` from a serialized GstStructure/GstCaps. */
export function capsField(caps: string, field: string): string | undefined {
  const match = new RegExp(`(?:^|[ ,])${field}=\\([a-z0-9]+\\)([^,;"]+)`, 'i').exec(caps);
  return match?.[1];
}

export function capsInt(caps: string, field: string): number | undefined {
  const value = capsField(caps, field);
  return value === undefined ? undefined : Number.parseInt(value, 10);
}

export interface SegmentTimes {
  startNs: bigint;
  baseNs: bigint;
}

/** Start and base of a time segment event, to turn buffer PTS into running time (the pipeline's one clock). */
export function parseSegmentEvent(text: string): SegmentTimes | undefined {
  if (!text.startsWith('GstEventSegment')) return undefined;
  const start = /[ ,]start=\(guint64\)(\d+)/.exec(text)?.[1];
  const base = /[ ,]base=\(guint64\)(\d+)/.exec(text)?.[1];
  if (start === undefined || base === undefined) return undefined;
  return { startNs: BigInt(start), baseNs: BigInt(base) };
}
