/**
 * A stream's recent log-mel frames and speech embeddings, carried from window to window so the speech
 * expression model sees the last few seconds however short the windows are. Pure: the voice analyzer
 * appends each window's new frames and embeddings; the model reads what is kept.
 */

export interface SpeechContext {
  /** Mel frames of the stream analysed so far (the index the next new frame gets). */
  readonly frames: number;
  /** The last mel frames kept, `bins` values each, oldest first. */
  readonly mel: Float32Array;
  /** Embeddings whose patches lie wholly inside `mel`, oldest first. */
  readonly embeddings: Float32Array;
  /** For each kept embedding, the stream frame index its patch ends at (inclusive). */
  readonly embeddingEnds: readonly number[];
}

export interface SpeechContextShape {
  readonly bins: number;
  /** Mel frames kept. */
  readonly frames: number;
  /** Values per embedding. */
  readonly dimensions: number;
  /** Mel frames per embedding patch. */
  readonly patchFrames: number;
}

export function emptySpeechContext(): SpeechContext {
  return { frames: 0, mel: new Float32Array(0), embeddings: new Float32Array(0), embeddingEnds: [] };
}

/**
 * Appends a window's new mel frames and its embeddings (with the stream frame index each patch ends
 * at) and drops what falls out of the kept span. An embedding is kept only while its whole patch is
 * inside the kept frames, so the model never gets an embedding of audio its mel input lacks.
 */
export function extendSpeechContext(context: SpeechContext, mel: Float32Array, embeddings: Float32Array, embeddingEnds: readonly number[], shape: SpeechContextShape): SpeechContext {
  const { bins, dimensions } = shape;
  const added = Math.floor(mel.length / bins);
  const frames = context.frames + added;
  const oldFrames = context.mel.length / bins;
  const keptFrames = Math.min(shape.frames, oldFrames + added);
  const joinedMel = new Float32Array(keptFrames * bins);
  const fromNew = Math.min(added, keptFrames);
  const fromOld = keptFrames - fromNew;
  joinedMel.set(context.mel.subarray((oldFrames - fromOld) * bins), 0);
  joinedMel.set(mel.subarray((added - fromNew) * bins, added * bins), fromOld * bins);
  const firstFrame = frames - keptFrames;
  const ends = [...context.embeddingEnds, ...embeddingEnds];
  const values = [context.embeddings, embeddings];
  const keep: number[] = [];
  ends.forEach((end, i) => {
    if (end - shape.patchFrames + 1 >= firstFrame && end < frames) keep.push(i);
  });
  const joinedEmbeddings = new Float32Array(keep.length * dimensions);
  const oldCount = context.embeddingEnds.length;
  keep.forEach((i, k) => {
    const source = i < oldCount ? values[0]!.subarray(i * dimensions, (i + 1) * dimensions) : values[1]!.subarray((i - oldCount) * dimensions, (i - oldCount + 1) * dimensions);
    joinedEmbeddings.set(source, k * dimensions);
  });
  return { frames, mel: joinedMel, embeddings: joinedEmbeddings, embeddingEnds: keep.map((i) => ends[i]!) };
}
