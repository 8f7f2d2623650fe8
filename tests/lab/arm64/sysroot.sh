#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build (once) the arm64 sysroot irqtrail is cross-compiled against: Debian
# arm64 packages downloaded with apt-get and unpacked with dpkg -x, never
# installed (installing busybox-static:arm64 would replace the host's
# /bin/busybox).  Adds the arm64 foreign architecture to dpkg if needed.
#   usage: sysroot.sh            prints the sysroot directory
#   env:   IRQTRAIL_LAB_CACHE    cache (default /var/cache/irqtrail-lab)
set -euo pipefail
CACHE=${IRQTRAIL_LAB_CACHE:-/var/cache/irqtrail-lab}
SR=$CACHE/sysroot-arm64
# bump when the package list changes
STAMP=$SR/.ok-2
[ -f "$STAMP" ] && { echo "$SR"; exit 0; }
PKGS="libc6 libbpf1 libbpf-dev libelf1 libelf-dev zlib1g zlib1g-dev libzstd1 libzstd-dev
      libncursesw6 libtinfo6 libncurses6 libncurses-dev libinih1 libinih-dev libmicrohttpd-dev
      busybox-static"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" = 0 ] || { echo "sysroot: dpkg needs the arm64 architecture (run as root once)" >&2; exit 1; }
	dpkg --add-architecture arm64
	apt-get update -qq >&2
fi
apt-cache show libbpf-dev:arm64 >/dev/null 2>&1 || apt-get update -qq >&2
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/dl.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && apt-get download -q -o APT::Sandbox::User=root $(for p in $PKGS; do echo "$p:arm64"; done) >&2 )
rm -rf "$SR"
for d in "$TMP"/*.deb; do dpkg -x "$d" "$SR"; done
touch "$STAMP"
echo "$SR"
