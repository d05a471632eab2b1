#!/usr/bin/env bash
# Checks a built GlowLab .deb the way a user meets it: unpacked into a scratch root (nothing is
# installed on this machine), its programs run on the installed default model. Exits non-zero,
# naming the step, when anything fails.
# With the model package as well, it is unpacked on top and must become the default model.
# Usage: packaging/check-package.sh build/glowlab_VERSION_ARCH.deb [build/glowlab-model-celeba64_VERSION_all.deb]
set -euo pipefail
deb=$(realpath "${1:?usage: $0 PACKAGE.deb [MODEL-PACKAGE.deb]}")
model_deb=${2:+$(realpath "$2")}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
unset GLOWLAB_MODEL
step() { printf 'package check: %s\n' "$*"; }
fail() { printf 'package check FAILED: %s\n' "$*" >&2; exit 1; }

dpkg-deb -x "$deb" "$root"
cli="$root/usr/bin/glowlab-cli"
gui="$root/usr/bin/glowlab"

version=$(dpkg-deb -f "$deb" Version)
step "version $version"
[ "$("$cli" --version)" = "$version" ] || fail "glowlab-cli --version is not the package version $version"

step "glowlab-cli info uses the installed model"
"$cli" info > "$root/info.txt" || fail "glowlab-cli info"
grep -q "model:       $root/usr/share/glowlab/models/faces64.glow" "$root/info.txt" ||
  fail "glowlab-cli info did not use the installed model: $(head -1 "$root/info.txt")"

step "glowlab-cli sample and edit"
"$cli" sample -n 4 -T 0.7 --seed 1 -o "$root/grid.png" > /dev/null || fail "glowlab-cli sample"
"$cli" sample -n 1 -T 0.7 --seed 2 -o "$root/face.png" > /dev/null || fail "glowlab-cli sample (one face)"
"$cli" edit "$root/face.png" --set Smiling=1 -o "$root/edited.png" > /dev/null 2>&1 || fail "glowlab-cli edit"
for f in grid.png edited.png; do [ -s "$root/$f" ] || fail "$f was not written"; done

step "man pages"
for p in glowlab glowlab-cli; do
  zcat "$root/usr/share/man/man1/$p.1.gz" | grep -q "^\.TH" || fail "man page of $p"
done

if [ -x "$gui" ]; then
  step "glowlab --screenshot (offscreen)"
  QT_QPA_PLATFORM=offscreen timeout 300 "$gui" --sample 3 --screenshot "$root/window.png" > /dev/null 2>&1 ||
    fail "glowlab --screenshot"
  [ -s "$root/window.png" ] || fail "the screenshot was not written"
fi
if [ -n "$model_deb" ]; then
  step "with $(dpkg-deb -f "$model_deb" Package) unpacked too, celeba64 is the default model"
  dpkg-deb -f "$deb" Recommends | grep -q "glowlab-model-celeba64" || fail "glowlab does not recommend glowlab-model-celeba64"
  dpkg-deb -x "$model_deb" "$root"
  [ -s "$root/usr/share/doc/glowlab-model-celeba64/copyright" ] || fail "the model package has no copyright file"
  grep -q "non-commercial research" "$root/usr/share/doc/glowlab-model-celeba64/copyright" ||
    fail "the model package's copyright file does not state its terms"
  "$cli" info > "$root/info2.txt" || fail "glowlab-cli info with celeba64"
  grep -q "model:       $root/usr/share/glowlab/models/celeba64.glow" "$root/info2.txt" ||
    fail "glowlab-cli info did not use the installed celeba64: $(head -1 "$root/info2.txt")"
  "$cli" edit "$root/face.png" --set Smiling=1 -o "$root/edited2.png" > /dev/null 2>&1 || fail "glowlab-cli edit with celeba64"
fi
step "all passed"
