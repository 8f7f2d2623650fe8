#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Extract the raw BTF of an unpacked Debian kernel (vmlinux from the
# compressed bzImage, plus the modules irqtrail hooks) into KDIR/btf/.
#   usage: extract-btf.sh KDIR        prints KDIR/btf
# bzImage carries a compressed vmlinux ELF; the payload is found by its
# compression magic (xz for Debian's 6.1, zstd for 6.12), decompressed and
# its .BTF section copied out with objcopy.  Modules carry split BTF (.BTF
# on top of vmlinux's); they are copied out the same way.
set -euo pipefail
KDIR=${1:?usage: extract-btf.sh KDIR}
OUT=$KDIR/btf
[ -f "$OUT/.ok" ] && { echo "$OUT"; exit 0; }
mkdir -p "$OUT"
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-*)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
try() { # offset decompressor
	tail -c +$(( $1 + 1 )) "$VMLINUZ" | $2 > "$TMP/vmlinux" 2>/dev/null || true
	[ "$(head -c 4 "$TMP/vmlinux" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}
found=0
for spec in "fd377a585a00:xz -dc" "28b52ffd:zstd -dc" "1f8b0800:gzip -dc"; do
	magic=${spec%%:*}; dec=${spec#*:}
	for off in $(LC_ALL=C grep -obUaP "$(echo "$magic" | sed 's/../\\x&/g')" "$VMLINUZ" | cut -d: -f1 | head -5); do
		if try "$off" "$dec"; then found=1; break 2; fi
	done
done
[ $found = 1 ] || { echo "extract-btf: no vmlinux payload found in $VMLINUZ" >&2; exit 1; }
objcopy --dump-section .BTF="$OUT/vmlinux" "$TMP/vmlinux" "$TMP/junk"
M=$(ls -d "$KDIR"/lib/modules/*/kernel)
for f in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 drivers/vfio/pci/vfio-pci-core \
	 drivers/vfio/pci/vfio-pci arch/x86/kvm/kvm arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel; do
	n=$(basename $f | tr - _)
	if [ -f "$M/$f.ko.xz" ]; then xz -dc "$M/$f.ko.xz" > "$TMP/m.ko"
	elif [ -f "$M/$f.ko" ]; then cp "$M/$f.ko" "$TMP/m.ko"
	else continue; fi
	objcopy --dump-section .BTF="$OUT/$n" "$TMP/m.ko" "$TMP/junk"
done
touch "$OUT/.ok"
echo "$OUT"
