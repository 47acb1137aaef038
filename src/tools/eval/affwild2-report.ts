/** The HTML report of an Aff-Wild2 evaluation: expression scores and confusion matrix, CCC, and the VA plots. */
import type { AffWild2Result } from './affwild2-eval.js';
import { expressionScores } from './metrics.js';
import { escapeMarkup, expressionReport } from './report.js';
import { vaScatterSvg, vaTimeSeriesSvg, type VaPoint } from './va-plot.js';


const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));

export function affWild2Report(result: AffWild2Result, packLabel: string): string {
  const pointsOf = (windows: AffWild2Result['videos'][number]['windows']): VaPoint[] =>
    windows.map((w) => ({ t: (w.start + w.end) / 2, valence: w.valence, arousal: w.arousal, predictedValence: w.predictedValence, predictedArousal: w.predictedArousal }));
  const withVa = result.videos.filter((v) => v.windows.some((w) => w.valence !== null));
  const sections = [
    `<h2>Valence and arousal</h2><p>CCC valence <b>${fmt(result.valence.ccc)}</b> over ${result.valence.count} s · CCC arousal <b>${fmt(result.arousal.ccc)}</b> over ${result.arousal.count} s` +
      ` · seconds without a predicted valence: ${result.missing.valence}, arousal: ${result.missing.arousal} (scored as 0)</p>`,
    withVa.length > 0 ? vaScatterSvg(withVa.flatMap((v) => pointsOf(v.windows))) : '<p>No valence/arousal annotations.</p>',
    ...withVa.map((v) => vaTimeSeriesSvg(v.name, pointsOf(v.windows))),
    result.unannotated.length > 0 ? `<p>Videos without annotations (not scored): ${result.unannotated.map(escape).join(', ')}</p>` : '',
  ].join('\n');
  const scores = result.expression ?? expressionScores([], []);
  const subtitle = `${packLabel} · ${result.videos.length} annotated videos · one event per second` + (result.expression ? ` · seconds without a predicted expression: ${result.missing.expression} (scored as Neutral)` : ' · no EXPR annotations');
  return expressionReport(`Aff-Wild2 evaluation of ${result.root}`, subtitle, scores, sections);
}
