#!/usr/bin/env bash
# Measures a faces model the same way every time: attribute directions, sample and edit grids,
# the judge's edit scores, and held-out bits/dim beside lossless codecs on the same images.
# Usage: bench/evaluate-faces64.sh MODEL DATA_DIR JUDGE OUT_DIR
#   MODEL     a trained .glow (directions are added to it in place; METHOD=mean|regression, default regression)
#   DATA_DIR  a CelebA-layout folder with a held-out partition (2)
#   JUDGE     a judge file from `glowlab-cli judge-train` (trained once, on the generator's labels)
#   OUT_DIR   where the JSON and PNG results go
# Needs: webp (cwebp), libjxl-tools (cjxl), optipng, bc (bench/codec-table.sh).
set -euo pipefail
model=${1:?model} data=${2:?data} judge=${3:?judge} out=${4:?out}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
mkdir -p "$out"

"$cli" attributes -m "$model" "$data" --method "${METHOD:-regression}" > "$out/attributes.txt"
for t in 0.5 0.7 1.0; do
  "$cli" sample -m "$model" -n 36 --cols 6 -T "$t" --seed 7 -o "$out/samples-T$t.png" > /dev/null
done
"$cli" judge-edits -m "$model" --judge "$judge" "$data" --faces 200 --grid "$out/edit-grid.png" --json "$out/judge-edits.json" > /dev/null
"$cli" judge-fid -m "$model" --judge "$judge" "$data" -n 2000 -T 0.7 --seed 1 > "$out/judge-fid.json"

# Held-out bits/dim: the model (uniform dequantisation) and three lossless codecs on the same
# images quantised to the model's n_bits.
bits=$("$cli" info --json "$model" | sed -n 's/.*"n_bits":\([0-9]*\).*/\1/p')
q=$(mktemp -d)
trap 'rm -rf "$q"' EXIT
"$cli" quantize "$data" "$q/png" --partition 2 --n-bits "$bits" > /dev/null
GLOWLAB_CLI=$cli "$(dirname "$0")/codec-table.sh" "$model" "$q/png" "$out/bits-per-dim.json"
