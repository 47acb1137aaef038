"""Trains the speech branch on RAVDESS with actor-wise splits, on the features the runtime computes
(training/extract-speech-features.mjs). A fixed schedule, no epoch chosen on validation actors, so the
held-out figures are not tuned on them. With --folds 5, five runs each hold out 4 actors (01–04, …,
17–20) and the mean is reported; the model saved is the one of the fold given by --val-actors.

    /usr/bin/python3 -m affect_training.train_speech --features runs/speech-features --out runs/speech
"""
import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .metrics import scores
from .ravdess_data import RAVDESS_CLASSES, Features, crop, load_features, runtime_contexts, split_by_actor
from .speech_net import SpeechNet

# RAVDESS label → ABAW index (Neutral, Anger, Disgust, Fear, Happiness, Sadness, Surprise): calm is Neutral.
TO_ABAW = np.array([0, 0, 4, 5, 1, 3, 2, 6])
MIN_FRAMES = 100


def batch_tensors(items: list, features: Features, length: int, rng: np.random.Generator, train: bool) -> tuple:
    mels, embs = [], []
    for u in items:
        start = int(rng.integers(0, len(u.mel) - length + 1)) if train else len(u.mel) - length
        mel, emb = crop(u, start, length, features.patch_frames)
        mels.append(mel)
        embs.append(emb)
    # Crops of equal length hold 0–1 more or fewer embeddings (the runtime's patch grid follows its
    # windows); the batch keeps the most recent ones common to all.
    count = min(len(e) for e in embs)
    mel = torch.from_numpy(np.stack(mels))
    emb = torch.from_numpy(np.stack([e[len(e) - count:] for e in embs]))
    return mel, emb


def spec_augment(mel: torch.Tensor, emb: torch.Tensor, gen: torch.Generator) -> tuple:
    """Time and frequency masks filled with each utterance's per-bin mean (0 after normalisation), and
    dropped embedding steps plus a little noise on the embeddings."""
    mel = mel.clone()
    b, t, f = mel.shape
    fill = mel.mean(dim=1, keepdim=True)
    for i in range(b):
        for _ in range(2):
            w = int(torch.randint(0, max(2, t // 10), (1,), generator=gen))
            s = int(torch.randint(0, max(1, t - w), (1,), generator=gen))
            mel[i, s:s + w, :] = fill[i, 0, :]
            fw = int(torch.randint(0, 5, (1,), generator=gen))
            fs = int(torch.randint(0, f - fw + 1, (1,), generator=gen))
            mel[i, :, fs:fs + fw] = fill[i, 0, fs:fs + fw]
    emb = emb + torch.randn(emb.shape, generator=gen) * 0.05 * emb.std()
    keep = (torch.rand(emb.shape[0], emb.shape[1], 1, generator=gen) > 0.1).float()
    emb = emb * keep + emb.mean(dim=1, keepdim=True) * (1 - keep)
    return mel, emb


def predict(model: SpeechNet, items: list, features: Features, context_frames: int) -> dict:
    """Per utterance: probabilities at the last window with speech ("last", what `eval --audio` scores)
    and their mean over all windows with speech ("mean"), with the runtime's contexts."""
    model.eval()
    last, mean = [], []
    with torch.no_grad():
        for u in items:
            probs = []
            for start, length in runtime_contexts(u, features, context_frames):
                mel, emb = crop(u, start, length, features.patch_frames)
                if len(emb) == 0 and model.use_embeddings:
                    continue
                logits = model(torch.from_numpy(mel[None]), torch.from_numpy(emb[None]))
                probs.append(torch.softmax(logits, dim=1)[0].numpy())
            if not probs:  # no window with speech: the runtime has no model output; score as neutral
                probs = [np.eye(8, dtype=np.float32)[0]]
            last.append(probs[-1])
            mean.append(np.mean(probs, axis=0))
    return {"last": np.stack(last), "mean": np.stack(mean)}


def score_all(probs: np.ndarray, labels: np.ndarray) -> dict:
    pred8 = probs.argmax(axis=1)
    abaw_probs = np.zeros((len(probs), 7), dtype=np.float64)
    for j, k in enumerate(TO_ABAW):
        abaw_probs[:, k] += probs[:, j]
    s8 = scores(labels, pred8, 8)
    s7 = scores(TO_ABAW[labels], abaw_probs.argmax(axis=1), 7)
    return {"ravdess8": s8, "abaw": s7}


def train_one(train: list, val: list, features: Features, args, log) -> tuple:
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    context_frames = round(args.context * 16000 / features.hop_samples)
    model = SpeechNet(features.bins, features.dims, use_embeddings=not args.no_embeddings)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    labels = np.array([u.label for u in train])
    history = []
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(train))
        total = 0.0
        for step in range(steps_per_epoch):
            idx = order[step * args.batch:(step + 1) * args.batch]
            items = [train[i] for i in idx]
            shortest = min(len(u.mel) for u in items)
            # Half the batches see a whole context (as at the end of an utterance), half a shorter one (its start).
            length = context_frames if rng.random() < 0.5 else int(rng.integers(MIN_FRAMES, context_frames + 1))
            length = max(MIN_FRAMES, min(length, shortest))
            mel, emb = batch_tensors(items, features, length, rng, train=True)
            mel, emb = spec_augment(mel, emb, gen)
            loss = loss_fn(model(mel, emb), torch.from_numpy(labels[idx]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss) * len(idx)
        entry = {"epoch": epoch + 1, "loss": round(total / len(train), 4), "seconds": round(time.time() - started, 1)}
        if val and ((epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs):
            s = score_all(predict(model, val, features, context_frames)["last"], np.array([u.label for u in val]))
            entry.update({"val_accuracy8": round(s["ravdess8"]["accuracy"], 4), "val_macro_f1_8": round(s["ravdess8"]["macro_f1"], 4), "val_accuracy_abaw": round(s["abaw"]["accuracy"], 4), "val_macro_f1_abaw": round(s["abaw"]["macro_f1"], 4)})
        history.append(entry)
        log(json.dumps(entry))
    return model, history, time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=Path, required=True, help="output of training/extract-speech-features.mjs")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--val-actors", default="17,18,19,20")
    parser.add_argument("--folds", type=int, default=1, help="5: also run the other 4-actor folds and report the mean")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.05)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--context", type=float, default=4.0, help="seconds of audio one run sees (the manifest's contextSeconds)")
    parser.add_argument("--no-embeddings", action="store_true", help="log-mel branch only")
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None, help="files per actor (smoke runs)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    log_file = (args.out / "speech-train.log").open("a")

    def log(line: str) -> None:
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    features = load_features(args.features)
    if args.limit:
        seen: dict = {}
        kept = []
        for u in features.utterances:
            seen[u.actor] = seen.get(u.actor, 0) + 1
            if seen[u.actor] <= args.limit:
                kept.append(u)
        features.utterances = kept
    main_val = {int(a) for a in args.val_actors.split(",")}
    folds = [main_val] + [set(range(k * 4 + 1, k * 4 + 5)) for k in range(5) if set(range(k * 4 + 1, k * 4 + 5)) != main_val][: max(0, args.folds - 1)]
    context_frames = round(args.context * 16000 / features.hop_samples)
    results = []
    for fold, val_actors in enumerate(folds):
        train, val = split_by_actor(features, val_actors)
        log(f"fold {fold + 1}/{len(folds)}: train {len(train)} files of actors {sorted({u.actor for u in train})}, val {len(val)} files of actors {sorted(val_actors)}")
        model, history, seconds = train_one(train, val, features, args, log)
        probs = predict(model, val, features, context_frames)
        truth = np.array([u.label for u in val])
        result = {"val_actors": sorted(val_actors), "train_seconds": round(seconds, 1), "history": history, "last": score_all(probs["last"], truth), "mean": score_all(probs["mean"], truth)}
        results.append(result)
        log(json.dumps({"fold": fold + 1, "val_actors": sorted(val_actors), "seconds": round(seconds, 1),
                        "accuracy8": round(result["last"]["ravdess8"]["accuracy"], 4), "macro_f1_8": round(result["last"]["ravdess8"]["macro_f1"], 4),
                        "accuracy_abaw": round(result["last"]["abaw"]["accuracy"], 4), "macro_f1_abaw": round(result["last"]["abaw"]["macro_f1"], 4),
                        "mean_windows_accuracy8": round(result["mean"]["ravdess8"]["accuracy"], 4)}))
        if fold == 0:
            torch.save(model.state_dict(), args.out / "speech.pt")
    summary = {
        "classes": RAVDESS_CLASSES,
        "context_seconds": args.context,
        "use_embeddings": not args.no_embeddings,
        "args": {k: str(v) for k, v in vars(args).items()},
        "folds": results,
    }
    if len(results) > 1:
        for key in ("accuracy", "macro_f1"):
            for space in ("ravdess8", "abaw"):
                summary[f"cv_mean_{space}_{key}"] = float(np.mean([r["last"][space][key] for r in results]))
        log(json.dumps({k: round(v, 4) for k, v in summary.items() if k.startswith("cv_mean")}))
    (args.out / "speech-metrics.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
