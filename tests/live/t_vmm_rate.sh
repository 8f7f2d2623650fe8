#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Issue 2's rate goal: KVM_SIGNAL_MSI storms at 1M/s with `irqtrail stream -j
# --pid` running.  The VMM must reach the rate with the tracer attached, the
# stream must hold exactly one kvm_msi line per injection (per message, each
# carrying its KVM_SIGNAL_MSI ioctl with ret 1), and it must have lost
# nothing (stderr "0 lost", exit status 0).
#
# Sustained, not absorbed: the stream runs with a 32 MiB ring buffer, and
# the default run pushes 4M injections (one 64-byte record each since the
# kernel folds the ioctl, the injection and its APIC accept: 256 MB) through
# it in about 4 s, so the reader has to keep the rate the whole time.
#
#   LIVE_RATE=R      pace the VMM at R/s (default 1000000; 0 = unthrottled)
#   LIVE_COUNT=N     injections per message (default 2000000, two messages)
#   LIVE_MIN_RATE=R  the rate the VMM must reach with the tracer (default 60% of LIVE_RATE)
#
# The VMM is offered 1M/s; with the tracer attached its own thread pays the
# BPF programs' ~0.45-0.9 us per KVM_SIGNAL_MSI, and on the 2-core CI machine
# it reached 0.75-1.0M/s (0.86-0.95M/s since the injection hooks are tp_btf;
# two VMM threads at 0.5M/s each: 0.90-0.98M/s), every run without a loss.  A run
# below LIVE_MIN_RATE proves nothing about the rate and is repeated once;
# the loss and count checks are never relaxed.
#   LIVE_RING_MB=M   the stream's ring buffer (default 32)
#
# The stream's file (~330 bytes a line, 1.3 GB by default) is written to
# /dev/shm when it has room: on the disk, dirty-page write-back throttling
# stalls the writer, which is the disk's limit, not irqtrail's.  The counts
# are taken with grep (GB/s) on the exact line prefix the stream writes,
# and a sample of lines is parsed as JSON and checked field by field.
#
# Which build: IRQTRAIL_RATE / ITVMM_RATE when set (`make live` sets both to
# the optimized build, also under SAN=1), else IRQTRAIL and the TESTBIN
# itvmm.  On the 2-core CI machine the ASan/UBSan stream costs ~0.95 us of CPU
# per line (the optimized one 0.24-0.35 us): at 1M lines/s that is a whole
# core, next to the VMM's core (~0.9 us per KVM_SIGNAL_MSI with the tracer).
# Measured: the ASan stream lost nothing in 4 runs of 4M injections, but only
# one reached 1M/s (the others 0.57-0.87M/s: the VMM starved as soon as
# anything else ran).  So the 1M/s case runs the optimized stream; every other
# live test, and the same stream code at lower rates (t_vmm_msi), run under
# ASan, and IRQTRAIL_RATE=path/to/asan/irqtrail runs this one under ASan.
set -u
. "$(dirname "$0")/lib.sh"
IRQTRAIL=${IRQTRAIL_RATE:-$IRQTRAIL}
ITVMM=${ITVMM_RATE:-$ITVMM}
need_kvm
need_irqtrail
echo "stream: $IRQTRAIL, VMM: $ITVMM"

rate=${LIVE_RATE:-1000000}
count=${LIVE_COUNT:-2000000}
min_rate=${LIVE_MIN_RATE:-$((rate * 6 / 10))}
ring=${LIVE_RING_MB:-32}
# the VMM gives up after twice the paced time (a slow tracer fails quickly)
if [ "$rate" -gt 0 ]; then
	dur_ms=$((2 * count * 1000 * 2 / rate + 1000))
else
	dur_ms=10000
fi
secs=$((dur_ms / 1000 + 15))

out=$W/stream.jsonl
need_kb=$((count * 2 * 400 / 1024 + 65536))
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt "$need_kb" ]; then
	out=$(mktemp /dev/shm/irqtrail-rate.XXXXXX)
fi

# the stream file is large: keep only its head once checked
shrink() {
	cleanup_stream
	if [ -f "$out" ]; then
		head -n 2000 "$out" > "$W/stream.head.jsonl"
		rm -f "$out"
	fi
}
trap shrink EXIT

rm -f "$W/go"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 30000 --vcpus 2 --rate "$rate" --duration-ms "$dur_ms" \
	--signal 0xfee00000:0x0045:"$count" \
	--signal 0xfee01000:0x0046:"$count" > "$W/vmm.json" 2> "$W/vmm.err" &
vmm_pid=$!
CLEANUP_PIDS+=("$vmm_pid")
"$IRQTRAIL" stream -j -D "$secs" --pid "$vmm_pid" -b "$ring" > "$out" 2> "$W/stream.err" &
STREAM_PID=$!
for ((i = 0; i < 300; i++)); do
	grep -q 'irqtrail: tracing' "$W/stream.err" 2>/dev/null && break
	kill -0 "$STREAM_PID" 2>/dev/null || fail "irqtrail stream exited before tracing: $(head -c 600 "$W/stream.err")"
	sleep 0.05
done
grep -q 'irqtrail: tracing' "$W/stream.err" || fail "irqtrail stream did not start tracing: $(head -c 600 "$W/stream.err")"
touch "$W/go"
wait "$vmm_pid" || fail "itvmm exited $?: $(head -c 600 "$W/vmm.err")"
CLEANUP_PIDS=()
# the VMM is done: nothing more to wait for than the drain
kill -INT "$STREAM_PID"
wait_stream
assert_stream_clean

# exact counts: every kvm_msi line, this pid's, and each message's
export LC_ALL=C
msi_pfx='^\{"ts":[0-9]+,"cpu":[0-9]+,"type":"kvm_msi","pid":'
n_all=$(grep -c -E "$msi_pfx" "$out")
n_pid=$(grep -c -E "$msi_pfx$vmm_pid,\"tid\":[0-9]+," "$out")
n_m1=$(grep -c -E "$msi_pfx$vmm_pid,\"tid\":[0-9]+,\"address\":4276092928,\"data\":69,.*\"ioctl\":\"KVM_SIGNAL_MSI\",\"ioctl_fd\":[0-9]+,\"ret\":1," "$out")
n_m2=$(grep -c -E "$msi_pfx$vmm_pid,\"tid\":[0-9]+,\"address\":4276097024,\"data\":70,.*\"ioctl\":\"KVM_SIGNAL_MSI\",\"ioctl_fd\":[0-9]+,\"ret\":1," "$out")
# a sample of lines, parsed: the head, and every line of the last 1 MB
{ head -n 20000 "$out"; tail -c 1000000 "$out" | tail -n +2; } > "$W/sample.jsonl"

# exit 3: all is right but the VMM did not reach the rate (the machine was
# busy): that run proves nothing about the rate, so it is run once more
python3 - "$W/vmm.json" "$W/sample.jsonl" "$vmm_pid" "$min_rate" "$count" "$n_all" "$n_pid" "$n_m1" "$n_m2" <<'EOF' && exit 0
import json, sys

vmm = json.load(open(sys.argv[1]))
pid, min_rate, count = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
n_all, n_pid, n_m1, n_m2 = (int(x) for x in sys.argv[6:10])
errors = []
def check(cond, msg):
    if not cond:
        errors.append(msg)

check(vmm["pid"] == pid, "VMM pid %s != %d" % (vmm["pid"], pid))
slow = vmm["rate_per_s"] < min_rate
want = {}
total = 0
for f in vmm["fired"]:
    check(f["ok"] == f["count"], "KVM did not accept every injection: %s" % f)
    want[(f["address"], f["data"])] = want.get((f["address"], f["data"]), 0) + f["count"]
    total += f["count"]
check(total >= 2 * count and not vmm["interrupted"],
      "VMM fired only %d in %.1f s" % (total, vmm["fire_ns"] / 1e9))
check(set(want) == {(0xfee00000, 0x45), (0xfee01000, 0x46)}, "VMM fired other messages: %s" % want)
check(n_all == n_pid, "--pid %d stream holds %d kvm_msi lines of other pids" % (pid, n_all - n_pid))
for key, n in ((0xfee00000, 0x45), n_m1), ((0xfee01000, 0x46), n_m2):
    check(n == want.get(key, 0), "kvm_msi %#x/%#x with its KVM_SIGNAL_MSI (ret 1): %d lines, VMM fired %d"
          % (key[0], key[1], n, want.get(key, 0)))
check(n_pid == n_m1 + n_m2, "kvm_msi lines of pid %d: %d, of the two messages: %d" % (pid, n_pid, n_m1 + n_m2))

# the sample: valid JSON, decoded as the VMM decoded its messages
dec = {(f["address"], f["data"]): f for f in vmm["fired"]}
nmsi = 0
with open(sys.argv[2]) as fh:
    for i, line in enumerate(fh):
        try:
            e = json.loads(line)
        except ValueError as x:
            check(False, "sample line %d is not JSON (%s): %.200s" % (i, x, line)); break
        if e.get("type") != "kvm_msi":
            continue
        nmsi += 1
        f = dec.get((e.get("address"), e.get("data")))
        if f is None:
            check(False, "kvm_msi of a message the VMM never sent: %s" % e); break
        exp = {"pid": pid, "dest": f["dest"], "vector": f["vector"], "dest_mode": f["dest_mode"],
               "delivery": f["delivery"], "trigger": f["trigger"], "format": f["format"],
               "ioctl": "KVM_SIGNAL_MSI", "ioctl_fd": vmm["vm_fd"], "fd": vmm["vm_fd"], "ret": 1,
               "host_irq": 0, "accepted": 1, "apicid": f["dest"]}
        got = {k: e.get(k) for k in exp}
        if got != exp:
            check(False, "kvm_msi line %s, want %s" % (got, exp)); break
check(nmsi > 1000, "only %d kvm_msi lines in the sample" % nmsi)
if slow:
    errors.append("VMM reached %d KVM_SIGNAL_MSI/s with the tracer attached, want >= %d" % (vmm["rate_per_s"], min_rate))
if errors:
    print("\n".join(errors), file=sys.stderr); sys.exit(3 if slow and len(errors) == 1 else 1)
print("ok: %d injections at %d/s, all %d seen (%d sample lines parsed)" % (total, vmm["rate_per_s"], n_pid, nmsi))
EOF
rc=$?
if [ "$rc" = 3 ] && [ -z "${RATE_RETRY:-}" ]; then
	echo "the VMM did not reach the rate; once more"
	shrink
	trap - EXIT
	RATE_RETRY=1 exec bash "$0"
fi
exit 1
