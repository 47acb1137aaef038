/**
 * `affectstream eval --images DIR`: scores a model pack on a folder of labelled face images and writes
 * the scores as JSON (stdout or --out) and, with --report, an HTML page with the confusion matrix.
 * `affectstream eval --affwild2 DIR`: the same for videos with Aff-Wild2 annotations, per second, with
 * CCC for valence and arousal and their plots in the report.
 */
import { resolve } from 'node:path';
import { evaluateAffWild2 } from '../tools/eval/affwild2-eval.js';
import { affWild2Report } from '../tools/eval/affwild2-report.js';
import { evaluateImages } from '../tools/eval/image-eval.js';
import { expressionReport } from '../tools/eval/report.js';
import type { AnalysisSettings } from '../server/analysis-settings.js';
import { progressLogger, runPackEvaluation } from '../tools/eval/eval-run.js';

export interface EvalCommand {
  readonly images: string;
  readonly limitPerClass?: number;
  readonly withoutOther?: boolean;
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

export async function runEval(command: EvalCommand): Promise<number> {
  return runPackEvaluation(
    command,
    (pack, engine) =>
      evaluateImages(resolve(command.images), pack, engine, {
        ...(command.limitPerClass !== undefined ? { limitPerClass: command.limitPerClass } : {}),
        withoutOther: command.withoutOther ?? false,
        onProgress: progressLogger('evaluating images'),
      }),
    {
      report: (result, packLabel) => expressionReport(`Expression on ${command.images}`, packLabel, result.scores),
      summary: (result) => `accuracy ${result.scores.accuracy.toFixed(4)}, macro-F1 ${result.scores.macroF1.toFixed(4)} over ${result.scores.count} images (${result.seconds.toFixed(1)} s)`,
    },
  );
}

export interface AffWild2EvalCommand {
  readonly dir: string;
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

/** `affectstream eval --affwild2 DIR`: the pack on every annotated video, scored per second (src/tools/eval/affwild2-eval.ts). */
export async function runAffWild2Eval(command: AffWild2EvalCommand): Promise<number> {
  const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  return runPackEvaluation(
    command,
    (pack, engine) => evaluateAffWild2(resolve(command.dir), command.settings, pack, engine, progressLogger('evaluating videos')),
    {
      report: (result, packLabel) => affWild2Report(result, packLabel),
      summary: (result) => {
        const expression = result.expression ? `accuracy ${result.expression.accuracy.toFixed(4)}, macro-F1 ${result.expression.macroF1.toFixed(4)} over ${result.expression.count} s; ` : '';
        return `${expression}CCC valence ${fmt(result.valence.ccc)}, arousal ${fmt(result.arousal.ccc)} over ${result.valence.count} s (${result.videos.length} video(s), ${result.seconds.toFixed(1)} s)`;
      },
    },
  );
}
