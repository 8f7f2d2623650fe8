#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host side of the VMM scenario: Debian's QEMU inside the lab guest (L1)
# passes the emulated e1000e through vfio-pci to a nested L2 guest.
#   usage: run.sh vmm-intel-6.12|vmm-amd-6.12
#   env:   LAB_OUT, LAB_RUNS, LAB_CACHE as for ../run.sh
#          LAB_TIMEOUT per-boot limit in seconds (default 480)
# Fetches the kernel (cached), packs the L1 initramfs (mkinitrd.sh), boots
# the outer QEMU under TCG with 3G (QEMU in L1 needs about 1G), retries once
# when QEMU ends without the guest's end marker, unpacks the guest's /out
# from the serial log and checks it (check_vmm.py).  Writes
# LAB_RUNS/CONFIG/result.txt like ../run.sh; exit 0 when the checks pass.
# The deliberately broken second run (QEMU without KVM irqfds for MSI-X)
# runs on Intel only: it doubles the time of a run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../labrun.sh"
cfg=${1:?usage: run.sh vmm-intel-6.12|vmm-amd-6.12}
: "${LAB_OUT:?LAB_OUT must point at the lab binaries (make lab-build)}"
LAB_RUNS=${LAB_RUNS:-$LAB_OUT/runs}
export IRQTRAIL_LAB_CACHE=${LAB_CACHE:-/var/cache/irqtrail-lab}
rest=${cfg#vmm-}
vendor=${rest%%-*}
flav=${rest#*-}
dir=$LAB_RUNS/$cfg
t=$(date +%s)
case $vendor in
intel) dev="-device intel-iommu,intremap=on,caching-mode=on"; args="intel_iommu=on lab.broken=1" ;;
amd) dev="-device amd-iommu,intremap=on"; args="amd_iommu=on lab.broken=0" ;;
*) echo "lab: unknown configuration $cfg" >&2; exit 2 ;;
esac
rm -rf "$dir"
mkdir -p "$dir/out"
kdir=$("$here/../fetch-kernel.sh" "$flav") &&
	"$here/mkinitrd.sh" "$kdir" "$LAB_OUT" "$dir/initrd.gz" || { echo "  LAB      $cfg FAIL (kernel or initramfs)" > "$dir/result.txt"; exit 1; }
boot() {
	timeout "${LAB_TIMEOUT:-480}" qemu-system-x86_64 \
		-machine q35,accel=tcg -cpu max -smp 2 -m 3G $dev \
		-device e1000e,netdev=n0 -netdev user,id=n0,restrict=on \
		-kernel "$(ls "$kdir"/boot/vmlinuz-*)" -initrd "$dir/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 $args lab.vendor=$vendor ${LAB_APPEND:-}" \
		-display none -serial file:"$dir/serial.log" -monitor none -no-reboot </dev/null >"$dir/serial.log.qemu" 2>&1
}
LAB_KEEP_TRY1=1 lab_boot "$cfg" "$dir/serial.log" boot
rm -f "$dir/initrd.gz"
lab_unpack "$dir/serial.log" "$dir/out"
lab_check "$cfg" "$dir" "$t" "$here/check_vmm.py" "$dir/out" "$vendor"
