#!/usr/bin/env bash
# Framing pilot (celeba64 v2, docs/models/celeba64.md): celeba64 fine-tuned for a few minutes on
# CelebA's training photos aligned onto a candidate framing, its attribute directions computed on
# them, and real photos from Debian packages edited through the export (pasted back into the
# photo), so that framings are compared where a user sees them. Niced, resumable (run it again to
# continue the same run folder); the held-out split is the project's (README, "Held-out split").
# Usage:
#   tools/pilot-framing.sh CELEBA_DIR FRAMING RUN_DIR [MINUTES]
#   FRAMING  as train --framing: "head", or ten fractions (x,y of the eyes, nose, mouth corners)
# Writes RUN_DIR/pilot.glow (with directions) and RUN_DIR/exports/PHOTO-EDIT.png.
set -euo pipefail
celeba=${1:?CelebA folder} framing=${2:?framing} run=${3:?run folder} minutes=${4:-10}
here=$(dirname "$0")
cli=${GLOWLAB_CLI:-$here/../build/app/cli/glowlab-cli}
init=${INIT_MODEL:-$here/../resources/models/celeba64.glow}
nice -n 5 "$cli" train "$celeba" -o "$run" --resume --align --framing "$framing" --flip --init-model "$init" \
  --batch 16 --lr 5e-4 --warmup 50 --minutes "$minutes" --test-images 500 --seed 1
nice -n 5 "$cli" attributes -m "$run/model.glow" "$celeba" --align -o "$run/pilot.glow"
mkdir -p "$run/exports"
for p in /usr/lib/python3/dist-packages/skimage/data/astronaut.png /usr/share/doc/opencv-doc/examples/data/messi5.jpg; do
  [ -f "$p" ] || continue
  name=$(basename "${p%.*}")
  "$cli" align -m "$run/pilot.glow" "$p" -o "$run/exports/$name-crop.png" > /dev/null
  for edit in Blond_Hair=2 Black_Hair=2 Gray_Hair=2 Bangs=2 Smiling=2 Eyeglasses=1.5; do
    "$cli" edit -m "$run/pilot.glow" "$p" --set "$edit" --paste-back -o "$run/exports/$name-${edit%%=*}.png" > /dev/null
  done
done
echo "$run/pilot.glow"
