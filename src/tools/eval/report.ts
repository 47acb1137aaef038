/**
 * A self-contained HTML report of an evaluation: headline scores, per-class F1 and the confusion
 * matrix as a shaded table (readable in any browser, no scripts, nothing fetched).
 */
import { ABAW_CLASSES } from '../../core/abaw.js';
import type { ExpressionScores } from './metrics.js';

/** Text for HTML or SVG, in content or in a quoted attribute. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function confusionTable(scores: ExpressionScores): string {
  const used = ABAW_CLASSES.map((_, c) => c).filter((c) => scores.confusion[c]!.some((v) => v > 0) || scores.confusion.some((row) => row[c]! > 0));
  const head = used.map((c) => `<th>${ABAW_CLASSES[c]}</th>`).join('');
  const rows = used
    .map((t) => {
      const total = scores.confusion[t]!.reduce((a, b) => a + b, 0);
      const cells = used
        .map((p) => {
          const v = scores.confusion[t]![p]!;
          const share = total > 0 ? v / total : 0;
          return `<td style="background:rgba(37,99,235,${share.toFixed(3)});color:${share > 0.5 ? '#fff' : '#111'}">${v}</td>`;
        })
        .join('');
      return `<tr><th>${ABAW_CLASSES[t]}</th>${cells}</tr>`;
    })
    .join('');
  return `<table class="confusion"><caption>Confusion matrix (rows: true class, columns: predicted; shade: share of the row)</caption><tr><th></th>${head}</tr>${rows}</table>`;
}

/** `extra`: further sections (trusted HTML, e.g. inline SVG plots) after the confusion matrix. */
export function expressionReport(title: string, subtitle: string, scores: ExpressionScores, extra = ''): string {
  const f1 = Object.entries(scores.perClassF1)
    .map(([name, v]) => `<tr><th>${name}</th><td>${v!.toFixed(3)}</td></tr>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeMarkup(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}caption{text-align:left;font-weight:600;margin-bottom:4px}</style></head>
<body><h1>${escapeMarkup(title)}</h1><p>${escapeMarkup(subtitle)}</p>
<p><b>${scores.count}</b> items · accuracy <b>${scores.accuracy.toFixed(4)}</b> · macro-F1 <b>${scores.macroF1.toFixed(4)}</b></p>
<table><caption>F1 per class</caption>${f1}</table>
${confusionTable(scores)}
${extra}</body></html>
`;
}
