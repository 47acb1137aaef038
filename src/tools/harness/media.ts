/**
 * Shared test fixtures: generated media (ffmpeg test sources, espeak-ng speech, face photos shipped in
 * @vladmandic/face-api's npm package, fetched by the set-up), temp folders and a CLI runner.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { makeFaceClip, type ClipSegment } from '../demo/make-demo-clip.js';

export const execFileAsync = promisify(execFile);
export const ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
export const VENDOR = join(ROOT, 'models', 'vendor');
export const CLI = join(ROOT, 'bin', 'affectstream.cjs');
const PHOTOS = join(VENDOR, '@vladmandic', 'face-api@1.7.15', 'demo');

export function photo(name: string): string {
  const path = join(PHOTOS, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run the set-up (npm run models) first`);
  return path;
}

export function tempDir(prefix = 'affectstream-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs ffmpeg with the given arguments (quiet, overwrite). */
export async function ffmpeg(args: string[]): Promise<void> {
  await execFileAsync('ffmpeg', ['-v', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** A few seconds of test pattern and tone, in any container ffmpeg writes. */
export async function makePatternClip(path: string, options: { seconds: number; video?: boolean; audio?: boolean; size?: string; codecs?: string[] }): Promise<string> {
  const inputs: string[] = [];
  if (options.video !== false) inputs.push('-f', 'lavfi', '-i', `testsrc2=size=${options.size ?? '320x240'}:rate=30`);
  if (options.audio !== false) inputs.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  await ffmpeg([...inputs, '-t', String(options.seconds), ...(options.codecs ?? []), path]);
  return path;
}

/** Crops of the face-api demo photos used across tests: a clearly smiling face, and a scene with no face. */
export const SMILING_FACE: ClipSegment = { image: '', crop: { x: 1325, y: 190, w: 560, h: 560 }, seconds: 10 };
export const NO_FACE: ClipSegment = { image: '', crop: { x: 0, y: 900, w: 600, h: 400 }, seconds: 10 };

/** The 20 s clip of the must-show test: 10 s of a smiling face, then 10 s of a room without anyone. */
export async function makeSmileThenEmptyClip(path: string): Promise<string> {
  await makeFaceClip({
    output: path,
    segments: [
      { ...SMILING_FACE, image: photo('sample3.jpg'), speech: 'Hello everyone, I am so happy to see you all today.' },
      { ...NO_FACE, image: photo('sample2.jpg'), speech: 'Nobody is in the picture now, but you can still hear me.' },
    ],
  });
  return path;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export function parseNdjson<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
