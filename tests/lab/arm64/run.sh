#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host side of the arm64 lab: Debian arm64 kernels under qemu-system-aarch64
# (TCG; virt machine with GICv3 + ITS and an SMMUv3), edu and e1000e bound
# to vfio-pci, the static arm64 irqtrail inside the guest.
#   usage: run.sh [CONFIG...]      CONFIG = arm64-6.12 | arm64-6.1 | arm64-6.12-nosmmu
#   env:   LAB_OUT     directory holding the arm64 irqtrail and labdev
#          LAB_CACHE   download cache (default /var/cache/irqtrail-lab)
#          LAB_RUNS    results (default LAB_OUT/runs)
#          LAB_TIMEOUT per-boot limit in seconds (default 600)
#          LAB_JOBS    configurations run at once (default: host CPUs)
# A QEMU that exits without the guest's end marker is retried once.
# arm64-*-nosmmu is the negative control: no SMMU, the devices get the
# ITS doorbell's physical address.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../labrun.sh"
: "${LAB_OUT:?LAB_OUT must point at the arm64 lab binaries}"
LAB_CACHE=${LAB_CACHE:-/var/cache/irqtrail-lab}
LAB_RUNS=${LAB_RUNS:-$LAB_OUT/runs}
export IRQTRAIL_LAB_CACHE=$LAB_CACHE
# the host's irqtrail reads the guest's arm64 recording (routes -r, explain -r)
export IRQTRAIL=${IRQTRAIL:-$(cd "$here/../../.." && pwd)/irqtrail}
[ $# -gt 0 ] || set -- arm64-6.12 arm64-6.1 arm64-6.12-nosmmu
T0=$(date +%s)

lab_need qemu-system-aarch64 qemu-system-arm || exit 1
for b in irqtrail labdev; do
	[ -x "$LAB_OUT/$b" ] || { echo "lab: $LAB_OUT/$b missing (make lab-build-arm64)" >&2; exit 1; }
done
SR=$("$here/sysroot.sh") || exit 1
mkdir -p "$LAB_RUNS"

boot() { # kdir initrd log iommu append
	timeout "${LAB_TIMEOUT:-600}" qemu-system-aarch64 \
		-machine virt,gic-version=3,its=on,iommu=$4 -accel tcg,thread=multi \
		-cpu max,pauth-impdef=on -smp 2 -m 1G \
		-device edu -device e1000e,netdev=n0 -netdev user,id=n0,restrict=on \
		-kernel "$(ls "$1"/boot/vmlinuz-*)" -initrd "$2" \
		-append "console=ttyAMA0 panic=-1 quiet loglevel=4 $5" \
		-display none -serial file:"$3" -monitor none -no-reboot </dev/null >"$3.qemu" 2>&1
}

run_cfg() { # cfg kdir initrd
	local cfg=$1 kdir=$2 initrd=$3 dir=$LAB_RUNS/$1 t quick=0 iommu=smmuv3 append="" flav
	flav=${cfg#arm64-}; flav=${flav%-nosmmu}
	t=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir/out"
	case $cfg in *-nosmmu) iommu=none; quick=1; append="lab.nosmmu=1" ;; esac
	lab_boot "$cfg" "$dir/serial.log" \
		boot "$kdir" "$initrd" "$dir/serial.log" $iommu "lab.quick=$quick $append ${LAB_APPEND:-}"
	lab_unpack "$dir/serial.log" "$dir/out"
	lab_check "$cfg" "$dir" "$t" "$here/check.py" "$dir/out" "$flav" "$iommu"
}

start_cfg() { # cfg
	local flav=${1#arm64-}
	flav=${flav%-nosmmu}
	run_cfg "$1" "${kdirs[$flav]}" "${initrds[$flav]}"
}

fail=0
declare -A kdirs initrds
for cfg in "$@"; do
	case $cfg in arm64-6.12|arm64-6.1|arm64-6.12-nosmmu|arm64-6.1-nosmmu) ;; *) echo "lab: unknown arm64 configuration $cfg" >&2; exit 2 ;; esac
	flav=${cfg#arm64-}; flav=${flav%-nosmmu}
	[ -n "${kdirs[$flav]:-}" ] && continue
	kdirs[$flav]=$("$here/../fetch-kernel.sh" "$flav" arm64) || { echo "  LAB      arm64 kernel $flav not available" >&2; exit 1; }
	initrds[$flav]=$LAB_RUNS/initrd-arm64-$flav.gz
	"$here/mkinitrd.sh" "${kdirs[$flav]}" "$LAB_OUT" "$SR" "${initrds[$flav]}" || { echo "  LAB      arm64 initramfs $flav failed" >&2; exit 1; }
done
lab_parallel start_cfg "$@" || fail=1
lab_results "$@" || fail=1
echo "  LAB      arm64 total $(( $(date +%s) - T0 ))s; results in $LAB_RUNS"
exit $fail
