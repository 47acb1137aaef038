#!/usr/bin/env bash
# The fusion network's whole chain, one command: dump the runtime's fusion inputs from the real
# pipeline (the trained pack's branches), train, export to ONNX, check the export in onnxruntime-node,
# and put it into models/trained/manifest.json only if it is not worse than the parameter-free layer
# on the held-out set. Rerun it whenever a branch model changes (the inputs change with it).
#
#   training/train-fusion.sh                      # assembled: FER2013 train + RAVDESS actors 01–16;
#                                                 # held out: FER2013 val + RAVDESS actors 17–20
#   training/train-fusion.sh --affwild2 DIR [--affwild2-val DIR]
#                                                 # an Aff-Wild2-format set (held out: the val DIR,
#                                                 # else the assembled held-out set)
# Environment: DATA (default ../shared/data), RUN (default training/runs/fusion), TRAIN_CLIPS (50),
# VAL_CLIPS (16), EPOCHS (120), PACK (the pack to update, default models/trained), SKIP_BUILD=1 to use
# the dist/ already built.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${DATA:-$ROOT/../shared/data}"
RUN="${RUN:-$ROOT/training/runs/fusion}"
PACK="${PACK:-$ROOT/models/trained}"
AFFWILD2=""
AFFWILD2_VAL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --affwild2) AFFWILD2="$(cd "$2" && pwd)"; shift 2 ;;
    --affwild2-val) AFFWILD2_VAL="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "train-fusion: unknown argument $1" >&2; exit 2 ;;
  esac
done
started=$(date +%s)
mkdir -p "$RUN"
cd "$ROOT"
[ "${SKIP_BUILD:-0}" = 1 ] || npx tsc -p tsconfig.json
# Every pipeline holds pool threads while it runs; too small a pool hangs the exit after many clips.
export UV_THREADPOOL_SIZE=64
DUMP=(nice -n 5 node dist/src/tools/training/dump-fusion-inputs.js --models "$PACK/manifest.json")
held_out_assembled() {
  "${DUMP[@]}" --out "$RUN/val.jsonl" --fer "$DATA/fer2013/val" --ravdess "$DATA/ravdess-speech-16k" --actors 17-20 --clips "${VAL_CLIPS:-16}" --seed 2
}
if [ -n "$AFFWILD2" ]; then
  "${DUMP[@]}" --out "$RUN/train.jsonl" --affwild2 "$AFFWILD2"
  if [ -n "$AFFWILD2_VAL" ]; then "${DUMP[@]}" --out "$RUN/val.jsonl" --affwild2 "$AFFWILD2_VAL"; else held_out_assembled; fi
else
  "${DUMP[@]}" --out "$RUN/train.jsonl" --fer "$DATA/fer2013/train" --ravdess "$DATA/ravdess-speech-16k" --actors 1-16 --clips "${TRAIN_CLIPS:-50}" --seed 1
  held_out_assembled
fi
dumped=$(date +%s)
cd "$ROOT/training"
PYTHONPATH=. nice -n 5 /usr/bin/python3 -m affect_training.train_fusion --train "$RUN/train.jsonl" --held-out "$RUN/val.jsonl" --out "$RUN" --epochs "${EPOCHS:-120}"
PYTHONPATH=. nice -n 5 /usr/bin/python3 -m affect_training.export_fusion --checkpoint "$RUN/fusion.pt" --windows "$RUN/val.jsonl" --out "$RUN/temporal-fusion.onnx"
node check-onnx.mjs "$RUN/temporal-fusion.onnx" "$RUN/temporal-fusion.parity.json"
trained=$(date +%s)
node update-fusion-manifest.mjs "$RUN" "$PACK"
echo "train-fusion: dump $((dumped - started)) s, train+export $((trained - dumped)) s, total $(( $(date +%s) - started )) s"
