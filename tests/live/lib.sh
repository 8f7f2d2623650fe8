# SPDX-License-Identifier: GPL-2.0-only
# Helpers shared by the live tests (sourced by tests/live/t_*.sh).
#
# Environment (set by run.sh, or by hand when running one test):
#   IRQTRAIL  path of the irqtrail binary
#   TESTBIN   directory holding itvmm
#   W         scratch directory of this test (created when unset)
#
# A test exits 0 when it passes, 77 to skip (reason in $W/skip-reason),
# anything else on failure (reason on stderr).

: "${IRQTRAIL:?IRQTRAIL must point at the irqtrail binary}"
: "${TESTBIN:?TESTBIN must point at the directory holding itvmm}"
ITVMM=$TESTBIN/itvmm
LIVE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${W:-}" ]; then
	W=$(mktemp -d /tmp/irqtrail-live.XXXXXX)
fi
mkdir -p "$W"
STREAM_PID=
STREAM_RC=
CLEANUP_PIDS=()	# other background processes of the test, killed on exit

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "$*" > "$W/skip-reason"
	exit 77
}

need_kvm() {
	[ -c /dev/kvm ] || skip "/dev/kvm is absent"
	[ -x "$ITVMM" ] || fail "test VMM $ITVMM not built"
}

need_irqtrail() {
	[ -x "$IRQTRAIL" ] || fail "irqtrail binary $IRQTRAIL not found"
}

# start_stream ARGS...: `irqtrail stream -j ARGS` into $W/stream.jsonl and
# $W/stream.err; returns once the tracer reports it is attached.
start_stream() {
	need_irqtrail
	"$IRQTRAIL" stream -j "$@" > "$W/stream.jsonl" 2> "$W/stream.err" &
	STREAM_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do	# up to 15 s
		if grep -q 'irqtrail: tracing' "$W/stream.err" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$STREAM_PID" 2>/dev/null; then
			wait "$STREAM_PID"
			fail "irqtrail stream exited ($?) before tracing: $(head -c 600 "$W/stream.err")"
		fi
		sleep 0.05
	done
	kill -INT "$STREAM_PID" 2>/dev/null
	fail "irqtrail stream did not print 'irqtrail: tracing' within 15 s: $(head -c 600 "$W/stream.err")"
}

# wait_stream: wait for the stream (started with -D) to end; sets STREAM_RC.
# A stream that outlives its duration by 20 s is interrupted and fails.
wait_stream() {
	local i
	for ((i = 0; i < 600; i++)); do	# -D plus up to 30 s of slack, see callers
		kill -0 "$STREAM_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$STREAM_PID" 2>/dev/null; then
		kill -INT "$STREAM_PID" 2>/dev/null
		sleep 1
		kill -KILL "$STREAM_PID" 2>/dev/null
		wait "$STREAM_PID" 2>/dev/null
		fail "irqtrail stream did not end on its own after -D"
	fi
	wait "$STREAM_PID"
	STREAM_RC=$?
	STREAM_PID=
}

# assert_stream_clean: exit status 0 and "N events, 0 lost" on stderr
assert_stream_clean() {
	local summary
	summary=$(grep -E '^irqtrail: [0-9]+ events, [0-9]+ lost' "$W/stream.err" | tail -n 1)
	[ -n "$summary" ] || fail "stream printed no 'irqtrail: N events, M lost' line; stderr: $(tail -c 600 "$W/stream.err")"
	[[ $summary =~ ,\ 0\ lost ]] || fail "stream lost events: '$summary'"
	[ "$STREAM_RC" = 0 ] || fail "stream exit status $STREAM_RC (summary '$summary')"
}

# run_itvmm ARGS...: run the VMM, JSON summary into $W/vmm.json
run_itvmm() {
	"$ITVMM" "$@" > "$W/vmm.json" 2> "$W/vmm.err" ||
		fail "itvmm $* exited $?: $(head -c 600 "$W/vmm.err")"
	jq -e . "$W/vmm.json" > /dev/null || fail "itvmm printed invalid JSON"
}

# stop our own stream and helpers on the way out, whatever happened
cleanup_stream() {
	local p
	for p in "${CLEANUP_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -n "${STREAM_PID:-}" ] && kill -0 "$STREAM_PID" 2>/dev/null; then
		kill -INT "$STREAM_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$STREAM_PID" 2>/dev/null
	fi
}
trap cleanup_stream EXIT
