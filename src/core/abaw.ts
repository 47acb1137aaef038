/**
 * The eight ABAW expression classes and their place on the valence/arousal plane. The coordinates
 * follow the circumplex placements of Russell & Mehrabian (1977), scaled to [-1, 1]; Neutral and Other
 * sit at the origin. Valence and arousal from a face are the probability-weighted mean of these points.
 */
export const ABAW_CLASSES = ['Neutral', 'Anger', 'Disgust', 'Fear', 'Happiness', 'Sadness', 'Surprise', 'Other'] as const;
export type AbawClass = (typeof ABAW_CLASSES)[number];
export type ExpressionProbs = Record<AbawClass, number>;

export const CLASS_VALENCE_AROUSAL: Readonly<Record<AbawClass, readonly [number, number]>> = Object.freeze({
  Neutral: [0, 0],
  Anger: [-0.51, 0.59],
  Disgust: [-0.6, 0.35],
  Fear: [-0.64, 0.6],
  Happiness: [0.81, 0.51],
  Sadness: [-0.63, -0.27],
  Surprise: [0.4, 0.67],
  Other: [0, 0],
});

export function zeroProbs(): ExpressionProbs {
  return { Neutral: 0, Anger: 0, Disgust: 0, Fear: 0, Happiness: 0, Sadness: 0, Surprise: 0, Other: 0 };
}

export function topClass(probs: ExpressionProbs): AbawClass {
  let best: AbawClass = 'Neutral';
  for (const c of ABAW_CLASSES) if (probs[c] > probs[best]) best = c;
  return best;
}

export function valenceArousalOf(probs: ExpressionProbs): { valence: number; arousal: number } {
  let valence = 0;
  let arousal = 0;
  for (const c of ABAW_CLASSES) {
    const [v, a] = CLASS_VALENCE_AROUSAL[c];
    valence += probs[c] * v;
    arousal += probs[c] * a;
  }
  return { valence, arousal };
}

/**
 * The source models know seven classes; ABAW has an eighth, "Other": an expression that is none of the
 * seven. We give "Other" the mass the ensemble cannot place: when the seven-class distribution is
 * nearly flat (normalised entropy above OTHER_ENTROPY_ONSET), a share rising linearly to
 * OTHER_MAX_SHARE at a uniform distribution moves to Other, and the seven shrink in proportion.
 */
export const OTHER_ENTROPY_ONSET = 0.8;
export const OTHER_MAX_SHARE = 0.6;

export function withOtherClass(sevenClass: ExpressionProbs): ExpressionProbs {
  const classes = ABAW_CLASSES.filter((c) => c !== 'Other');
  const total = classes.reduce((sum, c) => sum + sevenClass[c], 0) || 1;
  let entropy = 0;
  for (const c of classes) {
    const p = sevenClass[c] / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  const normalised = entropy / Math.log(classes.length);
  const other = Math.max(0, (normalised - OTHER_ENTROPY_ONSET) / (1 - OTHER_ENTROPY_ONSET)) * OTHER_MAX_SHARE;
  const result = zeroProbs();
  for (const c of classes) result[c] = (sevenClass[c] / total) * (1 - other);
  result.Other = other;
  return result;
}
