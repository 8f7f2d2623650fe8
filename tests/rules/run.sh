#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live tests of the rules engine, `irqtrail check` and `irqtrail serve`:
# real BPF programs, the test VMM programming each bad configuration the CI
# kernel allows, exact assertions on findings and exit codes.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/dir/with/itvmm bash tests/rules/run.sh [NAME...]
#
# One line per test:  RULES    name  ok|FAIL|SKIP (reason).  Exit 1 if any failed.
# The exposition-format parser's self-test runs first, without root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

line() {
	printf '  RULES    %-18s %s\n' "$1" "$2"
}

failed=0
if python3 "$here/promparse.py" --self-test > /tmp/irqtrail-promparse-selftest.log 2>&1; then
	line promparse-self ok
else
	line promparse-self FAIL
	sed -e 's/^/           | /' /tmp/irqtrail-promparse-selftest.log | tail -n 20
	failed=1
fi

tests=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		n=${n#t_}
		n=${n%.sh}
		[ -f "$here/t_$n.sh" ] || { echo "run.sh: no test t_$n.sh" >&2; exit 2; }
		tests+=("$here/t_$n.sh")
	done
else
	tests=("$here"/t_*.sh)
fi

if [ "$(id -u)" != 0 ]; then
	for t in "${tests[@]}"; do
		n=${t##*/t_}
		line "${n%.sh}" "SKIP (needs root)"
	done
	exit "$failed"
fi
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

root=$(mktemp -d /tmp/irqtrail-rules.XXXXXX)
for t in "${tests[@]}"; do
	n=${t##*/t_}
	n=${n%.sh}
	w=$root/$n
	mkdir -p "$w"
	W=$w timeout -k 5 "$TEST_TIMEOUT" bash "$t" > "$w/log" 2>&1
	rc=$?
	case $rc in
	0) line "$n" ok ;;
	77) line "$n" "SKIP ($(head -n 1 "$w/skip-reason" 2>/dev/null || echo 'no reason given'))" ;;
	*)
		if [ "$rc" = 124 ]; then line "$n" "FAIL (timed out after ${TEST_TIMEOUT}s)"; else line "$n" FAIL; fi
		sed -e 's/^/           | /' "$w/log" | tail -n 40
		echo "           | (files kept in $w)"
		failed=1
		;;
	esac
done
[ "$failed" = 0 ] && rm -rf "$root"
exit "$failed"
