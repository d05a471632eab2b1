#!/usr/bin/env bash
# celeba64 v2 (issue 28): celeba64 v1's weights fine-tuned on CelebA's photos aligned onto the
# head framing (train --framing head: the whole head, hair and crown, as FFHQ frames it), niced,
# checkpointed every 5 minutes, resumable: run it again after any interruption (or with a larger
# STEPS) and it continues the checkpoint in RUN_DIR (bit-exact on the CPU).
# Usage:
#   tools/train-celeba64-v2.sh CELEBA_DIR RUN_DIR [MINUTES]
#   CELEBA_DIR  a CelebA-layout folder (e.g. ../shared/data/celeba-10k)
# Why these settings (docs/models/celeba64.md, "Toward v2"): the framing pilot (9-minute fine-tunes
# from v1 at three framings, judged through the export) chose the head framing; v1's weights start
# it (held-out bits/dim 1.51 after 779 steps at this framing). UTKFace's crop_part1 chips are tight
# face crops that fill this frame only with padding: left out (a 12-minute pilot with them cost
# CelebA's held-out crops 0.009 bits/dim; docs/models/celeba64.md, "UTKFace for Age"). Schedule: 50-step
# warm-up to 5e-4, constant, then a linear decay to 5e-5 from step 12,000 to 17,000 (272,000
# images, twice v1's; about 31 epochs of CelebA's 8,741 training photos, mirrored at random).
# At about 23 img/s on the 2-core machine this is about 3.3 hours: several sessions, each ending
# with its weights committed. A run folder lost with its session continues from the weights it
# committed: INIT_MODEL=those.glow STEPS=<steps left> DECAY_FROM=<12000 - steps done> (the new run
# counts from 0; Adam starts afresh after the 50-step warm-up).
# PRECISION=bf16 runs the coupling networks' hidden convolutions in bf16: measure first (bench
# --precision fp32,bf16). On the Xeon with AMX/avx512_bf16 that trained v2 it was 1.34x fp32 with
# the same loss (250 steps from one checkpoint on the same batches: held-out 1.49370 vs 1.49376),
# so v2 ran in bf16 from step 3,696; on a CPU without native bf16 it is slower.
set -euo pipefail
celeba=${1:?CelebA folder}
run=${2:?run folder}
minutes=${3:-0}
here=$(dirname "$0")
cli=${GLOWLAB_CLI:-$here/../build/app/cli/glowlab-cli}
init=${INIT_MODEL:-$here/../resources/models/celeba64.glow}
steps=${STEPS:-17000}
decay_from=${DECAY_FROM:-12000}
precision=${PRECISION:-fp32}
nice -n 5 "$cli" train "$celeba" -o "$run" --resume --align --framing head --flip --init-model "$init" \
  --batch 16 --lr 5e-4 --warmup 50 --steps "$steps" --decay-from "$decay_from" --lr-final 0.1 --test-images 500 \
  --seed 1 --precision "$precision" --minutes "$minutes"
