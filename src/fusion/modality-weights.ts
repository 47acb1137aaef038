/**
 * Per-step face and voice weights (sum 1, or both 0 with neither face nor speech) from each
 * modality's reliability and the key frames around the step. A key frame marks where a modality
 * carries the expression, so it raises that modality's weight for a while after it (decay time =
 * the alignment tolerance); an aligned key frame, one both modalities agree on, raises it fully, an
 * unaligned one half as much. Reliability gates everything: a modality with none gets weight 0 even
 * at its key frames, so a hidden face or silence never takes weight.
 */
import type { Keyframe, Modality } from './keyframes.js';

/** How much a full-strength aligned key frame multiplies its modality's weight by (1 + KEY_BOOST). */
export const KEY_BOOST = 1;
export const UNALIGNED_SHARE = 0.5;

export class ModalityWeights {
  readonly #tolerance: number;
  #recent: Keyframe[] = [];

  constructor(tolerance: number) {
    this.#tolerance = tolerance;
  }

  /** Key frames found up to the end of this step must have been added first. */
  add(keys: readonly Keyframe[]): void {
    this.#recent.push(...keys);
  }

  weigh(t: number, duration: number, faceReliability: number, voiceReliability: number): [number, number] {
    const centre = t + duration / 2;
    const end = t + duration;
    this.#recent = this.#recent.filter((k) => centre - k.t <= 6 * this.#tolerance);
    const boost = (modality: Modality) => {
      let best = 0;
      for (const k of this.#recent) {
        if (k.modality !== modality || k.t >= end) continue;
        const aligned = k.pairedAt !== null && k.pairedAt < end;
        const decay = Math.exp(-Math.max(0, centre - k.t) / this.#tolerance);
        best = Math.max(best, k.strength * (aligned ? 1 : UNALIGNED_SHARE) * decay);
      }
      return best;
    };
    const face = faceReliability * (1 + KEY_BOOST * boost('face'));
    const voice = voiceReliability * (1 + KEY_BOOST * boost('voice'));
    const total = face + voice;
    return total > 0 ? [face / total, voice / total] : [0, 0];
  }
}
