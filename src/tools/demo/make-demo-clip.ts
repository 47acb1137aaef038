/**
 * Builds real-media test and demo clips from still photos and synthetic speech.
 *
 * Why this file exists: the project must be demonstrable and testable on a fresh machine with no
 * network, so its media comes from files the set-up already has (photos shipped in an npm package,
 * see models/sources.json) and from Debian's ffmpeg and espeak-ng. A clip is a sequence of segments,
 * each one still image (optionally cropped) shown for a fixed time while espeak-ng says a sentence or
 * the audio is silent. The audio track is continuous, and the clip's length is exactly the sum of the
 * segments' lengths (checked with ffprobe), so tests can rely on where each segment starts.
 *
 * All tools are run with execFile and argument arrays (no shell); spoken text is passed in a file.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface CropRect {
  /** Left, top, width and height in source-image pixels. Parts outside the image come out black. */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ClipSegment {
  /** Path of a still image (JPEG or anything else ffmpeg reads). */
  image: string;
  crop?: CropRect;
  /** How long the segment lasts. Rounded to whole video frames. */
  seconds: number;
  /** Text for espeak-ng; absent or empty: silence. Must fit in the segment (after the lead-in). */
  speech?: string;
  /** A recording to play instead of `speech` (any audio file ffmpeg reads); cut at the segment's end. */
  speechFile?: string;
  /** Silence before this segment's speech, s (default: the clip's speechLeadIn). */
  speechLeadIn?: number;
  /** Gaussian blur of the picture, sigma in output pixels (an out-of-focus camera); default none. */
  blur?: number;
}

export type ClipContainer = 'mp4' | 'mov' | 'mkv' | 'webm';

export interface FaceClipOptions {
  output: string;
  segments: readonly ClipSegment[];
  /** Output frame size (default 1280x720); each (cropped) image is scaled to fit and padded black. */
  width?: number;
  height?: number;
  /** Frames per second (default 30). */
  fps?: number;
  /** Default: from the output's extension (.mp4 .mov .mkv .webm), else mp4. mp4/mov/mkv: H.264 + AAC; webm: VP8 + Opus. */
  container?: ClipContainer;
  /** Audio sample rate (default 48000) and channels (default 2). */
  sampleRate?: number;
  channels?: 1 | 2;
  /** espeak-ng voice (default 'en') and words per minute (default 150). */
  voice?: string;
  wordsPerMinute?: number;
  /** Silence before the speech in each segment, in seconds (default 0.3). */
  speechLeadIn?: number;
  /** Largest accepted |duration − expected| in seconds (default 0.05). */
  tolerance?: number;
  ffmpeg?: string;
  ffprobe?: string;
  espeak?: string;
}

export interface FaceClipResult {
  output: string;
  container: ClipContainer;
  /** Sum of the segment lengths after rounding to whole frames. */
  expectedSeconds: number;
  /** ffprobe's container duration, and per-stream durations. */
  durationSeconds: number;
  videoSeconds: number;
  audioSeconds: number;
  /** Start time of each segment in the clip. */
  segmentStarts: number[];
  /** Length of each segment's speech (0 for silence). */
  speechSeconds: number[];
}

const H264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-profile:v', 'high'];
const AAC = ['-c:a', 'aac', '-b:a', '128k'];

const CONTAINERS: Record<ClipContainer, { format: string; video: string[]; audio: string[] }> = {
  mp4: { format: 'mp4', video: H264, audio: AAC },
  mov: { format: 'mov', video: H264, audio: AAC },
  mkv: { format: 'matroska', video: H264, audio: AAC },
  webm: {
    format: 'webm',
    video: ['-c:v', 'libvpx', '-b:v', '2M', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'],
    audio: ['-c:a', 'libopus', '-b:a', '96k'],
  },
};

function containerOf(output: string, given?: ClipContainer): ClipContainer {
  if (given) return given;
  const ext = extname(output).slice(1).toLowerCase();
  return ext === 'mov' || ext === 'mkv' || ext === 'webm' ? ext : 'mp4';
}

function toolError(tool: string, e: unknown): Error {
  const err = e as { stderr?: string | Buffer; message?: string; code?: unknown };
  if (err.code === 'ENOENT') {
    return new Error(`${tool} is not installed (Debian: apt-get install ffmpeg espeak-ng, or run scripts/setup.sh)`);
  }
  const stderr = (err.stderr?.toString() ?? '').trim().split('\n').slice(-8).join('\n');
  return new Error(`${tool} failed: ${stderr || err.message || String(e)}`);
}

async function run(tool: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(tool, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    throw toolError(tool, e);
  }
}

/** Width and height of an image or the first video stream of a file. */
export async function probeSize(path: string, ffprobe = 'ffprobe'): Promise<{ width: number; height: number }> {
  const out = await run(ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', resolve(path)]);
  const s = (JSON.parse(out) as { streams?: Array<{ width?: number; height?: number }> }).streams?.[0];
  if (!s?.width || !s.height) throw new Error(`cannot read the picture size of ${path}`);
  return { width: s.width, height: s.height };
}

/** Container duration and per-stream durations (seconds) of a media file. */
export async function probeDurations(path: string, ffprobe = 'ffprobe'): Promise<{ format: number; video: number; audio: number }> {
  const out = await run(ffprobe, ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,duration', '-of', 'json', resolve(path)]);
  const parsed = JSON.parse(out) as { format?: { duration?: string }; streams?: Array<{ codec_type?: string; duration?: string }> };
  const num = (v: string | undefined) => (v === undefined ? Number.NaN : Number(v));
  const format = num(parsed.format?.duration);
  const video = num(parsed.streams?.find((s) => s.codec_type === 'video')?.duration);
  const audio = num(parsed.streams?.find((s) => s.codec_type === 'audio')?.duration);
  // Matroska/WebM keep no per-stream duration: fall back to the container's.
  return { format, video: Number.isFinite(video) ? video : format, audio: Number.isFinite(audio) ? audio : format };
}

function checkNumber(name: string, v: number, min: number): void {
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min}, got ${v}`);
}

/** ffmpeg filter for one still: crop (black outside the image), scale to fit width x height, pad black. */
function stillFilter(image: { width: number; height: number }, crop: CropRect | undefined, width: number, height: number, blur = 0): string {
  const steps = ['format=rgb24'];
  if (crop) {
    const x = Math.round(crop.x);
    const y = Math.round(crop.y);
    const w = Math.round(crop.w);
    const h = Math.round(crop.h);
    const overshoot = Math.max(0, -x, -y, x + w - image.width, y + h - image.height);
    if (overshoot > 0) steps.push(`pad=${image.width + 2 * overshoot}:${image.height + 2 * overshoot}:${overshoot}:${overshoot}:black`);
    steps.push(`crop=${w}:${h}:${x + overshoot}:${y + overshoot}`);
  }
  steps.push(`scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=lanczos`);
  steps.push(`pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`, 'setsar=1');
  if (blur > 0) steps.push(`gblur=sigma=${blur}`);
  return steps.join(',');
}

/**
 * Builds a clip from `segments` (see the file comment) and checks its length with ffprobe.
 * The output is written under a temporary name first, so an interrupted run leaves no partial clip.
 */
export async function makeFaceClip(options: FaceClipOptions): Promise<FaceClipResult> {
  const width = options.width ?? 1280;
  const height = options.height ?? 720;
  const fps = options.fps ?? 30;
  const sampleRate = options.sampleRate ?? 48000;
  const channels = options.channels ?? 2;
  const leadIn = options.speechLeadIn ?? 0.3;
  const tolerance = options.tolerance ?? 0.05;
  const ffmpeg = options.ffmpeg ?? 'ffmpeg';
  const ffprobe = options.ffprobe ?? 'ffprobe';
  const espeak = options.espeak ?? 'espeak-ng';
  const container = containerOf(options.output, options.container);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width % 2 || height % 2) {
    throw new Error(`width and height must be even whole numbers, got ${width}x${height}`);
  }
  checkNumber('fps', fps, 1);
  checkNumber('speechLeadIn', leadIn, 0);
  if (options.segments.length === 0) throw new Error('a clip needs at least one segment');

  const frames = options.segments.map((s, i) => {
    checkNumber(`segments[${i}].seconds`, s.seconds, 0);
    const n = Math.round(s.seconds * fps);
    if (n < 1) throw new Error(`segments[${i}] lasts ${s.seconds} s, less than one frame at ${fps} fps`);
    if (s.crop) {
      const { x, y, w, h } = s.crop;
      if (![x, y, w, h].every(Number.isFinite) || w < 1 || h < 1) throw new Error(`segments[${i}].crop is not a valid rectangle`);
    }
    return n;
  });
  const seconds = frames.map((n) => n / fps);
  const samples = frames.map((n) => Math.round((n * sampleRate) / fps));
  const output = resolve(options.output);
  await mkdir(dirname(output), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'affectstream-clip-'));
  const partial = join(dirname(output), `.${process.pid}-${Date.now()}.partial`);
  try {
    // 1. One ready-sized still per segment, and one speech WAV per spoken segment.
    const stills: string[] = [];
    const speech: Array<string | null> = [];
    const speechSeconds: number[] = [];
    for (const [i, seg] of options.segments.entries()) {
      const size = await probeSize(seg.image, ffprobe);
      const still = join(work, `still-${i}.png`);
      await run(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-i', resolve(seg.image), '-vf', stillFilter(size, seg.crop, width, height, seg.blur), '-frames:v', '1', still]);
      stills.push(still);
      const segLeadIn = seg.speechLeadIn ?? leadIn;
      if (seg.speechFile) {
        const wav = join(work, `speech-${i}.wav`);
        // Recordings are cut to fit; their own leading silence stays, as a real speaker's pause would.
        await run(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-i', resolve(seg.speechFile), '-t', String(Math.max(0.01, (seconds[i] as number) - segLeadIn)), wav]);
        speech.push(wav);
        speechSeconds.push((await probeDurations(wav, ffprobe)).format);
        continue;
      }
      const text = seg.speech?.trim() ?? '';
      if (text === '') {
        speech.push(null);
        speechSeconds.push(0);
        continue;
      }
      const textFile = join(work, `speech-${i}.txt`);
      const wav = join(work, `speech-${i}.wav`);
      await writeFile(textFile, text, 'utf8');
      const args = ['-v', options.voice ?? 'en', '-s', String(options.wordsPerMinute ?? 150), '-w', wav, '-f', textFile];
      await run(espeak, args);
      const spoken = (await probeDurations(wav, ffprobe)).format;
      if (!(spoken + segLeadIn <= (seconds[i] as number))) {
        throw new Error(
          `segments[${i}]: the speech lasts ${spoken.toFixed(2)} s (+${segLeadIn} s lead-in), longer than the segment's ${seconds[i]} s; ` +
            'shorten the text or lengthen the segment',
        );
      }
      speech.push(wav);
      speechSeconds.push(spoken);
    }

    // 2. One ffmpeg run: loop each still for its frame count, pad each speech track with silence to
    //    the segment's exact sample count, and concatenate video and audio in step.
    const inputs: string[] = [];
    const filters: string[] = [];
    const layout = channels === 1 ? 'mono' : 'stereo';
    const aformat = `aformat=sample_fmts=fltp:sample_rates=${sampleRate}:channel_layouts=${layout}`;
    let input = 0;
    const pairs: string[] = [];
    for (const [i, still] of stills.entries()) {
      inputs.push('-loop', '1', '-framerate', String(fps), '-t', String((frames[i] as number + 1) / fps), '-i', still);
      filters.push(`[${input}:v]format=yuv420p,trim=end_frame=${frames[i]},setpts=PTS-STARTPTS[v${i}]`);
      input++;
      const wav = speech[i];
      if (wav) {
        inputs.push('-i', wav);
        const delayMs = Math.round((options.segments[i]!.speechLeadIn ?? leadIn) * 1000);
        filters.push(
          `[${input}:a]aresample=${sampleRate},adelay=${delayMs}:all=1,${aformat},apad=whole_len=${samples[i]},` +
            `atrim=end_sample=${samples[i]},asetpts=PTS-STARTPTS[a${i}]`,
        );
        input++;
      } else {
        filters.push(`anullsrc=r=${sampleRate}:cl=${layout},${aformat},atrim=end_sample=${samples[i]},asetpts=PTS-STARTPTS[a${i}]`);
      }
      pairs.push(`[v${i}][a${i}]`);
    }
    filters.push(`${pairs.join('')}concat=n=${stills.length}:v=1:a=1[v][a]`);
    const spec = CONTAINERS[container];
    await run(ffmpeg, [
      '-nostdin', '-v', 'error', '-y',
      ...inputs,
      '-filter_complex', filters.join(';'),
      '-map', '[v]', '-map', '[a]',
      '-r', String(fps),
      ...spec.video, '-g', String(Math.max(1, Math.round(fps * 2))),
      ...spec.audio, '-ar', String(sampleRate), '-ac', String(channels),
      '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact',
      ...(container === 'mp4' || container === 'mov' ? ['-movflags', '+faststart'] : []),
      '-f', spec.format, partial,
    ]);

    // 3. Check the length before the clip takes its final name.
    const expectedSeconds = frames.reduce((a, n) => a + n, 0) / fps;
    const d = await probeDurations(partial, ffprobe);
    const worst = Math.max(Math.abs(d.format - expectedSeconds), Math.abs(d.video - expectedSeconds), Math.abs(d.audio - expectedSeconds));
    if (!(worst < tolerance)) {
      throw new Error(
        `clip length check failed: expected ${expectedSeconds.toFixed(3)} s, got container ${d.format} s, video ${d.video} s, audio ${d.audio} s`,
      );
    }
    await rename(partial, output);
    const segmentStarts: number[] = [];
    let t = 0;
    for (const s of seconds) {
      segmentStarts.push(t);
      t += s;
    }
    return {
      output, container, expectedSeconds, durationSeconds: d.format, videoSeconds: d.video, audioSeconds: d.audio,
      segmentStarts, speechSeconds,
    };
  } finally {
    await rm(partial, { force: true });
    await rm(work, { recursive: true, force: true });
  }
}

/** Photos used by the demo, inside the vendor layout (listed in models/sources.json). */
export const DEMO_PHOTOS_DIR = join('@vladmandic', 'face-api@1.7.15', 'demo');

/**
 * The set-up's demo clip (about 12 s, 1280x720, 30 fps, H.264 + AAC unless the extension says otherwise):
 * 6 s of the smiling woman at the right of sample3.jpg while a cheerful sentence is spoken, then 6 s of
 * the woman at the left of sample1.jpg with a calmer sentence. Crops are about 3x the face's height, so the
 * face fills about a third of the frame height; they are narrowed on the side of a neighbour so that no
 * second face shows.
 */
export async function makeDemoClip(vendorDir: string, outPath: string): Promise<FaceClipResult> {
  const photos = join(vendorDir, DEMO_PHOTOS_DIR);
  return makeFaceClip({
    output: outPath,
    segments: [
      {
        // Face ≈ x 1465, y 330, side 280 in the 1920x1350 original; her neighbour's face ends at x ≈ 1350.
        image: join(photos, 'sample3.jpg'),
        crop: { x: 1370, y: 50, w: 550, h: 840 },
        seconds: 6,
        speech: 'Hello everyone! I am so happy to see you today. What wonderful news!',
      },
      {
        // Face ≈ x 395, y 370, side 250 in the 1920x1280 original; her neighbour's hair starts at x ≈ 840.
        image: join(photos, 'sample1.jpg'),
        crop: { x: 150, y: 120, w: 690, h: 750 },
        seconds: 6,
        speech: 'Well, let me think about that for a moment. I am not sure yet.',
      },
    ],
  });
}
