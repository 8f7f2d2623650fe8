#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch (once) and unpack a Debian kernel for the lab, without installing it.
#   usage: fetch-kernel.sh 6.12|6.1 [amd64|arm64]   prints the unpacked directory
# The current ABI name is resolved through the meta package every time (old
# ABIs are rotated out of the archive); an unpacked tree for that ABI is
# reused from the cache ($IRQTRAIL_LAB_CACHE, default /var/cache/irqtrail-lab).
# arm64 (the arm64 lab): the foreign architecture must be known to dpkg
# (arm64/sysroot.sh adds it); Debian's arm64 vmlinuz is a plain Image.
set -euo pipefail
FLAV=${1:?usage: fetch-kernel.sh 6.12|6.1 [amd64|arm64]}
ARCH=${2:-amd64}
CACHE=${IRQTRAIL_LAB_CACHE:-/var/cache/irqtrail-lab}
mkdir -p "$CACHE"
case $ARCH in
	amd64) SFX="" ;;
	arm64) SFX=":arm64" ;;
	*) echo "fetch-kernel: unknown architecture $ARCH" >&2; exit 2 ;;
esac
case $FLAV in
	6.12) META=linux-image-6.12-$ARCH$SFX ;;
	6.1) META=linux-image-$ARCH$SFX ;;
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
	# offline: fall back to the newest cached tree of this flavour
	D=$(ls -d "$CACHE"/kernel-"$FLAV".*-"$ARCH" 2>/dev/null | sort -V | tail -1)
	[ -n "$D" ] || { echo "fetch-kernel: cannot resolve $META and nothing cached" >&2; exit 1; }
	echo "$D"; exit 0
fi
ABI=${PKG#linux-image-}
DIR=$CACHE/kernel-$FLAV.$ABI
if [ ! -f "$DIR/.ok" ]; then
	TMP=$(mktemp -d "$CACHE/dl.XXXXXX")
	( cd "$TMP" && apt-get download -q -o APT::Sandbox::User=root "$PKG-unsigned$SFX" >&2 )
	rm -rf "$DIR"
	dpkg -x "$TMP"/*.deb "$DIR"
	rm -rf "$TMP"
	touch "$DIR/.ok"
	# drop older ABIs of this flavour
	for o in "$CACHE"/kernel-"$FLAV".*-"$ARCH"; do
		[ "$o" = "$DIR" ] || rm -rf "$o"
	done
fi
echo "$DIR"
