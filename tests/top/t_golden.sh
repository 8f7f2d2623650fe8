#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Batch mode from a recording: every case is printed twice and must be the
# same both times and equal to golden/CASE.txt (UPDATE=1 rewrites those).
# The frames are cut on the recording's clock, so nothing in them depends
# on the machine or the moment they are printed.  Besides the goldens, the
# numbers are checked against what the test VMMs did (data/vmm.env).
set -u
. "$(dirname "$0")/lib.sh"
need_rec
cd "$TOP_DIR" || exit 1
rec=data/vmm.itr

cases=(
	"default|"
	"half-second|-i 0.5 --view guests,changes -s gsi:asc"
	"device|-d 00:04.0 --view devices,changes"
	"vm-a|--pid $VM_A_PID --view guests,changes,alerts"
	"regex|-f itvmm.*0x5[23] --view guests"
	"detail|--view detail -f 0x53|virtio3-tx"
	"alerts|--view alerts -i 2"
	"two-frames|-n 2 -s total"
)

failed=0
for c in "${cases[@]}"; do
	name=${c%%|*}
	args=${c#*|}
	# shellcheck disable=SC2086
	"$IRQTRAIL" top --batch -r "$rec" $args > "$W/$name.1" 2> "$W/$name.err"
	rc=$?
	[ "$rc" = 0 ] || fail "case $name: exit status $rc: $(head -c 400 "$W/$name.err")"
	[ ! -s "$W/$name.err" ] || fail "case $name: stderr: $(head -c 400 "$W/$name.err")"
	# shellcheck disable=SC2086
	"$IRQTRAIL" top --batch -r "$rec" $args > "$W/$name.2" 2>&1
	cmp -s "$W/$name.1" "$W/$name.2" || fail "case $name: two runs differ: $(diff "$W/$name.1" "$W/$name.2" | head -20)"
	if grep -q $'\033' "$W/$name.1"; then
		fail "case $name: escape sequences in batch output"
	fi
	# golden files: an SPDX line, then the output
	if [ "${UPDATE:-0}" = 1 ]; then
		{ echo "# SPDX-License-Identifier: GPL-2.0-only"; cat "$W/$name.1"; } > "$GOLDEN/$name.txt"
		echo "updated golden/$name.txt"
	elif ! diff -u <(tail -n +2 "$GOLDEN/$name.txt") "$W/$name.1" > "$W/$name.diff"; then
		echo "case $name ($args) differs from golden/$name.txt:"
		head -40 "$W/$name.diff"
		failed=1
	fi
done
[ "$failed" = 0 ] || fail "batch output differs from the goldens (make top-golden after checking the diff)"

# ---- what the frames say, against what the VMMs did -------------------
out=$W/default.1
n=$(nframes "$out")
[ "$n" -ge 4 ] || fail "default: $n frames, the recording is 4.5 s long"
[ "$(grep -c '^irqtrail top .*\[END\]' "$out")" = 1 ] || fail "default: [END] not exactly once"
frame "$n" "$out" | head -1 | grep -q '\[END\]' || fail "default: [END] is not on the last frame"
# frame k is at +k.000s of the recording's clock
for ((k = 1; k < n; k++)); do
	frame "$k" "$out" | head -1 | grep -q " +$k.000s " || fail "default: frame $k is not at +$k.000s"
done

# totals at the end are what VM A fired through each route
last=$W/last
frame "$n" "$out" > "$last"
guests=$(colvals GUESTS "PID GSI GVEC RATE/s TOTAL" "$last")
total_of() {	# pid gsi -> TOTAL
	awk -v p="$1" -v g="$2" '$1 == p && $2 == g { print $5 }' <<< "$guests"
}
[ "$(total_of "$VM_A_PID" 40)" = "$A_GSI40" ] || fail "VM A gsi 40 total $(total_of "$VM_A_PID" 40), VMM fired $A_GSI40"
[ "$(total_of "$VM_A_PID" 41)" = "$A_GSI41" ] || fail "VM A gsi 41 total $(total_of "$VM_A_PID" 41), VMM fired $A_GSI41"
[ "$(total_of "$VM_A_PID" msi)" = "$A_SIGNAL" ] || fail "VM A signalled msi total $(total_of "$VM_A_PID" msi), VMM fired $A_SIGNAL"
[ "$(total_of "$VM_B_PID" 50)" = "$B_GSI50" ] || fail "VM B gsi 50 total $(total_of "$VM_B_PID" 50), VMM fired $B_GSI50"
# the reroute: gsi 41 now carries vector 0x53
[ "$(awk -v p="$VM_A_PID" '$1 == p && $2 == 41 { print $3 }' <<< "$guests")" = 0x53 ] ||
	fail "gsi 41 not shown rerouted to 0x53"

# rates: VM A fired 1000/s per route for 2.5 s: a whole frame in between
# shows that rate
peak=0
for ((k = 1; k <= n; k++)); do
	r=$(colvals GUESTS "PID GSI RATE/s" <(frame "$k" "$out") | awk -v p="$VM_A_PID" '$1 == p && $2 == 40 { print $3 }')
	peak=$(awk -v a="$peak" -v b="${r:-0}" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
done
awk -v r="$peak" 'BEGIN { exit !(r + 0 >= 800 && r + 0 <= 1200) }' ||
	fail "VM A gsi 40 peaked at $peak/s, fired at 1000/s"
# and it falls once the VM is done (the last frame: the aggregates since
# the previous frame hold at most the tail of the firing)
rate40=$(awk -v p="$VM_A_PID" '$1 == p && $2 == 40 { print $4 }' <<< "$guests")
awk -v r="$rate40" -v p="$peak" 'BEGIN { exit !(r + 0 < p / 4) }' || fail "VM A gsi 40 still at $rate40/s at the end"
# the header's rates are the sums of the rows
for ((k = 1; k <= n; k++)); do
	frame "$k" "$out" > "$W/fk"
	hdr=$(grep -oE '^irqs [0-9.k]+/s  injections [0-9.k]+/s' "$W/fk") || fail "frame $k: no rates line"
	inj=$(awk '{ print $4 }' <<< "$hdr" | sed 's|/s||')
	sum=$(colvals GUESTS "RATE/s" "$W/fk" | awk '{ v = $1; if (v ~ /k$/) v = v * 1000; s += v } END { printf "%.1f", s }')
	awk -v a="$inj" -v b="$sum" 'BEGIN { if (a ~ /k$/) a = a * 1000; d = a - b; if (d < 0) d = -d; exit !(d <= 0.06 * (b + 1) + 1) }' ||
		fail "frame $k: header injections $inj/s, rows sum to $sum/s"
done

# the Changes log: routes, irqfds, the reroute and the deassign, once each
ch=$W/changes
section_rows CHANGES "$out" > /dev/null
grep -E "^ +\+[0-9.]+s +$VM_A_PID " "$out" > "$ch"
grep -q "gsi 40 routed to 0xfee00000/0x41" "$ch" || fail "no 'gsi 40 routed' change"
grep -q "gsi 41: 0xfee01000/0x52" "$ch" || fail "no reroute of gsi 41 in Changes"
grep -q "irqfd eventfd [0-9]* on gsi 40 removed" "$ch" || fail "no irqfd deassign in Changes"
[ "$(grep -c 'gsi 40 routed to' "$ch")" = 1 ] || fail "a change was printed in two frames"

# filters: -d keeps one device, --pid one VM, -f the matching rows
rows=$(section_rows DEVICES <(frame 1 "$W/device.1"))
[ -n "$rows" ] || fail "-d 00:04.0: no rows"
awk '$1 != "0000:00:04.0" { bad = 1 } END { exit bad }' <<< "$rows" || fail "-d 00:04.0 shows other devices"
rows=$(colvals GUESTS "PID" <(frame 3 "$W/vm-a.1"))
awk -v p="$VM_A_PID" '$1 != p { bad = 1 } END { exit bad }' <<< "$rows" || fail "--pid shows other VMs"
[ "$(wc -l <<< "$rows")" = 3 ] || fail "--pid $VM_A_PID: $(wc -l <<< "$rows") rows, VM A has 3"
rows=$(section_rows GUESTS <(frame 3 "$W/regex.1"))
[ "$(wc -l <<< "$rows")" = 1 ] && grep -q ' 41 ' <<< "$rows" || fail "-f itvmm.*0x5[23]: want gsi 41 only: $rows"
# -s gsi:asc sorts within each VM
colvals GUESTS "PID GSI" <(frame 4 "$W/half-second.1") | awk '
	$1 != pid { pid = $1; last = -2 }
	{ g = ($2 == "msi") ? -1 : $2 + 0; if (g < last) bad = 1; last = g }
	END { exit bad }' || fail "-s gsi:asc: GSIs not ascending within a VM"
# -i 0.5: twice the frames
n2=$(nframes "$W/half-second.1")
[ "$n2" -ge $((2 * n - 2)) ] || fail "-i 0.5: $n2 frames, -i 1: $n"
# -n 2
[ "$(nframes "$W/two-frames.1")" = 2 ] || fail "-n 2: not two frames"
# detail: the path of gsi 41 and a histogram for virtio3-tx
grep -q "^VM itvmm (pid $VM_A_PID): GSI 41" "$W/detail.1" || fail "detail: no GSI 41 path"
grep -q "guest MSI 0xfee00000/0x53 -> APIC 0, vector 0x53" "$W/detail.1" || fail "detail: message not decoded"
grep -q "gsi 41: 0xfee01000/0x52 (dest 1 vector 0x52) -> 0xfee00000/0x53" "$W/detail.1" || fail "detail: no change history"
# alerts: VM B's reserved vector, when this build has the rules engine
if ! grep -q "rules engine not available" "$W/alerts.1"; then
	grep -q "IRT011 .*pid $VM_B_PID) gsi 51" "$W/alerts.1" || fail "alerts: no IRT011 for VM B's gsi 51"
fi
echo "ok: $n frames, ${#cases[@]} cases match their goldens"
