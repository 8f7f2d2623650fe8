#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `routes` live, a host irq moving (issue 3).  The virtio_rng device's MSI-X
# queue irq is moved to another CPU while `routes -j -D` observes, and
# /dev/hwrng is read so that it fires (on x86 without interrupt remapping
# the move is applied at the next interrupt).  Its row must show the new CPU
# (the kernel's effective affinity afterwards), a vector, the APIC id of the
# new CPU when one is given, the move in its change history, and a handler
# count within what /proc/interrupts counted.  The irq's affinity is restored
# on exit.
set -u
. "$(dirname "$0")/common.sh"
need_root
need_irqtrail
find_virtio_rng

IRQ=$RNG_QIRQ
NAME=$(awk -v irq="$IRQ:" '$1 == irq { print $NF }' /proc/interrupts)
[ -w "/proc/irq/$IRQ/smp_affinity_list" ] || skip "/proc/irq/$IRQ/smp_affinity_list is not writable"
orig=$(cat "/proc/irq/$IRQ/smp_affinity_list")
( echo "$orig" > "/proc/irq/$IRQ/smp_affinity_list" ) 2>/dev/null ||
	skip "irq $IRQ ($NAME) refuses affinity changes (managed)"
restore() {
	echo "$orig" > "/proc/irq/$IRQ/smp_affinity_list" 2>/dev/null
	rng_traffic 4	# the move back is applied at the next interrupt
	cleanup_stream
}
trap restore EXIT

rng_traffic 4	# any pending move first
old=$(cut -d, -f1 < "/proc/irq/$IRQ/effective_affinity_list")
old=${old%-*}
new=
for c in $(seq 0 $(($(nproc --all) - 1))); do
	[ "$c" != "$old" ] && [ "$(cat /sys/devices/system/cpu/cpu$c/online 2>/dev/null || echo 1)" = 1 ] && { new=$c; break; }
done
[ -n "$new" ] || skip "only one online CPU"
apicid=$(awk -v cpu="$new" '$1 == "processor" { p = $3 } $1 == "apicid" && p == cpu { print $3; exit }' /proc/cpuinfo)
echo "irq $IRQ ($NAME, $RNG_BDF): cpu $old -> $new (apic id ${apicid:-?})"

SECS=3
start_bg routes routes -j -D "$SECS"
RP=$BG_PID
start_bg text routes -D "$SECS" -d "$RNG_BDF"
TP=$BG_PID
wait_attached "$RP" routes
wait_attached "$TP" text
total0=$(irq_total "$IRQ")
on_new0=$(irq_count "$IRQ" "$new")
echo "$new" > "/proc/irq/$IRQ/smp_affinity_list" || fail "cannot write /proc/irq/$IRQ/smp_affinity_list"
rng_traffic 20
on_new1=$(irq_count "$IRQ" "$new")
total1=$(irq_total "$IRQ")
eff=$(cat "/proc/irq/$IRQ/effective_affinity_list")
kill -0 "$RP" 2>/dev/null || fail "routes ended before the traffic did: raise SECS"
wait_bg "$RP" routes $((SECS + 20))
total2=$(irq_total "$IRQ")
[ "$BG_RC" = 0 ] || bad "routes -j -D $SECS exited $BG_RC: $(tail -c 300 "$W/routes.err")"
wait_bg "$TP" text $((SECS + 20))
[ "$BG_RC" = 0 ] || bad "routes -D $SECS -d $RNG_BDF exited $BG_RC: $(tail -c 300 "$W/text.err")"
[ "$eff" = "$new" ] || fail "the kernel did not move irq $IRQ: effective affinity $eff, wanted $new"
[ "$on_new1" -gt "$on_new0" ] || fail "irq $IRQ did not fire on cpu $new ($on_new0 -> $on_new1)"
echo "irq $IRQ fired $((on_new1 - on_new0)) times on cpu $new; $((total1 - total0)) during the traffic, $((total2 - total0)) until routes ended"

python3 - "$W/routes.out" "$W/text.out" "$IRQ" "$NAME" "$RNG_BDF" "$old" "$new" "${apicid:-}" "$((total1 - total0))" "$((total2 - total0))" <<'EOF' || bad "checks above"
import json, sys
rows = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
irq, name, bdf = int(sys.argv[3]), sys.argv[4], sys.argv[5]
old, new, apicid = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
lo, hi = int(sys.argv[9]), int(sys.argv[10])
err = []
mine = [r for r in rows if r.get("irq") == irq and r.get("kind") != "guest"]
if len(mine) != 1:
    sys.exit("routes -j: %d rows for irq %d, want 1" % (len(mine), irq))
r = mine[0]
want = {"bdf": bdf, "kind": "msix", "name": name, "cpu": new, "cpu_source": "event"}
have = {k: r.get(k) for k in want}
if have != want:
    err.append("irq %d row: %s, want %s" % (irq, have, want))
v = r.get("vector")
if not (isinstance(v, int) and 0x20 <= v <= 0xff):
    err.append("irq %d: vector %r after the move, want one in 0x20..0xff" % (irq, v))
if r.get("apicid") is not None and apicid and r["apicid"] != int(apicid):
    err.append("irq %d: apicid %r, cpu %d has APIC id %s" % (irq, r["apicid"], new, apicid))
if not (lo <= r.get("count", -1) <= hi):
    err.append("irq %d: count %r, /proc/interrupts counted %d during the traffic and %d until routes ended"
               % (irq, r.get("count"), lo, hi))
moves = [c for c in r.get("changes", []) if ("cpu %d" % new) in c.get("what", "")]
if not moves:
    err.append("irq %d: no change naming cpu %d: %s" % (irq, new, [c.get("what") for c in r.get("changes", [])]))
own = r.get("owner") or {}
if own.get("kind") != "host":
    err.append("irq %d: owner %s, want the host" % (irq, own))
# the text table, -d BDF: that device's rows only, the same CPU and vector
if not text or text[0].split()[:3] != ["DEVICE", "ENT", "KIND"]:
    err.append("routes -d %s (text): no DEVICE header: %s" % (bdf, text[:2]))
else:
    cols = text[0].split()
    trow = {}
    for l in text[1:]:
        f = l.split()
        if len(f) != len(cols):
            err.append("routes (text): row with %d columns, header has %d: %r" % (len(f), len(cols), l))
            continue
        t = dict(zip(cols, f))
        if t["DEVICE"] != bdf:
            err.append("routes -d %s (text) shows another device: %r" % (bdf, l))
        if t["IRQ"] == str(irq):
            trow = t
    if not trow:
        err.append("routes -d %s (text): no row for irq %d" % (bdf, irq))
    elif (trow["CPU"], trow["VEC"], trow["HANDLER"]) != (str(new), "%#x" % v if isinstance(v, int) else "-", name):
        err.append("routes (text) irq %d: CPU %s VEC %s HANDLER %s, want %d %s %s"
                   % (irq, trow["CPU"], trow["VEC"], trow["HANDLER"], new, "%#x" % v if isinstance(v, int) else "-", name))
    wide = [l for l in text if len(l) > 120]
    if wide:
        err.append("routes (text) is wider than the 120 columns issue 3 asks for: %d columns: %r" % (len(wide[0]), wide[0]))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
print("ok: irq %d on cpu %d vector %#x (apic id %s), %d handler runs, changes: %s"
      % (irq, new, v, r.get("apicid"), r["count"], [c["what"] for c in moves]))
EOF
finish
