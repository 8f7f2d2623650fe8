#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Move a non-managed virtio MSI-X IRQ to another CPU while `irqtrail stream`
# runs, make it fire, and assert the stream shows the move for that IRQ:
# vector_update (prev_cpu = old CPU) and/or vector_config (apicdest = the new
# CPU's APIC id) with "cpu" = the new CPU, and its handler running on the new
# CPU afterwards as often as /proc/interrupts says it ran there.
# On x86 without interrupt remapping the move itself happens at the next
# interrupt, so the traffic is what makes the vector events appear.
set -u
. "$(dirname "$0")/lib.sh"
need_irqtrail

online_cpus() {
	local r a b out=()
	IFS=, read -ra r < /sys/devices/system/cpu/online
	for a in "${r[@]}"; do
		if [[ $a == *-* ]]; then
			for ((b = ${a%-*}; b <= ${a#*-}; b++)); do out+=("$b"); done
		else
			out+=("$a")
		fi
	done
	echo "${out[@]}"
}

# column of CPU $2 in /proc/interrupts for irq $1
irq_count() {
	awk -v irq="$1:" -v cpu="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CPU" cpu) col = i + 1; next }
		$1 == irq { print $col; exit }' /proc/interrupts
}

irq_total() {
	awk -v irq="$1:" 'NR == 1 { n = NF; next }
		$1 == irq { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print s; exit }' /proc/interrupts
}

# traffic that makes virtio device $1 interrupt
traffic() {
	local dev=$1 drv i gw blk
	drv=$(basename "$(readlink "/sys/bus/virtio/devices/$dev/driver")" 2>/dev/null)
	case $drv in
	virtio_rng)
		grep -q "^virtio_rng" /sys/class/misc/hw_random/rng_current 2>/dev/null &&
			timeout 5 dd if=/dev/hwrng of=/dev/null bs=32 count=40 2>/dev/null
		;;
	virtio_net)
		gw=$(ip -4 route show default 2>/dev/null | awk '{print $3; exit}')
		[ -n "$gw" ] || return 0
		if command -v ping > /dev/null; then
			ping -c 50 -i 0.01 -W 1 "$gw" > /dev/null 2>&1
		else
			for ((i = 0; i < 20; i++)); do
				timeout 0.3 bash -c "exec 3<>/dev/tcp/$gw/9" 2>/dev/null
			done
		fi
		;;
	virtio_blk)
		for blk in /sys/bus/virtio/devices/"$dev"/block/*; do
			[ -e "$blk" ] || continue
			timeout 10 dd if="/dev/${blk##*/}" of=/dev/null bs=1M count=50 iflag=direct 2>/dev/null
			break
		done
		;;
	esac
	return 0
}

read -ra cpus <<< "$(online_cpus)"
[ "${#cpus[@]}" -ge 2 ] || skip "only one online CPU"

# candidates: virtio MSI-X queue IRQs of devices this test can make busy,
# whose affinity user space may set (managed IRQs refuse the write with EIO)
cands=()
while read -r irq dev name; do
	drv=$(basename "$(readlink "/sys/bus/virtio/devices/$dev/driver")" 2>/dev/null)
	case $drv in
	virtio_rng | virtio_net | virtio_blk) ;;
	*) continue ;;
	esac
	mask=$(cat "/proc/irq/$irq/smp_affinity" 2>/dev/null) || continue
	( echo "$mask" > "/proc/irq/$irq/smp_affinity" ) 2>/dev/null || continue
	cands+=("$irq $dev $name")
done < <(awk '/PCI-MSIX/ && / virtio[0-9]+-/ && !/-config$/ {
		irq = $1; sub(":", "", irq); name = $NF; dev = name; sub("-.*", "", dev)
		print irq, dev, name }' /proc/interrupts)
[ "${#cands[@]}" -gt 0 ] || skip "no virtio rng/net/blk MSI-X IRQ with a writable smp_affinity"

# pick the first one our traffic makes fire
irq=
for c in "${cands[@]}"; do
	read -r i d n <<< "$c"
	before=$(irq_total "$i")
	traffic "$d"
	after=$(irq_total "$i")
	if [ "$after" -gt "$before" ]; then
		irq=$i dev=$d name=$n
		break
	fi
done
[ -n "$irq" ] || skip "no movable virtio MSI-X IRQ fires with the traffic this test can cause (tried: ${cands[*]})"

orig_mask=$(cat "/proc/irq/$irq/smp_affinity")
restore() {
	echo "$orig_mask" > "/proc/irq/$irq/smp_affinity" 2>/dev/null
	traffic "$dev"	# let a deferred move back happen
	cleanup_stream
}
trap restore EXIT

old=$(cut -d, -f1 < "/proc/irq/$irq/effective_affinity_list")
old=${old%-*}
new=
for c in "${cpus[@]}"; do
	[ "$c" != "$old" ] && { new=$c; break; }
done
apicid=$(awk -v cpu="$new" '$1 == "processor" { p = $3 } $1 == "apicid" && p == cpu { print $3; exit }' /proc/cpuinfo)
echo "irq $irq ($name, $dev): cpu $old -> $new (apic id $apicid)"

start_stream -D 4
echo "$new" > "/proc/irq/$irq/smp_affinity_list" || fail "cannot write /proc/irq/$irq/smp_affinity_list"
new_before=$(irq_count "$irq" "$new")
traffic "$dev"
new_after=$(irq_count "$irq" "$new")
eff=$(cat "/proc/irq/$irq/effective_affinity_list")
wait_stream
assert_stream_clean
[ "$eff" = "$new" ] || fail "kernel did not move irq $irq: effective affinity $eff, wanted $new"
[ "$new_after" -gt "$new_before" ] || fail "irq $irq did not fire on cpu $new ($new_before -> $new_after)"
echo "irq $irq fired $((new_after - new_before)) times on cpu $new"

python3 - "$W/stream.jsonl" "$irq" "$name" "$old" "$new" "$apicid" "$((new_after - new_before))" <<'EOF' || exit 1
import json, sys
irq, name = int(sys.argv[2]), sys.argv[3]
old, new, apicid, fired_new = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

ev = [json.loads(l) for l in open(sys.argv[1])]
ev = [e for e in ev if e.get("irq") == irq]
ev.sort(key=lambda e: e["ts"])
vec = [e for e in ev if e["type"] in ("vector_update", "vector_config")]
moved = [e for e in vec if e.get("cpu") == new]
if not moved:
    sys.exit("no vector_update/vector_config with cpu=%d for irq %d; irq %d events: %s"
             % (new, irq, irq, sorted({e["type"] for e in ev})))
for e in moved:
    if e["type"] == "vector_update":
        check(e.get("prev_cpu") == old and isinstance(e.get("vector"), int) and 0x20 <= e["vector"] < 0x100,
              "vector_update: want prev_cpu=%d and a vector 0x20..0xff: %s" % (old, e))
        check(isinstance(e.get("prev_vector"), int), "vector_update without prev_vector: %s" % e)
    else:
        check(apicid != "" and e.get("apicdest") == int(apicid),
              "vector_config: want apicdest=%s: %s" % (apicid, e))
vecs = {e.get("vector") for e in moved}
check(len(vecs) == 1, "vector_update/config disagree on the new vector: %s" % moved)

# handler entries after the move: the interrupt that performed the move may
# still run on the old CPU, every later one on the new CPU
t_move = moved[0]["ts"]
after = [e for e in ev if e["type"] == "irq_entry" and e["ts"] > t_move]
on_new = [e for e in after if e["cpu"] == new]
strays = [e for e in after[1:] if e["cpu"] != new]
check(not strays, "irq_entry for irq %d on cpu != %d after the move: %s" % (irq, new, strays[:3]))
check(len(on_new) >= fired_new,
      "%d irq_entry events on cpu %d after the move, /proc/interrupts counted %d there"
      % (len(on_new), new, fired_new))
check(all(e.get("name") == name for e in after), "irq_entry name != %r: %s" % (name, {e.get("name") for e in after}))
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
print("ok: irq %d moved to cpu %d vector %s; %d handler runs there" % (irq, new, vecs.pop(), len(on_new)))
EOF
