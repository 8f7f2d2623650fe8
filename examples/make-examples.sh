#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Re-create the example recordings (root, /dev/kvm): the project's test VMM
# sets up MSI routes and irqfds, fires MSIs, changes a route; a virtio MSI-X
# irq is moved to the other CPU with traffic that makes it fire.
#   bash examples/make-examples.sh [IRQTRAIL] [ITVMM]
set -eu
cd "$(dirname "$0")/.."
IRQTRAIL=${1:-./irqtrail}
ITVMM=${2:-.output/tests/itvmm}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }

# the virtio-rng irq (reading /dev/hwrng makes it fire), if its affinity can be written
movable_irq() {
	local d irq
	for d in /sys/bus/virtio/devices/*; do
		[ "$(basename "$(readlink "$d/driver")")" = virtio_rng ] || continue
		irq=$(awk -v n="$(basename "$d")-" 'index($NF, n) == 1 && /PCI-MSIX/ { sub(":", "", $1); print $1 }' /proc/interrupts | tail -1)
		[ -n "$irq" ] && cat "/proc/irq/$irq/smp_affinity_list" > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null &&
			echo "$irq" && return
	done
}

traffic() {
	timeout 5 dd if=/dev/hwrng of=/dev/null bs=32 count=20 2>/dev/null || true
}

record() {	# OUT ARGS...
	local out=$1 go vmm
	shift
	rm -f "$out"
	go=$(mktemp -u /tmp/irqtrail-example.XXXXXX)
	# the VMM waits for the recorder, which follows only it (--pid): other
	# VMs on the host stay out of the example
	"$ITVMM" --wait-start "$go" --vcpus 2 --route 24:0xfee00000:0x4031 --route 25:0xfee01000:0x4032 \
		--route 26:0xfee00000:0x41 --irqfd 24 --irqfd 25 --irqfd 26 --fire-irqfd 24:3000 --fire-irqfd 25:2000 \
		--fire-irqfd 26:1000 --signal 0xfee01000:0x4051:500 --reroute 26:0xfee01000:0x42 --fire-after 100 \
		--rate 20000 > "$out.vmm.json" &
	vmm=$!
	"$IRQTRAIL" record -o "$out" --pid "$vmm" "$@" 2> "$out.log" &
	local pid=$!
	for _ in $(seq 100); do grep -q recording "$out.log" 2>/dev/null && break; sleep 0.1; done
	touch "$go"
	wait "$vmm"
	rm -f "$go"
	irq=$(movable_irq)
	if [ -n "$irq" ]; then
		old=$(cat "/proc/irq/$irq/smp_affinity_list")
		echo 1 > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null || true
		traffic
		echo 0 > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null || true
		traffic
		echo "$old" > "/proc/irq/$irq/smp_affinity_list" 2>/dev/null || true
	fi
	wait $pid || true
	rm -f "$out.log"
	chmod 644 "$out"
}

record examples/vmm-msi.itr -D 4
record examples/vmm-msi-full.itr -D 4 --full
ls -l examples/*.itr
