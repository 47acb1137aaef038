/**
 * Command-line entry: `affectstream analyze` and `affectstream serve`. Parsing is commander's; the
 * commands themselves live in src/commands.
 */
import { Command, Option } from 'commander';
import { toAffectStreamError } from '../core/errors.js';
import { logger } from '../core/logger.js';
import { parseAnalysisSettings, DEFAULT_MANIFEST } from '../server/analysis-settings.js';
import { runAnalyze } from '../server/analyze-job.js';
import { runAffWild2Eval, runEval } from './eval-command.js';
import { parseActors, runAudioEval } from './eval-audio-command.js';
import { startServer } from '../server/serve.js';
import { parseWebRtcSettings } from '../server/source-analysis.js';
import { layered, loadServeConfig } from '../server/serve-config.js';
import { rtspOptionsSchema, resolveRtspOptions, type RtspOptionsInput } from '../ingest/rtsp/rtsp-options.js';
import { AffectStreamError } from '../core/errors.js';
import { DEVICES } from '../pipeline/inference-protocol.js';
import { parseTokenFlag } from '../sink/auth.js';

function withAnalysisOptions(command: Command): Command {
  return command
    .addOption(new Option('--fps <n>', 'analysis frames per second').default('10'))
    .addOption(new Option('--width <px>', 'width analysis frames are scaled to').default('640'))
    .addOption(new Option('--window <seconds>', 'window length in seconds: one event per window').default('1'))
    .option('--realtime', 'pace file sources like a live source', false)
    .addOption(new Option('--models <manifest>', 'model pack manifest').default(DEFAULT_MANIFEST, 'the default pack').env('AFFECTSTREAM_MODELS'))
    .addOption(new Option('--workers <n>', 'inference worker threads (default: planned from the cores)').env('AFFECTSTREAM_WORKERS'))
    .addOption(new Option('--threads <n>', 'ONNX Runtime threads per worker (default: planned from the cores)'))
    .addOption(new Option('--device <device>', 'where models run; falls back to the CPU when it cannot load').choices(DEVICES).default('cpu').env('AFFECTSTREAM_DEVICE'))
    .option('--device-strict', 'refuse to start when --device cannot load, instead of falling back', false)
    .option('--no-batching', 'send every inference request alone (the baseline batching is measured against)')
    .addOption(new Option('--batch-size <n>', 'largest batch for every model (default: per model)'))
    .addOption(new Option('--batch-delay <ms>', 'how long a request may wait for its batch to fill (default: per model)'))
    .option('--features', 'include the mean speech embedding in events', false)
    .addOption(new Option('--tolerance <seconds>', 'largest gap between aligned facial and speech key frames (default 0.3)'))
    .addOption(new Option('--dilations <list>', 'dilation rates of the temporal fusion, in analysis frames (default 1,2,4,8)'))
    .addOption(new Option('--rtsp-transport <transport>', 'RTP transport of rtsp:// sources (default tcp)').choices(['tcp', 'udp', 'auto']).env('AFFECTSTREAM_RTSP_TRANSPORT'))
    .addOption(new Option('--rtsp-latency <ms>', 'jitter buffer of rtsp:// sources, ms (default 200)').env('AFFECTSTREAM_RTSP_LATENCY'))
    .addOption(new Option('--rtsp-user <user>', 'user name for rtsp:// sources (overrides the URL\'s)').env('AFFECTSTREAM_RTSP_USER'))
    .addOption(new Option('--rtsp-password <password>', 'password for rtsp:// sources (overrides the URL\'s)').env('AFFECTSTREAM_RTSP_PASSWORD'))
    .addOption(new Option('--media-timeout <s>', 'an rtsp:// feed without audio or video for this long is reconnected (default 5)').env('AFFECTSTREAM_MEDIA_TIMEOUT'));
}

/** The RTSP flags that were given, checked like the config file's `rtsp` section. */
function rtspFlags(options: Record<string, unknown>): RtspOptionsInput {
  const number = (v: unknown) => (v === undefined ? undefined : Number(v));
  const raw = {
    transport: options.rtspTransport,
    latencyMs: number(options.rtspLatency),
    user: options.rtspUser,
    password: options.rtspPassword,
    noMediaTimeoutSeconds: number(options.mediaTimeout),
  };
  const parsed = rtspOptionsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    const flag: Record<string, string> = { transport: '--rtsp-transport', latencyMs: '--rtsp-latency', user: '--rtsp-user', password: '--rtsp-password', noMediaTimeoutSeconds: '--media-timeout' };
    const issues = parsed.error.issues.map((i) => `${flag[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; ');
    throw new AffectStreamError('invalid_argument', `invalid options: ${issues}`);
  }
  return parsed.data;
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
      rtsp: resolveRtspOptions(rtspFlags(options)),
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
    .command('eval')
    .description('score a model pack on a folder of labelled face images (<dir>/<class>/*.jpg), on RAVDESS-named audio files, or on Aff-Wild2-format videos and annotations: accuracy, macro-F1, per-class F1, confusion matrix (and CCC for valence/arousal)')
    .option('--images <dir>', 'labelled face images, one folder per class (FER2013 layout)')
    .option('--affwild2 <dir>', 'videos with Aff-Wild2 annotation files (EXPR*/ and VA*/ folders of <video>.txt), scored per second')
    .option('--audio <dir>', 'RAVDESS-named audio files (MM-VV-EE-II-SS-RR-AA.wav/.flac, searched recursively), scored on the voice branch')
    .option('--actors <list>', 'with --audio: only these actors, e.g. 17,18,19,20 or 17-20 (held-out speakers)')
    .addOption(new Option('--limit <n>', 'at most this many images per class'))
    .option('--without-other', 'label by the top class of the models, never Other (for data sets without an Other class, such as FER2013)', false)
    .option('--out <file>', 'write the JSON result to a file instead of stdout')
    .option('--report <file.html>', 'also write an HTML report with the confusion matrix'),
).action(async (options: Record<string, unknown>) => {
  try {
    if ([options.images, options.affwild2, options.audio].filter((d) => d !== undefined).length !== 1) throw new AffectStreamError('invalid_argument', 'invalid options: give one of --images <dir>, --affwild2 <dir> or --audio <dir>');
    if (options.actors !== undefined && options.audio === undefined) throw new AffectStreamError('invalid_argument', 'invalid options: --actors goes with --audio');
    if (typeof options.audio === 'string') {
      process.exitCode = await runAudioEval({
        dir: options.audio,
        ...(typeof options.actors === 'string' ? { actors: parseActors(options.actors) } : {}),
        ...(typeof options.out === 'string' ? { out: options.out } : {}),
        ...(typeof options.report === 'string' ? { report: options.report } : {}),
        settings: parseAnalysisSettings(options),
      });
      process.exit();
    }
    if (typeof options.affwild2 === 'string') {
      process.exitCode = await runAffWild2Eval({
        dir: options.affwild2,
        ...(typeof options.out === 'string' ? { out: options.out } : {}),
        ...(typeof options.report === 'string' ? { report: options.report } : {}),
        settings: parseAnalysisSettings(options),
      });
      process.exit();
    }
    const limit = options.limit === undefined ? undefined : Number(options.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new AffectStreamError('invalid_argument', `invalid options: --limit: a whole number ≥ 1, got ${String(options.limit)}`);
    process.exitCode = await runEval({
      images: String(options.images),
      ...(limit !== undefined ? { limitPerClass: limit } : {}),
      withoutOther: options.withoutOther === true,
      ...(typeof options.out === 'string' ? { out: options.out } : {}),
      ...(typeof options.report === 'string' ? { report: options.report } : {}),
      settings: parseAnalysisSettings(options),
    });
  } catch (err) {
    const e = toAffectStreamError(err);
    process.stderr.write(`affectstream: error: ${e.code}: ${e.message}\n`);
    process.exitCode = 1;
  }
  process.exit();
});

withAnalysisOptions(
  program
    .command('serve')
    .description('serve the events of the given sources over a WebSocket feed at /v1/events')
    .option('--source <uri>', 'a source to analyse (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('--config <file.json>', 'a JSON config file: sources, tokens, ports, model pack, device, RTSP defaults (flags and AFFECTSTREAM_* variables override it)').env('AFFECTSTREAM_CONFIG'))
    .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1').env('AFFECTSTREAM_HOST'))
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default('8080').env('AFFECTSTREAM_PORT'))
    .addOption(new Option('--api-token <token>', 'require this bearer token on the control API (/v1/streams)').env('AFFECTSTREAM_API_TOKEN'))
    .option('--whep <url>', 'a WHEP endpoint to pull a call from (repeatable)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('--whep-token <token>', 'bearer token for the --whep endpoints').env('AFFECTSTREAM_WHEP_TOKEN'))
    .addOption(new Option('--whip-token <token>', 'require this bearer token from WHIP publishers (POST/PATCH/DELETE /whip/<stream>)').env('AFFECTSTREAM_WHIP_TOKEN'))
    .addOption(new Option('--token <name:secret[:streams]>', 'a bearer token for the feed, /metrics and the API, optionally limited to streams a,b (repeatable; AFFECTSTREAM_TOKENS: space-separated)').argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]))
    .addOption(new Option('--slow-client <policy>', 'a feed client too far behind live: lag (skip ahead, with a lagged notice) or disconnect').choices(['lag', 'disconnect']).default('lag')),
).action(async (options: Record<string, unknown>, command: Command) => {
  try {
    const config = typeof options.config === 'string' ? loadServeConfig(options.config) : {};
    const sourceOf = (key: string) => command.getOptionValueSource(key) as string | undefined;
    const top = layered(options, sourceOf, { host: config.host, port: config.port, apiToken: config.apiToken, whipToken: config.whipToken, whepToken: config.whepToken, ...(config.whep && (options.whep as string[]).length === 0 ? { whep: config.whep } : {}) });
    const port = Number(top.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`--port must be 0..65535, got ${String(top.port)}`);
    const webrtc = parseWebRtcSettings({ whipToken: top.whipToken, whepToken: top.whepToken, whep: top.whep });
    const apiToken = top.apiToken === undefined ? undefined : String(top.apiToken);
    if (apiToken !== undefined && !/^[\x21-\x7e]{8,}$/.test(apiToken)) throw new AffectStreamError('invalid_argument', 'invalid options: --api-token: a bearer token is at least 8 printable ASCII characters without spaces');
    const running = await startServer({
      sources: options.source as string[],
      streams: config.sources ?? [],
      host: String(top.host),
      port,
      settings: parseAnalysisSettings(layered(options, sourceOf, config.analysis)),
      webrtc,
      apiToken,
      rtsp: resolveRtspOptions(config.rtsp, rtspFlags(options)),
      tokens: ((options.token as string[] | undefined) ?? process.env.AFFECTSTREAM_TOKENS?.split(/\s+/).filter((t) => t.length > 0) ?? []).map(parseTokenFlag),
      feed: { slowClient: options.slowClient === 'disconnect' ? 'disconnect' : 'lag' },
    });
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

program
  .command('bench')
  .description('measure latency, capacity, the decode-only floor, a peer library and offline speed; tables on stdout, JSON and SVG plots under bench/results (see docs/benchmarks.md)')
  .argument('[scenario...]', 'latency, capacity, floor, peer, offline, or all (default: all)')
  .addOption(new Option('--latency-seconds <s>', 'latency: clip length; every window but the first two is counted').default('64'))
  .addOption(new Option('--streams <list>', 'capacity: stream counts to step through, rising; stops at the first that does not hold').default('1,2,4,6,8,10,12,14,16'))
  .addOption(new Option('--step-seconds <s>', 'capacity: clip length of each step').default('20'))
  .addOption(new Option('--floor-streams <list>', 'floor: stream counts compared with decoding alone').default('1,4'))
  .addOption(new Option('--floor-seconds <s>', 'floor: clip length').default('30'))
  .addOption(new Option('--frames <n>', 'peer: face frames timed per library').default('150'))
  .addOption(new Option('--offline-seconds <s>', 'offline: clip length').default('60'))
  .addOption(new Option('--runs <n>', 'offline: runs of each kind (medians)').default('3'))
  .addOption(new Option('--faces <n>', 'offline: faces in view, 1 or 3').default('1'))
  .addOption(new Option('--out <dir>', 'where JSON results and plots go (default bench/results)'))
  .addOption(new Option('--cache <dir>', 'where generated clips and frames are kept (default bench/.cache)'))
  .action(async (scenarios: string[], options: Record<string, unknown>) => {
    try {
      // Loaded here: the suite's modules are not needed by the other commands.
      const { parseBenchCommand, runBench } = await import('./bench-command.js');
      process.exitCode = await runBench(parseBenchCommand(scenarios, options));
    } catch (err) {
      const e = toAffectStreamError(err);
      process.stderr.write(`affectstream: error: ${e.code}: ${e.message}\n`);
      process.exitCode = 1;
    }
    process.exit();
  });

await program.parseAsync(process.argv);
