/**
 * The benchmarks' source clip, made once and cached in bench/.cache: webcam-like 720p30 H.264 at
 * ≈2 Mb/s with AAC speech, from a face-api demo photo (slowly zooming, with sensor-like noise) and
 * espeak-ng.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
export const CACHE = join(ROOT, 'bench', '.cache');
export const RESULTS = join(ROOT, 'bench', 'results');
const PHOTOS = join(ROOT, 'models', 'vendor', '@vladmandic', 'face-api@1.7.15', 'demo');

/** Makes (once per folder) the clip with `faces` faces in view, `seconds` long; returns its path. */
export async function makeTalkingClip(faces: 1 | 3, seconds: number, dir: string = CACHE): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `talking-${faces}face-720p30-${seconds}s.mp4`);
  if (existsSync(path)) return path;
  // Written aside and renamed: an interrupted run must not leave a half clip that later runs would reuse.
  const partial = join(dir, `.partial-${process.pid}-${basename(path)}`);
  const speech = join(dir, `speech-${process.pid}.wav`);
  const sentence = 'Hello everyone, I am really happy to see you all today. This is a wonderful day, and we have a lot to talk about. ';
  await execFileAsync('espeak-ng', ['-v', 'en', '-s', '150', '-w', speech, sentence.repeat(Math.ceil(seconds / 10))]);
  // One face: the smiling woman on the right of sample3; three: the whole group.
  const crop = faces === 1 ? 'crop=720:405:1200:180' : 'crop=1440:810:480:0';
  await execFileAsync('ffmpeg', [
    '-v', 'error', '-y', '-loop', '1', '-framerate', '30', '-t', String(seconds), '-i', join(PHOTOS, 'sample3.jpg'), '-i', speech,
    '-filter_complex', `[0]${crop},scale=1280:720,zoompan=z='1+0.1*sin(on/90)':d=1:s=1280x720:fps=30,noise=alls=6:allf=t,format=yuv420p[v];[1]apad,atrim=0:${seconds}[a]`,
    '-map', '[v]', '-map', '[a]', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-maxrate', '2.5M', '-bufsize', '4M',
    '-c:a', 'aac', '-b:a', '96k', '-t', String(seconds), '-f', 'mp4', partial,
  ], { maxBuffer: 16 * 1024 * 1024 });
  rmSync(speech, { force: true });
  renameSync(partial, path);
  return path;
}
