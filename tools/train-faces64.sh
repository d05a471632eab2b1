#!/usr/bin/env bash
# Reproduces the bundled default model's training: resumable, niced, safe to re-run after any
# interruption (it continues the checkpoint in the run folder). Usage:
#   tools/train-faces64.sh DATA_DIR RUN_DIR MINUTES
# DATA_DIR comes from: node tools/faces/generate.mjs --out DATA_DIR --count 30000 --test-count 2000 --seed 2026
set -euo pipefail
data=${1:?data folder}
run=${2:?run folder}
minutes=${3:-60}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
exec nice -n 10 "$cli" train "$data" -o "$run" --resume \
  --image-size 64 --channels 3 -L 3 -K 8 --width 128 --coupling affine --n-bits 5 \
  --batch 16 --lr 7e-4 --warmup 300 --ema 0.999 --seed 1 \
  --checkpoint-minutes 10 --test-images 500 --minutes "$minutes"
