"""RAVDESS speech features as the runtime computes them (training/extract-speech-features.mjs): per file,
the log-mel frames its 1 s windows produced, the speech embeddings with the stream frame each patch ends
at, and the VAD's speech probability per 32 ms frame. Splits are by actor: a speaker is either in
training or in validation, never both.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# RAVDESS emotion codes 01..08, the model's label order.
RAVDESS_CLASSES = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


@dataclass
class Utterance:
    file: str
    actor: int
    label: int
    mel: np.ndarray  # [frames, bins], raw front-end output
    embeddings: np.ndarray  # [count, dims]
    ends: np.ndarray  # [count], frame index (inclusive) each embedding's patch ends at
    samples: int
    vad: np.ndarray  # speech probability per VAD frame


@dataclass
class Features:
    utterances: list
    bins: int
    dims: int
    patch_frames: int
    hop_samples: int
    window_samples: int
    vad_hop_samples: int


def load_features(root: Path, patch_frames: int = 76) -> Features:
    index = json.loads((root / "index.json").read_text())
    bins, dims = index["bins"], index["dims"]
    mel = np.fromfile(root / "mel.f32", dtype="<f4").reshape(-1, bins)
    emb = np.fromfile(root / "embeddings.f32", dtype="<f4").reshape(-1, dims)
    utterances = []
    for f in index["files"]:
        utterances.append(Utterance(
            file=f["file"],
            actor=int(f["actor"]),
            label=RAVDESS_CLASSES.index(f["emotion"]),
            mel=mel[f["melOffset"]:f["melOffset"] + f["melFrames"]],
            embeddings=emb[f["embOffset"]:f["embOffset"] + f["embCount"]],
            ends=np.asarray(f["embEnds"], dtype=np.int64),
            samples=int(f["samples"]),
            vad=np.asarray(f["vad"], dtype=np.float32),
        ))
    return Features(utterances, bins, dims, patch_frames, index["hopSamples"], index["windowSamples"], index["vadHopSamples"])


def split_by_actor(features: Features, val_actors: set) -> tuple:
    train = [u for u in features.utterances if u.actor not in val_actors]
    val = [u for u in features.utterances if u.actor in val_actors]
    return train, val


def crop(u: Utterance, start: int, length: int, patch_frames: int) -> tuple:
    """Mel frames [start, start+length) and the embeddings whose patches lie wholly inside them: what
    the runtime's speech context holds (src/models/speech-context.ts)."""
    mel = u.mel[start:start + length]
    keep = (u.ends - patch_frames + 1 >= start) & (u.ends < start + length)
    return mel, u.embeddings[keep]


def runtime_contexts(u: Utterance, features: Features, context_frames: int, threshold: float = 0.5) -> list:
    """The (start, length) of the context the runtime's model sees at the end of each 1 s window that
    has speech, in window order, following the pipeline's windows (the last one if at least 1/4 s)."""
    win, hop, frame, vad_hop = features.window_samples, features.hop_samples, 512, features.vad_hop_samples
    out = []
    start = 0
    vad_done = 0
    while start < u.samples:
        end = min(u.samples, start + win)
        if start > 0 and end - start < win // 4:
            break
        vad_now = end // vad_hop
        speech = bool((u.vad[vad_done:vad_now] >= threshold).any())
        vad_done = vad_now
        frames = (end - frame) // hop + 1 if end >= frame else 0
        frames = min(frames, len(u.mel))
        if speech and frames > 0:
            length = min(context_frames, frames)
            out.append((frames - length, length))
        start = end
    return out
