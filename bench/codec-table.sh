#!/usr/bin/env bash
# Held-out bits/dim of a model beside three lossless codecs, on the same images: a folder of PNGs
# already quantised to the model's n_bits (glowlab-cli quantize). Writes the JSON and prints it.
# Usage: bench/codec-table.sh MODEL PNG_DIR OUT_JSON
# Needs: webp (cwebp), libjxl-tools (cjxl), optipng, bc. GLOWLAB_CLI: the CLI (default: build/).
set -euo pipefail
model=${1:?model} png=${2:?folder of quantised PNGs} out=${3:?output JSON}
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
info=$("$cli" info --json "$model")
field() { echo "$info" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
bits=$(field n_bits) side=$(field image_size) channels=$(field channels)
q=$(mktemp -d)
trap 'rm -rf "$q"' EXIT
mkdir -p "$q/opt" "$q/webp" "$q/jxl"
n=$(ls "$png" | wc -l)
ls "$png" | xargs -P "$(nproc)" -I{} sh -c "optipng -quiet -o7 -strip all -out '$q/opt/{}' '$png/{}'"
ls "$png" | xargs -P "$(nproc)" -I{} sh -c "cwebp -quiet -lossless -z 9 -exact '$png/{}' -o '$q/webp/{}.webp'"
ls "$png" | xargs -P "$(nproc)" -I{} sh -c "cjxl -q 100 -e 9 '$png/{}' '$q/jxl/{}.jxl' > /dev/null 2>&1"
dims=$(( n * side * side * channels ))
bpd() { echo "scale=4; 8 * $(du -cb "$@" | tail -1 | cut -f1) / $dims" | bc | sed "s/^\./0./"; }
model_bpd=$("$cli" eval -m "$model" "$png" | sed -n 's/bits_per_dim //p')
cat > "$out" <<JSON
{"images": $n, "n_bits": $bits, "model": $model_bpd,
 "png_optipng_o7": $(bpd "$q/opt"/*.png), "webp_lossless_z9": $(bpd "$q/webp"/*.webp), "jpegxl_q100_e9": $(bpd "$q/jxl"/*.jxl)}
JSON
cat "$out"
