import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyframeRequests } from '../../src/ingest/webrtc/keyframe-requests.js';
import { LipSync } from '../../src/ingest/webrtc/lip-sync.js';
import { ArrivalLog, Unwrapper } from '../../src/ingest/webrtc/rtp-timeline.js';
import { checkOffer, parseTrickleFragment } from '../../src/ingest/webrtc/sdp-offer.js';

describe('RTP timeline', () => {
  it('unwraps 32-bit timestamps and 16-bit sequence numbers across the wrap, reordering included', () => {
    const ts = new Unwrapper(32);
    assert.deepEqual([0xfffffc18, 0xfffffff0, 0x10, 0xfffffffe, 0x3e8].map((t) => ts.unwrap(t)), [0xfffffc18, 0xfffffff0, 2 ** 32 + 0x10, 0xfffffffe, 2 ** 32 + 0x3e8]);
    const seq = new Unwrapper(16);
    assert.deepEqual([65534, 65535, 0, 1, 65535, 2].map((s) => seq.unwrap(s)), [65534, 65535, 65536, 65537, 65535, 65538]);
  });

  it('traces a timestamp to the arrival of its last packet, late packets included, and forgets old ones', () => {
    const log = new ArrivalLog(9000);
    log.record(1000, 10); // frame 1000 in two packets
    log.record(1000, 12);
    log.record(4000, 40);
    log.record(7000, 70);
    log.record(4000, 95); // a retransmitted packet of frame 4000
    assert.equal(log.lastArrivalUpTo(999), undefined);
    assert.equal(log.lastArrivalUpTo(1000), 12);
    assert.equal(log.lastArrivalUpTo(5000), 95);
    assert.equal(log.lastArrivalUpTo(7000), 95);
    log.record(20000, 200);
    assert.equal(log.size, 1, 'entries 9000 ticks behind the newest are pruned');
  });
});

describe('keyframe requests', () => {
  it('asks at the start, after an unrepaired loss, and not more often than the interval', () => {
    const k = new KeyframeRequests({ lossGraceMs: 100, minIntervalMs: 500 });
    assert.equal(k.packet(10, 0), true, 'start');
    assert.equal(k.packet(11, 10), false);
    assert.equal(k.packet(13, 20), false, '12 missing, retransmission may come');
    assert.equal(k.packet(12, 60), false, 'repaired by retransmission');
    assert.equal(k.packet(15, 700), false, '14 missing');
    assert.equal(k.packet(16, 790), false);
    assert.equal(k.packet(17, 801), true, '14 not repaired within 100 ms');
    assert.equal(k.packet(19, 820), false);
    assert.equal(k.packet(20, 930), false, '18 lost, but the last request was 129 ms ago');
    assert.equal(k.packet(21, 1301), true, 'the held request goes out after the interval');
    assert.deepEqual(k.stats(), { requests: 3, lost: 2, missing: 0 });
  });
});

describe('lip sync from sender reports', () => {
  it('shifts the track that lags in capture time forward, once both tracks have a report', () => {
    const sync = new LipSync();
    // Audio's first packet arrived at 0.10 s, video's at 0.30 s of the session clock.
    sync.anchor('audio', 0.1, 48000, 48000);
    sync.anchor('video', 0.3, 90000, 90000);
    // Sender: audio RTP 48000 captured at NTP 1000.00; video RTP 90000 captured at NTP 1000.08.
    sync.senderReport('audio', 1001, 96000);
    assert.deepEqual([sync.offset('audio'), sync.offset('video')], [0, 0], 'one report is not enough');
    sync.senderReport('video', 1002.08, 270000);
    // Video was captured 0.08 s after audio but arrived 0.20 s after: audio moves 0.12 s forward.
    assert.ok(Math.abs(sync.offset('audio') - 0.12) < 1e-9, String(sync.offset('audio')));
    assert.equal(sync.offset('video'), 0);
    sync.senderReport('video', 1003.085, 360000);
    assert.equal(sync.stats().shifts, 1, 'a 5 ms wobble is left alone');
    sync.senderReport('audio', 1005, 5 * 48000 + 48000 - 48000 * 3);
    assert.equal(sync.stats().shifts, 1, 'a report asking for seconds is ignored');
  });
});

describe('SDP checks', () => {
  it('tells malformed SDP (400) from an offer without media (422)', () => {
    assert.throws(() => checkOffer('hello'), (e: { code?: string }) => e.code === 'invalid_argument');
    assert.throws(() => checkOffer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nnot sdp\r\n'), (e: { code?: string }) => e.code === 'invalid_argument');
    assert.throws(() => checkOffer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'), (e: { code?: string }) => e.code === 'unsupported_media');
    assert.deepEqual(checkOffer('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n').media, ['audio', 'video']);
  });

  it('reads trickled candidates per media section', () => {
    const f = parseTrickleFragment('a=ice-ufrag:abcd\r\na=ice-pwd:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host\r\na=end-of-candidates\r\n');
    assert.equal(f.ufrag, 'abcd');
    assert.deepEqual(f.candidates, [{ candidate: 'candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host', sdpMid: '0' }]);
    assert.equal(f.endOfCandidates, true);
  });
});
