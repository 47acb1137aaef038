/**
 * WebRTC test fixtures: the fake camera and microphone files Chromium publishes (built from the same
 * face photos and espeak-ng speech as the other clips), a headless Debian Chromium driven by
 * playwright-core, a small WHIP publisher page, and a `serve` child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeFaceClip } from '../demo/make-demo-clip.js';
import { CLI, ffmpeg, photo, SMILING_FACE } from './media.js';

/** Chromium never offers loopback candidates: ICE needs an interface address (eth0 here). */
export function lanAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 interface: Chromium cannot do ICE without one');
}

export interface FakeCapture {
  readonly y4m: string;
  readonly wav: string;
  readonly mp4: string;
}

/** A smiling face that talks, as the .y4m/.wav pair Chromium's fake devices read (they loop). */
export async function makeFakeCapture(dir: string, seconds = 8): Promise<FakeCapture> {
  const mp4 = join(dir, 'talking.mp4');
  await makeFaceClip({
    output: mp4,
    width: 640,
    height: 360,
    fps: 15,
    segments: [{ ...SMILING_FACE, image: photo('sample3.jpg'), seconds, speech: 'Hello everyone, I am so happy to see you all today. This is a live test.' }],
  });
  const y4m = join(dir, 'camera.y4m');
  const wav = join(dir, 'microphone.wav');
  await ffmpeg(['-i', mp4, '-an', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', y4m]);
  await ffmpeg(['-i', mp4, '-vn', '-ac', '1', '-ar', '48000', '-c:a', 'pcm_s16le', wav]);
  return { y4m, wav, mp4 };
}

export async function launchChromium(capture: FakeCapture): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${capture.y4m}`,
      `--use-file-for-fake-audio-capture=${capture.wav}`,
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** The publisher page: camera + microphone → WHIP, as a browser app would do it (non-trickle). */
const PUBLISHER_HTML = `<!doctype html><meta charset="utf-8"><title>WHIP publisher</title><script>
window.publish = async (endpoint, token) => {
  const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 15 }, audio: true });
  const pc = new RTCPeerConnection({ iceServers: [] });
  for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const headers = { 'content-type': 'application/sdp' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
  if (response.status !== 201) throw new Error('WHIP POST answered ' + response.status + ': ' + await response.text());
  const session = new URL(response.headers.get('location'), endpoint).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
  // A WHIP client ends its session with DELETE when the page goes away.
  addEventListener('pagehide', () => fetch(session, { method: 'DELETE', headers: token ? { authorization: 'Bearer ' + token } : {}, keepalive: true }));
  window.whip = { pc, session };
  return session;
};
</script>`;

/**
 * Opens the publisher on the server's own origin (served by Playwright, so the page is a secure
 * context and needs no CORS) and starts publishing; resolves with the WHIP session URL.
 */
export async function publishFromPage(browser: Browser, serverUrl: string, stream: string, token?: string): Promise<{ page: Page; session: string }> {
  const page = await browser.newPage();
  const pageUrl = `${serverUrl}/test-publisher.html`;
  await page.route(pageUrl, (route) => route.fulfill({ contentType: 'text/html', body: PUBLISHER_HTML }));
  await page.goto(pageUrl);
  const session = await page.evaluate(([endpoint, t]) => (globalThis as unknown as { publish(e: string, t?: string): Promise<string> }).publish(endpoint!, t), [`${serverUrl}/whip/${stream}`, token] as const);
  return { page, session };
}

export interface ServeChild {
  readonly child: ChildProcess;
  /** http://host:port */
  readonly url: string;
  /** ws://host:port/v1/events */
  readonly events: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `affectstream serve` on a free port and resolves once it listens. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of stderr.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const { url, events } = JSON.parse(line) as { url: string; events: string };
        resolve({
          child,
          url,
          events,
          stderr: () => stderr,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(timer);
          },
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}
