#!/usr/bin/env bash
# Measures celeba64 on held-out real photos, the same way every time: attribute directions
# (CelebA's 40 labels, and Age in years from UTKFace), the real-face judge (trained on the training
# photos' pixels and labels, never on the flow) and the age judge (UTKFace's ages, from pixels),
# the edits scored through the export (each held-out photo framed by the window's aligner, edited
# under the guard, pasted back and framed again; the verdict marks the featured sliders), whether
# each exported edit keeps the person (dlib's face recognition network, bench/identity), samples,
# and held-out bits/dim beside lossless codecs on the same aligned 5-bit crops.
# Usage: bench/evaluate-celeba64.sh MODEL CELEBA_DIR UTKFACE_DIR OUT_DIR [JUDGE [AGE_JUDGE]]
#   MODEL      a model trained with --align (tools/train-celeba64*.sh); directions are added in place
#   JUDGE      the judge file to use or, when absent, to train (bench/judge/celeba64-judge.safetensors)
#   AGE_JUDGE  the same for the age judge (bench/judge/celeba64-age-judge.safetensors)
#   ATTRIBUTE_FLAGS (environment) more flags for `attributes`, e.g. --shrink-levels
#   AGE_GUIDE (environment) the second age regressor Age's years are calibrated on (attributes
#              --age-guide); default bench/judge/celeba64-age-guide.safetensors (judge-train --age
#              --seed 2, when absent); AGE_GUIDE= to calibrate on the pixels' age axis
#   GUIDE, GUIDED (environment) the second judge the real-photo sliders GUIDED (issue 28's 14) are
#              then refined against (`attributes --guide ... --only GUIDED`, about 40 minutes);
#              default bench/judge/celeba64-guide.safetensors (trained like the judge, --seed 2,
#              when absent); GUIDE= to keep the fitted directions; several judges, comma-separated,
#              are read together (they must exist); GUIDE_CHECK=FILE has another judge choose among
#              the holds (attributes --guide-check)
#   FACES, AGE_FACES (environment) photos per side for the attributes (40) and for Age (150)
# Needs: webp (cwebp), libjxl-tools (cjxl), optipng, bc (bench/codec-table.sh); Node and npm (bench/identity).
set -euo pipefail
model=${1:?model} celeba=${2:?CelebA folder} utk=${3:?UTKFace folder} out=${4:?out}
judge=${5:-$(dirname "$0")/judge/celeba64-judge.safetensors}
age_judge=${6:-$(dirname "$0")/judge/celeba64-age-judge.safetensors}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
mkdir -p "$out"

age_guide=${AGE_GUIDE-$(dirname "$0")/judge/celeba64-age-guide.safetensors}
age_flags=()
if [ -n "$age_guide" ]; then
  if [ ! -f "$age_guide" ]; then
    "$cli" judge-train --age "$utk" --align "$model" -o "$age_guide" --epochs "${JUDGE_EPOCHS:-8}" --seed 2 > "$out/age-guide-accuracy.json"
  fi
  age_flags=(--age-guide "$age_guide")
fi
# shellcheck disable=SC2086
"$cli" attributes -m "$model" "$celeba" "$utk" --align --range-sample "${RANGE_SAMPLE:-128}" "${age_flags[@]}" ${ATTRIBUTE_FLAGS:-} > "$out/attributes.txt"
guide=${GUIDE-$(dirname "$0")/judge/celeba64-guide.safetensors}
guided=${GUIDED:-Bald,Big_Nose,Black_Hair,Blond_Hair,Brown_Hair,Chubby,Eyeglasses,Gray_Hair,Male,Mouth_Slightly_Open,No_Beard,Pale_Skin,Smiling,Wearing_Hat}
if [ -n "$guide" ]; then
  if [[ "$guide" != *,* && ! -f "$guide" ]]; then
    "$cli" judge-train "$celeba" --align "$model" -o "$guide" --epochs "${JUDGE_EPOCHS:-8}" --seed 2 > "$out/guide-accuracy.json"
  fi
  check_flags=()
  if [ -n "${GUIDE_CHECK:-}" ]; then check_flags=(--guide-check "$GUIDE_CHECK"); fi
  "$cli" attributes -m "$model" "$celeba" --align --range-sample "${RANGE_SAMPLE:-128}" --guide "$guide" "${check_flags[@]}" \
    --only "$guided" > "$out/guided-attributes.txt" 2> "$out/guided-attributes.log"
fi
if [ ! -f "$judge" ]; then
  "$cli" judge-train "$celeba" --align "$model" -o "$judge" --epochs "${JUDGE_EPOCHS:-8}" > "$out/judge-accuracy.json"
fi
if [ ! -f "$age_judge" ]; then
  "$cli" judge-train --age "$utk" --align "$model" -o "$age_judge" --epochs "${JUDGE_EPOCHS:-8}" > "$out/age-judge-accuracy.json"
fi
for t in 0.5 0.7 1.0; do
  "$cli" sample -m "$model" -n 36 --cols 6 -T "$t" --seed 7 -o "$out/samples-T$t.png" > /dev/null
done
# The face chips (of research photos: kept in a temporary folder, never in OUT) for the identity check.
chips=$(mktemp -d)
trap 'rm -rf "$chips"' EXIT
"$cli" judge-edits -m "$model" --judge "$judge" "$celeba" --align --faces "${FACES:-40}" --through-export \
  --age-faces "${AGE_FACES:-150}" --age-judge "$age_judge" --age-data "$utk" --json "$out/judge-edits.json" --mark-featured \
  --identity-chips "$chips" > /dev/null
# Does each edit keep the person: dlib's face recognition network (bench/identity, pinned npm packages).
identity=$(dirname "$0")/identity
[ -d "$identity/node_modules" ] || npm ci --prefix "$identity" --no-audit --no-fund > /dev/null
node "$identity/identity.mjs" "$chips" --json "$out/identity.json" > "$out/identity.txt"
node "$identity/identity.mjs" "$chips/age" --json "$out/identity-age.json" > "$out/identity-age.txt"
"$cli" judge-fid -m "$model" --judge "$judge" "$celeba" --align -n 900 -T 0.7 --seed 1 > "$out/judge-fid.json"

# Held-out bits/dim: the model (uniform dequantisation) and three lossless codecs on the same aligned
# crops, quantised to the model's n_bits.
bits=$("$cli" info --json "$model" | sed -n 's/.*"n_bits":\([0-9]*\).*/\1/p')
q=$(mktemp -d)
trap 'rm -rf "$q" "$chips"' EXIT
"$cli" quantize "$celeba" "$utk" "$q/png" --align "$model" --partition 2 --n-bits "$bits" > /dev/null
GLOWLAB_CLI=$cli "$(dirname "$0")/codec-table.sh" "$model" "$q/png" "$out/bits-per-dim.json"
