#!/usr/bin/env bash
# The CI's training smoke run: a few steps of the face branch on a tiny FER2013 subset, export to ONNX,
# and a check that onnxruntime-node (the runtime) reproduces PyTorch on the exported graph.
# Needs Debian's python3-torch, python3-onnx and python3-pil (installed here if missing) and the data
# at ../shared/data (or FER_ROOT).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FER_ROOT="${FER_ROOT:-$ROOT/../shared/data/fer2013}"
if [ ! -d "$FER_ROOT/train" ]; then
  echo "training smoke: FER2013 not found at $FER_ROOT (set FER_ROOT)" >&2
  exit 1
fi
missing=()
for pkg in python3-torch python3-onnx python3-pil; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cd "$ROOT/training"
/usr/bin/python3 -m affect_training.train_face --data "$FER_ROOT" --out "$OUT" --epochs 1 --limit 12 --batch 32
/usr/bin/python3 -m affect_training.export_face --checkpoint "$OUT/face.pt" --data "$FER_ROOT" --out "$OUT/face.onnx"
node "$ROOT/training/check-onnx.mjs" "$OUT/face.onnx" "$OUT/face.parity.json"
# The speech branch: features from the runtime's own code (needs dist/) on 16 RAVDESS files of two
# actors, one epoch, export, parity.
RAVDESS_ROOT="${RAVDESS_ROOT:-$ROOT/../shared/data/ravdess-speech-16k}"
if [ ! -d "$RAVDESS_ROOT/Actor_01" ]; then
  echo "training smoke: RAVDESS not found at $RAVDESS_ROOT (set RAVDESS_ROOT)" >&2
  exit 1
fi
for actor in 01 17; do
  mkdir -p "$OUT/ravdess/Actor_$actor"
  ln -s "$RAVDESS_ROOT/Actor_$actor"/03-01-0?-01-01-01-"$actor".flac "$OUT/ravdess/Actor_$actor/"
done
(cd "$ROOT" && node training/extract-speech-features.mjs "$OUT/ravdess" "$OUT/speech-features")
/usr/bin/python3 -m affect_training.train_speech --features "$OUT/speech-features" --out "$OUT/speech" --epochs 1 --batch 8 --val-actors 17
/usr/bin/python3 -m affect_training.export_speech --checkpoint "$OUT/speech/speech.pt" --features "$OUT/speech-features" --val-actors 17 --out "$OUT/speech.onnx"
node "$ROOT/training/check-onnx.mjs" "$OUT/speech.onnx" "$OUT/speech.parity.json"
# The fusion network: inputs dumped from the real pipeline on two tiny assembled clips (and one held
# out), two epochs, export, parity with the runtime (training/train-fusion.sh is the full chain).
DUMP=(env UV_THREADPOOL_SIZE=64 node "$ROOT/dist/src/tools/training/dump-fusion-inputs.js" --models "$ROOT/models/trained/manifest.json" --ravdess "$RAVDESS_ROOT" --segments 4)
"${DUMP[@]}" --out "$OUT/fusion-train.jsonl" --fer "$FER_ROOT/train" --actors 1-16 --clips 2 --seed 1
"${DUMP[@]}" --out "$OUT/fusion-val.jsonl" --fer "$FER_ROOT/val" --actors 17-20 --clips 1 --seed 2
/usr/bin/python3 -m affect_training.train_fusion --train "$OUT/fusion-train.jsonl" --held-out "$OUT/fusion-val.jsonl" --out "$OUT/fusion" --epochs 2
/usr/bin/python3 -m affect_training.export_fusion --checkpoint "$OUT/fusion/fusion.pt" --windows "$OUT/fusion-val.jsonl" --out "$OUT/fusion.onnx"
node "$ROOT/training/check-onnx.mjs" "$OUT/fusion.onnx" "$OUT/fusion.parity.json"
echo "training smoke: ok"
