/**
 * Labelled audio-visual clips assembled from unpaired data: there is no real paired audio-visual
 * affect data here, so each segment pairs a FER2013 face photo and a RAVDESS sentence of the same
 * emotion. Segments mix face + speech, face only (silent), speech only (a scene without a face) and
 * neither, so a fusion model learns to rely on whichever branch has evidence. Photos and sentences are
 * drawn at random per segment from a seeded generator: the same seed gives the same clips.
 */
import { AffectStreamError } from '../../core/errors.js';
import { listRavdessAudio } from '../eval/audio-eval.js';
import { listLabelledImages } from '../eval/labelled-images.js';
import { ABAW_CLASSES, type AbawClass } from '../../core/abaw.js';
import type { ClipSegment } from '../demo/make-demo-clip.js';

export type SegmentKind = 'face+speech' | 'face' | 'speech' | 'none';

export interface AssembledSegment extends ClipSegment {
  readonly label: AbawClass;
  readonly kind: SegmentKind;
}

export interface AssemblySources {
  /** FER2013 split folder: <dir>/<fer class>/*.jpg. */
  readonly ferDir: string;
  /** RAVDESS speech folder: <dir>/Actor_NN/*.flac. */
  readonly ravdessDir: string;
  readonly actors: readonly number[];
  /**
   * Only every `of`-th photo of each class, starting at `index` (file-name order): splits one FER2013
   * folder into disjoint parts, for fusion sets whose faces the face model never trained on.
   */
  readonly ferPart?: { readonly index: number; readonly of: number };
  /** A photo region with no face, for the segments without one. */
  readonly noFace: Pick<ClipSegment, 'image' | 'crop'>;
}

export const ASSEMBLED_CLASSES = ABAW_CLASSES.filter((c): c is Exclude<AbawClass, 'Other'> => c !== 'Other');
const KIND_SHARES: ReadonlyArray<readonly [SegmentKind, number]> = [['face+speech', 0.45], ['face', 0.2], ['speech', 0.25], ['none', 0.1]];
/** FER2013 crops are 48×48 head shots: black padding around them lets the detector see a whole head. */
const FER_CROP = { x: -24, y: -12, w: 96, h: 72 };

/** mulberry32: small, seedable, good enough to draw files. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class AssemblyPool {
  readonly #faces = new Map<AbawClass, string[]>();
  readonly #speech = new Map<AbawClass, string[]>();
  readonly #noFace: AssemblySources['noFace'];

  constructor(sources: AssemblySources) {
    this.#noFace = sources.noFace;
    const part = sources.ferPart ?? { index: 0, of: 1 };
    const photos = listLabelledImages(sources.ferDir);
    const sentences = listRavdessAudio(sources.ravdessDir, new Set(sources.actors));
    for (const label of ASSEMBLED_CLASSES) {
      const faces = photos.filter((p) => p.label === label).filter((_, i) => i % part.of === part.index).map((p) => p.path);
      if (faces.length === 0) throw new AffectStreamError('invalid_argument', `no FER2013 photos for ${label} in ${sources.ferDir}`);
      this.#faces.set(label, faces);
      const speech = sentences.filter((f) => f.label.abaw === label).map((f) => f.path);
      if (speech.length === 0) throw new AffectStreamError('invalid_argument', `no RAVDESS sentences for ${label} by actors ${sources.actors.join(',')} in ${sources.ravdessDir}`);
      this.#speech.set(label, speech);
    }
  }

  /** `count` segments of `seconds` each, classes and kinds drawn at random. */
  segments(random: () => number, count: number, seconds: number): AssembledSegment[] {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const kindOf = (): SegmentKind => {
      let r = random();
      for (const [kind, share] of KIND_SHARES) if ((r -= share) < 0) return kind;
      return 'face+speech';
    };
    return Array.from({ length: count }, () => {
      const label = pick(ASSEMBLED_CLASSES);
      const kind = kindOf();
      const face = kind === 'face+speech' || kind === 'face' ? { image: pick(this.#faces.get(label)!), crop: FER_CROP } : { ...this.#noFace };
      const speech = kind === 'face+speech' || kind === 'speech' ? { speechFile: pick(this.#speech.get(label)!), speechLeadIn: 0 } : {};
      return { label, kind, seconds, ...face, ...speech };
    });
  }
}
