/**
 * A folder of labelled face images: `<root>/<class>/*.jpg`, the layout of FER2013 and of most
 * expression data sets. Class folder names are mapped to ABAW classes (FER2013's names, ABAW's own
 * names and common synonyms); a folder with a name we cannot map is an error, not silently skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AffectStreamError } from '../../core/errors.js';
import { ABAW_CLASSES, type AbawClass } from '../../core/abaw.js';

const SYNONYMS: Record<string, AbawClass> = {
  neutral: 'Neutral',
  calm: 'Neutral',
  angry: 'Anger',
  anger: 'Anger',
  disgust: 'Disgust',
  disgusted: 'Disgust',
  fear: 'Fear',
  fearful: 'Fear',
  happy: 'Happiness',
  happiness: 'Happiness',
  sad: 'Sadness',
  sadness: 'Sadness',
  surprise: 'Surprise',
  surprised: 'Surprise',
  other: 'Other',
  contempt: 'Other',
};

export function abawClassOf(name: string): AbawClass | undefined {
  return SYNONYMS[name.toLowerCase()] ?? ABAW_CLASSES.find((c) => c.toLowerCase() === name.toLowerCase());
}

export interface LabelledImage {
  readonly path: string;
  readonly label: AbawClass;
}

const IMAGE = /\.jpe?g$/i;

export function listLabelledImages(root: string, limitPerClass?: number): LabelledImage[] {
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    throw new AffectStreamError('source_not_found', `image folder not found: ${root}`);
  }
  const images: LabelledImage[] = [];
  for (const name of entries) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory()) continue;
    const label = abawClassOf(name);
    if (!label) throw new AffectStreamError('invalid_argument', `class folder "${name}" in ${root} is not an ABAW class or a known synonym`);
    const files = readdirSync(dir).filter((f) => IMAGE.test(f)).sort();
    for (const file of files.slice(0, limitPerClass ?? files.length)) images.push({ path: join(dir, file), label });
  }
  if (images.length === 0) throw new AffectStreamError('invalid_argument', `no labelled images under ${root} (expected <root>/<class>/*.jpg)`);
  return images;
}
