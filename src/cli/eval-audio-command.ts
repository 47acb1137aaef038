/**
 * `affectstream eval --audio DIR [--actors 17,18]`: scores a model pack's voice branch on RAVDESS-named
 * audio files and writes the scores as JSON (stdout or --out) and, with --report, an HTML page with the
 * confusion matrix.
 */
import { resolve } from 'node:path';
import { AffectStreamError } from '../core/errors.js';
import { evaluateAudio, listRavdessAudio } from '../tools/eval/audio-eval.js';
import { expressionReport } from '../tools/eval/report.js';
import { decodeOptionsOf, streamOptionsOf, type AnalysisSettings } from '../server/analysis-settings.js';
import { progressLogger, runPackEvaluation } from '../tools/eval/eval-run.js';

export interface AudioEvalCommand {
  readonly dir: string;
  /** Actor numbers to score, e.g. held-out speakers; all when absent. */
  readonly actors?: ReadonlySet<number>;
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

/** "17,18,19,20" or "17-20" (or a mix) → actor numbers. */
export function parseActors(text: string): Set<number> {
  const actors = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = range ? Number(range[1]) : Number.NaN;
    const last = range?.[2] !== undefined ? Number(range[2]) : first;
    if (!range || first < 1 || last < first) throw new AffectStreamError('invalid_argument', `invalid options: --actors: actor numbers or ranges such as 17,18 or 17-20, got "${text}"`);
    for (let a = first; a <= last; a++) actors.add(a);
  }
  return actors;
}

export async function runAudioEval(command: AudioEvalCommand): Promise<number> {
  const root = resolve(command.dir);
  // Names are checked before the workers start, so a wrong folder fails at once.
  listRavdessAudio(root, command.actors);
  return runPackEvaluation(
    command,
    (pack, engine) =>
      evaluateAudio(root, pack, engine, decodeOptionsOf(command.settings), streamOptionsOf(command.settings, 'eval'), {
        ...(command.actors ? { actors: command.actors } : {}),
        onProgress: progressLogger('evaluating audio files'),
      }),
    {
      report: (result, packLabel) => {
        const who = result.actors ? `, actors ${result.actors.join(', ')}` : '';
        return expressionReport(`Voice expression on ${command.dir}${who}`, `${packLabel}; calm scored as Neutral`, result.scores);
      },
      summary: (result) => {
        const ravdess = result.ravdessAccuracy === null ? '' : `, 8-class RAVDESS accuracy ${result.ravdessAccuracy.toFixed(4)}`;
        return `accuracy ${result.scores.accuracy.toFixed(4)}, macro-F1 ${result.scores.macroF1.toFixed(4)}${ravdess} over ${result.scores.count} files (${result.seconds.toFixed(1)} s)`;
      },
    },
  );
}
