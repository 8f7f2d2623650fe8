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
: "${LAB_OUT:?LAB_OUT must point at the lab binaries (make lab-build)}"
LAB_CACHE=${LAB_CACHE:-/var/cache/irqtrail-lab}
LAB_RUNS=${LAB_RUNS:-$LAB_OUT/runs}
LAB_TIMEOUT=${LAB_TIMEOUT:-}
export IRQTRAIL_LAB_CACHE=$LAB_CACHE
[ $# -gt 0 ] || set -- intel-6.12 amd-6.12 intel-6.1 amd-6.1
T0=$(date +%s)

need=""
command -v qemu-system-x86_64 >/dev/null || need="$need qemu-system-x86"
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx cpio || need="$need busybox-static"
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then echo "lab: missing packages:$need" >&2; exit 1; fi
	echo "  APT      $need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null; } ||
		{ echo "lab: cannot install$need" >&2; exit 1; }
fi
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
	local cfg=$1 kdir=$2 initrd=$3 vendor=${1%%-*} flav=${1#*-} dir=$LAB_RUNS/$1 t res quick=0
	t=$(date +%s)
	rm -rf "$dir"
	mkdir -p "$dir/out"
	# routes/record run on 6.12 only (each irqtrail start costs ~40 s under TCG)
	[ "$flav" = 6.12 ] || quick=1
	for try in 1 2; do
		LAB_APPEND="lab.quick=$quick ${LAB_APPEND:-}" boot "$kdir" "$initrd" "$dir/serial.log" "$vendor"
		grep -aq '=== GUEST DONE' "$dir/serial.log" && break
		echo "  LAB      $cfg: QEMU ended without the guest's end marker (try $try): $(tail -c 300 "$dir/serial.log" | tr -d '\r' | tail -2)"
	done
	# the guest's /out, sent as a base64 tarball between markers
	sed -n '/^=== ARCHIVE BEGIN/,/^=== ARCHIVE END/p' "$dir/serial.log" | tr -d '\r' | grep -v '^===' |
		base64 -d 2>/dev/null | tar xzf - -C "$dir/out" 2>/dev/null
	if python3 "$here/check.py" "$dir/out" "$vendor" "$flav" > "$dir/check.txt" 2>&1; then
		res=ok
	else
		res=FAIL
	fi
	{
		echo "  LAB      $cfg $res ($(( $(date +%s) - t ))s, $(grep -c '^ok ' "$dir/check.txt") checks passed, $(grep -c '^FAIL ' "$dir/check.txt") failed)"
		grep -E '^(FAIL|PROVEN) ' "$dir/check.txt" | sed 's/^/           | /'
	} > "$dir/result.txt"
	[ $res = ok ]
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
# Under TCG the guest keeps about one host CPU busy: run LAB_JOBS at once.
LAB_JOBS=${LAB_JOBS:-$(nproc)}
pids=()
for cfg in "$@"; do
	flav=${cfg#*-}
	while [ "$(jobs -rp | wc -l)" -ge "$LAB_JOBS" ]; do wait -n; done
	case $cfg in
	vmm-*) LAB_OUT=$LAB_OUT LAB_RUNS=$LAB_RUNS LAB_CACHE=$LAB_CACHE bash "$here/vmm/run.sh" "$cfg" & ;;	# tests/lab/vmm
	*) run_cfg "$cfg" "${kdirs[$flav]}" "${initrds[$flav]}" & ;;
	esac
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || fail=1
done
for cfg in "$@"; do
	cat "$LAB_RUNS/$cfg/result.txt" 2>/dev/null || { echo "  LAB      $cfg FAIL (no result)"; fail=1; }
done
echo "  LAB      total $(( $(date +%s) - T0 ))s; results in $LAB_RUNS"
exit $fail
