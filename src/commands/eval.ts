/**
 * `affectstream eval --images DIR`: scores a model pack on a folder of labelled face images and writes
 * the scores as JSON (stdout or --out) and, with --report, an HTML page with the confusion matrix.
 * `affectstream eval --affwild2 DIR`: the same for videos with Aff-Wild2 annotations, per second, with
 * CCC for valence and arousal and their plots in the report.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { evaluateAffWild2 } from '../eval/affwild2-eval.js';
import { affWild2Report } from '../eval/affwild2-report.js';
import { evaluateImages } from '../eval/image-eval.js';
import { expressionReport } from '../eval/report.js';
import { logger } from '../logger.js';
import { loadManifest } from '../models/manifest.js';
import { InferenceEngine } from '../pipeline/inference-engine.js';
import { engineOptionsOf, type AnalysisSettings } from './analysis-settings.js';

export interface EvalCommand {
  readonly images: string;
  readonly limitPerClass?: number;
  readonly withoutOther?: boolean;
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

export async function runEval(command: EvalCommand): Promise<number> {
  const pack = loadManifest(command.settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(command.settings));
  try {
    let lastLog = 0;
    const result = await evaluateImages(resolve(command.images), pack, engine, {
      ...(command.limitPerClass !== undefined ? { limitPerClass: command.limitPerClass } : {}),
      withoutOther: command.withoutOther ?? false,
      onProgress: (done, total) => {
        if (done === total || performance.now() - lastLog > 5000) {
          lastLog = performance.now();
          logger.info({ done, total }, 'evaluating images');
        }
      },
    });
    const json = JSON.stringify({ ...result, pack: { name: pack.manifest.name, version: pack.manifest.version, manifest: command.settings.models } }, null, 2);
    if (command.out) writeFileSync(command.out, `${json}\n`);
    else process.stdout.write(`${json}\n`);
    if (command.report) writeFileSync(command.report, expressionReport(`Expression on ${command.images}`, `model pack ${pack.manifest.name} ${pack.manifest.version}`, result.scores));
    process.stderr.write(`accuracy ${result.scores.accuracy.toFixed(4)}, macro-F1 ${result.scores.macroF1.toFixed(4)} over ${result.scores.count} images (${result.seconds.toFixed(1)} s)\n`);
    return 0;
  } finally {
    await engine.close();
  }
}

export interface AffWild2EvalCommand {
  readonly dir: string;
  readonly out?: string;
  readonly report?: string;
  readonly settings: AnalysisSettings;
}

/** `affectstream eval --affwild2 DIR`: the pack on every annotated video, scored per second (src/eval/affwild2-eval.ts). */
export async function runAffWild2Eval(command: AffWild2EvalCommand): Promise<number> {
  const pack = loadManifest(command.settings.models);
  const engine = await InferenceEngine.create(engineOptionsOf(command.settings));
  try {
    const result = await evaluateAffWild2(resolve(command.dir), command.settings, pack, engine, (done, total) => logger.info({ done, total }, 'evaluating videos'));
    const json = JSON.stringify({ ...result, pack: { name: pack.manifest.name, version: pack.manifest.version, manifest: command.settings.models } }, null, 2);
    if (command.out) writeFileSync(command.out, `${json}\n`);
    else process.stdout.write(`${json}\n`);
    if (command.report) writeFileSync(command.report, affWild2Report(result, `model pack ${pack.manifest.name} ${pack.manifest.version}`));
    const expression = result.expression ? `accuracy ${result.expression.accuracy.toFixed(4)}, macro-F1 ${result.expression.macroF1.toFixed(4)} over ${result.expression.count} s; ` : '';
    const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
    process.stderr.write(`${expression}CCC valence ${fmt(result.valence.ccc)}, arousal ${fmt(result.arousal.ccc)} over ${result.valence.count} s (${result.videos.length} video(s), ${result.seconds.toFixed(1)} s)\n`);
    return 0;
  } finally {
    await engine.close();
  }
}
