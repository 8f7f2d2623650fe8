#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# KVM_SIGNAL_MSI storms at a paced rate with `irqtrail stream -j --pid`
# writing to a file: the VMM must reach the rate with the tracer attached, the
# stream must hold exactly one kvm_msi event per injection (per message), and
# it must have lost nothing (stderr "0 lost", exit status 0).
#
#   LIVE_RATE=R      pace the VMM at R/s (default 200000; 0 = unthrottled)
#   LIVE_COUNT=N     injections per message (default 300000, two messages)
#   LIVE_MIN_RATE=R  the rate the VMM must reach with the tracer (default 90% of LIVE_RATE)
# The VMM gives up after 5 s (--duration-ms) so a slow tracer fails the test
# quickly instead of stretching it.
set -u
. "$(dirname "$0")/lib.sh"
need_kvm
need_irqtrail

# The issue's goal is 1M/s with nothing lost; on the 2-core CI machine under
# ASan the stream keeps up with about 200-300k/s (three records per injection),
# so 200k/s is the default offered rate, and the VMM must reach 90% of it with
# the tracer attached.  LIVE_RATE=1250000 checks the goal itself.
rate=${LIVE_RATE:-200000}
count=${LIVE_COUNT:-300000}
min_rate=${LIVE_MIN_RATE:-$((rate * 9 / 10))}

# the stream file is large: keep only its head once checked
shrink() {
	cleanup_stream
	if [ -f "$W/stream.jsonl" ]; then
		head -n 2000 "$W/stream.jsonl" > "$W/stream.head.jsonl"
		rm -f "$W/stream.jsonl"
	fi
}
trap shrink EXIT

rm -f "$W/go"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 20000 --vcpus 2 --rate "$rate" --duration-ms 5000 \
	--signal 0xfee00000:0x0045:"$count" \
	--signal 0xfee01000:0x0046:"$count" > "$W/vmm.json" 2> "$W/vmm.err" &
vmm_pid=$!
CLEANUP_PIDS+=("$vmm_pid")
start_stream -D 10 --pid "$vmm_pid"
touch "$W/go"
wait "$vmm_pid" || fail "itvmm exited $?: $(head -c 600 "$W/vmm.err")"
CLEANUP_PIDS=()
wait_stream
assert_stream_clean

python3 - "$W/vmm.json" "$W/stream.jsonl" "$vmm_pid" "$min_rate" "$count" <<'EOF' || exit 1
import json, sys
from collections import Counter

vmm = json.load(open(sys.argv[1]))
pid, min_rate = int(sys.argv[3]), int(sys.argv[4])
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

check(vmm["pid"] == pid, "VMM pid %s != %d" % (vmm["pid"], pid))
check(vmm["rate_per_s"] >= min_rate,
      "VMM reached %d KVM_SIGNAL_MSI/s with the tracer attached, want >= %d" % (vmm["rate_per_s"], min_rate))
total = 0
want = Counter()
for f in vmm["fired"]:
    check(f["ok"] == f["count"], "KVM did not accept every injection: %s" % f)
    want[(f["address"], f["data"])] += f["count"]
    total += f["count"]
check(total >= 2 * int(sys.argv[5]) and not vmm["interrupted"],
      "VMM fired only %d in %.1f s" % (total, vmm["fire_ns"] / 1e9))

seen = Counter()
other = 0
with open(sys.argv[2]) as fh:
    for line in fh:
        # cheap pre-filter; every kvm_msi line is parsed
        if '"kvm_msi"' not in line:
            continue
        e = json.loads(line)
        if e.get("type") != "kvm_msi":
            continue
        if e.get("pid") != pid:
            other += 1
            continue
        seen[(e.get("address"), e.get("data"))] += 1
check(other == 0, "--pid %d stream holds %d kvm_msi events of other pids" % (pid, other))
for key, n in sorted(want.items()):
    check(seen.get(key, 0) == n, "kvm_msi %#x/%#x: %d events, VMM fired %d" % (key[0], key[1], seen.get(key, 0), n))
extra = {k: v for k, v in seen.items() if k not in want}
check(not extra, "kvm_msi events for messages the VMM never sent: %s" % extra)
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(1)
print("ok: %d injections at %d/s, all %d seen" % (total, vmm["rate_per_s"], sum(seen.values())))
EOF
