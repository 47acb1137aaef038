/** The pure parts of RTSP ingest: backoff, SDP tracks, URLs and credentials, the launch string. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../src/ingest/rtsp/backoff.js';
import { rtspLaunchString } from '../../src/ingest/rtsp/rtsp-launch.js';
import { DEFAULT_RTSP_OPTIONS, resolveRtspOptions } from '../../src/ingest/rtsp/rtsp-options.js';
import { parseRtspTarget, redactUri } from '../../src/ingest/rtsp/rtsp-url.js';
import { parseSdp } from '../../src/ingest/rtsp/sdp-tracks.js';

describe('RTSP parts', () => {
  it('backs off exponentially up to a ceiling, gives up after maxAttempts, and starts over after a success', () => {
    const backoff = new Backoff({ initialDelayMs: 200, maxDelayMs: 1000, factor: 2, maxAttempts: 6 });
    assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => backoff.next()), [200, 400, 800, 1000, 1000, 1000]);
    assert.equal(backoff.next(), undefined);
    backoff.reset();
    assert.equal(backoff.next(), 200);
    const endless = new Backoff({ initialDelayMs: 100, maxDelayMs: 100, factor: 1, maxAttempts: 0 });
    for (let i = 0; i < 1000; i++) assert.equal(endless.next(), 100);
  });

  it('reads the first video and audio track of an SDP, static payload types included', () => {
    const sdp = ['v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:stream=0', 'm=audio 0 RTP/AVP 8', 'a=control:stream=1', 'm=audio 0 RTP/AVP 97', 'a=rtpmap:97 opus/48000/2'].join('\r\n');
    assert.deepEqual(parseSdp(sdp, 'rtsp://x/'), { video: { encoding: 'H264', payloadType: 96 }, audio: { encoding: 'PCMA', payloadType: 8 } });
    assert.deepEqual(parseSdp('m=video 0 RTP/AVP 96\na=rtpmap:96 H265/90000\n', 'rtsp://x/'), { video: { encoding: 'H265', payloadType: 96 }, audio: undefined });
    assert.throws(() => parseSdp('m=application 0 RTP/AVP 107\n', 'rtsp://x/'), { code: 'unsupported_media' });
  });

  it('takes credentials from the URL or the config (config wins) and never shows the password', () => {
    const fromUrl = parseRtspTarget('rtsp://cam%40home:p%3Ass@10.0.0.5:8554/live?x=1');
    assert.deepEqual([fromUrl.url, fromUrl.user, fromUrl.password, fromUrl.port, fromUrl.secure], ['rtsp://10.0.0.5:8554/live?x=1', 'cam@home', 'p:ss', 8554, false]);
    const fromConfig = parseRtspTarget('rtsps://u:old@cam.example/s', { user: 'admin', password: 'new' });
    assert.deepEqual([fromConfig.user, fromConfig.password, fromConfig.port, fromConfig.secure], ['admin', 'new', 322, true]);
    assert.equal(redactUri('rtsp://admin:secret@cam/x'), 'rtsp://admin:***@cam/x');
    assert.throws(() => parseRtspTarget('rtsp://'), { code: 'invalid_argument' });
  });

  it('builds rtspsrc with the transport, latency and quoted credentials, one branch per track', () => {
    const target = parseRtspTarget('rtsp://127.0.0.1:8554/clip', { user: 'a"b', password: 'c\\d' });
    const launch = rtspLaunchString(target, { video: { encoding: 'H264', payloadType: 96 }, audio: undefined }, { transport: 'udp', latencyMs: 150, tlsVerify: true }, { fps: 10, width: 640, audioChunkSeconds: 0.1 });
    assert.match(launch, /^rtspsrc name=src location="rtsp:\/\/a%22b:c%5Cd@127\.0\.0\.1:8554\/clip" protocols=udp latency=150 /);
    assert.match(launch, /src\. ! application\/x-rtp,media=video ! rtph264depay ! h264parse ! avdec_h264 ! /);
    assert.doesNotMatch(launch, /media=audio/);
  });

  it('layers RTSP options field by field over the defaults', () => {
    const options = resolveRtspOptions({ transport: 'udp', reconnect: { maxDelayMs: 4000 } }, { latencyMs: 50, reconnect: { initialDelayMs: 100 } });
    assert.equal(options.transport, 'udp');
    assert.equal(options.latencyMs, 50);
    assert.deepEqual(options.reconnect, { ...DEFAULT_RTSP_OPTIONS.reconnect, maxDelayMs: 4000, initialDelayMs: 100 });
    assert.equal(options.noMediaTimeoutSeconds, 5);
  });
});
