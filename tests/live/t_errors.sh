#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Errors: a bad flag or an unknown command makes irqtrail exit non-zero with
# a one-line message on stderr and nothing on stdout; a bad duration
# (-D abc) exits non-zero naming the bad value; a failing VMM ioctl
# (KVM_IRQFD on a closed fd) is streamed with the kernel's error as "ret".
set -u
. "$(dirname "$0")/lib.sh"
need_irqtrail

# expect_usage_error DESC ARGS...: non-zero exit, exactly one non-empty
# stderr line, empty stdout
expect_usage_error() {
	local desc=$1 rc lines
	shift
	timeout 10 "$IRQTRAIL" "$@" > "$W/err.out" 2> "$W/err.err"
	rc=$?
	[ "$rc" != 0 ] || fail "$desc: 'irqtrail $*' exited 0"
	[ "$rc" != 124 ] || fail "$desc: 'irqtrail $*' did not exit within 10 s"
	[ "$rc" -lt 128 ] || fail "$desc: 'irqtrail $*' died of signal $((rc - 128))"
	lines=$(grep -c . "$W/err.err")
	[ "$lines" = 1 ] || fail "$desc: 'irqtrail $*' wrote $lines stderr lines, want 1: $(head -c 400 "$W/err.err")"
	[ ! -s "$W/err.out" ] || fail "$desc: 'irqtrail $*' wrote to stdout: $(head -c 200 "$W/err.out")"
	echo "$desc: exit $rc: $(cat "$W/err.err")"
}

expect_usage_error "unknown flag" --no-such-flag
expect_usage_error "unknown stream flag" stream --no-such-flag
# a bad value: non-zero, the message names the value, nothing on stdout
timeout 10 "$IRQTRAIL" stream -D abc > "$W/err.out" 2> "$W/err.err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" -lt 124 ] || fail "'irqtrail stream -D abc' exited $rc"
grep -q abc "$W/err.err" || fail "'irqtrail stream -D abc': message does not name 'abc': $(head -c 300 "$W/err.err")"
[ ! -s "$W/err.out" ] || fail "'irqtrail stream -D abc' wrote to stdout"
echo "bad duration: exit $rc: $(head -n 1 "$W/err.err")"
expect_usage_error "unknown command" no-such-command

# itvmm rejects its own bad input the same way (exit 2, one line)
"$ITVMM" --route 1:2 > "$W/err.out" 2> "$W/err.err"
rc=$?
[ "$rc" = 2 ] && [ "$(grep -c . "$W/err.err")" = 1 ] && [ ! -s "$W/err.out" ] ||
	fail "itvmm --route 1:2: exit $rc, stderr: $(cat "$W/err.err")"

# a failing ioctl is reported by the VMM and streamed with its error
need_kvm
start_stream -D 3
run_itvmm --route 60:0xfee00000:0x0030 --irqfd-bad-fd 60
wait_stream
assert_stream_clean
python3 - "$W/vmm.json" "$W/stream.jsonl" <<'EOF' || exit 1
import json, sys
vmm = json.load(open(sys.argv[1]))
q = vmm["irqfds"][0]
if not (q["ret"] == -1 and q["errno"] > 0):
    sys.exit("VMM: KVM_IRQFD on a bad fd did not fail: %s" % q)
ev = [json.loads(l) for l in open(sys.argv[2])]
m = [e for e in ev if e.get("pid") == vmm["pid"] and e.get("type") == "ioctl"
     and e.get("ioctl") == "KVM_IRQFD"]
if len(m) != 1:
    sys.exit("want 1 KVM_IRQFD line for pid %d, got %d" % (vmm["pid"], len(m)))
exp = {"fd": q["eventfd"], "gsi": q["gsi"], "ret": -q["errno"], "ioctl_fd": vmm["vm_fd"]}
got = {k: m[0].get(k) for k in exp}
if got != exp:
    sys.exit("KVM_IRQFD on a bad fd: got %s, want %s (ret = -errno)" % (got, exp))
print("ok: KVM_IRQFD fd %d -> ret %d streamed" % (q["eventfd"], got["ret"]))
EOF
