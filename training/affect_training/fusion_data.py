"""Reads the windows dumped by dist/src/tools/training/dump-fusion-inputs.js (one JSON object per line):
the runtime's fusion inputs, targets and the baselines' outputs on the same windows."""
import json
from pathlib import Path

import numpy as np
import torch

from .fusion_net import FACE_FEATURES, VOICE_FEATURES


def load_windows(paths, evidence_only: bool = True) -> list:
    records = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    # A window without face or speech never reaches a fusion model at run time.
                    if r["hasEvidence"] or not evidence_only:
                        records.append(r)
    return records


def tensors(records: list) -> dict:
    """Stacks records of one sequence length T into the model's inputs and the targets."""
    steps = {r["steps"] for r in records}
    if len(steps) != 1:
        raise ValueError(f"windows of different lengths {sorted(steps)}: dump with one --window setting")
    t = steps.pop()
    arr = lambda key, dims: torch.tensor(np.array([r[key] for r in records], dtype=np.float32).reshape(len(records), *dims))
    va = [(r["valence"], r["arousal"]) for r in records]
    return {
        "face": arr("face", (t, FACE_FEATURES)),
        "voice": arr("voice", (t, VOICE_FEATURES)),
        "weights": arr("weights", (t, 2)),
        "current": arr("current", (t,)),
        "label": torch.tensor([r["label"] for r in records], dtype=torch.long),
        "va": torch.tensor([[np.nan if v is None else v, np.nan if a is None else a] for v, a in va], dtype=torch.float32),
    }


def sources(records: list) -> list:
    return sorted({r["source"] for r in records})
