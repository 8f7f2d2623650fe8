# SPDX-License-Identifier: GPL-2.0-only
# Helpers for the replay tests (sourced by tests/replay/t_*.sh).  Builds on
# tests/live/lib.sh (fail, skip, need_kvm, need_irqtrail, run_itvmm,
# CLEANUP_PIDS, the EXIT trap), which it sources unchanged.
#
# Environment: IRQTRAIL (the irqtrail binary, the ASan/UBSan one under
# `make SAN=1`), TESTBIN (directory holding itvmm), W (scratch directory,
# created when unset).  A test exits 0 on success, 77 to skip (reason in
# $W/skip-reason), anything else on failure (reason on stderr).

REPLAY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$REPLAY_DIR/../.." && pwd)
EXAMPLES=${IRQTRAIL_EXAMPLES:-$SRC_DIR/examples}	# the bundled recordings
. "$REPLAY_DIR/../live/lib.sh"

# Sanitizer reports must not look like an ordinary exit status 1.
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:exitcode=87"

# bad MSG: a failed assertion that does not stop the test (the others still
# run); finish reports them all and fails the test if there was any.
bad() {
	echo "FAIL: $*" >> "$W/failures"
}

finish() {
	if [ -s "$W/failures" ]; then
		cat "$W/failures" >&2
		exit 1
	fi
	echo "${1:-ok}"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "${1:-needs root (live BPF)}"
}

is_root() {
	[ "$(id -u)" = 0 ]
}

# sanitizer_clean FILE: no ASan/UBSan/LSan report in FILE
sanitizer_clean() {
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer' "$1" 2>/dev/null
}

# it_run NAME TIMEOUT ARGS...: run irqtrail ARGS with a time limit, stdout to
# $W/NAME.out, stderr to $W/NAME.err; sets RC.  Fails the test on a hang
# (timeout), a death by signal or a sanitizer report; any exit status is
# left to the caller.
it_run() {
	local name=$1 t=$2
	shift 2
	timeout -k 5 "$t" "$IRQTRAIL" "$@" > "$W/$name.out" 2> "$W/$name.err"
	RC=$?
	[ "$RC" != 124 ] && [ "$RC" != 137 ] ||
		fail "irqtrail $* did not finish within ${t}s (exit $RC)"
	[ "$RC" -lt 128 ] || fail "irqtrail $* died of signal $((RC - 128)): $(tail -c 600 "$W/$name.err")"
	[ "$RC" != 86 ] && [ "$RC" != 87 ] && sanitizer_clean "$W/$name.err" ||
		fail "irqtrail $*: sanitizer report (exit $RC): $(grep -m 3 -E 'Sanitizer|runtime error' "$W/$name.err")"
	return 0
}

# bpf_links PID: how many BPF links / perf events the process holds
bpf_links() {
	local n
	n=$(ls -l "/proc/$1/fd" 2>/dev/null | grep -cE 'bpf_link|perf_event')
	echo "${n:-0}"
}

# wait_attached PID WHAT: wait until the irqtrail process PID has attached its
# hooks (it holds BPF links and their number stopped changing), for commands
# that print nothing when they start (routes, explain).
wait_attached() {
	local pid=$1 what=$2 i n prev=-1 stable=0
	for ((i = 0; i < 400; i++)); do	# up to 20 s
		kill -0 "$pid" 2>/dev/null || fail "$what exited before attaching: $(tail -c 600 "$W/$what.err" 2>/dev/null)"
		n=$(bpf_links "$pid")
		if [ "$n" -gt 0 ] && [ "$n" = "$prev" ]; then
			stable=$((stable + 1))
			[ "$stable" -ge 4 ] && return 0
		else
			stable=0
		fi
		prev=$n
		sleep 0.05
	done
	fail "$what did not attach its hooks within 20 s"
}

# start_bg NAME ARGS...: irqtrail ARGS in the background (stdout/stderr in
# $W/NAME.out/.err); sets BG_PID and adds it to CLEANUP_PIDS.
start_bg() {
	local name=$1
	shift
	need_irqtrail
	"$IRQTRAIL" "$@" > "$W/$name.out" 2> "$W/$name.err" &
	BG_PID=$!
	CLEANUP_PIDS+=("$BG_PID")
}

# start_record NAME FILE ARGS...: `irqtrail record -o FILE ARGS` in the
# background; returns once it prints "recording to"; sets BG_PID.
start_record() {
	local name=$1 file=$2 i
	shift 2
	start_bg "$name" record -o "$file" "$@"
	for ((i = 0; i < 300; i++)); do	# up to 15 s
		grep -q 'recording to' "$W/$name.err" 2>/dev/null && return 0
		kill -0 "$BG_PID" 2>/dev/null || {
			wait "$BG_PID"
			fail "irqtrail record exited ($?) before recording: $(head -c 600 "$W/$name.err")"
		}
		sleep 0.05
	done
	fail "irqtrail record did not print 'recording to' within 15 s"
}

# wait_bg PID NAME SECS: wait for a background irqtrail to end by itself
# within SECS; sets BG_RC.  Fails on a hang, a signal or a sanitizer report.
wait_bg() {
	local pid=$1 name=$2 secs=$3 i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "irqtrail $name did not end within ${secs}s"
	fi
	wait "$pid"
	BG_RC=$?
	[ "$BG_RC" -lt 128 ] || fail "irqtrail $name died of signal $((BG_RC - 128)): $(tail -c 600 "$W/$name.err")"
	[ "$BG_RC" != 86 ] && [ "$BG_RC" != 87 ] && sanitizer_clean "$W/$name.err" ||
		fail "irqtrail $name: sanitizer report: $(grep -m 3 -E 'Sanitizer|runtime error' "$W/$name.err")"
}

# record_stats NAME: "EVENTS LOST BYTES" from record's closing line
record_stats() {
	sed -nE 's/^irqtrail: ([0-9]+) events written, ([0-9]+) lost, ([0-9]+) bytes.*/\1 \2 \3/p' "$W/$1.err" | tail -n 1
}

# dump_records FILE: the record total `irqtrail dump` reports ("" if none)
dump_records() {
	sed -nE 's/^totals: .* blocks, ([0-9]+) records.*/\1/p' "$1" | tail -n 1
}

# the virtio_rng device: sets RNG_VDEV (virtioN), RNG_BDF, RNG_IRQS (its
# MSI-X irqs except config) and RNG_QIRQ (the queue irq reading /dev/hwrng
# fires); skips when there is none or /dev/hwrng is another rng
find_virtio_rng() {
	local d
	RNG_VDEV= RNG_BDF=
	for d in /sys/bus/virtio/devices/*; do
		[ -e "$d/driver" ] || continue
		[ "$(basename "$(readlink "$d/driver")")" = virtio_rng ] || continue
		RNG_VDEV=$(basename "$d")
		RNG_BDF=$(basename "$(readlink -f "$d/..")")
		break
	done
	[ -n "$RNG_VDEV" ] || skip "no virtio_rng device on this machine"
	[[ $RNG_BDF =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] || skip "virtio_rng $RNG_VDEV is not on PCI ($RNG_BDF)"
	grep -q '^virtio_rng' /sys/class/misc/hw_random/rng_current 2>/dev/null ||
		skip "/dev/hwrng is not the virtio rng ($(cat /sys/class/misc/hw_random/rng_current 2>/dev/null))"
	[ -c /dev/hwrng ] || skip "/dev/hwrng is absent"
	RNG_QIRQ=$(awk -v n="$RNG_VDEV-" 'index($NF, n) == 1 && $NF != n "config" && /PCI-MSIX/ {
		sub(":", "", $1); print $1 }' /proc/interrupts | head -n 1)
	[ -n "$RNG_QIRQ" ] || skip "virtio_rng $RNG_VDEV has no MSI-X queue irq in /proc/interrupts"
}

# rng_traffic [COUNT]: read /dev/hwrng so that the virtio_rng queue irq fires
rng_traffic() {
	timeout 10 dd if=/dev/hwrng of=/dev/null bs=32 count="${1:-20}" 2>/dev/null
	return 0
}

# irq_total IRQ: its count over all CPUs in /proc/interrupts
irq_total() {
	awk -v irq="$1:" 'NR == 1 { n = NF; next }
		$1 == irq { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print s; exit }' /proc/interrupts
}

# irq_count IRQ CPU: its count on one CPU
irq_count() {
	awk -v irq="$1:" -v cpu="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == "CPU" cpu) col = i + 1; next }
		$1 == irq { print $col; exit }' /proc/interrupts
}
