/**
 * Child-process entry that runs one RTSP connection's GStreamer pipeline. Each connection gets its own
 * process because gstreamer-superficial never frees a pipeline (its bus poll holds a reference for
 * good): in one long-lived process every reconnect would leak the pipeline's memory and sockets.
 * Ending the process frees all of it, and a GStreamer call that hangs on a frozen server cannot block
 * the server's event loop.
 *
 * Protocol with the parent (rtsp-connection.ts): stdin carries one JSON line `{"launch": …}` (so no
 * credential ever shows in a process list), then stays open; when it closes, the child exits. Out:
 * GDP packets of the appsinks `video` → fd 3 and `audio` → fd 4; JSON lines on stdout:
 * `{"type":"started","epochMs"}` when the pipeline's running time starts, `{"type":"error",…}` (the
 * bus message), `{"type":"eos"}`.
 */
import { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { closePipeline, openPipeline, watchBus, type AppSink, type BusMessage } from '../gstreamer-binding.js';

const FDS = { video: 3, audio: 4 } as const;

function report(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function run(launch: string): void {
  let pipeline;
  try {
    pipeline = openPipeline(launch);
  } catch (err) {
    report({ type: 'error', message: `cannot build the pipeline: ${String(err)}`, name: '' });
    process.exit(1);
  }
  const stop = () => {
    void closePipeline(pipeline).then(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  watchBus(pipeline, (message: BusMessage) => {
    if (message.type === 'error') report({ type: 'error', message: message.message, debug: message.debug, name: message.name });
    else if (message.type === 'eos') report({ type: 'eos' });
  });
  report({ type: 'started', epochMs: performance.timeOrigin + performance.now() });
  pipeline.play();
  // After play(): an appsink still in READY answers a pull with end of stream.
  for (const kind of ['video', 'audio'] as const) {
    const sink = pipeline.findChild(kind);
    if (sink) pump(sink, new Socket({ fd: FDS[kind], readable: false, writable: true }));
  }
}

/** Pulls packets and writes them to the parent, waiting while the pipe is full. */
function pump(sink: AppSink, out: Socket): void {
  out.on('error', () => process.exit(0));
  const onPacket = (packet: Buffer | null) => {
    if (!packet) {
      out.end();
      return;
    }
    if (out.write(packet)) sink.pull(onPacket);
    else out.once('drain', () => sink.pull(onPacket));
  };
  sink.pull(onPacket);
}

const lines = createInterface({ input: process.stdin });
lines.once('line', (line) => {
  const { launch } = JSON.parse(line) as { launch: string };
  run(launch);
});
