#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live-kernel tests: real BPF programs, real kernel paths, exact assertions.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/path/to/dir/with/itvmm bash tests/live/run.sh [NAME...]
#
# Runs every tests/live/t_*.sh (or only the NAMEs given, e.g. vmm_msi) and
# prints one line per test:   LIVE     name  ok|FAIL|SKIP (reason)
# A failing test's output follows its line.  Exit status 1 if any test
# failed.  Tests are skipped, with the reason printed, only when not root or
# (for the KVM tests) when /dev/kvm is absent, or when a test finds nothing
# on this machine to exercise (it says what).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-90}

line() {
	printf '  LIVE     %-16s %s\n' "$1" "$2"
}

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
	exit 0
fi

# tracefs for the tests that look at it and for the tool
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

root=$(mktemp -d /tmp/irqtrail-live.XXXXXX)
failed=0
for t in "${tests[@]}"; do
	n=${t##*/t_}
	n=${n%.sh}
	w=$root/$n
	mkdir -p "$w"
	W=$w timeout -k 5 "$TEST_TIMEOUT" bash "$t" > "$w/log" 2>&1
	rc=$?
	case $rc in
	0)
		line "$n" ok
		;;
	77)
		line "$n" "SKIP ($(head -n 1 "$w/skip-reason" 2>/dev/null || echo 'no reason given'))"
		;;
	*)
		if [ "$rc" = 124 ]; then
			line "$n" "FAIL (timed out after ${TEST_TIMEOUT}s)"
		else
			line "$n" "FAIL"
		fi
		sed -e 's/^/           | /' "$w/log" | tail -n 40
		echo "           | (files kept in $w)"
		failed=1
		;;
	esac
done
[ "$failed" = 0 ] && rm -rf "$root"
exit "$failed"
