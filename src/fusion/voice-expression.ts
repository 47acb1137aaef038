/**
 * The voice's expression distribution when the pack has no voice expression model. Prosody tells
 * arousal, not valence (Scherer 2003), so the voice spreads its mass over the classes whose circumplex
 * arousal lies near its own, with a Gaussian of width VOICE_AROUSAL_WIDTH. The result is deliberately
 * flat: high-arousal speech cannot tell anger from joy, and a confident face outweighs it wherever
 * both are present. Other is left out: it means "none of the seven", which prosody cannot say.
 */
import { ABAW_CLASSES, CLASS_VALENCE_AROUSAL } from '../core/abaw.js';

export const VOICE_AROUSAL_WIDTH = 0.5;

/** Writes the 8 ABAW probabilities (class order) for `arousal` into `out` at `offset`. */
export function expressionFromArousal(arousal: number, out: Float32Array | Float64Array, offset = 0): void {
  let total = 0;
  ABAW_CLASSES.forEach((c, i) => {
    const p = c === 'Other' ? 0 : Math.exp(-0.5 * ((CLASS_VALENCE_AROUSAL[c][1] - arousal) / VOICE_AROUSAL_WIDTH) ** 2);
    out[offset + i] = p;
    total += p;
  });
  for (let i = 0; i < ABAW_CLASSES.length; i++) out[offset + i]! /= total;
}
