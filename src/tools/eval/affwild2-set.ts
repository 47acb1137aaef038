/**
 * An Aff-Wild2-style folder: videos anywhere under it, and per-video annotation files under folders
 * whose names start with EXPR or VA (Aff-Wild2 ships `EXPR_Classification_Challenge/…/<video>.txt`
 * and `VA_Estimation_Challenge/…/<video>.txt`). An annotation named `<video>_left` / `_right` (two
 * people in one video) belongs to `<video>`. Every annotation must find its video and agree with its
 * length; a mismatch is an error, since scores against the wrong frames would be meaningless.
 */
import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { AffectStreamError } from '../../core/errors.js';
import { readExprAnnotation, readVaAnnotation, type ExprAnnotation, type VaAnnotation } from './affwild2-annotations.js';

const execFileAsync = promisify(execFile);
const VIDEO = /\.(mp4|avi|mkv|webm|mov)$/i;

export interface AffWild2Item {
  /** The annotation's name (the video's, or `<video>_left` / `_right`). */
  readonly name: string;
  readonly video: string;
  readonly fps: number;
  /** Frames of the video, from its stream header or duration × fps. */
  readonly frames: number;
  readonly expr: ExprAnnotation | null;
  readonly va: VaAnnotation | null;
}

export interface AffWild2Set {
  readonly root: string;
  readonly items: AffWild2Item[];
  /** Videos without any annotation (not scored). */
  readonly unannotated: string[];
}

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function annotationKind(root: string, file: string): 'expr' | 'va' | null {
  if (extname(file).toLowerCase() !== '.txt') return null;
  const dirs = relative(root, file).split(/[\\/]/).slice(0, -1).map((d) => d.toLowerCase());
  if (dirs.some((d) => d.startsWith('expr'))) return 'expr';
  if (dirs.some((d) => d.startsWith('va'))) return 'va';
  return null;
}

/** Frame rate and frame count of a video's first video stream (ffprobe). */
export async function probeVideo(path: string, ffprobe = 'ffprobe'): Promise<{ fps: number; frames: number }> {
  let out: string;
  try {
    ({ stdout: out } = await execFileAsync(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration', '-of', 'json', path]));
  } catch (e) {
    throw new AffectStreamError('corrupt_media', `cannot read the video stream of ${path}: ${(e as Error).message}`);
  }
  const parsed = JSON.parse(out) as { streams?: Array<Record<string, string | undefined>>; format?: { duration?: string } };
  const s = parsed.streams?.[0];
  if (!s) throw new AffectStreamError('unsupported_media', `${path} has no video stream`);
  const rate = (r: string | undefined) => {
    const [n, d] = (r ?? '').split('/').map(Number);
    return n && d ? n / d : Number.NaN;
  };
  const fps = Number.isFinite(rate(s.avg_frame_rate)) ? rate(s.avg_frame_rate) : rate(s.r_frame_rate);
  if (!(fps > 0)) throw new AffectStreamError('unsupported_media', `cannot tell the frame rate of ${path}`);
  const counted = Number(s.nb_frames);
  const duration = Number(s.duration ?? parsed.format?.duration);
  const frames = Number.isFinite(counted) && counted > 0 ? counted : Math.round(duration * fps);
  return { fps, frames };
}

export async function loadAffWild2Set(root: string, ffprobe = 'ffprobe'): Promise<AffWild2Set> {
  let files: string[];
  try {
    if (!statSync(root).isDirectory()) throw new Error();
    files = walk(root);
  } catch {
    throw new AffectStreamError('source_not_found', `Aff-Wild2 folder not found: ${root}`);
  }
  const videos = new Map<string, string>();
  for (const f of files.filter((f) => VIDEO.test(f))) {
    const stem = basename(f, extname(f));
    if (videos.has(stem)) throw new AffectStreamError('invalid_argument', `two videos named ${stem}: ${videos.get(stem)} and ${f}`);
    videos.set(stem, f);
  }
  if (videos.size === 0) throw new AffectStreamError('invalid_argument', `no videos (.mp4 .avi .mkv .webm .mov) under ${root}`);
  const annotations = new Map<string, { expr?: string; va?: string }>();
  for (const f of files) {
    const kind = annotationKind(root, f);
    if (!kind) continue;
    const name = basename(f, extname(f));
    const entry = annotations.get(name) ?? {};
    if (entry[kind]) throw new AffectStreamError('invalid_argument', `two ${kind.toUpperCase()} annotations named ${name}: ${entry[kind]} and ${f}`);
    entry[kind] = f;
    annotations.set(name, entry);
  }
  if (annotations.size === 0) throw new AffectStreamError('invalid_argument', `no annotation files under ${root} (expected .txt files in folders named EXPR… and/or VA…)`);
  const items: AffWild2Item[] = [];
  const used = new Set<string>();
  for (const [name, files] of [...annotations].sort(([a], [b]) => a.localeCompare(b))) {
    const stem = videos.has(name) ? name : name.replace(/_(left|right)$/, '');
    const video = videos.get(stem);
    if (!video) throw new AffectStreamError('source_not_found', `no video for annotation ${files.expr ?? files.va} (expected ${stem}.mp4 or another video named ${stem} under ${root})`);
    used.add(stem);
    const { fps, frames } = await probeVideo(video, ffprobe);
    const expr = files.expr ? readExprAnnotation(files.expr) : null;
    const va = files.va ? readVaAnnotation(files.va) : null;
    // Aff-Wild2's files can differ from the decoded frame count by a frame or two; beyond a second they describe another video.
    for (const [file, n] of [[files.expr, expr?.length], [files.va, va?.valence.length]] as const) {
      if (file && n !== undefined && Math.abs(n - frames) > Math.max(2, fps)) {
        throw new AffectStreamError('invalid_argument', `${file} has ${n} frames but ${video} has ${frames} (${fps.toFixed(2)} fps): annotation and video do not match`);
      }
    }
    items.push({ name, video, fps, frames, expr, va });
  }
  return { root, items, unannotated: [...videos.keys()].filter((v) => !used.has(v)).sort() };
}
