"""Trains the face branch on FER2013 train, selects the epoch by macro-F1 on FER2013 val, exports ONNX.

    /usr/bin/python3 -m affect_training.train_face --data ../../shared/data/fer2013 --out runs/face
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .face_net import FACE_CLASSES, FaceNet
from .fer_data import load_split
from .metrics import scores


def to_input(images: np.ndarray) -> torch.Tensor:
    """uint8 [N,48,48] → float NHWC in [-1, 1], as the runtime feeds gray crops (mean 127.5, std 127.5)."""
    return (torch.from_numpy(images).float().unsqueeze(-1) - 127.5) / 127.5


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flips, shifts of up to 4 px and brightness/contrast jitter: faces in video are rarely as centred as FER's."""
    n = batch.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None], batch.flip(2), batch)
    padded = nn.functional.pad(batch.permute(0, 3, 1, 2), (4, 4, 4, 4), mode="replicate")
    dx, dy = torch.randint(0, 9, (2,), generator=generator).tolist()
    batch = padded[:, :, dy:dy + 48, dx:dx + 48].permute(0, 2, 3, 1)
    gain = 1 + (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.4
    bias = (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.2
    return (batch * gain + bias).clamp(-1, 1)


def evaluate(model: nn.Module, images: torch.Tensor, labels: np.ndarray, batch: int = 512) -> dict:
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            preds.append(model(images[i:i + batch]).argmax(dim=1).numpy())
    return scores(labels, np.concatenate(preds), len(FACE_CLASSES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="FER2013 root with train/ and val/")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--limit", type=int, default=None, help="images per class (smoke runs)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--init", type=Path, default=None, help="checkpoint to continue from (a second, lower-rate cycle)")
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--warmup", type=float, default=0.2, help="share of the steps spent raising the learning rate")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    train_x, train_y = load_split(args.data, "train", args.limit)
    val_x, val_y = load_split(args.data, "val", args.limit)
    train_in, val_in = to_input(train_x), to_input(val_x)
    counts = np.bincount(train_y, minlength=len(FACE_CLASSES))
    # Square-root inverse frequency: lifts rare classes (disgust) for macro-F1 without trading away the common ones.
    weights = torch.tensor((counts.max() / np.maximum(1, counts)) ** 0.5, dtype=torch.float32)
    print(f"train {len(train_y)} images, val {len(val_y)}; class counts {counts.tolist()}", flush=True)

    model = FaceNet()
    if args.init is not None:
        model.load_state_dict(torch.load(args.init, map_location="cpu"))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    steps_per_epoch = math.ceil(len(train_y) / args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=args.warmup)
    loss_fn = nn.CrossEntropyLoss(weight=weights, label_smoothing=args.label_smoothing)
    best = {"macro_f1": -1.0}
    history = []
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_y), generator=generator)
        total = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * args.batch:(step + 1) * args.batch]
            x = augment(train_in[idx], generator)
            loss = loss_fn(model(x), torch.from_numpy(train_y[idx.numpy()]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss) * len(idx)
        val = evaluate(model, val_in, val_y)
        entry = {"epoch": epoch + 1, "loss": total / len(train_y), "val_accuracy": val["accuracy"], "val_macro_f1": val["macro_f1"], "seconds": time.time() - started}
        history.append(entry)
        print(json.dumps(entry), flush=True)
        if val["macro_f1"] > best["macro_f1"]:
            best = {**val, "epoch": epoch + 1}
            torch.save(model.state_dict(), args.out / "face.pt")
    (args.out / "face-metrics.json").write_text(json.dumps({"best": best, "history": history, "args": {k: str(v) for k, v in vars(args).items()}, "train_seconds": time.time() - started, "classes": FACE_CLASSES}, indent=2))
    print(f"best epoch {best['epoch']}: val accuracy {best['accuracy']:.4f}, macro-F1 {best['macro_f1']:.4f}", flush=True)


if __name__ == "__main__":
    main()
