#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live, as root: `irqtrail top --batch -n 3` while the test VMM fires MSIs
# through two irqfds and KVM_SIGNAL_MSI shows the VMM's GSIs with non-zero
# rates (at most what it fires), its own BPF cost and no lost events; the
# kernel's BPF statistics are on while it runs, the sysctl as it was after.
# Then without --batch, stdout a file: text frames all the same.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/kvm ] || skip "/dev/kvm is absent"
[ -x "${ITVMM:-}" ] || fail "test VMM ${ITVMM:-} not built"

stats=/proc/sys/kernel/bpf_stats_enabled
s0=$(cat "$stats" 2> /dev/null || echo none)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2> /dev/null
	done
}
trap cleanup EXIT

rm -f "$W/go"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 --vcpus 2 \
	--route 40:0xfee00000:0x0041 --route 41:0xfee01000:0x0052 \
	--irqfd 40 --irqfd 41 --fire-irqfd 40:0 --fire-irqfd 41:0 \
	--signal 0xfee00000:0x0071:0 --rate 3000 --duration-ms 9000 > "$W/vmm.json" 2> "$W/vmm.err" &
vmm=$!
PIDS+=("$vmm")

"$IRQTRAIL" top --batch -n 3 -i 1 --pid "$vmm" --view guests > "$W/top1" 2> "$W/top1.err" &
t1=$!
PIDS+=("$t1")
# the first frame says it is tracing: start the VMM then
for ((i = 0; i < 400; i++)); do
	grep -q '^irqtrail top ' "$W/top1" && break
	kill -0 "$t1" 2> /dev/null || break
	sleep 0.05
done
grep -q '^irqtrail top ' "$W/top1" || fail "no first frame within 20 s: $(head -c 500 "$W/top1.err")"
during=$(cat "$stats" 2> /dev/null || echo none)
touch "$W/go"
wait "$t1"
rc=$?
[ "$rc" = 0 ] || fail "top --batch -n 3: exit status $rc: $(head -c 500 "$W/top1.err")"
[ ! -s "$W/top1.err" ] || fail "top --batch: stderr: $(head -c 500 "$W/top1.err")"
after=$(cat "$stats" 2> /dev/null || echo none)

[ "$(nframes "$W/top1")" = 3 ] || fail "-n 3: $(nframes "$W/top1") frames"
grep -q $'\033' "$W/top1" && fail "escape sequences in batch output"
frame 3 "$W/top1" > "$W/f3"
head -1 "$W/f3" | grep -q '^irqtrail top  live ' || fail "not a live frame: $(head -1 "$W/f3")"
grep -q '  lost 0' "$W/f3" || fail "events lost: $(sed -n 3p "$W/f3")"
grep -qE 'cost: bpf [0-9.]+[num]?s/s \([0-9.]+% cpu, [0-9.k]+ runs/s, [0-9.]+[num]?s/run, [0-9]+ progs\)  cpu [0-9.]+%' "$W/f3" ||
	fail "no BPF cost in the header: $(sed -n 4p "$W/f3")"
rows=$(colvals GUESTS "PID GSI RATE/s TOTAL" "$W/f3")
echo "$rows"
for g in 40 41 msi; do
	r=$(awk -v p="$vmm" -v g="$g" '$1 == p && $2 == g { print $3 }' <<< "$rows")
	[ -n "$r" ] || fail "no row for the VMM's gsi $g in frame 3"
	awk -v r="$r" 'BEGIN { if (r ~ /k$/) r = r * 1000; exit !(r + 0 >= 50 && r + 0 <= 1500) }' ||
		fail "gsi $g at $r/s in frame 3, the VMM fires 1000/s"
done
awk -v p="$vmm" '$1 != p { bad = 1 } END { exit bad }' <<< "$rows" || fail "--pid $vmm shows other VMs"

# the statistics switch: on while top ran (the run time above is not "-",
# which the kernel only counts with them on; BPF_ENABLE_STATS leaves the
# sysctl's own value alone), and the sysctl as it was afterwards
if [ "$s0" != none ]; then
	[ "$after" = "$s0" ] || fail "kernel.bpf_stats_enabled is $after after top, was $s0 (during: $during)"
fi

# no --batch, stdout a file: frames all the same, other VMs included
"$IRQTRAIL" top -n 2 -i 1 --view guests > "$W/top2" 2> "$W/top2.err" < /dev/null
rc=$?
[ "$rc" = 0 ] || fail "top -n 2 > file: exit status $rc: $(head -c 500 "$W/top2.err")"
[ "$(nframes "$W/top2")" = 2 ] || fail "top -n 2 > file: $(nframes "$W/top2") frames"
# the routes were set up before this top started: its rows are read at
# start by the VM state iterator ("iterator") where doctor says it is
# attached, else the messages it saw injected ("observed"); vector 0x41 for
# gsi 40
want=observed
"$IRQTRAIL" doctor -j 2> /dev/null | grep -q '"hop":"vm-state","tier":"iterator","attached":true' && want=iterator
r=$(colvals GUESTS "PID GVEC SOURCE RATE/s" <(frame 2 "$W/top2") | awk -v p="$vmm" '$1 == p && $2 == "0x41" { print $3, $4 }')
awk -v r="${r#* }" 'BEGIN { if (r ~ /k$/) r = r * 1000; exit !(r + 0 > 0) }' ||
	fail "top without --batch: vector 0x41 of $vmm at '${r:-none}'/s"
[ "${r% *}" = "$want" ] || fail "a route set up before top started is shown as '${r% *}', not $want"
wait "$vmm" || fail "itvmm exited $?: $(head -c 300 "$W/vmm.err")"
PIDS=()
echo "ok: gsi 40/41/msi at $(awk -v p="$vmm" '$1 == p { printf "%s ", $3 }' <<< "$rows")/s, bpf stats $s0 -> $during -> $after"
