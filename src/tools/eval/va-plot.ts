/**
 * Inline SVG plots of valence and arousal for the evaluation report: per video, annotated and
 * predicted values over time; and, over all videos, predicted against annotated (a scatter with the
 * diagonal a perfect prediction would lie on). No scripts, nothing fetched.
 */

import { escapeMarkup } from './report.js';

export interface VaPoint {
  readonly t: number;
  readonly valence: number | null;
  readonly arousal: number | null;
  readonly predictedValence: number | null;
  readonly predictedArousal: number | null;
}

const COLORS = { valence: '#2563eb', arousal: '#dc2626' } as const;


/** A polyline path through the defined points; a missing value breaks the line. */
function path(points: ReadonlyArray<readonly [number, number | null]>, x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let open = false;
  for (const [t, v] of points) {
    if (v === null) {
      open = false;
      continue;
    }
    d += `${open ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    open = true;
  }
  return d;
}

/** Annotated (solid) and predicted (dashed) valence and arousal over one video's seconds. */
export function vaTimeSeriesSvg(title: string, points: readonly VaPoint[]): string {
  const width = 720;
  const height = 220;
  const pad = { left: 40, right: 10, top: 24, bottom: 28 };
  const end = Math.max(1, ...points.map((p) => p.t));
  const x = (t: number) => pad.left + (t / end) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + ((1 - v) / 2) * (height - pad.top - pad.bottom);
  const line = (key: keyof Omit<VaPoint, 't'>, color: string, dashed: boolean) => {
    const d = path(points.map((p) => [p.t, p[key]] as const), x, y);
    return d ? `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${dashed ? ' stroke-dasharray="5 3"' : ''}/>` : '';
  };
  const grid = [-1, -0.5, 0, 0.5, 1]
    .map((v) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${pad.left - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v}</text>`)
    .join('');
  return `<svg class="va-plot" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeMarkup(title)}">
<text x="${pad.left}" y="14" font-size="12" font-weight="600">${escapeMarkup(title)}</text>${grid}
<text x="${width - pad.right}" y="${height - 8}" text-anchor="end" font-size="10">${end.toFixed(0)} s</text><text x="${pad.left}" y="${height - 8}" font-size="10">0 s</text>
${line('valence', COLORS.valence, false)}${line('predictedValence', COLORS.valence, true)}${line('arousal', COLORS.arousal, false)}${line('predictedArousal', COLORS.arousal, true)}
<text x="${width - pad.right}" y="14" text-anchor="end" font-size="10"><tspan fill="${COLORS.valence}">valence</tspan> / <tspan fill="${COLORS.arousal}">arousal</tspan>: annotated ─, predicted ╌</text>
</svg>`;
}

/** Predicted against annotated valence and arousal, every scored second of every video. */
export function vaScatterSvg(points: readonly VaPoint[]): string {
  const size = 260;
  const pad = 32;
  const panel = (key: 'valence' | 'arousal', offset: number) => {
    const predictedKey = key === 'valence' ? 'predictedValence' : 'predictedArousal';
    const px = (v: number) => offset + pad + ((v + 1) / 2) * (size - 2 * pad);
    const py = (v: number) => pad + ((1 - v) / 2) * (size - 2 * pad);
    const dots = points
      .filter((p) => p[key] !== null)
      .map((p) => `<circle cx="${px(p[key]!).toFixed(1)}" cy="${py(p[predictedKey] ?? 0).toFixed(1)}" r="2.2" fill="${COLORS[key]}" fill-opacity="${p[predictedKey] === null ? 0.25 : 0.6}"/>`)
      .join('');
    return `<rect x="${offset + pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#999"/>
<line x1="${px(-1)}" y1="${py(-1)}" x2="${px(1)}" y2="${py(1)}" stroke="#bbb" stroke-dasharray="4 3"/>
<text x="${offset + size / 2}" y="18" text-anchor="middle" font-size="12" font-weight="600">${key}</text>
<text x="${offset + size / 2}" y="${size - 8}" text-anchor="middle" font-size="10">annotated (−1 … 1)</text>
<text x="${offset + 12}" y="${size / 2}" font-size="10" transform="rotate(-90 ${offset + 12} ${size / 2})" text-anchor="middle">predicted</text>${dots}`;
  };
  return `<svg class="va-scatter" xmlns="http://www.w3.org/2000/svg" width="${2 * size}" height="${size}" viewBox="0 0 ${2 * size} ${size}" role="img" aria-label="predicted against annotated valence and arousal">
${panel('valence', 0)}${panel('arousal', size)}
</svg>`;
}
