/**
 * A real RTSP server for tests: GStreamer's rtsp-server (src/tools/harness/rtsp-server.py, run with Debian's
 * /usr/bin/python3) serving a clip on loopback. It can be killed and started again on the same port,
 * or frozen (SIGSTOP: its sockets stay open and nothing is sent) and thawed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeFaceClip } from '../demo/make-demo-clip.js';
import { ffmpeg, photo, ROOT, SMILING_FACE } from './media.js';

const SCRIPT = join(ROOT, 'src', 'tools', 'harness', 'rtsp-server.py');

export interface RtspServerOptions {
  readonly clip: string;
  readonly video?: 'h264' | 'h265' | 'none';
  readonly audio?: 'aac' | 'opus' | 'pcma' | 'pcmu' | 'none';
  readonly user?: string;
  readonly password?: string;
}

export class RtspTestServer {
  readonly #options: RtspServerOptions;
  #child: ChildProcess | undefined;
  #port = 0;

  private constructor(options: RtspServerOptions) {
    this.#options = options;
  }

  static async start(options: RtspServerOptions): Promise<RtspTestServer> {
    const server = new RtspTestServer(options);
    await server.restart();
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** rtsp://127.0.0.1:port/clip, with credentials when given. */
  url(credentials?: { user: string; password: string }): string {
    const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@` : '';
    return `rtsp://${auth}127.0.0.1:${this.#port}/clip`;
  }

  /** Starts the server (again), on the port it had before if it had one. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('the RTSP test server is already running');
    const o = this.#options;
    const args = [SCRIPT, '--clip', o.clip, '--port', String(this.#port), '--video', o.video ?? 'h264', '--audio', o.audio ?? 'aac'];
    if (o.user) args.push('--user', o.user, '--password', o.password ?? '');
    const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    this.#port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const ready = /READY (\d+)/.exec(out);
        if (ready) resolve(Number(ready[1]));
      });
      child.once('exit', (code) => reject(new Error(`the RTSP test server exited with ${code}: ${stderr}`)));
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
  }

  /** Kills the server (its connections drop at once) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (signal === 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
  }

  /** SIGSTOP: the server's sockets stay open and nothing more is sent. */
  freeze(): void {
    this.#child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.#child?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    await this.kill('SIGKILL');
  }
}

/**
 * A talking, smiling face, 640×360 at 25 fps, H.264 + AAC, `seconds` long (the server restarts it for
 * every connection). With `h265`, the same clip as H.265.
 */
export async function makeRtspClip(dir: string, seconds = 40, codec: 'h264' | 'h265' = 'h264'): Promise<string> {
  const h264 = join(dir, `talking-${seconds}s.mp4`);
  const sentence = 'Hello everyone, I am so happy to see you all today. This is a live camera feed.';
  const parts = Math.max(1, Math.round(seconds / 8));
  await makeFaceClip({
    output: h264,
    width: 640,
    height: 360,
    fps: 25,
    segments: Array.from({ length: parts }, () => ({ ...SMILING_FACE, image: photo('sample3.jpg'), seconds: seconds / parts, speech: sentence })),
  });
  if (codec === 'h264') return h264;
  const h265 = join(dir, `talking-${seconds}s-h265.mp4`);
  await ffmpeg(['-i', h264, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=25', '-tag:v', 'hvc1', '-c:a', 'copy', h265]);
  return h265;
}
