/**
 * The peer comparison's frames: the first N analysis frames of the talking clip, decoded once by the
 * pipeline's own ingest (RGB at the analysis width) and kept in one raw file, so both libraries are
 * given byte-identical frames.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { lastValueFrom, filter, take, toArray } from 'rxjs';
import { DEFAULT_DECODE_OPTIONS, decodeUri } from '../../ingest/gst-source.js';
import type { VideoFrame } from '../../core/media.js';

export interface FrameSet {
  readonly width: number;
  readonly height: number;
  readonly frames: Uint8Array[];
}

interface Header {
  width: number;
  height: number;
  count: number;
}

/** Decodes the first `count` frames of `clip` into `path` (raw RGB plus a JSON header beside it), once. */
export async function prepareFrames(clip: string, count: number, path: string): Promise<void> {
  if (existsSync(path) && existsSync(`${path}.json`)) return;
  const frames = await lastValueFrom(
    decodeUri(pathToFileURL(clip).href, DEFAULT_DECODE_OPTIONS).pipe(
      filter((item): item is VideoFrame => item.kind === 'video'),
      take(count),
      toArray(),
    ),
  );
  if (frames.length < count) throw new Error(`${clip} has ${frames.length} analysis frames, fewer than ${count}`);
  const first = frames[0]!;
  writeFileSync(`${path}.partial`, Buffer.concat(frames.map((f) => f.rgb)));
  renameSync(`${path}.partial`, path);
  writeFileSync(`${path}.json`, JSON.stringify({ width: first.width, height: first.height, count } satisfies Header));
}

export function loadFrames(path: string): FrameSet {
  const header = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Header;
  const all = readFileSync(path);
  const size = header.width * header.height * 3;
  const frames = Array.from({ length: header.count }, (_, i) => new Uint8Array(all.buffer, all.byteOffset + i * size, size));
  return { width: header.width, height: header.height, frames };
}
