"""Exports the fusion network to ONNX with the runtime's interface (docs/fusion.md §6): inputs `face`
[B,T,10], `voice` [B,T,14], `weights` [B,T,2], `current` [B,T]; outputs `logits` [B,8], `valence`
[B,1], `arousal` [B,1]; B and T dynamic. Writes a parity record (real held-out windows at the
runtime's T and random inputs at another T, through PyTorch) for check-onnx.mjs and the test
suite, and checks causality: changing the last step leaves every earlier step's state unchanged.

    /usr/bin/python3 -m affect_training.export_fusion --checkpoint runs/fusion/fusion.pt \\
        --windows runs/fusion/val.jsonl --out runs/fusion/temporal-fusion.onnx
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from .fusion_data import load_windows, tensors
from .fusion_net import FACE_FEATURES, HISTORY, VOICE_FEATURES, FusionNet

INPUTS = ["face", "voice", "weights", "current"]
OUTPUTS = ["logits", "valence", "arousal"]


def random_case(batch: int, steps: int, generator: torch.Generator) -> dict:
    face = torch.softmax(torch.randn(batch, steps, 8, generator=generator), -1)
    face = torch.cat([face, torch.rand(batch, steps, 2, generator=generator) * 2 - 1], -1)
    voice = torch.rand(batch, steps, VOICE_FEATURES, generator=generator)
    w = torch.rand(batch, steps, 2, generator=generator)
    current = torch.zeros(batch, steps)
    current[:, HISTORY:] = 1
    return {"face": face, "voice": voice, "weights": w / w.sum(-1, keepdim=True), "current": current}


def rounded(case: dict) -> dict:
    # The record keeps 6 decimals; PyTorch is run on exactly the recorded values.
    return {k: torch.tensor(np.round(v.numpy(), 6), dtype=torch.float32) for k, v in case.items()}


def check_causal(model: FusionNet, case: dict) -> float:
    with torch.no_grad():
        before, _ = model.step_states(case["face"], case["voice"], case["weights"])
        changed = {k: v.clone() for k, v in case.items()}
        changed["face"][:, -1] += 0.5
        changed["voice"][:, -1] += 0.5
        changed["weights"][:, -1] = torch.tensor([0.3, 0.7])
        after, _ = model.step_states(changed["face"], changed["voice"], changed["weights"])
    return float((before[:, :-1] - after[:, :-1]).abs().max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--windows", type=Path, required=True, help="dumped windows; the first few go into the parity record")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--channels", type=int, default=32)
    args = parser.parse_args()
    model = FusionNet(channels=args.channels)
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    real = tensors(load_windows([args.windows])[:6])
    cases = [rounded({k: real[k] for k in INPUTS}), rounded(random_case(2, 37, torch.Generator().manual_seed(5)))]
    drift = check_causal(model, cases[1])
    if drift > 1e-6:
        raise SystemExit(f"the model is not causal: earlier steps changed by {drift}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        tuple(cases[0][k] for k in INPUTS),
        str(args.out),
        input_names=INPUTS,
        output_names=OUTPUTS,
        dynamic_axes={**{k: {0: "B", 1: "T"} for k in INPUTS}, **{k: {0: "B"} for k in OUTPUTS}},
        opset_version=13,
        do_constant_folding=True,
    )
    record = {"model": args.out.name, "cases": []}
    with torch.no_grad():
        for case in cases:
            outputs = model(*(case[k] for k in INPUTS))
            record["cases"].append({
                "inputs": {k: {"shape": list(case[k].shape), "data": case[k].numpy().reshape(-1).tolist()} for k in INPUTS},
                "outputs": {k: o.numpy().reshape(-1).tolist() for k, o in zip(OUTPUTS, outputs)},
            })
    args.out.with_suffix(".parity.json").write_text(json.dumps(record))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({"onnx": str(args.out), "sha256": digest, "bytes": args.out.stat().st_size, "causal_drift": drift, "face_features": FACE_FEATURES, "voice_features": VOICE_FEATURES, "history": HISTORY}))


if __name__ == "__main__":
    main()
