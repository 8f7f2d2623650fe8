#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Pack the lab guest's initramfs: busybox, the guest script, the static
# irqtrail and test programs, and the kernel modules VFIO and KVM need
# (decompressed: busybox insmod takes plain .ko files).
#   usage: mkinitrd.sh KDIR BINDIR OUT.cpio.gz
set -euo pipefail
KDIR=$1; BIN=$2; OUT=$3
here=$(cd "$(dirname "$0")" && pwd)
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/bin "$R"/lib/modules "$R"/proc "$R"/sys "$R"/dev "$R"/tmp "$R"/run "$R"/out
cp /bin/busybox "$R"/bin/busybox
cp "$here"/guest/init "$R"/init
chmod 755 "$R"/init
for b in irqtrail labdev labkvm; do
	cp "$BIN/$b" "$R/bin/$b"
	# a dynamic fallback build brings its shared libraries along
	if ldd "$BIN/$b" >/dev/null 2>&1; then
		for l in $(ldd "$BIN/$b" | grep -oE '/[^ ]+'); do
			mkdir -p "$R$(dirname "$l")"
			cp -L "$l" "$R$l"
		done
	fi
done
M=$(ls -d "$KDIR"/lib/modules/*/kernel)
for f in virt/lib/irqbypass drivers/vfio/vfio drivers/vfio/vfio_virqfd drivers/vfio/vfio_iommu_type1 \
	 drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci arch/x86/kvm/kvm drivers/crypto/ccp/ccp \
	 arch/x86/kvm/kvm-amd; do
	n=$(basename $f)
	if [ -f "$M/$f.ko.xz" ]; then xz -dc "$M/$f.ko.xz" > "$R/lib/modules/$n.ko"
	elif [ -f "$M/$f.ko" ]; then cp "$M/$f.ko" "$R/lib/modules/$n.ko"; fi
done
(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 > "$OUT"
