#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The rules file: errors are one line "FILE:LINE: ..." and exit 3 (could not
# run); a silence for the VM (by pid) or a disabled rule turns a warning run
# into a clean one; severity can be raised to critical (exit 2).
set -u
. "$(dirname "$0")/lib.sh"
need_irqtrail

printf '[IRT008]\nrate = 100\n\n[IRT404]\nenabled = no\n' > "$W/bad.conf"
"$IRQTRAIL" check -D 1 --rules "$W/bad.conf" > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 3 ] || fail "bad rules file: exit $rc, want 3"
grep -qx "irqtrail: $W/bad.conf:4: unknown section \[IRT404\].*" "$W/err" || fail "error message: $(cat "$W/err")"
[ "$(grep -c . "$W/err")" = 1 ] || fail "more than one error line: $(cat "$W/err")"
[ ! -s "$W/out" ] || fail "output on stdout: $(cat "$W/out")"

"$IRQTRAIL" check -D 1 --rules "$W/no-such.conf" > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 3 ] || fail "missing rules file: exit $rc, want 3"
grep -q "no-such.conf: No such file" "$W/err" || fail "missing file message: $(cat "$W/err")"

"$IRQTRAIL" check --no-such-flag > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" = 3 ] || fail "bad flag: exit $rc, want 3"

# the reserved vector with the rule raised to critical -> exit 2
printf '[guest-reserved-vector]\nseverity = critical\n' > "$W/crit.conf"
check_vmm 3 "--rules $W/crit.conf" --bad-route --route 60:0xfee00000:0x0005
expect_findings 2 IRT011

# the VM silenced for that rule (its pid is only known once started: write
# the file before releasing the VMM)
rm -f "$W/go" "$W/check.err" "$W/rec.err"
"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 20000 --bad-route --route 60:0xfee00000:0x0005 \
	> "$W/vmm.json" 2> "$W/vmm.err" &
VMM_PID=$!
CLEANUP_PIDS+=("$VMM_PID")
printf '[IRT011]\nsilence-vm = %d\n' "$VMM_PID" > "$W/silence.conf"
"$IRQTRAIL" check -j -D 3 --pid "$VMM_PID" --rules "$W/silence.conf" > "$W/check.json" 2> "$W/check.err" &
chk=$!
wait_for "$W/check.err" 'irqtrail: checking' "$chk" "irqtrail check"
touch "$W/go"
wait "$VMM_PID"
wait "$chk"
CHECK_RC=$?
expect_findings 0
jq -e '.rules[] | select(.rule == "IRT011" and .silenced == 1)' "$W/check.json" > /dev/null ||
	fail "silenced count: $(jq -c '.rules[10]' "$W/check.json")"

# the rule disabled
printf '[rules]\ndisable = IRT011\n' > "$W/off.conf"
check_vmm 3 "--rules $W/off.conf" --bad-route --route 60:0xfee00000:0x0005
expect_findings 0
jq -e '.rules[] | select(.rule == "IRT011" and .status == "disabled")' "$W/check.json" > /dev/null ||
	fail "IRT011 not disabled"

# the shipped examples: the rules file parses, the alerting rules load
"$IRQTRAIL" check -D 1 --rules "$RULES_DIR/../../examples/rules.conf" > "$W/out" 2> "$W/err"
rc=$?
[ "$rc" -le 2 ] || fail "examples/rules.conf: exit $rc: $(cat "$W/err")"
if command -v promtool > /dev/null; then
	promtool check rules "$RULES_DIR/../../examples/prometheus-alerts.yml" > "$W/promtool" 2>&1 ||
		fail "promtool check rules: $(cat "$W/promtool")"
	echo "promtool check rules: ok"
fi
