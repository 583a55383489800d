#!/usr/bin/env bash
# npm run train:demo: the whole demo-model recipe, from FracAtlas to models/demo.
# Needs Debian's python3-torch and libopenblas0-pthread (apt-get install
# python3-torch libopenblas0-pthread) and ../shared/data (or $SKELEX_DATA).
# About 45 min (MAE) + 3 min (heads) + 5 min (bundle, evaluation) on an idle
# 2-core machine. Stopped midway, run it again: the MAE resumes from its last
# finished epoch (models/demo-training/.cache/mae-state.pt).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import torch, numpy' 2>/dev/null; then
  echo "train:demo needs PyTorch and NumPy for $PYTHON: apt-get install python3-torch libopenblas0-pthread" >&2
  exit 1
fi
HERE=models/demo-training
[ -f "$HERE/.cache/fracatlas-256.u8" ] || npx tsx "$HERE/prepare-data.ts"
(cd "$HERE" && "$PYTHON" train_mae.py --resume)
(cd "$HERE" && "$PYTHON" train_heads.py --mode probe)
npx tsx "$HERE/build-bundle.ts"
npx tsx "$HERE/evaluate.ts" models/demo --json "$HERE/metrics.json"
