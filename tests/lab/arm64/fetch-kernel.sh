#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch (once) and unpack a Debian arm64 kernel for the arm64 lab, without
# installing it (the arm64 foreign architecture must be known to dpkg:
# sysroot.sh adds it).  Debian's arm64 vmlinuz is a plain Image.
#   usage: fetch-kernel.sh 6.12|6.1        prints the unpacked directory
set -euo pipefail
FLAV=${1:?usage: fetch-kernel.sh 6.12|6.1}
CACHE=${IRQTRAIL_LAB_CACHE:-/var/cache/irqtrail-lab}
mkdir -p "$CACHE"
case $FLAV in
	6.12) META=linux-image-6.12-arm64:arm64 ;;
	6.1) META=linux-image-arm64:arm64 ;;
	*) echo "fetch-kernel: unknown flavour $FLAV" >&2; exit 2 ;;
esac
abi_pkg() { apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
PKG=$(abi_pkg)
if [ -z "$PKG" ]; then
	apt-get update -qq >&2 || true
	PKG=$(abi_pkg)
fi
PKG=${PKG%:arm64}
if [ -z "$PKG" ]; then
	D=$(ls -d "$CACHE"/kernel-"$FLAV".*-arm64 2>/dev/null | sort -V | tail -1)
	[ -n "$D" ] || { echo "fetch-kernel: cannot resolve $META and nothing cached" >&2; exit 1; }
	echo "$D"; exit 0
fi
ABI=${PKG#linux-image-}
DIR=$CACHE/kernel-$FLAV.$ABI
if [ ! -f "$DIR/.ok" ]; then
	TMP=$(mktemp -d "$CACHE/dl.XXXXXX")
	( cd "$TMP" && apt-get download -q -o APT::Sandbox::User=root "$PKG-unsigned:arm64" >&2 )
	rm -rf "$DIR"
	dpkg -x "$TMP"/*.deb "$DIR"
	rm -rf "$TMP"
	touch "$DIR/.ok"
	for o in "$CACHE"/kernel-"$FLAV".*-arm64; do
		[ "$o" = "$DIR" ] || rm -rf "$o"
	done
fi
echo "$DIR"
