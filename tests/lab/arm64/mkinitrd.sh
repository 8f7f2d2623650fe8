#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Pack the arm64 lab guest's initramfs: the sysroot's static arm64 busybox,
# the guest script, the static arm64 irqtrail and labdev, and the VFIO
# modules (decompressed: busybox insmod takes plain .ko files).
#   usage: mkinitrd.sh KDIR BINDIR SYSROOT OUT.cpio.gz
set -euo pipefail
KDIR=$1; BIN=$2; SR=$3; OUT=$4
here=$(cd "$(dirname "$0")" && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/bin "$R"/lib/modules "$R"/proc "$R"/sys "$R"/dev "$R"/tmp "$R"/run "$R"/out
cp "$SR"/bin/busybox "$R"/bin/busybox
cp "$here"/init "$R"/init
chmod 755 "$R"/init
for b in irqtrail labdev; do
	file -L "$BIN/$b" | grep -q 'ARM aarch64.*statically linked' || { echo "mkinitrd: $BIN/$b is not a static arm64 binary" >&2; exit 1; }
	cp "$BIN/$b" "$R/bin/$b"
done
M=$(ls -d "$KDIR"/lib/modules/*/kernel)
for f in drivers/net/ethernet/intel/e1000e/e1000e drivers/vfio/vfio drivers/vfio/vfio_virqfd drivers/vfio/vfio_iommu_type1 \
	 drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci; do
	n=$(basename $f)
	if [ -f "$M/$f.ko.xz" ]; then xz -dc "$M/$f.ko.xz" > "$R/lib/modules/$n.ko"
	elif [ -f "$M/$f.ko" ]; then cp "$M/$f.ko" "$R/lib/modules/$n.ko"; fi
done
(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$OUT"
