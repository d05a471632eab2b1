#!/usr/bin/env bash
# ./quickstart fresh: proves the README's commands on a new Debian 12. Builds a minimal bookworm
# root with debootstrap in a temporary folder, clones this checkout's committed HEAD into it and runs
# `./quickstart MODE` there (default: test) under chroot, with nothing of this machine's packages.
# Needs root (debootstrap, mount, chroot) and Debian's mirror. The root is removed on every exit
# path, also on failure and Ctrl+C; GLOWLAB_FRESH_KEEP=1 keeps it (its path is printed) to look in.
#   usage: tools/fresh-root.sh [MODE]    MODE: test (default) or run (a CLI demo, no display)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
case "$mode" in test|run) ;; *) echo "usage: $0 [test|run]" >&2; exit 2 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  echo "error: a fresh root needs root (debootstrap, mount and chroot); run: sudo $0 $mode" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  echo "Installing: debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
# The commit to test, fixed now: a commit made while debootstrap runs must not change it.
head=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes are not in the fresh root (it clones HEAD, $(git rev-parse --short HEAD))" >&2
fi

# The mirror this machine's apt uses (deb822 or one-line sources), else Debian's own.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

root=$(mktemp -d "${TMPDIR:-/var/tmp}/glowlab-fresh.XXXXXX")
mounted=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # Unmount in reverse order; lazily if something inside still holds a mount.
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
  done
  if [ "${GLOWLAB_FRESH_KEEP:-0}" = 1 ]; then
    echo "fresh root kept: $root" >&2
  elif ! grep -q " $root" /proc/mounts; then
    rm -rf "$root"
  else
    echo "warning: $root still has mounts; not removed" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$(date +%s)
echo "fresh root: debootstrap --variant=minbase bookworm $root $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
  tail -20 "$root.debootstrap.log" >&2
  rm -f "$root.debootstrap.log"
  echo "error: debootstrap failed (see above)" >&2
  exit 1
}
rm -f "$root.debootstrap.log"
# The same apt sources, options and name resolution as this machine; its trusted certificates
# (a TLS-intercepting proxy's too) for npm, which a minimal root would otherwise refuse.
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/" 2>/dev/null || true
[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$root/etc/apt/sources.list"
find "$root/etc/apt/sources.list.d" -name '*.disabled*' -delete
for f in /etc/apt/apt.conf.d/*; do
  case "$(basename "$f")" in docker-*|20packagekit|50appstream) ;; *) cp "$f" "$root/etc/apt/apt.conf.d/" ;; esac
done
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/glowlab-host-ca.crt"

# A clone of the committed HEAD, as CI's clean clone.
git clone -q --no-local --no-hardlinks "$(pwd)" "$root/src/glowlab"
git -C "$root/src/glowlab" checkout -q "$head"

for m in proc sys dev dev/pts; do
  mkdir -p "$root/$m"
  case "$m" in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sys "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount --bind /dev/pts "$root/dev/pts" ;;
  esac
  mounted+=("$root/$m")
done

echo "fresh root: ./quickstart $mode inside (a minimal Debian 12 with nothing else installed)"
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  NODE_EXTRA_CA_CERTS=/etc/ssl/certs/glowlab-host-ca.crt \
  npm_config_cafile=/etc/ssl/certs/glowlab-host-ca.crt \
  /bin/bash -c "cd /src/glowlab && ./quickstart $mode"
echo "fresh root: ./quickstart $mode passed in $(( $(date +%s) - start )) s (debootstrap, install, build and run)"
