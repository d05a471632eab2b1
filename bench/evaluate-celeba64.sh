#!/usr/bin/env bash
# Measures celeba64 on held-out real photographs, the same way every time: attribute directions
# (CelebA's 40 labels, and Age in years from UTKFace), the real-face judge (trained on the training
# photos' pixels and labels, never on the flow), its edit scores on held-out photos, samples, and
# held-out bits/dim beside lossless codecs on the same aligned 5-bit crops.
# Usage: bench/evaluate-celeba64.sh MODEL CELEBA_DIR UTKFACE_DIR OUT_DIR [JUDGE]
#   MODEL   a model trained with --align (tools/train-celeba64.sh); directions are added in place
#   JUDGE   the judge file to use or, when absent, to train (bench/judge/celeba64-judge.safetensors)
# Needs: webp (cwebp), libjxl-tools (cjxl), optipng, bc (bench/codec-table.sh).
set -euo pipefail
model=${1:?model} celeba=${2:?CelebA folder} utk=${3:?UTKFace folder} out=${4:?out}
judge=${5:-$(dirname "$0")/judge/celeba64-judge.safetensors}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
mkdir -p "$out"

"$cli" attributes -m "$model" "$celeba" "$utk" --align --range-sample "${RANGE_SAMPLE:-128}" > "$out/attributes.txt"
if [ ! -f "$judge" ]; then
  "$cli" judge-train "$celeba" --align "$model" -o "$judge" --epochs "${JUDGE_EPOCHS:-6}" > "$out/judge-accuracy.txt"
fi
for t in 0.5 0.7 1.0; do
  "$cli" sample -m "$model" -n 36 --cols 6 -T "$t" --seed 7 -o "$out/samples-T$t.png" > /dev/null
done
"$cli" judge-edits -m "$model" --judge "$judge" "$celeba" --align --faces "${FACES:-100}" --grid "$out/edit-grid.png" \
  --json "$out/judge-edits.json" --mark-featured > /dev/null
"$cli" judge-fid -m "$model" --judge "$judge" "$celeba" --align -n 900 -T 0.7 --seed 1 > "$out/judge-fid.json"

# Held-out bits/dim: the model (uniform dequantisation) and three lossless codecs on the same aligned
# crops, quantised to the model's n_bits.
bits=$("$cli" info --json "$model" | sed -n 's/.*"n_bits":\([0-9]*\).*/\1/p')
q=$(mktemp -d)
trap 'rm -rf "$q"' EXIT
"$cli" quantize "$celeba" "$utk" "$q/png" --align "$model" --partition 2 --n-bits "$bits" > /dev/null
GLOWLAB_CLI=$cli "$(dirname "$0")/codec-table.sh" "$model" "$q/png" "$out/bits-per-dim.json"
