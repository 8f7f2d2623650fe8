# SPDX-License-Identifier: GPL-2.0-only
# The loop shared by the shell test suites (tests/live, replay, top, rules):
# pick the t_*.sh tests (all, or the NAMEs given), run each in its own work
# directory under a timeout, and print one line per test
#
#   LABEL    name             ok (3s) | FAIL (...) | SKIP (reason)
#
# A failing test's log follows its line (every test's with VERBOSE=1).  A
# test skips itself by writing the reason to $W/skip-reason and exiting 77.
#
# Source it, set the variables below, then call it_run_tests "$@":
#   IT_LABEL        the column label (LIVE, REPLAY, ...)
#   IT_DIR          the directory holding the t_*.sh files
#   IT_NEEDS_ROOT   1: every test is reported SKIP (needs root) when not root
#   TEST_TIMEOUT    seconds per test
#   IT_FAILED       starts the exit status (a suite's own pre-checks)
# The exit status is 1 if any test failed, 2 for an unknown NAME.

it_line() {
	printf '  %-8s %-18s %s\n' "$IT_LABEL" "$1" "$2"
}

it_run_tests() {
	local tests=() n t w rc start took root
	local failed=${IT_FAILED:-0}
	if [ $# -gt 0 ]; then
		for n in "$@"; do
			n=${n#t_}
			n=${n%.sh}
			if [ ! -f "$IT_DIR/t_$n.sh" ]; then
				echo "run.sh: no test t_$n.sh in $IT_DIR" >&2
				return 2
			fi
			tests+=("$IT_DIR/t_$n.sh")
		done
	else
		tests=("$IT_DIR"/t_*.sh)
	fi

	if [ "${IT_NEEDS_ROOT:-0}" = 1 ] && [ "$(id -u)" != 0 ]; then
		for t in "${tests[@]}"; do
			n=${t##*/t_}
			it_line "${n%.sh}" "SKIP (needs root)"
		done
		return "$failed"
	fi
	# tracefs, for the tool and for the tests that compare with it
	if [ "$(id -u)" = 0 ] && [ ! -d /sys/kernel/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	fi

	root=$(mktemp -d "/tmp/irqtrail-${IT_LABEL,,}.XXXXXX")
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
			it_line "$n" "ok ($took)"
			[ "${VERBOSE:-0}" = 1 ] && sed -e 's/^/           | /' "$w/log"
			;;
		77)
			it_line "$n" "SKIP ($(head -n 1 "$w/skip-reason" 2>/dev/null || echo 'no reason given'))"
			;;
		*)
			if [ "$rc" = 124 ]; then
				it_line "$n" "FAIL (timed out after ${TEST_TIMEOUT}s)"
			else
				it_line "$n" "FAIL ($took)"
			fi
			sed -e 's/^/           | /' "$w/log" | tail -n 60
			echo "           | (files kept in $w)"
			failed=1
			;;
		esac
	done
	[ "$failed" = 0 ] && rm -rf "$root"
	return "$failed"
}
