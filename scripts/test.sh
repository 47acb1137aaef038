#!/usr/bin/env bash
# Sets the project up (idempotent, quick when done) and runs the test suite. Extra arguments go to `npm test`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
printf '\n==> [test] npm test (node %s)\n' "$(node -v)"
npm test -- "$@"
