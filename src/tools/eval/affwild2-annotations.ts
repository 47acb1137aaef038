/**
 * Aff-Wild2's per-video annotation files. EXPR: a header naming the 8 ABAW classes, then one class
 * index per frame (-1: invalid frame). VA: the header `valence,arousal`, then one `v,a` line per frame
 * (-5: unannotated). Line k+1 is frame k (from 1). Malformed files are errors naming file and line:
 * a silently misread annotation would corrupt every score computed from it.
 */
import { readFileSync } from 'node:fs';
import { AffectStreamError } from '../../core/errors.js';
import { ABAW_CLASSES } from '../../core/abaw.js';

/** Per frame: class index 0..7, or -1 when the frame has no valid label. */
export type ExprAnnotation = Int8Array;

/** Per frame: valence and arousal, NaN where unannotated. */
export interface VaAnnotation {
  readonly valence: Float64Array;
  readonly arousal: Float64Array;
}

const UNANNOTATED_VA = -5;

function lines(text: string): string[] {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (all.length > 0 && all[all.length - 1]!.trim() === '') all.pop();
  return all;
}

function fail(file: string, line: number, message: string): never {
  throw new AffectStreamError('invalid_argument', `${file}:${line}: ${message}`);
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new AffectStreamError('source_not_found', `annotation file not found: ${file}`);
  }
}

export function parseExprAnnotation(text: string, file = 'EXPR annotation'): ExprAnnotation {
  const rows = lines(text);
  if (rows.length === 0) fail(file, 1, 'empty file (expected the header "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other")');
  const header = rows[0]!.split(',').map((s) => s.trim().toLowerCase());
  if (header.length !== ABAW_CLASSES.length || header.some((h, i) => h !== ABAW_CLASSES[i]!.toLowerCase())) {
    fail(file, 1, `header "${rows[0]}" is not "${ABAW_CLASSES.join(',')}"`);
  }
  const labels = new Int8Array(rows.length - 1);
  for (let i = 1; i < rows.length; i++) {
    const v = rows[i]!.trim();
    if (!/^-?\d+$/.test(v)) fail(file, i + 1, `"${v}" is not a class index (0–7, or -1 for an invalid frame)`);
    const n = Number(v);
    if (n < -1 || n >= ABAW_CLASSES.length) fail(file, i + 1, `class index ${n} is out of range (0–7, or -1)`);
    labels[i - 1] = n;
  }
  if (labels.length === 0) fail(file, 2, 'no frames after the header');
  return labels;
}

export function parseVaAnnotation(text: string, file = 'VA annotation'): VaAnnotation {
  const rows = lines(text);
  if (rows.length === 0 || rows[0]!.replace(/\s/g, '').toLowerCase() !== 'valence,arousal') fail(file, 1, `header "${rows[0] ?? ''}" is not "valence,arousal"`);
  const n = rows.length - 1;
  if (n === 0) fail(file, 2, 'no frames after the header');
  const valence = new Float64Array(n);
  const arousal = new Float64Array(n);
  for (let i = 1; i < rows.length; i++) {
    const parts = rows[i]!.split(',').map((s) => s.trim());
    const [v, a] = parts.map(Number) as [number, number];
    if (parts.length !== 2 || parts.some((p) => p === '') || !Number.isFinite(v) || !Number.isFinite(a)) fail(file, i + 1, `"${rows[i]}" is not "valence,arousal"`);
    if (v === UNANNOTATED_VA || a === UNANNOTATED_VA) {
      valence[i - 1] = Number.NaN;
      arousal[i - 1] = Number.NaN;
      continue;
    }
    if (Math.abs(v) > 1 || Math.abs(a) > 1) fail(file, i + 1, `valence/arousal ${v},${a} outside [-1, 1] (and not -5, unannotated)`);
    valence[i - 1] = v;
    arousal[i - 1] = a;
  }
  return { valence, arousal };
}

export const readExprAnnotation = (file: string): ExprAnnotation => parseExprAnnotation(read(file), file);
export const readVaAnnotation = (file: string): VaAnnotation => parseVaAnnotation(read(file), file);

/** Frames 1..n at `fps` whose time (k−1)/fps lies in [start, end), as 0-based indices. */
function framesIn(start: number, end: number, fps: number, n: number): [number, number] {
  return [Math.max(0, Math.ceil(start * fps - 1e-6)), Math.min(n, Math.ceil(end * fps - 1e-6))];
}

/** The most frequent valid label of the window's frames (ties: the earlier ABAW class), or -1. */
export function windowExpression(expr: ExprAnnotation, fps: number, start: number, end: number): number {
  const [a, b] = framesIn(start, end, fps, expr.length);
  const counts = new Array<number>(ABAW_CLASSES.length).fill(0);
  for (let i = a; i < b; i++) if (expr[i]! >= 0) counts[expr[i]!]! += 1;
  const best = counts.reduce((bi, c, i) => (c > counts[bi]! ? i : bi), 0);
  return counts[best]! > 0 ? best : -1;
}

/** Mean valid valence and arousal of the window's frames, or null when none is annotated. */
export function windowValenceArousal(va: VaAnnotation, fps: number, start: number, end: number): { valence: number; arousal: number } | null {
  const [a, b] = framesIn(start, end, fps, va.valence.length);
  let n = 0;
  let v = 0;
  let ar = 0;
  for (let i = a; i < b; i++) {
    if (Number.isNaN(va.valence[i]!)) continue;
    n += 1;
    v += va.valence[i]!;
    ar += va.arousal[i]!;
  }
  return n > 0 ? { valence: v / n, arousal: ar / n } : null;
}
