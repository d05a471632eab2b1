#!/usr/bin/env bash
# celeba64: GlowLab's real-photo model, trained from scratch on aligned photographs (the window's own
# landmark alignment, --align) of CelebA and UTKFace, niced, checkpointed every 5 minutes, resumable:
# run it again after any interruption (or with a larger STEPS) and it continues the checkpoint in
# RUN_DIR (bit-exact on the CPU).
# Usage:
#   tools/train-celeba64.sh CELEBA_DIR UTKFACE_DIR RUN_DIR [MINUTES]
#   CELEBA_DIR   a CelebA-layout folder (e.g. ../shared/data/celeba-10k: 10,000 aligned photos, 40 labels)
#   UTKFACE_DIR  a UTKFace folder (e.g. ../shared/data/utkface-part1: 9,780 photos, ages in the names)
# Held out (never trained on): the photos whose name hashes to 0 mod 10 (README, "Held-out split").
# Calibrated with 4-minute runs on 2 cores (held-out bits/dim after 4 minutes, 5 bits, batch 16,
# lr 1e-3): L=3 K=8 width 128 1.533 at 63 img/s; L=3 K=16 width 96 1.514 at 46 img/s: the deeper,
# narrower flow learns more per second, so celeba64 is L=3 K=16 width 96.
# Schedule: 200-step warm-up to 1e-3, constant, then a linear decay from step 9,000 to 1e-4 at
# 16,000 (256,000 images, about 13 epochs of the 18,400 training photos; mirrored at random).
set -euo pipefail
celeba=${1:?CelebA folder}
utk=${2:?UTKFace folder}
run=${3:?run folder}
minutes=${4:-0}
here=$(dirname "$0")
cli=${GLOWLAB_CLI:-$here/../build/app/cli/glowlab-cli}
steps=${STEPS:-16000}
nice -n 5 "$cli" train "$celeba" "$utk" -o "$run" --resume --align --flip --n-bits 5 -L 3 -K 16 --width 96 \
  --batch 16 --lr 1e-3 --warmup 200 --steps "$steps" --decay-from 9000 --lr-final 0.1 --test-images 1000 \
  --seed 1 --minutes "$minutes"
