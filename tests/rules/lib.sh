# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the rules tests (sourced by tests/rules/t_*.sh), on top of
# tests/live/lib.sh (fail, skip, need_kvm, need_irqtrail, CLEANUP_PIDS).
RULES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$RULES_DIR/../live/lib.sh"

# wait_for FILE PATTERN PID WHAT: until FILE holds PATTERN (15 s), or PID died
wait_for() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || fail "$4 exited before '$2': $(head -c 600 "$1")"
		sleep 0.05
	done
	fail "$4 did not print '$2' within 15 s: $(head -c 600 "$1")"
}

# check_vmm SECS "CHECK ARGS" VMM ARGS...: start the VMM (held on --wait-start),
# run `irqtrail check -j -D SECS --pid VMM ARGS`, release the VMM once the
# tracer is attached.  Sets VMM_PID and CHECK_RC; $W/check.json, $W/vmm.json.
check_vmm() {
	local secs=$1 cargs=$2 chk
	shift 2
	need_kvm
	need_irqtrail
	# no stale output: wait_for must see this run's "checking" line
	rm -f "$W/go" "$W/check.err" "$W/check.json" "$W/vmm.json"
	"$ITVMM" --wait-start "$W/go" --wait-timeout-ms 20000 "$@" > "$W/vmm.json" 2> "$W/vmm.err" &
	VMM_PID=$!
	CLEANUP_PIDS+=("$VMM_PID")
	# shellcheck disable=SC2086
	"$IRQTRAIL" check -j -D "$secs" --pid "$VMM_PID" $cargs > "$W/check.json" 2> "$W/check.err" &
	chk=$!
	CLEANUP_PIDS+=("$chk")
	wait_for "$W/check.err" 'irqtrail: checking' "$chk" "irqtrail check"
	touch "$W/go"
	wait "$VMM_PID" || fail "itvmm $* exited $?: $(head -c 600 "$W/vmm.err")"
	wait "$chk"
	CHECK_RC=$?
	CLEANUP_PIDS=()
	jq -e . "$W/check.json" > /dev/null || fail "check -j printed invalid JSON: $(head -c 600 "$W/check.json")"
	echo "check exit $CHECK_RC: $(jq -c '.summary' "$W/check.json")"
}

# expect_findings RC RULE...: the exit status, and exactly these rules
# raised for the VMM (each once), none other; inactive rules never "passing".
expect_findings() {
	local rc=$1
	shift
	python3 - "$W/check.json" "$VMM_PID" "$rc" "$CHECK_RC" "$@" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
pid, want_rc, rc = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
want = sorted(sys.argv[5:])
errs = []
got = sorted(f["rule"] for f in d["findings"] if f["vm_pid"] == pid)
other = [f for f in d["findings"] if f["vm_pid"] not in (pid, -1)]
if got != want:
    errs.append("findings for pid %d: %s, want %s: %s" % (pid, got, want,
                [f["message"] for f in d["findings"]]))
if other:
    errs.append("findings about other VMs despite --pid: %s" % other)
if rc != want_rc or d["exit"] != want_rc:
    errs.append("exit status %d (JSON says %d), want %d" % (rc, d["exit"], want_rc))
for r in d["rules"]:
    if r["status"] == "inactive" and not r["reason"]:
        errs.append("%s inactive without a reason" % r["rule"])
    if r["status"] == "passing" and r["rule"] in want:
        errs.append("%s passing although it should have fired" % r["rule"])
st = {r["rule"]: r["status"] for r in d["rules"]}
for code in want:
    if st.get(code) != "failing":
        errs.append("%s status %s, want failing" % (code, st.get(code)))
if errs:
    print("\n".join(errs), file=sys.stderr)
    sys.exit(1)
print("ok: exit %d, findings %s" % (rc, got))
PY
}
