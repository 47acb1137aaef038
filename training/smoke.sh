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
echo "training smoke: ok"
