#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Host side of the irqtrail lab.
#   usage: run.sh [CONFIG...]      CONFIG = intel-6.12 | amd-6.12 | intel-6.1 | amd-6.1
#                                  | vmm-intel-6.12 | vmm-amd-6.12 (tests/lab/vmm/run.sh)
#   env:   LAB_OUT    directory holding the static irqtrail, labdev, labkvm
#          LAB_CACHE  download cache (default /var/cache/irqtrail-lab)
#          LAB_RUNS   where each run's serial log and results go (default LAB_OUT/runs)
#          LAB_TIMEOUT per-boot limit in seconds (default 330 for 6.12, 200 for 6.1:
#                     about 1.5 times a run with two configurations at once)
#          LAB_JOBS   configurations run at once (default: host CPUs)
# For each configuration: fetch the Debian kernel (cached), pack an
# initramfs, boot it under TCG with the emulated IOMMU, edu and e1000e,
# unpack the guest's results from the serial log and check them
# (check.py).  A QEMU that exits without the guest's end marker is retried
# once.  Exit status 0 when every configuration passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/labrun.sh"
: "${LAB_OUT:?LAB_OUT must point at the lab binaries (make lab-build)}"
LAB_CACHE=${LAB_CACHE:-/var/cache/irqtrail-lab}
LAB_RUNS=${LAB_RUNS:-$LAB_OUT/runs}
LAB_TIMEOUT=${LAB_TIMEOUT:-}
export IRQTRAIL_LAB_CACHE=$LAB_CACHE
[ $# -gt 0 ] || set -- intel-6.12 amd-6.12 intel-6.1 amd-6.1
T0=$(date +%s)

lab_need qemu-system-x86_64 qemu-system-x86 || exit 1
for b in irqtrail labdev labkvm; do
	[ -x "$LAB_OUT/$b" ] || { echo "lab: $LAB_OUT/$b missing (make lab-build)" >&2; exit 1; }
done
mkdir -p "$LAB_RUNS"

boot() { # kdir initrd log vendor
	local kdir=$1 initrd=$2 log=$3 vendor=$4 dev args
	case $vendor in
	intel) dev="-device intel-iommu,intremap=on,caching-mode=on"; args="intel_iommu=on" ;;
	amd) dev="-device amd-iommu,intremap=on"; args="amd_iommu=on" ;;
	esac
	local limit=${LAB_TIMEOUT:-$([ "${kdir##*kernel-6.1.}" != "$kdir" ] && echo 200 || echo 330)}
	timeout "$limit" qemu-system-x86_64 \
		-machine q35,accel=tcg -cpu max -smp 2 -m 1G $dev \
		-device edu -device e1000e,netdev=n0 -netdev user,id=n0,restrict=on \
		-device virtio-rng-pci,vectors=520 \
		-kernel "$(ls "$kdir"/boot/vmlinuz-*)" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 $args lab.vendor=$vendor ${LAB_APPEND:-}" \
		-display none -serial file:"$log" -monitor none -no-reboot </dev/null >"$log.qemu" 2>&1
}

# one configuration: boot (retried once on a silent exit), unpack, check
run_cfg() { # cfg kdir initrd
	local cfg=$1 kdir=$2 initrd=$3 vendor=${1%%-*} flav=${1#*-} dir=$LAB_RUNS/$1 t quick=0
	t=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir/out"
	# routes/record run on 6.12 only (each irqtrail start costs ~40 s under TCG)
	[ "$flav" = 6.12 ] || quick=1
	LAB_APPEND="lab.quick=$quick ${LAB_APPEND:-}" lab_boot "$cfg" "$dir/serial.log" \
		boot "$kdir" "$initrd" "$dir/serial.log" "$vendor"
	lab_unpack "$dir/serial.log" "$dir/out"
	lab_check "$cfg" "$dir" "$t" "$here/check.py" "$dir/out" "$vendor" "$flav"
}

# one configuration of the parallel run
start_cfg() { # cfg
	case $1 in
	vmm-*) LAB_OUT=$LAB_OUT LAB_RUNS=$LAB_RUNS LAB_CACHE=$LAB_CACHE bash "$here/vmm/run.sh" "$1" ;;	# tests/lab/vmm
	*) run_cfg "$1" "${kdirs[${1#*-}]}" "${initrds[${1#*-}]}" ;;
	esac
}

fail=0
declare -A kdirs initrds
for cfg in "$@"; do
	vendor=${cfg%%-*}
	flav=${cfg#*-}
	case $vendor in intel|amd) ;; vmm) continue ;; *) echo "lab: unknown configuration $cfg" >&2; exit 2 ;; esac
	[ -n "${kdirs[$flav]:-}" ] && continue
	kdirs[$flav]=$("$here/fetch-kernel.sh" "$flav") || { echo "  LAB      kernel $flav not available" >&2; exit 1; }
	initrds[$flav]=$LAB_RUNS/initrd-$flav.gz
	"$here/mkinitrd.sh" "${kdirs[$flav]}" "$LAB_OUT" "${initrds[$flav]}" || { echo "  LAB      initramfs $flav failed" >&2; exit 1; }
done
lab_parallel start_cfg "$@" || fail=1
lab_results "$@" || fail=1
echo "  LAB      total $(( $(date +%s) - T0 ))s; results in $LAB_RUNS"
exit $fail
