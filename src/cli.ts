/**
 * Command-line entry: `affectstream analyze` and `affectstream serve`. Parsing is commander's; the
 * commands themselves live in src/commands.
 */
import { Command, Option } from 'commander';
import { toAffectStreamError } from './errors.js';
import { logger } from './logger.js';
import { parseAnalysisSettings, DEFAULT_MANIFEST } from './commands/analysis-settings.js';
import { runAnalyze } from './commands/analyze.js';
import { startServer } from './commands/serve.js';
import { parseWebRtcSettings } from './commands/source-analysis.js';
import { DEVICES } from './pipeline/inference-protocol.js';

function withAnalysisOptions(command: Command): Command {
  return command
    .addOption(new Option('--fps <n>', 'analysis frames per second').default('10'))
    .addOption(new Option('--width <px>', 'width analysis frames are scaled to').default('640'))
    .addOption(new Option('--window <seconds>', 'window length in seconds: one event per window').default('1'))
    .option('--realtime', 'pace file sources like a live source', false)
    .addOption(new Option('--models <manifest>', 'model pack manifest').default(DEFAULT_MANIFEST, 'the default pack'))
    .addOption(new Option('--workers <n>', 'inference worker threads (default: planned from the cores)'))
    .addOption(new Option('--threads <n>', 'ONNX Runtime threads per worker (default: planned from the cores)'))
    .addOption(new Option('--device <device>', 'where models run; falls back to the CPU when it cannot load').choices(DEVICES).default('cpu'))
    .option('--device-strict', 'refuse to start when --device cannot load, instead of falling back', false)
    .option('--no-batching', 'send every inference request alone (the baseline batching is measured against)')
    .addOption(new Option('--batch-size <n>', 'largest batch for every model (default: per model)'))
    .addOption(new Option('--batch-delay <ms>', 'how long a request may wait for its batch to fill (default: per model)'))
    .option('--features', 'include the mean speech embedding in events', false);
}

// A reader that goes away (`analyze … | head`) ends the run quietly, as for any Unix filter.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command()
  .name('affectstream')
  .description('Says, every second, how the people in a call, broadcast or file feel.')
  .showHelpAfterError();

withAnalysisOptions(
  program
    .command('analyze')
    .description('analyse a file or URI and print one NDJSON event per window')
    .argument('<source>', 'file path or URI (file://, http(s)://, rtsp://, …), or whep+http(s)://… to pull a call from a WHEP endpoint')
    .option('--out <file>', 'write events to a file instead of stdout')
    .addOption(new Option('--whep-token <token>', 'bearer token for a WHEP source').env('AFFECTSTREAM_WHEP_TOKEN'))
    .option('--stream <id>', 'stream id in events (default: the file name)'),
).action(async (source: string, options: Record<string, unknown>) => {
  try {
    process.exitCode = await runAnalyze({
      source,
      ...(typeof options.out === 'string' ? { out: options.out } : {}),
      ...(typeof options.stream === 'string' ? { stream: options.stream } : {}),
      settings: parseAnalysisSettings(options),
      whepToken: parseWebRtcSettings({ whepToken: options.whepToken }).whepToken,
    });
  } catch (err) {
    const e = toAffectStreamError(err);
    process.stderr.write(`affectstream: error: ${e.code}: ${e.message}\n`);
    process.exitCode = 1;
  }
  // GStreamer's bus watcher threads do not end on their own; the work is done and written.
  process.exit();
});

withAnalysisOptions(
  program
    .command('serve')
    .description('serve the events of the given sources over a WebSocket feed at /v1/events')
    .option('--source <uri>', 'a source to analyse (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--whep <url>', 'a WHEP endpoint to pull a call from (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('--whep-token <token>', 'bearer token for the --whep endpoints').env('AFFECTSTREAM_WHEP_TOKEN'))
    .addOption(new Option('--whip-token <token>', 'require this bearer token from WHIP publishers (POST/PATCH/DELETE /whip/<stream>)').env('AFFECTSTREAM_WHIP_TOKEN')),
).action(async (options: Record<string, unknown>) => {
  try {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`--port must be 0..65535, got ${String(options.port)}`);
    const webrtc = parseWebRtcSettings({ whipToken: options.whipToken, whepToken: options.whepToken, whep: options.whep });
    const running = await startServer({ sources: options.source as string[], host: String(options.host), port, settings: parseAnalysisSettings(options), webrtc });
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      void running.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  } catch (err) {
    const e = toAffectStreamError(err);
    process.stderr.write(`affectstream: error: ${e.code}: ${e.message}\n`);
    process.exit(1);
  }
});

await program.parseAsync(process.argv);
