/**
 * Prosody of short audio frames: level (RMS in dBFS) and fundamental frequency by the YIN method
 * (de Cheveigné & Kawahara, 2002), which tolerates the octave errors plain autocorrelation makes on
 * speech. Pure functions over sample arrays; they run in the inference workers.
 */
export const SILENCE_DB = -100;

export function rmsDb(samples: Float32Array, start: number, length: number): number {
  let sum = 0;
  const end = Math.min(samples.length, start + length);
  for (let i = Math.max(0, start); i < end; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / Math.max(1, end - start));
  return rms > 1e-5 ? 20 * Math.log10(rms) : SILENCE_DB;
}

export interface PitchOptions {
  readonly sampleRate: number;
  readonly minHz: number;
  readonly maxHz: number;
  /** YIN's absolute threshold on the cumulative mean normalised difference. */
  readonly threshold: number;
}

export const SPEECH_PITCH: PitchOptions = Object.freeze({ sampleRate: 16000, minHz: 70, maxHz: 400, threshold: 0.15 });

/** F0 in Hz of `samples[start … start+length)`, or null when the frame has no clear period. */
export function yinPitch(samples: Float32Array, start: number, length: number, options: PitchOptions = SPEECH_PITCH): number | null {
  const maxLag = Math.floor(options.sampleRate / options.minHz);
  const minLag = Math.floor(options.sampleRate / options.maxHz);
  const span = length - maxLag;
  if (span <= 0 || start < 0 || start + length > samples.length) return null;
  const diff = new Float64Array(maxLag + 1);
  for (let lag = 1; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = 0; i < span; i++) {
      const d = samples[start + i]! - samples[start + i + lag]!;
      sum += d * d;
    }
    diff[lag] = sum;
  }
  let running = 0;
  let bestLag = -1;
  let bestValue = Number.POSITIVE_INFINITY;
  for (let lag = 1; lag <= maxLag; lag++) {
    running += diff[lag]!;
    const normalised = running > 0 ? (diff[lag]! * lag) / running : 1;
    if (lag < minLag) continue;
    if (normalised < options.threshold) {
      // Walk down to the local minimum of this dip.
      let at = lag;
      let value = normalised;
      while (at + 1 <= maxLag) {
        const nextRunning = running + diff[at + 1]!;
        const next = nextRunning > 0 ? (diff[at + 1]! * (at + 1)) / nextRunning : 1;
        if (next >= value) break;
        running = nextRunning;
        value = next;
        at += 1;
      }
      bestLag = at;
      bestValue = value;
      break;
    }
    if (normalised < bestValue) bestValue = normalised;
  }
  if (bestLag < 0) return null;
  return bestValue < options.threshold ? options.sampleRate / bestLag : null;
}
