#!/usr/bin/env bash
# faces64 v2: v1's weights (the bundled model as it was at v1) continued with the bounded coupling
# (scale floor S, default 0.5), niced, checkpointed every 10 minutes, resumable: run it again after any
# interruption and it continues the checkpoint in RUN_DIR (bit-exact on the CPU).
# Usage:
#   tools/train-faces64-v2.sh DATA_DIR RUN_DIR [MINUTES]
# DATA_DIR comes from: node tools/faces/generate.mjs --out DATA_DIR --count 30000 --test-count 2000 --seed 2026
# INIT (default: docs/models/faces64-v1.glow) is the starting model when RUN_DIR holds no checkpoint yet;
# a later session whose machine lost RUN_DIR starts from the last committed v2 instead
# (INIT=resources/models/faces64.glow) and says so in its note.
# Schedule, in two stages (each resumable; the second continues the first's checkpoint):
#   1. 200-step warm-up to 3e-4, constant, then a linear decay from step 6,500 to 3e-5 at 13,000
#      (208,000 images; sized to end inside one 3-hour session on 2 cores at ~50 img/s);
#   2. steps 13,000-20,000 at 1e-4 decaying linearly to 3e-5 (112,000 images).
# 20,000 steps x 16 = 320,000 images on top of v1's 159,728: 479,728 in all, 3.0x v1.
set -euo pipefail
data=${1:?data folder}
run=${2:?run folder}
minutes=${3:-0}
here=$(dirname "$0")
cli=${GLOWLAB_CLI:-$here/../build/app/cli/glowlab-cli}
init=${INIT:-$here/../docs/models/faces64-v1.glow}
scale_min=${SCALE_MIN:-0.5}
common=(--resume --init-model "$init" --scale-min "$scale_min" --batch 16 --warmup 200 --ema 0.999 --seed 2
        --checkpoint-minutes 10 --test-images 500 --minutes "$minutes")
nice -n 10 "$cli" train "$data" -o "$run" "${common[@]}" --lr 3e-4 --steps 13000 --decay-from 6500 --lr-final 0.1
# Stage 2 only once stage 1 reached its last step (a --minutes limit may stop it earlier).
grep -q '"step":13000,' "$run/train.jsonl" || { echo "stage 1 not finished yet: run this script again"; exit 0; }
nice -n 10 "$cli" train "$data" -o "$run" "${common[@]}" --lr 1e-4 --steps 20000 --decay-from 13000 --lr-final 0.3
