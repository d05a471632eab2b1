#!/usr/bin/env bash
# Reproduces the bundled default model's training: resumable, niced, safe to re-run after any
# interruption (it continues the checkpoint in the run folder; resume is bit-exact on the CPU).
# Usage:
#   tools/train-faces64.sh DATA_DIR RUN_DIR [MINUTES]
# DATA_DIR comes from: node tools/faces/generate.mjs --out DATA_DIR --count 30000 --test-count 2000 --seed 2026
# Constant learning rate 7e-4 after a 300-step warm-up, then from step 4000 a linear decay to
# 7e-5 at step 11400. MINUTES (default: none) bounds one session; run it again to continue.
set -euo pipefail
data=${1:?data folder}
run=${2:?run folder}
minutes=${3:-0}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
exec nice -n 10 "$cli" train "$data" -o "$run" --resume \
  --image-size 64 --channels 3 -L 3 --steps-per-level 8 --width 128 --coupling affine --n-bits 5 \
  --batch 16 --lr 7e-4 --warmup 300 --steps 11400 --decay-from 4000 --lr-final 0.1 --ema 0.999 --seed 1 \
  --checkpoint-minutes 10 --test-images 500 --minutes "$minutes"
