#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replay tests: recordings of real activity (the test VMM, a virtio irq
# moved between CPUs) replayed and compared with what was done and with the
# live views; damaged and interrupted recordings; errors; Perfetto export.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/path/to/dir/with/itvmm bash tests/replay/run.sh [NAME...]
#   make replay-tests            (make SAN=1 replay-tests: under ASan/UBSan)
#
# Runs every tests/replay/t_*.sh (or only the NAMEs given, e.g. damage) and
# prints one line per test:   REPLAY   name  ok|FAIL|SKIP (reason)
# A failing test's output follows its line (every test's with VERBOSE=1).  Tests that need root (live
# BPF) or /dev/kvm skip themselves with the reason; the others (damage,
# errors, perfetto) fall back to the bundled example recordings.  Exit
# status 1 if any test failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-90}

line() {
	printf '  REPLAY   %-16s %s\n' "$1" "$2"
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

if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi

root=$(mktemp -d /tmp/irqtrail-replay.XXXXXX)
failed=0
for t in "${tests[@]}"; do
	n=${t##*/t_}
	n=${n%.sh}
	w=$root/$n
	mkdir -p "$w"
	start=$(date +%s)
	W=$w timeout -k 5 "$TEST_TIMEOUT" bash "$t" > "$w/log" 2>&1
	rc=$?
	took="$(($(date +%s) - start))s"
	case $rc in
	0)
		line "$n" "ok ($took)"
		[ "${VERBOSE:-0}" = 1 ] && sed -e 's/^/           | /' "$w/log"
		;;
	77)
		line "$n" "SKIP ($(head -n 1 "$w/skip-reason" 2>/dev/null || echo 'no reason given'))"
		;;
	*)
		if [ "$rc" = 124 ]; then
			line "$n" "FAIL (timed out after ${TEST_TIMEOUT}s)"
		else
			line "$n" "FAIL ($took)"
		fi
		sed -e 's/^/           | /' "$w/log" | tail -n 40
		echo "           | (files kept in $w)"
		failed=1
		;;
	esac
done
[ "$failed" = 0 ] && rm -rf "$root"
exit "$failed"
