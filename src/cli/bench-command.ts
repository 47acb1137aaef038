/**
 * `affectstream bench [scenario…]`: the benchmark suite's one front door. Each scenario measures in
 * fresh child processes on media it generates itself, prints a short table last, and writes JSON (and
 * plots) under the results folder. See docs/benchmarks.md for what each figure means.
 */
import { resolve } from 'node:path';
import { AffectStreamError } from '../core/errors.js';
import { CACHE, RESULTS } from '../tools/bench/clips.js';
import { stamp } from '../tools/bench/report.js';
import type { BenchContext, ScenarioOutcome } from '../tools/bench/scenario.js';
import { capacityScenario } from '../tools/bench/scenarios/capacity.js';
import { floorScenario } from '../tools/bench/scenarios/floor.js';
import { latencyScenario } from '../tools/bench/scenarios/latency.js';
import { offlineScenario } from '../tools/bench/scenarios/offline.js';
import { peerScenario } from '../tools/bench/scenarios/peer.js';

export const SCENARIOS = ['latency', 'capacity', 'floor', 'peer', 'offline'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchCommand {
  readonly scenarios: Scenario[];
  /** Clip length of the latency run, s. */
  readonly latencySeconds: number;
  /** Stream counts the capacity run steps through. */
  readonly capacityStreams: number[];
  /** Clip length of each capacity step, s. */
  readonly capacitySeconds: number;
  readonly floorStreams: number[];
  readonly floorSeconds: number;
  readonly peerFrames: number;
  readonly offlineSeconds: number;
  readonly offlineRuns: number;
  readonly offlineFaces: 1 | 3;
  readonly resultsDir: string;
  readonly cacheDir: string;
}

const wholeNumber = (flag: string, raw: unknown, min: number, max: number): number => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new AffectStreamError('invalid_argument', `invalid options: ${flag}: a whole number from ${min} to ${max}, got ${String(raw)}`);
  return value;
};

const list = (flag: string, raw: unknown, min: number, max: number): number[] => {
  const parts = String(raw).split(',').map((p) => p.trim());
  const values = parts.map((p) => wholeNumber(flag, p, min, max));
  if (values.some((v, i) => i > 0 && v <= values[i - 1]!)) throw new AffectStreamError('invalid_argument', `invalid options: ${flag}: stream counts must rise, got ${String(raw)}`);
  return values;
};

const faces = (raw: unknown): 1 | 3 => {
  if (String(raw) === '1' || String(raw) === '3') return Number(raw) as 1 | 3;
  throw new AffectStreamError('invalid_argument', `invalid options: --faces: 1 or 3, got ${String(raw)}`);
};

/** Checks the command line; throws invalid_argument with the flag at fault. */
export function parseBenchCommand(scenarios: readonly string[], options: Record<string, unknown>): BenchCommand {
  const unknown = scenarios.filter((s) => s !== 'all' && !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new AffectStreamError('invalid_argument', `unknown scenario ${unknown.map((s) => `"${s}"`).join(', ')}: choose from ${SCENARIOS.join(', ')} or all`);
  const chosen = scenarios.length === 0 || scenarios.includes('all') ? [...SCENARIOS] : SCENARIOS.filter((s) => scenarios.includes(s));
  return {
    scenarios: chosen,
    latencySeconds: wholeNumber('--latency-seconds', options.latencySeconds ?? 64, 4, 3600),
    capacityStreams: list('--streams', options.streams ?? '1,2,4,6,8,10,12,14,16', 1, 128),
    capacitySeconds: wholeNumber('--step-seconds', options.stepSeconds ?? 20, 4, 600),
    floorStreams: list('--floor-streams', options.floorStreams ?? '1,4', 1, 128),
    floorSeconds: wholeNumber('--floor-seconds', options.floorSeconds ?? 30, 4, 600),
    peerFrames: wholeNumber('--frames', options.frames ?? 150, 5, 2000),
    offlineSeconds: wholeNumber('--offline-seconds', options.offlineSeconds ?? 60, 4, 3600),
    offlineRuns: wholeNumber('--runs', options.runs ?? 3, 1, 20),
    offlineFaces: faces(options.faces ?? 1),
    resultsDir: resolve(String(options.out ?? RESULTS)),
    cacheDir: resolve(String(options.cache ?? CACHE)),
  };
}

function run(scenario: Scenario, ctx: BenchContext, command: BenchCommand): Promise<ScenarioOutcome> {
  switch (scenario) {
    case 'latency':
      return latencyScenario(ctx, { seconds: command.latencySeconds });
    case 'capacity':
      return capacityScenario(ctx, { streams: command.capacityStreams, seconds: command.capacitySeconds });
    case 'floor':
      return floorScenario(ctx, { streams: command.floorStreams, seconds: command.floorSeconds });
    case 'peer':
      return peerScenario(ctx, { frames: command.peerFrames });
    case 'offline':
      return offlineScenario(ctx, { seconds: command.offlineSeconds, runs: command.offlineRuns, faces: command.offlineFaces });
  }
}

/** Runs the scenarios one after the other; returns the exit code. */
export async function runBench(command: BenchCommand): Promise<number> {
  const when = stamp();
  for (const scenario of command.scenarios) {
    const ctx: BenchContext = { resultsDir: command.resultsDir, cacheDir: command.cacheDir, stamp: when, progress: (line) => process.stderr.write(`${line}\n`) };
    const outcome = await run(scenario, ctx, command);
    process.stdout.write(`\n${outcome.table}\nwritten: ${outcome.files.join(', ')}\n`);
  }
  return 0;
}
