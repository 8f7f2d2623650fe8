#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Round trip.  While the test VMM installs three MSI routes with irqfds, fires
# each irqfd and two KVM_SIGNAL_MSI messages a distinct number of times,
# changes one route and fires again, three irqtrails watch the same activity:
# `record` (default: data plane aggregated), `record --full --pid VMM` and a
# live `routes -j -D`.  Then, for both recordings:
#  - `replay --summary -j` lists exactly the VMM's routes: per (vm_pid, gsi)
#    and per directly signalled message the count the VMM fired, the message
#    decoded to the VMM's destination and vector, the eventfd, and for the
#    changed route the old message in its change history;
#  - it equals the live `routes -j` over the same activity, route by route,
#    and `routes -j -r FILE` equals `replay --summary -j FILE`;
#  - `dump` finds a clean file whose record count is what `record` said it wrote.
# For --full, `export --jsonl` holds exactly the VMM's kvm_msi events per
# message.  The size of each recording (bytes/event) is printed.
set -u
. "$(dirname "$0")/common.sh"
need_root
need_kvm
need_irqtrail

SECS=8
VMM_ARGS=(--vcpus 2
	--route 24:0xfee00000:0x4031 --route 25:0xfee01000:0x4032 --route 26:0xfee00000:0x41
	--irqfd 24 --irqfd 25 --irqfd 26
	--fire-irqfd 24:3000 --fire-irqfd 25:2000 --fire-irqfd 26:1000
	--signal 0xfee01000:0x4051:500 --signal 0xfee00000:0x4062:700
	--reroute 26:0xfee01000:0x42 --fire-after 100 --rate 20000)

# the VMM waits for the observers (its pid is known before it does anything)
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 "${VMM_ARGS[@]}" > "$W/vmm.json" 2> "$W/vmm.err" &
VMM=$!
CLEANUP_PIDS+=("$VMM")

# the live table first (it prints nothing when ready: wait for its hooks)
start_bg live routes -j -D "$SECS"
LIVE_PID=$BG_PID
wait_attached "$LIVE_PID" live
start_record rec_def "$W/default.itr" -D "$SECS"
DEF_PID=$BG_PID
# --full with --pid: every event of this VMM, whatever else runs on the machine
start_record rec_full "$W/full.itr" -D "$SECS" --full --pid "$VMM"
FULL_PID=$BG_PID

touch "$W/go"
wait "$VMM" || fail "itvmm exited $?: $(head -c 600 "$W/vmm.err")"
for p in "$LIVE_PID" "$DEF_PID" "$FULL_PID"; do
	kill -0 "$p" 2>/dev/null || fail "an observer (pid $p) ended before the VMM finished: raise SECS"
done

wait_bg "$LIVE_PID" live $((SECS + 20))
[ "$BG_RC" = 0 ] || fail "routes -j -D $SECS exited $BG_RC: $(tail -c 400 "$W/live.err")"
for m in def full; do
	pid_var=${m^^}_PID
	wait_bg "${!pid_var}" "rec_$m" $((SECS + 20))
	read -r ev lost bytes <<< "$(record_stats "rec_$m")"
	[ -n "${bytes:-}" ] || fail "record ($m) printed no 'N events written, M lost, B bytes' line: $(tail -c 400 "$W/rec_$m.err")"
	[ "$lost" = 0 ] || fail "record ($m) lost $lost events (exit $BG_RC): $(tail -n 2 "$W/rec_$m.err")"
	[ "$BG_RC" = 0 ] || bad "record ($m) exited $BG_RC with nothing lost: $(tail -c 400 "$W/rec_$m.err")"
	f=$W/default.itr
	[ "$m" = full ] && f=$W/full.itr
	size=$(stat -c %s "$f")
	echo "size ($m): $(grep -E 'events written' "$W/rec_$m.err" | sed 's/^irqtrail: //'); file $size bytes, $(awk -v s="$size" -v e="$ev" 'BEGIN { printf "%.2f", s / e }') bytes/event"
	[ "$(stat -c %a "$f")" = 600 ] || bad "record ($m): file mode $(stat -c %a "$f"), documented 0600"
	# the byte count is taken before the index and footer are appended
	[ "$bytes" -gt 0 ] && [ "$bytes" -le "$size" ] || bad "record ($m) printed '$bytes bytes' at exit, the file it wrote has $size bytes"

	it_run "dump_$m" 20 dump "$f"
	[ "$RC" = 0 ] || bad "dump of the $m recording exited $RC: $(grep -E '^(index|tail|problem|damaged)' "$W/dump_$m.out")"
	grep -q '^index: present' "$W/dump_$m.out" || bad "dump ($m): no index after a clean close"
	n=$(dump_records "$W/dump_$m.out")
	[ "$n" = "$ev" ] || bad "dump ($m) counts $n records, record said it wrote $ev"

	it_run "replay_$m" 60 replay --summary -j "$f"
	[ "$RC" = 0 ] || fail "replay --summary -j ($m) exited $RC: $(head -c 400 "$W/replay_$m.err")"
	it_run "routes_r_$m" 60 routes -j -r "$f"
	[ "$RC" = 0 ] || bad "routes -j -r ($m) exited $RC: $(head -c 400 "$W/routes_r_$m.err")"
	cmp -s "$W/replay_$m.out" "$W/routes_r_$m.out" ||
		bad "routes -j -r $m.itr differs from replay --summary -j: $(diff "$W/replay_$m.out" "$W/routes_r_$m.out" | head -c 600)"
done

it_run export 60 export "$W/full.itr" --jsonl "$W/full.jsonl"
[ "$RC" = 0 ] || fail "export --jsonl exited $RC: $(head -c 400 "$W/export.err")"

PYTHONPATH=$REPLAY_DIR python3 - "$W" <<'EOF' || bad "checks above"
import sys
from collections import Counter
import vmmcheck as vc

w = sys.argv[1]
vmm = vc.load(w + "/vmm.json")
err = vc.vmm_errors(vmm)
if err:
    sys.exit("\n".join(err))
pid = vmm["pid"]
live = vc.load_routes(w + "/live.out", "routes -j (live)")
err += vc.check_guest(live, vmm, "live routes -j")
for m in ("def", "full"):
    rep = vc.load_routes(w + "/replay_%s.out" % m, "replay --summary -j (%s)" % m)
    err += vc.check_guest(rep, vmm, "replay --summary -j (%s)" % m)
    err += vc.compare_guest(rep, live, pid, "replay (%s)" % m, "live routes")

# --full: every injection is in the file, by message
ev = vc.jsonl(w + "/full.jsonl")
msi = [e for e in ev if e.get("type") == "kvm_msi" and e.get("pid") == pid]
want = Counter()
for f in vmm["fired"]:
    want[(f["address"], f["data"])] += f["count"]
got = Counter((e.get("address"), e.get("data")) for e in msi)
if len(msi) != vmm["fired_total"]:
    err.append("export --jsonl: %d kvm_msi lines for pid %d, the VMM fired %d" % (len(msi), pid, vmm["fired_total"]))
if got != want:
    err.append("export --jsonl: kvm_msi per message %s, VMM fired %s"
               % ({vc.msg(*k): v for k, v in got.items()}, {vc.msg(*k): v for k, v in want.items()}))
# docs/trace-format.md §2: sections in time order, file order = replay order
import re
for m in ("def", "full"):
    prev = None
    for l in open(w + "/dump_%s.out" % m):
        t = re.search(r"ts ([0-9]+\.[0-9]+)(?:\.\.([0-9]+\.[0-9]+))?, crc ok", l)
        if not t:
            continue
        first, last = float(t.group(1)), float(t.group(2) or t.group(1))
        if prev and first < prev[0]:
            err.append("%s recording: section out of time order (trace-format §2): %s after %s"
                       % (m, " ".join(l.split()[:3]) + " ts %s" % t.group(1), prev[1]))
            break
        prev = (last, " ".join(l.split()[:3]) + " ending %.9f" % last)
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
exp = vc.expected_guest(vmm)
print("ok: pid %d: %d guest routes, %d injections, equal in live routes, default and --full replay"
      % (pid, len(exp), vmm["fired_total"]))
EOF
finish
