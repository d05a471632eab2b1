#!/usr/bin/env bash
# What a person exports (issue 28, 7): real photographs from Debian packages edited with
# `glowlab-cli edit --paste-back` at their full resolution, one row per photo: the photo, then one
# edit per column, each shown as the same region round the head of the exported photo (scaled to
# 240 px), so hair and outline edits are seen where they land.
# Usage: bench/export-sheet.sh MODEL OUT.png "Name=value" ["Name=value" ...]
# Photos: skimage's astronaut (python3-skimage; public domain), 512x512, head region 256x256+128+0;
# OpenCV's messi5 (opencv-doc), 548x342, head region 120x120+176+44. Needs: imagemagick.
set -euo pipefail
model=${1:?model} out=${2:?output png}
shift 2
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
declare -A region=([astronaut]=256x256+128+0 [messi5]=120x120+176+44)
photos=()
for p in /usr/lib/python3/dist-packages/skimage/data/astronaut.png\
         /usr/share/doc/opencv-doc/examples/data/messi5.jpg; do
  [ -f "$p" ] && photos+=("$p")
done
[ ${#photos[@]} -gt 0 ] || { echo "no photos: install python3-skimage (and opencv-doc)" >&2; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
tiles=()
for p in "${photos[@]}"; do
  name=$(basename "${p%.*}")
  convert "$p" -crop "${region[$name]}" +repage -resize 240x240 "$t/$name-0.png"
  tiles+=(-label "$name (photo)" "$t/$name-0.png")
  i=1
  for edit in "$@"; do
    if "$cli" edit -m "$model" "$p" --set "$edit" --paste-back -o "$t/$name-$i-full.png" > /dev/null 2>"$t/$name-$i.err"; then
      convert "$t/$name-$i-full.png" -crop "${region[$name]}" +repage -resize 240x240 "$t/$name-$i.png"
    else
      cat "$t/$name-$i.err" >&2
      convert -size 240x240 xc:gray "$t/$name-$i.png"
    fi
    tiles+=(-label "$edit" "$t/$name-$i.png")
    i=$((i + 1))
  done
done
montage "${tiles[@]}" -tile "$(($# + 1))x" -geometry +4+4 -pointsize 14 -font DejaVu-Sans "$out"
echo "$out"
