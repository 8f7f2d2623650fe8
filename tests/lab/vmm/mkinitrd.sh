#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Pack the L1 initramfs of the VMM scenario: the lab's own initramfs
# (tests/lab/mkinitrd.sh: busybox, static irqtrail, VFIO/KVM modules)
# followed by a second archive that replaces /init and adds Debian's
# qemu-system-x86_64 with its shared libraries and firmware, the L2 kernel
# and the L2 initramfs (busybox, l2init, e1000e.ko).  The kernel unpacks
# concatenated archives in order, later files winning.
#   usage: mkinitrd.sh KDIR BINDIR OUT.cpio.gz
set -euo pipefail
KDIR=$1; BIN=$2; OUT=$3
here=$(cd "$(dirname "$0")" && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
"$here"/../mkinitrd.sh "$KDIR" "$BIN" "$R/base.gz"

# L2: busybox, its init, the e1000e module (decompressed for busybox insmod)
L2=$R/l2root
mkdir -p "$L2"/bin "$L2"/proc "$L2"/sys "$L2"/dev "$L2"/tmp
cp /bin/busybox "$L2"/bin/busybox
cp "$here"/l2init "$L2"/init
chmod 755 "$L2"/init
E=$(ls "$KDIR"/lib/modules/*/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko*)
case $E in *.xz) xz -dc "$E" > "$L2"/e1000e.ko ;; *) cp "$E" "$L2"/e1000e.ko ;; esac

# L1 overlay
O=$R/overlay
mkdir -p "$O"/l2 "$O"/usr/bin "$O"/usr/share/qemu "$O"/usr/share/seabios
cp "$here"/init "$O"/init
chmod 755 "$O"/init
(cd "$L2" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$O"/l2/initrd.gz
cp "$(ls "$KDIR"/boot/vmlinuz-*)" "$O"/l2/vmlinuz
Q=$(command -v qemu-system-x86_64)
cp "$Q" "$O"/usr/bin/qemu-system-x86_64
for l in $(ldd "$Q" | grep -oE '/[^ ]+'); do
	mkdir -p "$O$(dirname "$l")"
	cp -L "$l" "$O$l"
done
# firmware for -kernel boot: SeaBIOS and the option ROMs QEMU loads
for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin; do cp -L "$f" "$O$f"; done
for f in kvmvapic.bin linuxboot.bin linuxboot_dma.bin multiboot.bin multiboot_dma.bin pvh.bin; do
	[ -e /usr/share/qemu/$f ] && cp -L /usr/share/qemu/$f "$O"/usr/share/qemu/
done
(cd "$O" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$R/overlay.gz"
cat "$R/base.gz" "$R/overlay.gz" > "$OUT"
