#!/usr/bin/env bash
# Measures celeba64 on held-out real photographs, the same way every time: attribute directions
# (CelebA's 40 labels, and Age in years from UTKFace), the real-face judge (trained on the training
# photos' pixels and labels, never on the flow), its edit scores on held-out photos, samples, and
# held-out bits/dim beside lossless codecs on the same aligned 5-bit crops.
# Usage: bench/evaluate-celeba64.sh MODEL CELEBA_DIR UTKFACE_DIR OUT_DIR [JUDGE]
#   MODEL   a model trained with --align (tools/train-celeba64.sh); directions are added in place
#   JUDGE   the judge file to use or, when absent, to train (bench/judge/celeba64-judge.safetensors)
# Needs: webp (cwebp), libjxl-tools (cjxl), optipng, bc.
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
mkdir -p "$q/opt" "$q/webp" "$q/jxl"
n=$(ls "$q/png" | wc -l)
ls "$q/png" | xargs -P "$(nproc)" -I{} sh -c "optipng -quiet -o7 -strip all -out '$q/opt/{}' '$q/png/{}'"
ls "$q/png" | xargs -P "$(nproc)" -I{} sh -c "cwebp -quiet -lossless -z 9 -exact '$q/png/{}' -o '$q/webp/{}.webp'"
ls "$q/png" | xargs -P "$(nproc)" -I{} sh -c "cjxl -q 100 -e 9 '$q/png/{}' '$q/jxl/{}.jxl' > /dev/null 2>&1"
dims=$(( n * 64 * 64 * 3 ))
bpd() { echo "scale=4; 8 * $(du -cb "$@" | tail -1 | cut -f1) / $dims" | bc | sed "s/^\./0./"; }
model_bpd=$("$cli" eval -m "$model" "$q/png" | sed -n 's/bits_per_dim //p')
cat > "$out/bits-per-dim.json" <<JSON
{"images": $n, "n_bits": $bits, "model": $model_bpd,
 "png_optipng_o7": $(bpd "$q/opt"/*.png), "webp_lossless_z9": $(bpd "$q/webp"/*.webp), "jpegxl_q100_e9": $(bpd "$q/jxl"/*.jxl)}
JSON
cat "$out/bits-per-dim.json"
