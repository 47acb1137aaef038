"""Exports a trained face branch to ONNX (dynamic batch) with a parity record: a few real FER2013 val
images (and noise) through PyTorch, saved next to the model so a test can check ONNX Runtime agrees.

    /usr/bin/python3 -m affect_training.export_face --checkpoint runs/face/face.pt --data ../../shared/data/fer2013 \\
        --out ../models/trained/face-mesca-resnet.onnx
"""
import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from .face_net import FACE_CLASSES, FaceNet
from .fer_data import load_split
from .train_face import to_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="FER2013 root (val images go into the parity record)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    model = FaceNet()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    images, _ = load_split(args.data, "val", limit_per_class=1)
    sample = torch.cat([to_input(images), torch.rand(2, 48, 48, 1) * 2 - 1])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        sample,
        str(args.out),
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
        opset_version=13,
        do_constant_folding=True,
    )
    with torch.no_grad():
        expected = model(sample).numpy()
    parity = {
        "model": args.out.name,
        "input_shape": list(sample.shape),
        "input": np.round(sample.numpy().reshape(-1), 6).tolist(),
        "logits": expected.reshape(-1).tolist(),
        "classes": FACE_CLASSES,
    }
    # Inputs are rounded to 6 decimals in the record, so PyTorch is rerun on exactly those values.
    rounded = torch.tensor(parity["input"], dtype=torch.float32).reshape(sample.shape)
    with torch.no_grad():
        parity["logits"] = model(rounded).numpy().reshape(-1).tolist()
    args.out.with_suffix(".parity.json").write_text(json.dumps(parity))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(json.dumps({"onnx": str(args.out), "sha256": digest, "bytes": args.out.stat().st_size}))


if __name__ == "__main__":
    main()
