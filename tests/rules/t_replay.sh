#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# check -r: the rules over a recording give the live verdict (reserved vector,
# unrouted irqfd) and the same exit status; a recording that cannot be read
# exits 3 (could not run).
set -u
. "$(dirname "$0")/lib.sh"
need_kvm
need_irqtrail

rm -f "$W/go" "$W/check.err" "$W/rec.err"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 20000 --bad-route --route 60:0xfee00000:0x0005 --irqfd 61 \
	--pause-ms 1500 > "$W/vmm.json" 2> "$W/vmm.err" &
VMM_PID=$!
CLEANUP_PIDS+=("$VMM_PID")
"$IRQTRAIL" record -o "$W/t.itr" -D 4 --pid "$VMM_PID" > "$W/rec.out" 2> "$W/rec.err" &
rec=$!
wait_for "$W/rec.err" 'irqtrail: recording' "$rec" "irqtrail record"
touch "$W/go"
wait "$VMM_PID" || fail "itvmm failed"
wait "$rec" || fail "record exit $?: $(cat "$W/rec.err")"
"$IRQTRAIL" check -j -r "$W/t.itr" --pid "$VMM_PID" > "$W/check.json" 2> "$W/check.err"
CHECK_RC=$?
jq -e '.source | endswith("t.itr")' "$W/check.json" > /dev/null || fail "source: $(head -c 300 "$W/check.json")"
expect_findings 1 IRT011 IRT014

printf 'not a trace at all\n' > "$W/junk.itr"
"$IRQTRAIL" check -r "$W/junk.itr" > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 3 ] || fail "unreadable recording: exit $rc, want 3 ($(cat "$W/err"))"
[ "$(grep -c . "$W/err")" = 1 ] || fail "want one error line: $(cat "$W/err")"
