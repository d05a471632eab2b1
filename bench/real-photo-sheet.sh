#!/usr/bin/env bash
# A contact sheet of real photographs from Debian packages, before and after edits: one row per
# photo (its aligned crop as the model sees it, then one edit per column), upscaled 3x (nearest).
# Usage: bench/real-photo-sheet.sh MODEL OUT.png "Name=value" ["Name=value" ...]
# Photos: skimage's astronaut (python3-skimage; public domain) and OpenCV's messi5
# (opencv-doc), where installed. Needs: imagemagick (montage).
set -euo pipefail
model=${1:?model} out=${2:?output png}
shift 2
cli=${GLOWLAB_CLI:-$(dirname "$0")/../build/app/cli/glowlab-cli}
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
  "$cli" align -m "$model" "$p" -o "$t/$name-0.png" > /dev/null 2>&1 || continue
  tiles+=(-label "$name" "$t/$name-0.png")
  i=1
  for edit in "$@"; do
    "$cli" edit -m "$model" "$p" --set "$edit" -o "$t/$name-$i.png" > /dev/null 2>"$t/$name-$i.err" || cat "$t/$name-$i.err" >&2
    tiles+=(-label "$edit" "$t/$name-$i.png")
    i=$((i + 1))
  done
done
montage "${tiles[@]}" -filter point -resize 300% -tile "$(($# + 1))x" -geometry +4+4 -pointsize 14 -font DejaVu-Sans "$out"
echo "$out"
