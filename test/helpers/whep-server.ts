/**
 * A small WHEP endpoint for tests, the way an SFU would serve a call: a werift peer that answers a
 * viewer's offer and sends a clip as H.264 + Opus (the clip's H.264 is repacketized, not re-encoded;
 * its AAC is transcoded to Opus), paced in real time by GStreamer. When the clip ends, the peer
 * connection is closed, as a media server does when the call ends.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MediaStreamTrack, RTCPeerConnection, useH264, useOPUS } from 'werift';
import { closePipeline, openPipeline, type AppSink, type GstPipeline } from '../../src/ingest/gstreamer-binding.js';
import { waitForGathering } from '../../src/ingest/webrtc/peer-session.js';

export interface WhepServer {
  /** The endpoint to POST offers to: http://127.0.0.1:port/whep/call */
  readonly endpoint: string;
  /** Sessions created, and DELETEs received. */
  readonly stats: { sessions: number; deletes: number };
  close(): Promise<void>;
}

interface Sending {
  pc: RTCPeerConnection;
  pipeline?: GstPipeline;
}

function senderLaunch(clip: string): string {
  return (
    `filesrc location="${clip}" ! qtdemux name=d ` +
    `d.video_0 ! queue ! h264parse config-interval=-1 ! rtph264pay pt=96 mtu=1200 config-interval=-1 ! appsink name=v sync=true ` +
    `d.audio_0 ! queue ! aacparse ! avdec_aac ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=111 ! appsink name=a sync=true`
  );
}

export async function startWhepServer(clip: string): Promise<WhepServer> {
  const sessions = new Map<string, Sending>();
  const stats = { sessions: 0, deletes: 0 };
  const stop = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    if (s.pipeline) closePipeline(s.pipeline);
    void s.pc.close();
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const [, , , id] = (request.url ?? '').split('/');
      if (request.method === 'DELETE' && id) {
        stats.deletes += 1;
        stop(id);
        response.writeHead(200).end();
        return;
      }
      if (request.method !== 'POST') {
        response.writeHead(405).end();
        return;
      }
      let offer = '';
      for await (const chunk of request as AsyncIterable<Buffer>) offer += chunk.toString();
      const pc = new RTCPeerConnection({ codecs: { video: [useH264()], audio: [useOPUS()] }, iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
      const tracks = { video: new MediaStreamTrack({ kind: 'video' }), audio: new MediaStreamTrack({ kind: 'audio' }) };
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      for (const t of pc.getTransceivers()) {
        if (t.kind !== 'video' && t.kind !== 'audio') continue;
        t.sender.replaceTrack(tracks[t.kind]);
        t.setDirection('sendonly');
      }
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForGathering(pc, 3000);
      const sessionId = randomUUID();
      const sending: Sending = { pc };
      sessions.set(sessionId, sending);
      stats.sessions += 1;
      pc.connectionStateChange.subscribe((state) => {
        if (state !== 'connected' || sending.pipeline) return;
        const pipeline = openPipeline(senderLaunch(clip));
        sending.pipeline = pipeline;
        let open = 2;
        const pump = (sink: AppSink, track: MediaStreamTrack) => {
          sink.pull((buf) => {
            if (!sessions.has(sessionId)) return;
            if (!buf) {
              open -= 1;
              // The call is over: the media server hangs up.
              if (open === 0) setTimeout(() => stop(sessionId), 200);
              return;
            }
            track.writeRtp(buf);
            pump(sink, track);
          });
        };
        pipeline.play();
        pump(pipeline.findChild('v')!, tracks.video);
        pump(pipeline.findChild('a')!, tracks.audio);
      });
      response.writeHead(201, { 'content-type': 'application/sdp', location: `/whep/call/${sessionId}` }).end(pc.localDescription!.sdp);
    })().catch((err: unknown) => response.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/whep/call`,
    stats,
    close: async () => {
      for (const id of [...sessions.keys()]) stop(id);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
