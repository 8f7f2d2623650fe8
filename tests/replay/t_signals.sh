#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Signals during `record --full` while the test VMM fires for several seconds.
#  - SIGINT: record closes the file cleanly (index present, dump clean) and
#    exits 0 (1 only if it reports lost events), the file holds as many
#    records as record says it wrote, replays with exit 0, and holds the
#    VMM's routes and at most as many injections as the VMM fired.
#  - SIGKILL: the file has no index; dump says so ("index: absent ...
#    rebuilt by scanning") and counts the records of the complete blocks;
#    replay exits 0 (a cut tail is not an error) and passes on exactly those
#    records; what it holds of the VMM is right (routes, at most the fired
#    injections).
set -u
. "$(dirname "$0")/common.sh"
need_root
need_kvm
need_irqtrail

# one run: record until signal SIG, sent after SECS of firing
run() {
	local sig=$1 tag=$2 i
	"$ITVMM" --wait-start "$W/go.$tag" --wait-timeout-ms 30000 --vcpus 2 \
		--route 24:0xfee00000:0x4031 --route 25:0xfee01000:0x4032 --irqfd 24 --irqfd 25 \
		--fire-irqfd 24:0 --fire-irqfd 25:0 --signal 0xfee01000:0x4051:0 \
		--duration-ms 4000 --rate 3000 > "$W/vmm.$tag.json" 2> "$W/vmm.$tag.err" &
	local vmm=$!
	CLEANUP_PIDS+=("$vmm")
	# --pid: only this VMM's injections, whatever else runs on the machine
	start_record "rec_$tag" "$W/$tag.itr" --full --pid "$vmm"
	local rp=$BG_PID
	touch "$W/go.$tag"
	sleep 2.5
	kill -0 "$vmm" 2>/dev/null || fail "$tag: the VMM stopped firing before the signal"
	{	# (bash's "Killed" job notice goes to /dev/null)
		kill "-$sig" "$rp"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$rp" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$rp" 2>/dev/null && { kill -KILL "$rp"; fail "$tag: record did not exit within 15 s of SIG$sig"; }
		wait "$rp"
		REC_RC=$?
	} 2>/dev/null
	wait "$vmm" || fail "$tag: itvmm exited $?: $(head -c 400 "$W/vmm.$tag.err")"
	VMM_PID=$vmm
}

# ---- SIGINT ----------------------------------------------------------------
run INT int
sanitizer_clean "$W/rec_int.err" || bad "SIGINT: sanitizer report from record: $(grep -m 3 -E 'Sanitizer|runtime error' "$W/rec_int.err")"
read -r ev lost bytes <<< "$(record_stats rec_int)"
if [ -z "${bytes:-}" ]; then
	bad "SIGINT: record printed no 'N events written, M lost, B bytes' line: $(tail -c 300 "$W/rec_int.err")"
elif [ "$lost" = 0 ]; then
	[ "$REC_RC" = 0 ] || bad "SIGINT: record exited $REC_RC with nothing lost (documented: 0): $(tail -n 2 "$W/rec_int.err")"
else
	[ "$REC_RC" = 1 ] || bad "SIGINT: record lost $lost events and exited $REC_RC (documented: 1)"
fi
echo "SIGINT: record exit $REC_RC: $(grep 'events written' "$W/rec_int.err")"
it_run dump_int 20 dump "$W/int.itr"
[ "$RC" = 0 ] || bad "SIGINT: dump exited $RC: $(grep -E '^(index|tail|problem)' "$W/dump_int.out")"
grep -q '^index: present, .* consistent' "$W/dump_int.out" || bad "SIGINT: no consistent index: $(grep '^index' "$W/dump_int.out")"
grep -q '^damaged: 0;' "$W/dump_int.out" || bad "SIGINT: dump finds damage"
n=$(dump_records "$W/dump_int.out")
[ -n "${ev:-}" ] && [ "$n" != "$ev" ] && bad "SIGINT: dump counts $n records, record said it wrote $ev"
it_run replay_int 60 replay --summary -j "$W/int.itr"
[ "$RC" = 0 ] || bad "SIGINT: replay exited $RC: $(head -c 300 "$W/replay_int.err")"
it_run export_int 60 export "$W/int.itr" --jsonl "$W/int.jsonl"
[ "$RC" = 0 ] || bad "SIGINT: export exited $RC"

# ---- SIGKILL ---------------------------------------------------------------
run KILL kill
[ "$REC_RC" = 137 ] || bad "SIGKILL: record exit $REC_RC, want 137 (killed)"
it_run dump_kill 20 dump "$W/kill.itr"
[ "$RC" = 0 ] || [ "$RC" = 1 ] || bad "SIGKILL: dump exited $RC (documented 0 or 1 for a readable trace)"
grep -q '^index: absent .*rebuilt by scanning' "$W/dump_kill.out" ||
	bad "SIGKILL: dump does not say the index is absent and rebuilt: $(grep '^index' "$W/dump_kill.out")"
grep -q '^damaged: 0;' "$W/dump_kill.out" || bad "SIGKILL: dump finds damage: $(grep -E '^(damaged|problem)' "$W/dump_kill.out")"
n=$(dump_records "$W/dump_kill.out")
tail_line=$(grep '^tail:' "$W/dump_kill.out")
echo "SIGKILL: file $(stat -c %s "$W/kill.itr") bytes, $n records in complete blocks; ${tail_line:-no tail}"
it_run replay_kill 60 replay --summary -j "$W/kill.itr"
[ "$RC" = 0 ] || bad "SIGKILL: replay exited $RC (a cut tail is not an error): $(head -c 300 "$W/replay_kill.err")"
if [ -n "$tail_line" ]; then
	grep -qE "replayed $n records" "$W/replay_kill.err" ||
		bad "SIGKILL: replay does not say it replayed the $n records of the complete blocks: $(head -c 300 "$W/replay_kill.err")"
fi
it_run export_kill 60 export "$W/kill.itr" --jsonl "$W/kill.jsonl"
[ "$RC" = 0 ] || bad "SIGKILL: export exited $RC"
grep -q "^irqtrail: $n events exported" "$W/export_kill.err" ||
	bad "SIGKILL: export passes on $(grep -o '[0-9]* events exported' "$W/export_kill.err"), dump counts $n records"

PYTHONPATH=$REPLAY_DIR python3 - "$W" <<'EOF' || bad "replayed contents (above)"
import sys
import vmmcheck as vc
w = sys.argv[1]
err = []
for tag in ("int", "kill"):
    vmm = vc.load(w + "/vmm.%s.json" % tag)
    e = vc.vmm_errors(vmm)
    if e:
        err += ["%s: %s" % (tag, x) for x in e]
        continue
    pid = vmm["pid"]
    fired = {}
    for f in vmm["fired"]:
        k = ("gsi", f["gsi"]) if f["how"] == "irqfd" else ("msg", f["address"], f["data"])
        fired[k] = fired.get(k, 0) + f["count"]
    rows = vc.load_routes(w + "/replay_%s.out" % tag, "replay (%s)" % tag)
    got = {vc.row_key(r): r for r in vc.guest_rows(rows, pid)}
    exp = vc.expected_guest(vmm)
    for k, x in exp.items():
        r = got.get(k)
        if k[0] == "gsi" and r is None:
            err.append("%s: the recording lost the VMM's route %s (set up before the signal)" % (tag, k))
            continue
        if r is None:
            continue
        for f in ("msi_address", "msi_data", "dest", "guest_vector", "eventfd"):
            if r.get(f) != x[f]:
                err.append("%s: %s: %s %r, the VMM's %r" % (tag, k, f, r.get(f), x[f]))
        if not 0 <= r.get("count", -1) <= fired[k]:
            err.append("%s: %s: count %r, the VMM fired %d" % (tag, k, r.get("count"), fired[k]))
    extra = set(got) - set(exp)
    if extra:
        err.append("%s: routes the VMM never set up: %s" % (tag, extra))
    msi = [e for e in vc.jsonl(w + "/%s.jsonl" % tag) if e.get("type") == "kvm_msi" and e.get("pid") == pid]
    if len(msi) > vmm["fired_total"]:
        err.append("%s: %d kvm_msi events, the VMM fired %d" % (tag, len(msi), vmm["fired_total"]))
    counted = sum(r.get("count", 0) for r in got.values())
    print("%s: VMM fired %d (%.1f s); file holds %d of its injections; replay counts %s"
          % (tag, vmm["fired_total"], vmm["elapsed_ns"] / 1e9, len(msi),
             {("gsi %d" % k[1] if k[0] == "gsi" else vc.msg(k[1], k[2])): r.get("count") for k, r in got.items()}))
    if tag == "kill" and counted > 2 * len(msi) + 100:
        print("note: the aggregate frames count %d injections before the kill, the file holds %d of them "
              "as events (--full events wait in the kernel ring buffer until it is 1/8 full or the "
              "recording ends)" % (counted, len(msi)))
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
EOF
finish
