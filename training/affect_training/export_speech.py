"""Exports the trained speech branch to ONNX (opset 13, dynamic batch and time) with a parity record:
real held-out RAVDESS contexts (as the runtime builds them) and noise through PyTorch, saved next to
the model so onnxruntime-node can check it serves as exported (training/check-onnx.mjs, the tests).

    /usr/bin/python3 -m affect_training.export_speech --checkpoint runs/speech/speech.pt \\
        --features runs/speech-features --out ../models/trained/speech-gcsa-tcn.onnx
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from .ravdess_data import RAVDESS_CLASSES, crop, load_features, runtime_contexts
from .speech_net import SpeechNet


class Exported(torch.nn.Module):
    def __init__(self, net: SpeechNet):
        super().__init__()
        self.net = net

    def forward(self, mel: torch.Tensor, embeddings: torch.Tensor) -> torch.Tensor:
        return self.net(mel, embeddings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--context", type=float, default=4.0)
    parser.add_argument("--val-actors", default="17,18,19,20")
    args = parser.parse_args()
    features = load_features(args.features)
    net = SpeechNet(features.bins, features.dims)
    net.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    net.eval()
    model = Exported(net).eval()
    context_frames = round(args.context * 16000 / features.hop_samples)
    val_actors = {int(a) for a in args.val_actors.split(",")}
    # Held-out utterances of two classes at their last window with speech, a stream's first window, and
    # noise: three time lengths, a few hundred kB of record.
    samples = []
    for label in (RAVDESS_CLASSES.index("sad"), RAVDESS_CLASSES.index("angry")):
        u = next(u for u in features.utterances if u.actor in val_actors and u.label == label)
        start, length = runtime_contexts(u, features, context_frames)[-1]
        samples.append(crop(u, start, length, features.patch_frames))
    short = next(u for u in features.utterances if u.actor in val_actors)
    samples.append(crop(short, 0, 97, features.patch_frames))
    rng = np.random.default_rng(0)
    samples.append(((rng.standard_normal((200, features.bins)) * 10 + 60).astype(np.float32), rng.standard_normal((16, features.dims)).astype(np.float32)))
    example = (torch.from_numpy(samples[0][0][None]), torch.from_numpy(samples[0][1][None]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        example,
        str(args.out),
        input_names=["mel", "embeddings"],
        output_names=["logits"],
        dynamic_axes={"mel": {0: "N", 1: "T"}, "embeddings": {0: "N", 1: "E"}, "logits": {0: "N"}},
        opset_version=13,
        do_constant_folding=True,
    )
    records = []
    for mel, emb in samples:
        # Inputs are rounded to 6 significant decimals in the record, so PyTorch reruns on exactly those values.
        mel_r = np.round(mel.astype(np.float64), 4).astype(np.float32)
        emb_r = np.round(emb.astype(np.float64), 6).astype(np.float32)
        with torch.no_grad():
            logits = model(torch.from_numpy(mel_r[None]), torch.from_numpy(emb_r[None]))[0].numpy()
        records.append({"mel_shape": [1, *mel_r.shape], "mel": mel_r.reshape(-1).tolist(), "embeddings_shape": [1, *emb_r.shape], "embeddings": emb_r.reshape(-1).tolist(), "logits": logits.tolist()})
    parity = {"model": args.out.name, "inputs": {"mel": "mel", "embeddings": "embeddings"}, "output": "logits", "classes": RAVDESS_CLASSES, "cases": records}
    args.out.with_suffix(".parity.json").write_text(json.dumps(parity))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({"onnx": str(args.out), "sha256": digest, "bytes": args.out.stat().st_size, "parameters": sum(p.numel() for p in net.parameters())}))


if __name__ == "__main__":
    main()
