/**
 * The call bot end to end: `affectstream analyze whep+http://…` pulls a call (a talking, smiling face)
 * from a WHEP endpoint the test runs (a werift sender, H.264 + Opus), prints per-second events with the
 * face and the speech. When the call ends, the test sender simply stops: werift 0.24.4 sends neither a
 * DTLS close alert nor an RTCP BYE on close, so the bot sees a peer that stopped sending and ends the
 * stream with a `peer_lost` error (a real SFU's hang-up closes DTLS, which ends the stream cleanly).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeFaceClip } from '../../src/tools/demo/make-demo-clip.js';
import type { AffectEvent, StreamEvent } from '../../src/core/events.js';
import { parseNdjson, photo, runCli, SMILING_FACE, tempDir } from '../../src/tools/harness/media.js';
import { startWhepServer, type WhepServer } from '../helpers/whep-server.js';

describe('WHEP call bot', () => {
  let dir: string;
  let whep: WhepServer;

  before(async () => {
    dir = tempDir();
    const clip = join(dir, 'call.mp4');
    await makeFaceClip({
      output: clip,
      width: 640,
      height: 360,
      fps: 25,
      segments: [{ ...SMILING_FACE, image: photo('sample3.jpg'), seconds: 8, speech: 'Hello everyone, I am so happy to see you all on this call today.' }],
    });
    whep = await startWhepServer(clip);
  });
  after(async () => {
    await whep?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls a call from a WHEP endpoint and analyses it until the call stops', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', `whep+${whep.endpoint}`, '--workers', '1'], { timeoutMs: 60_000 });
    const events = parseNdjson<StreamEvent>(stdout);
    assert.deepEqual(events[0], { type: 'status', stream: 'call', state: 'started', windows: 0, tracks: { audio: true, video: true } });
    const [error, last] = events.slice(-2);
    assert.equal(error?.type === 'error' ? error.code : error?.type, 'peer_lost', stdout.slice(-500));
    assert.equal(last?.type === 'status' ? last.state : last?.type, 'failed');
    assert.equal(code, 1);
    assert.match(stderr, /peer_lost: call: no (audio|video) for 5 s/);
    const windows = events.filter((e): e is AffectEvent => e.type === 'affect');
    assert.ok(windows.length >= 5, `${windows.length} windows of an 8 s call`);
    assert.ok(windows.filter((w) => w.faces.length >= 1 && w.expression?.label === 'Happiness').length >= windows.length - 2, `faces: ${windows.map((w) => w.expression?.label)}`);
    assert.ok(windows.some((w) => (w.voice?.speech_ratio ?? 0) > 0.3), `speech: ${windows.map((w) => w.voice?.speech_ratio)}`);
    assert.equal(whep.stats.sessions, 1);
  });
});
