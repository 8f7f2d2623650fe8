#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A full disk: `record --full` into a 64 KiB tmpfs while the test VMM fires
# far more than fits.  record must stop by itself (long before -D), exit
# non-zero with one clear message naming the file and the error, and leave
# a file that replays (exit 0: at most a cut tail) exactly the records it
# says it wrote; what it holds of the VMM (the route, some injections, or
# nothing when the first event block already did not fit) is right.
set -u
. "$(dirname "$0")/common.sh"
need_root "mounting a tmpfs needs root"
need_kvm
need_irqtrail

MNT=$W/mnt
mkdir -p "$MNT"
mount -t tmpfs -o size=64k tmpfs "$MNT" || skip "cannot mount a tmpfs"
unmount() {
	cleanup_stream
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
}
trap unmount EXIT

"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 \
	--route 24:0xfee00000:0x4031 --irqfd 24 --fire-irqfd 24:200000 \
	--signal 0xfee00000:0x4051:100000 > "$W/vmm.json" 2> "$W/vmm.err" &
VMM=$!
CLEANUP_PIDS+=("$VMM")
start_record rec "$MNT/full.itr" --full --pid "$VMM" -D 30
RP=$BG_PID
t0=$(date +%s)
touch "$W/go"
wait "$VMM" || fail "itvmm exited $?: $(head -c 400 "$W/vmm.err")"
wait_bg "$RP" rec 35
took=$(($(date +%s) - t0))
cp "$MNT/full.itr" "$W/full.itr" || fail "no file left on the full disk"
echo "record exit $BG_RC after ${took}s; $(grep -v 'recording to' "$W/rec.err" | tr '\n' '|')"
echo "file: $(stat -c %s "$W/full.itr") bytes on a $(df -k --output=size "$MNT" | tail -n 1 | tr -d ' ') KiB tmpfs"

[ "$BG_RC" != 0 ] || bad "record on a full disk exited 0"
[ "$took" -lt 25 ] || bad "record did not stop when the disk filled up (ran ${took}s of -D 30)"
grep -qE "^irqtrail: writing .*full\.itr failed: No space left on device" "$W/rec.err" ||
	bad "record's message does not say writing the file failed with ENOSPC: $(grep -v 'recording to' "$W/rec.err" | head -c 300)"
read -r ev lost bytes <<< "$(record_stats rec)"
[ -n "${ev:-}" ] || bad "record printed no 'N events written' line"


it_run dump 20 dump "$W/full.itr"
[ "$RC" = 0 ] || [ "$RC" = 1 ] || bad "dump of the full-disk file exited $RC"
grep -q '^damaged: 0;' "$W/dump.out" || bad "dump finds damage in the full-disk file: $(grep -E '^(damaged|problem)' "$W/dump.out")"
n=$(dump_records "$W/dump.out")
[ -n "${ev:-}" ] && [ "$n" != "$ev" ] && bad "the file holds $n records, record said it wrote $ev"
it_run replay 60 replay --summary -j "$W/full.itr"
[ "$RC" = 0 ] || bad "replay of the full-disk file exited $RC: $(head -c 300 "$W/replay.err")"
it_run export 60 export "$W/full.itr" --jsonl "$W/full.jsonl"
[ "$RC" = 0 ] || bad "export of the full-disk file exited $RC"

PYTHONPATH=$REPLAY_DIR python3 - "$W" <<'EOF' || bad "replayed contents (above)"
import sys
import vmmcheck as vc
w = sys.argv[1]
vmm = vc.load(w + "/vmm.json")
err = vc.vmm_errors(vmm)
if err:
    sys.exit("\n".join(err))
pid = vmm["pid"]
rows = vc.load_routes(w + "/replay.out", "replay")
got = {vc.row_key(r): r for r in vc.guest_rows(rows, pid)}
r = got.get(("gsi", 24))
x = vc.expected_guest(vmm)[("gsi", 24)]
# what reached the disk depends on where the first block that did not fit
# begins; what is there must be right
if r is not None:
    for f in ("msi_address", "msi_data", "dest", "guest_vector", "eventfd"):
        if r.get(f) != x[f]:
            err.append("gsi 24: %s %r, the VMM's %r" % (f, r.get(f), x[f]))
msi = [e for e in vc.jsonl(w + "/full.jsonl") if e.get("type") == "kvm_msi" and e.get("pid") == pid]
if len(msi) >= vmm["fired_total"]:
    err.append("all %d of the VMM's injections in a 64 KiB file?" % len(msi))
extra = set(got) - set(vc.expected_guest(vmm))
if extra:
    err.append("routes the VMM never set up: %s" % extra)
if err:
    print("\n".join(err), file=sys.stderr)
    sys.exit(1)
print("kept: %d of the VMM's %d injections, its route %s" % (len(msi), vmm["fired_total"],
      "with them" if r is not None else "not (it was in the first block that did not fit)"))
EOF
finish
