"""Trains the fusion network on windows dumped from the real pipeline, chooses the epoch on a
clip-wise internal split of the training windows, and compares it with the parameter-free layer
and each branch alone on a held-out set.

    /usr/bin/python3 -m affect_training.train_fusion --train runs/fusion/train.jsonl \\
        --held-out runs/fusion/val.jsonl --out runs/fusion
"""
import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .fusion_data import load_windows, sources, tensors
from .fusion_eval import compare
from .fusion_net import CLASSES, FusionNet


# The voice row's 8-class distribution (docs/fusion.md §2: features 6..13).
VOICE_CLASS_SLICE = slice(6, 14)


def ccc_loss(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    mp, mt = pred.mean(), truth.mean()
    cov = ((pred - mp) * (truth - mt)).mean()
    return 1 - 2 * cov / (pred.var(unbiased=False) + truth.var(unbiased=False) + (mp - mt) ** 2 + 1e-6)


def loss_of(model, batch, class_weights):
    logits, valence, arousal = model(batch["face"], batch["voice"], batch["weights"], batch["current"])
    loss = torch.zeros(())
    has_label = batch["label"] >= 0
    if has_label.any():
        loss = loss + nn.functional.cross_entropy(logits[has_label], batch["label"][has_label], weight=class_weights)
    has_va = ~torch.isnan(batch["va"][:, 0])
    if has_va.sum() > 1:
        pred = torch.cat([valence, arousal], dim=1)[has_va]
        truth = batch["va"][has_va]
        loss = loss + nn.functional.mse_loss(pred, truth) + 0.5 * (ccc_loss(pred[:, 0], truth[:, 0]) + ccc_loss(pred[:, 1], truth[:, 1]))
    return loss


@torch.no_grad()
def predict(model, data) -> dict:
    model.eval()
    logits, valence, arousal = model(data["face"], data["voice"], data["weights"], data["current"])
    return {"label": logits.argmax(dim=1).tolist(), "valence": valence[:, 0].tolist(), "arousal": arousal[:, 0].tolist()}


def subset(data: dict, index) -> dict:
    return {k: v[index] for k, v in data.items()}


def swap_voice_classes(voice: torch.Tensor, share: float) -> torch.Tensor:
    """The speech model saw the training actors, so on them it is right far more often than on new
    speakers (held-out accuracy ≈ 0.55); trained on its raw outputs, the fusion would over-trust the
    voice. Giving a share of windows another window's voice distribution makes the voice as fallible
    in training as it is on unseen speakers."""
    if share <= 0:
        return voice
    chosen = torch.rand(voice.shape[0]) < share
    donors = torch.randperm(voice.shape[0])
    voice = voice.clone()
    voice[chosen, :, VOICE_CLASS_SLICE] = voice[donors[chosen], :, VOICE_CLASS_SLICE]
    return voice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train", type=Path, nargs="+", required=True)
    parser.add_argument("--held-out", type=Path, nargs="*", default=[], help="windows never used for training or choosing the epoch")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--voice-swap", type=float, default=0.45, help="share of training windows whose voice class distribution is swapped with another window's")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    # Tiny batches: one thread avoids spinning against the other jobs on a small machine.
    torch.set_num_threads(1)
    started = time.time()

    records = load_windows(args.train)
    clips = sources(records)
    if len(clips) < 2:
        raise SystemExit(f"{len(clips)} clip/video with face or speech in {[str(p) for p in args.train]}: at least 2 are needed (one to fit, one to choose the epoch)")
    random.Random(args.seed).shuffle(clips)
    inner = set(clips[: max(1, len(clips) * 15 // 100)])
    fit_records = [r for r in records if r["source"] not in inner]
    pick_records = [r for r in records if r["source"] in inner]
    fit, pick = tensors(fit_records), tensors(pick_records)
    counts = torch.bincount(fit["label"][fit["label"] >= 0], minlength=CLASSES).float()
    # Square-root inverse frequency, for macro-F1; classes absent from training (Other) get no weight.
    class_weights = torch.where(counts > 0, (counts.sum() / counts.clamp(min=1)).sqrt(), torch.zeros(()))
    class_weights = class_weights / class_weights[counts > 0].mean()

    model = FusionNet(channels=args.channels)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=args.epochs * ((len(fit_records) + args.batch - 1) // args.batch))
    history, best, best_state = [], -1.0, None
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(fit_records))
        total = 0.0
        for i in range(0, len(order), args.batch):
            batch = subset(fit, order[i:i + args.batch])
            batch["voice"] = swap_voice_classes(batch["voice"], args.voice_swap)
            optimizer.zero_grad()
            loss = loss_of(model, batch, class_weights)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += float(loss) * len(batch["label"])
        scores = compare(pick_records, predict(model, pick))["trained_fusion"]
        # ABAW's expression score plus the mean VA concordance picks the epoch.
        score = scores["macro_f1"] + 0.5 * (scores["ccc_valence"] + scores["ccc_arousal"]) / 2
        history.append({"epoch": epoch + 1, "loss": total / len(fit_records), "pick_macro_f1": scores["macro_f1"], "pick_accuracy": scores["accuracy"], "pick_ccc_valence": scores["ccc_valence"], "pick_ccc_arousal": scores["ccc_arousal"]})
        if score > best:
            best, best_state = score, {k: v.clone() for k, v in model.state_dict().items()}
            history[-1]["chosen"] = True
        if (epoch + 1) % 10 == 0:
            print(json.dumps(history[-1]), flush=True)
    model.load_state_dict(best_state)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), args.out / "fusion.pt")
    result = {
        "train_windows": len(fit_records),
        "pick_windows": len(pick_records),
        "train_clips": len(clips) - len(inner),
        "pick_clips": len(inner),
        "chosen_epoch": next(h["epoch"] for h in reversed(history) if h.get("chosen")),
        "parameters": sum(p.numel() for p in model.parameters()),
        "channels": args.channels,
        "epochs": args.epochs,
        "history": history,
    }
    if args.held_out:
        held = load_windows(args.held_out)
        result["held_out_windows"] = len(held)
        result["held_out_windows_without_evidence"] = len(load_windows(args.held_out, evidence_only=False)) - len(held)
        result["held_out"] = compare(held, predict(model, tensors(held)))
    result["seconds"] = round(time.time() - started, 1)
    (args.out / "fusion-metrics.json").write_text(json.dumps(result, indent=1))
    if "held_out" in result:
        for name, s in result["held_out"].items():
            print(f"{name:15s} acc {s['accuracy']:.4f} macro-F1 {s['macro_f1']:.4f} CCC v {s['ccc_valence']:.3f} a {s['ccc_arousal']:.3f}")


if __name__ == "__main__":
    main()
