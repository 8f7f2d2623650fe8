#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Re-record tests/top/data/vmm.itr (root, /dev/kvm): `irqtrail record` while
# two test VMMs run, and write the VMMs' pids to tests/top/data/vmm.env.
#
#   VM A (2 vCPUs): GSI 40 and 41 with irqfds, fired through the irqfds and
#     one directly signalled MSI, 3000/s in all for 2.5 s; then GSI 41 is
#     rerouted (vector 0x52 -> 0x53), 100 more of each, and irqfd 40 is
#     deassigned: rows, rates and the Changes log.
#   VM B (1 vCPU): GSI 50 with an irqfd, 400/s for 2 s, and GSI 51 routed to
#     the reserved vector 0xe (a finding for the Alerts view).
#
# Other processes may be tracing or running VMs meanwhile; the tests look
# at these two VMs by pid.  Afterwards run `make top-golden`.
set -eu
IRQTRAIL=$(realpath "${IRQTRAIL:?}")
ITVMM=$(realpath "${ITVMM:?}")
here=$(cd "$(dirname "$0")" && pwd)
data=$here/data
[ "$(id -u)" = 0 ] || { echo "mkdata.sh: needs root" >&2; exit 1; }
[ -c /dev/kvm ] || { echo "mkdata.sh: needs /dev/kvm" >&2; exit 1; }
w=$(mktemp -d /tmp/irqtrail-topdata.XXXXXX)
trap 'rm -rf "$w"' EXIT

"$IRQTRAIL" record -o "$w/vmm.itr" -D 4.5 2> "$w/rec.err" &
rec=$!
for ((i = 0; i < 300; i++)); do
	grep -q 'recording to' "$w/rec.err" && break
	kill -0 "$rec" 2>/dev/null || { cat "$w/rec.err" >&2; exit 1; }
	sleep 0.05
done
sleep 0.5
"$ITVMM" --vcpus 2 \
	--route 40:0xfee00000:0x0041 --route 41:0xfee01000:0x0052 \
	--irqfd 40 --irqfd 41 --fire-irqfd 40:0 --fire-irqfd 41:0 \
	--signal 0xfee00000:0x0071:0 --rate 3000 --duration-ms 2500 \
	--reroute 41:0xfee00000:0x0053 --fire-after 100 --deassign-irqfd 40 > "$w/a.json" &
a=$!
"$ITVMM" --vcpus 1 --bad-route \
	--route 50:0xfee00000:0x0061 --route 51:0xfee00000:0x000e \
	--irqfd 50 --fire-irqfd 50:0 --rate 400 --duration-ms 2000 > "$w/b.json" &
b=$!
wait "$a" || { echo "mkdata.sh: VM A failed" >&2; exit 1; }
wait "$b" || { echo "mkdata.sh: VM B failed" >&2; exit 1; }
wait "$rec" || { cat "$w/rec.err" >&2; echo "mkdata.sh: record failed (lost events?)" >&2; exit 1; }
cat "$w/rec.err"
size=$(stat -c %s "$w/vmm.itr")
[ "$size" -lt 204800 ] || { echo "mkdata.sh: recording is $size bytes, over 200 KB" >&2; exit 1; }
mkdir -p "$data"
cp "$w/vmm.itr" "$data/vmm.itr"
chmod 0644 "$data/vmm.itr"
{
	echo "# SPDX-License-Identifier: GPL-2.0-only"
	echo "# written by tests/top/mkdata.sh with data/vmm.itr"
	echo "VM_A_PID=$(jq .pid "$w/a.json")"
	echo "VM_B_PID=$(jq .pid "$w/b.json")"
	# injections each route carried (both phases), as the VMMs counted them
	echo "A_GSI40=$(jq '[.fired[] | select(.gsi == 40) | .count] | add' "$w/a.json")"
	echo "A_GSI41=$(jq '[.fired[] | select(.gsi == 41) | .count] | add' "$w/a.json")"
	echo "A_SIGNAL=$(jq '[.fired[] | select(.how == "signal") | .count] | add' "$w/a.json")"
	echo "B_GSI50=$(jq '[.fired[] | select(.gsi == 50) | .count] | add' "$w/b.json")"
} > "$data/vmm.env"
echo "mkdata.sh: $data/vmm.itr ($size bytes), $(tr '\n' ' ' < "$data/vmm.env" | sed 's/#[^V]*//g')"
