/**
 * RAVDESS file names: `MM-VV-EE-II-SS-RR-AA.ext` (modality, vocal channel, emotion, intensity,
 * statement, repetition, actor). The label lives in the name, so a name that does not parse is an
 * error, never a silently skipped file. Calm is scored as Neutral: ABAW has no calm, and calm speech
 * sits at the circumplex origin with neutral speech.
 */
import { basename } from 'node:path';
import { AffectStreamError } from '../../core/errors.js';
import type { AbawClass } from '../../core/abaw.js';

/** RAVDESS emotions in code order (01 … 08): the speech model's label order. */
export const RAVDESS_EMOTIONS = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'] as const;
export type RavdessEmotion = (typeof RAVDESS_EMOTIONS)[number];

export const RAVDESS_TO_ABAW: Readonly<Record<RavdessEmotion, AbawClass>> = Object.freeze({
  neutral: 'Neutral',
  calm: 'Neutral',
  happy: 'Happiness',
  sad: 'Sadness',
  angry: 'Anger',
  fearful: 'Fear',
  disgust: 'Disgust',
  surprised: 'Surprise',
});

export interface RavdessLabel {
  readonly emotion: RavdessEmotion;
  readonly abaw: AbawClass;
  /** 1 normal, 2 strong. */
  readonly intensity: number;
  readonly statement: number;
  readonly repetition: number;
  readonly actor: number;
}

const NAME = /^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.[A-Za-z0-9]+$/;

/** Throws invalid_argument naming the file when its name is not a RAVDESS name. */
export function parseRavdessName(path: string): RavdessLabel {
  const name = basename(path);
  const m = NAME.exec(name);
  const code = m ? Number(m[3]) : 0;
  const emotion = RAVDESS_EMOTIONS[code - 1];
  if (!m || !emotion) {
    throw new AffectStreamError('invalid_argument', `${path}: not a RAVDESS file name (expected MM-VV-EE-II-SS-RR-AA with emotion EE 01–08, e.g. 03-01-05-02-01-01-17.wav)`);
  }
  return { emotion, abaw: RAVDESS_TO_ABAW[emotion], intensity: Number(m[4]), statement: Number(m[5]), repetition: Number(m[6]), actor: Number(m[7]) };
}
