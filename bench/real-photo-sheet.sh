#!/usr/bin/env bash
# A contact sheet of real photographs from Debian packages, before and after edits, one row per
# photo and one edit per column:
# - by default the aligned 64-px crop as the model sees it, then each edit's crop, upscaled 3x
#   (nearest);
# - with --export, what a person exports (issue 28, 7): each edit pasted back into the photo at its
#   full resolution (`glowlab-cli edit --paste-back`), every tile the same region round the head
#   (scaled to 240 px), so hair and outline edits are seen where they land.
# Usage: bench/real-photo-sheet.sh [--export] MODEL OUT.png "Name=value" ["Name=value" ...]
# Photos: skimage's astronaut (python3-skimage; public domain), 512x512, head region 256x256+128+0;
# OpenCV's messi5 (opencv-doc), 548x342, head region 120x120+176+44. Needs: imagemagick (montage).
set -euo pipefail
export_mode=false
if [ "${1:-}" = --export ]; then export_mode=true; shift; fi
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
head_region() { convert "$1" -crop "${region[$2]}" +repage -resize 240x240 "$3"; }
tiles=()
for p in "${photos[@]}"; do
  name=$(basename "${p%.*}")
  if $export_mode; then
    head_region "$p" "$name" "$t/$name-0.png"
    tiles+=(-label "$name (photo)" "$t/$name-0.png")
  else
    "$cli" align -m "$model" "$p" -o "$t/$name-0.png" > /dev/null 2>&1 || continue
    tiles+=(-label "$name" "$t/$name-0.png")
  fi
  i=1
  for edit in "$@"; do
    if $export_mode; then
      if "$cli" edit -m "$model" "$p" --set "$edit" --paste-back -o "$t/$name-$i-full.png" > /dev/null 2>"$t/$name-$i.err"; then
        head_region "$t/$name-$i-full.png" "$name" "$t/$name-$i.png"
      else
        cat "$t/$name-$i.err" >&2
        convert -size 240x240 xc:gray "$t/$name-$i.png"
      fi
    else
      "$cli" edit -m "$model" "$p" --set "$edit" -o "$t/$name-$i.png" > /dev/null 2>"$t/$name-$i.err" || cat "$t/$name-$i.err" >&2
    fi
    tiles+=(-label "$edit" "$t/$name-$i.png")
    i=$((i + 1))
  done
done
if $export_mode; then
  montage "${tiles[@]}" -tile "$(($# + 1))x" -geometry +4+4 -pointsize 14 -font DejaVu-Sans "$out"
else
  montage "${tiles[@]}" -filter point -resize 300% -tile "$(($# + 1))x" -geometry +4+4 -pointsize 14 -font DejaVu-Sans "$out"
fi
echo "$out"
