#!/usr/bin/env bash
# Sets the project up (idempotent, quick when done) and analyses the demo clip: one JSON event per second.
# Extra arguments go to `affectstream analyze`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n==> [demo] node bin/affectstream.cjs analyze demo/demo.mp4 %s\n' "$*"
exec node bin/affectstream.cjs analyze demo/demo.mp4 "$@"
