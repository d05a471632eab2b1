#!/usr/bin/env bash
# celeba64 trained further on a lent GPU machine (issue 28, item 2): CUDA PyTorch, CMake and
# Python with Pillow there; no OpenCV, dlib, Qt or Debian's -dev packages, nothing fetched, an
# upload of at most 64 MiB a call with the working tree (40 MB of it), minutes of time in all.
# The aligned training crops (about 33 MB as lossless WebP) go in two halves, one per call, on a
# machine kept warm between them (it keeps what an earlier call left):
#
#   here:   tools/gpu/celeba64.sh prepare ../shared/data/celeba-10k
#           -> .gpu/part-a (half the crops, the build's headers), .gpu/part-b (the other half),
#              about 18 and 16 MB
#   call 1: carry [".gpu/part-a"], command: bash tools/gpu/celeba64.sh stage     (builds build-gpu/)
#   call 2: at once, carry [".gpu/part-b"], command: bash tools/gpu/celeba64.sh train
#           (MINUTES=6 BATCH=64 LR=2e-4 PRECISION=fp32 by default) -> $OUT: model.glow (the EMA
#           weights), train.jsonl, train.log, samples.ppm
#   here:   glowlab-cli eval, then attributes and bench/evaluate-celeba64.sh on the model
#
# The crops are celeba64's framing (quantize --align), so `train` runs without --align and the
# model keeps that framing. The CPU engine evaluates a GPU-trained model as it does any other.
# DEVICE=cpu TORCH_PREFIX= runs `stage` and `train` on this machine with Debian's LibTorch (a dry
# run). Nothing of the research photos is committed: .gpu/ is ignored.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-}
die() { echo "tools/gpu/celeba64.sh: $*" >&2; exit 1; }
deps=.gpu/deps  # unpacked there from .gpu/part-a/deps.tar.xz by stage

case "$mode" in
prepare)
  celeba=${2:?usage: tools/gpu/celeba64.sh prepare CELEBA_DIR}
  cli=${GLOWLAB_CLI:-build/app/cli/glowlab-cli}
  model=${MODEL:-resources/models/celeba64.glow}
  for tool in montage cwebp apt-get dpkg; do command -v "$tool" > /dev/null || die "needs $tool (imagemagick, webp)"; done
  bits=$("$cli" info --json "$model" | sed -n 's/.*"n_bits":\([0-9]*\).*/\1/p')
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$cli" quantize "$celeba" "$tmp/png" --align "$model" --partition 0 --n-bits "$bits" > /dev/null
  (cd "$tmp/png" && ls | sort) > "$tmp/list"
  total=$(wc -l < "$tmp/list")
  half=$(( (total + 1) / 2 ))
  rm -rf .gpu/part-a .gpu/part-b
  for part in a b; do
    if [ $part = a ]; then head -n "$half" "$tmp/list" > "$tmp/$part"; else tail -n +"$((half + 1))" "$tmp/list" > "$tmp/$part"; fi
    count=$(wc -l < "$tmp/$part")
    mkdir -p ".gpu/part-$part"
    # 64-px tiles row by row, 66 to a row; the last row's gaps are left black and not counted.
    # shellcheck disable=SC2046  # the crops' names: digits and .png
    (cd "$tmp/png" && montage $(cat "$tmp/$part") -tile 66x -geometry +0+0 -background black "$tmp/$part.png")
    cwebp -quiet -lossless -z 9 "$tmp/$part.png" -o ".gpu/part-$part/crops-$part.webp"
    printf '{"tile": 64, "mosaics": [{"file": "crops-%s.webp", "count": %d}]}\n' "$part" "$count" > ".gpu/part-$part/index.json"
  done
  # The headers the build needs and the GPU machine lacks (Debian's, as static libraries where
  # they link): nlohmann-json, CLI11, zlib, OpenSSL's libcrypto.
  mkdir -p "$tmp/debs"
  (cd "$tmp/debs" && apt-get download nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev > /dev/null 2>&1) ||
    die "apt-get download of the build's headers failed"
  for d in "$tmp"/debs/*.deb; do dpkg -x "$d" "$tmp/x"; done
  (cd "$tmp/x" && tar cJf - usr/include usr/share/cmake usr/lib/x86_64-linux-gnu/libz.a usr/lib/x86_64-linux-gnu/libcrypto.a) \
    > .gpu/part-a/deps.tar.xz
  echo "prepared: $total crops in .gpu/part-a ($half) and .gpu/part-b ($((total - half))): $(du -sh .gpu/part-a | cut -f1) and $(du -sh .gpu/part-b | cut -f1)"
  ;;
stage)
  [ -f .gpu/part-a/index.json ] && [ -f .gpu/part-a/deps.tar.xz ] || die ".gpu/part-a is missing: carry it (tools/gpu/celeba64.sh prepare makes it)"
  rm -rf "$deps" && mkdir -p "$deps" && tar xJf .gpu/part-a/deps.tar.xz -C "$deps"
  prefix=${TORCH_PREFIX-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
  lib=$PWD/$deps/usr/lib/x86_64-linux-gnu
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DGLOWLAB_GUI=OFF -DGLOWLAB_TESTS=OFF \
    -DGLOWLAB_OPENCV=OFF -DGLOWLAB_DISTRIBUTED=OFF -DCMAKE_PREFIX_PATH="$prefix;$PWD/$deps/usr" \
    -Dnlohmann_json_DIR="$PWD/$deps/usr/share/cmake/nlohmann_json" -DCLI11_DIR="$PWD/$deps/usr/share/cmake/CLI11" \
    -DZLIB_INCLUDE_DIR="$PWD/$deps/usr/include" -DZLIB_LIBRARY="$lib/libz.a" \
    -DOPENSSL_USE_STATIC_LIBS=TRUE -DOPENSSL_INCLUDE_DIR="$PWD/$deps/usr/include" -DOPENSSL_CRYPTO_LIBRARY="$lib/libcrypto.a" \
    > "${OUT:-.gpu}/stage.log" 2>&1 || { tail -30 "${OUT:-.gpu}/stage.log"; die "configure failed"; }
  cmake --build build-gpu -j "$(nproc)" >> "${OUT:-.gpu}/stage.log" 2>&1 || { tail -40 "${OUT:-.gpu}/stage.log"; die "build failed"; }
  build-gpu/app/cli/glowlab-cli info resources/models/celeba64.glow | head -3
  echo "staged: build-gpu/ built; now call 2 (train) with .gpu/part-b"
  ;;
train)
  [ -x build-gpu/app/cli/glowlab-cli ] && [ -f .gpu/part-a/index.json ] ||
    die "this machine has no build-gpu/ or .gpu/part-a (a fresh machine): run stage again with .gpu/part-a"
  [ -f .gpu/part-b/index.json ] || die ".gpu/part-b is missing: carry it"
  out=${OUT:?OUT: the folder whose files come back}
  crops=$(mktemp -d)
  python3 tools/gpu/unpack_crops.py .gpu/part-a "$crops"
  python3 tools/gpu/unpack_crops.py .gpu/part-b "$crops"
  run=$(mktemp -d)/run
  build-gpu/app/cli/glowlab-cli train "$crops" -o "$run" --init-model resources/models/celeba64.glow --device "${DEVICE:-cuda}" \
    --flip --batch "${BATCH:-64}" --lr "${LR:-2e-4}" --warmup 100 --minutes "${MINUTES:-6}" --checkpoint-minutes 2 \
    --test-images 0 --seed 2 --precision "${PRECISION:-fp32}" 2>&1 | tee "$out/train.log"
  cp "$run/model.glow" "$run/train.jsonl" "$out/"
  cp "$run"/samples.* "$out/" 2>/dev/null || true
  echo "trained: $out/model.glow"
  ;;
*)
  echo "usage: tools/gpu/celeba64.sh prepare CELEBA_DIR | stage | train" >&2
  exit 2
  ;;
esac
