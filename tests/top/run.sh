#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# irqtrail top tests.
#
#   IRQTRAIL=/path/to/irqtrail ITVMM=/path/to/itvmm bash tests/top/run.sh [NAME...]
#
# Runs tests/top/t_*.sh (or the NAMEs given: cli golden tmux live) and prints
# one line per test:  TOP      name  ok|FAIL|SKIP (reason).  A failing test's
# output follows its line.  UPDATE=1 makes the golden test rewrite its
# expected files instead of comparing.  Exit status 1 if any test failed.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
ITVMM=$(realpath -m "${ITVMM:-/nonexistent}")
export IRQTRAIL ITVMM
TEST_TIMEOUT=${TEST_TIMEOUT:-180}

line() {
	printf '  TOP      %-16s %s\n' "$1" "$2"
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

root=$(mktemp -d /tmp/irqtrail-top.XXXXXX)
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
		sed -e 's/^/           | /' "$w/log" | tail -n 60
		echo "           | (files kept in $w)"
		failed=1
		;;
	esac
done
[ "$failed" = 0 ] && rm -rf "$root"
exit "$failed"
