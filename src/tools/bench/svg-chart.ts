/**
 * Line charts as standalone SVG: enough for latency CDFs and figures against the stream count, with
 * no dependency. Linear or log axes, ticks at round values, a legend, optional dashed reference lines.
 */

import { escapeMarkup } from '../eval/report.js';

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as steps (a CDF) rather than straight segments. */
  readonly step?: boolean;
  readonly dashed?: boolean;
  /** Mark each point with a dot. */
  readonly dots?: boolean;
}

export interface Axis {
  readonly label: string;
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export interface ChartSpec {
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  readonly series: readonly Series[];
  /** Horizontal reference lines (targets, limits). */
  readonly hLines?: ReadonlyArray<{ readonly y: number; readonly label: string }>;
  readonly vLines?: ReadonlyArray<{ readonly x: number; readonly label: string }>;
  readonly width?: number;
  readonly height?: number;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const MARGIN = { left: 64, top: 36, bottom: 48 };


function niceStep(span: number, target: number): number {
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
}

function ticksOf(min: number, max: number, log: boolean): number[] {
  if (log) {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
      const t = 10 ** e;
      if (t >= min * 0.999 && t <= max * 1.001) ticks.push(t);
    }
    return ticks;
  }
  const step = niceStep(max - min || 1, 6);
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
  return ticks;
}

function label(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1000) return `${value / 1000}k`;
  if (abs < 0.01) return value.toExponential(0);
  return String(Number(value.toPrecision(3)));
}

function extent(axis: Axis, values: number[]): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!axis.log || v > 0));
  let min = axis.min ?? (finite.length ? Math.min(...finite) : 0);
  let max = axis.max ?? (finite.length ? Math.max(...finite) : 1);
  if (axis.log) {
    min = axis.min ?? 10 ** Math.floor(Math.log10(min || 1));
    max = axis.max ?? 10 ** Math.ceil(Math.log10(max || 10));
  } else if (axis.min === undefined && min > 0) {
    min = 0;
  }
  if (max <= min) max = min + 1;
  return [min, max];
}

export function lineChart(spec: ChartSpec): string {
  // The legend sits right of the plot, as wide as its longest name (≈ 7 px a character at 12 px).
  const legendWidth = 56 + 7 * Math.max(0, ...spec.series.map((s) => s.name.length));
  const width = (spec.width ?? 620) + legendWidth;
  const height = spec.height ?? 420;
  const right = legendWidth;
  const plotW = width - MARGIN.left - right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0])).concat((spec.vLines ?? []).map((l) => l.x));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1])).concat((spec.hLines ?? []).map((l) => l.y));
  const [x0, x1] = extent(spec.x, xs);
  const [y0, y1] = extent(spec.y, ys);
  const scale = (v: number, lo: number, hi: number, log: boolean | undefined) => (log ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo));
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const px = (x: number) => MARGIN.left + clamp(scale(x, x0, x1, spec.x.log)) * plotW;
  const py = (y: number) => MARGIN.top + (1 - clamp(scale(y, y0, y1, spec.y.log))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeMarkup(spec.title)}</text>`);
  for (const t of ticksOf(x0, x1, spec.x.log ?? false)) {
    out.push(`<line x1="${px(t)}" y1="${MARGIN.top}" x2="${px(t)}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${px(t)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  for (const t of ticksOf(y0, y1, spec.y.log ?? false)) {
    out.push(`<line x1="${MARGIN.left}" y1="${py(t)}" x2="${MARGIN.left + plotW}" y2="${py(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${py(t) + 4}" text-anchor="end">${label(t)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeMarkup(spec.x.label)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeMarkup(spec.y.label)}</text>`);
  for (const l of spec.hLines ?? []) {
    out.push(`<line x1="${MARGIN.left}" y1="${py(l.y)}" x2="${MARGIN.left + plotW}" y2="${py(l.y)}" stroke="#999" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${MARGIN.left + plotW - 4}" y="${py(l.y) - 4}" text-anchor="end" fill="#666">${escapeMarkup(l.label)}</text>`);
  }
  (spec.vLines ?? []).forEach((l, i) => {
    out.push(`<line x1="${px(l.x)}" y1="${MARGIN.top}" x2="${px(l.x)}" y2="${MARGIN.top + plotH}" stroke="#999" stroke-dasharray="6 4"/>`);
    // Labels step down the plot's foot so that neighbouring lines' labels do not overlap.
    out.push(`<text x="${px(l.x) + 4}" y="${MARGIN.top + plotH - 8 - i * 14}" fill="#666">${escapeMarkup(l.label)}</text>`);
  });
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) {
      let d = `M${px(pts[0]![0]).toFixed(1)},${py(pts[0]![1]).toFixed(1)}`;
      for (let k = 1; k < pts.length; k++) {
        const [x, y] = pts[k]!;
        if (s.step) d += `H${px(x).toFixed(1)}V${py(y).toFixed(1)}`;
        else d += `L${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      }
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      if (s.dots) for (const [x, y] of pts) out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
    const ly = MARGIN.top + 14 + i * 18;
    out.push(`<line x1="${width - right + 12}" y1="${ly - 4}" x2="${width - right + 36}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    out.push(`<text x="${width - right + 42}" y="${ly}">${escapeMarkup(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** The empirical CDF of `values` as step points: fraction of values ≤ x. */
export function cdfPoints(values: readonly number[]): Array<[number, number]> {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  return [[sorted[0]!, 0], ...sorted.map((v, i): [number, number] => [v, (i + 1) / sorted.length])];
}

/** Several charts one above the other in one SVG file. */
export function stack(charts: readonly string[]): string {
  const sizes = charts.map((c) => {
    const m = /width="(\d+)" height="(\d+)"/.exec(c);
    return { w: Number(m?.[1] ?? 760), h: Number(m?.[2] ?? 420) };
  });
  const width = Math.max(...sizes.map((s) => s.w));
  const height = sizes.reduce((a, s) => a + s.h, 0);
  let y = 0;
  const parts = charts.map((c, i) => {
    const part = c.replace('<svg ', `<svg y="${y}" `);
    y += sizes[i]!.h;
    return part;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n${parts.join('\n')}\n</svg>\n`;
}
