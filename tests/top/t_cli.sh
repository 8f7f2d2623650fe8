#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The command line: --help with examples, one-line errors with status 2 on
# bad flags, status 1 with one line when the recording cannot be read or
# live tracing is impossible (not root: the message points to -r FILE),
# automatic text frames when stdout is not a terminal, and a closed pipe.
set -u
. "$(dirname "$0")/lib.sh"
need_rec

"$IRQTRAIL" top --help > "$W/help" 2>&1 || fail "--help: exit status $?"
grep -q '^ *EXAMPLES:' "$W/help" || fail "--help has no EXAMPLES"
grep -q -- '-r, --read=FILE' "$W/help" || fail "--help does not list -r"
grep -q -- '--batch' "$W/help" || fail "--help does not list --batch"
grep -q 'irqtrail top -r vm.itr' "$W/help" || fail "--help has no recording example"

# bad usage: status 2, exactly one line on stderr, nothing on stdout
usage_error() {	# expected-regex args...
	local re=$1
	shift
	"$IRQTRAIL" top "$@" > "$W/out" 2> "$W/err" < /dev/null
	local rc=$?
	[ "$rc" = 2 ] || fail "top $*: exit status $rc, want 2 ($(head -c 300 "$W/err"))"
	[ "$(wc -l < "$W/err")" = 1 ] || fail "top $*: $(wc -l < "$W/err") lines on stderr: $(cat "$W/err")"
	grep -qE "^irqtrail top: .*$re" "$W/err" || fail "top $*: '$(cat "$W/err")' does not match '$re'"
	[ ! -s "$W/out" ] || fail "top $*: wrote to stdout"
}
usage_error "unrecognized option|unknown option" --bogus
usage_error "interval" -i 0
usage_error "interval" -i abc
usage_error "PCI address" -d zz
usage_error "pid" --pid -3
usage_error "iteration" -n 0
usage_error "view" --view bogus -r "$REC"
usage_error "speed" --speed -1 -r "$REC"
usage_error "speed.*recording" --speed 2
usage_error "unexpected argument" extra
usage_error "no column 'nosuch'" -b -r "$REC" -s nosuch
usage_error "bad regex" -b -r "$REC" -f '(x'

# a recording that cannot be read: status 1, one line naming it
for f in /nonexistent/x.itr "$TOP_DIR/lib.sh"; do
	"$IRQTRAIL" top -b -r "$f" > "$W/out" 2> "$W/err" < /dev/null
	rc=$?
	[ "$rc" = 1 ] || fail "top -r $f: exit status $rc, want 1"
	[ "$(wc -l < "$W/err")" = 1 ] || fail "top -r $f: stderr: $(cat "$W/err")"
	grep -q "^irqtrail: .*$(basename "$f")" "$W/err" || fail "top -r $f: message does not name it: $(cat "$W/err")"
done

# live without privileges: status 1, one line that says what to do
as_user=()
if [ "$(id -u)" = 0 ]; then
	command -v setpriv > /dev/null || skip "setpriv (util-linux) is needed to drop root"
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
fi
"${as_user[@]}" "$IRQTRAIL" top -b -n 1 > "$W/out" 2> "$W/err" < /dev/null
rc=$?
[ "$rc" = 1 ] || fail "live top without privileges: exit status $rc, want 1: $(head -c 300 "$W/err")"
[ "$(wc -l < "$W/err")" = 1 ] || fail "live top without privileges: stderr: $(cat "$W/err")"
grep -q 'root' "$W/err" && grep -q -- '-r FILE' "$W/err" ||
	fail "live top without privileges does not say it needs root and -r FILE: $(cat "$W/err")"
[ ! -s "$W/out" ] || fail "live top without privileges wrote to stdout"

# stdout not a terminal: text frames without --batch
"$IRQTRAIL" top -r "$REC" -n 2 < /dev/null 2> "$W/err" | cat > "$W/out"
[ "${PIPESTATUS[0]}" = 0 ] || fail "top -r | cat: exit status ${PIPESTATUS[0]}: $(cat "$W/err")"
[ "$(nframes "$W/out")" = 2 ] || fail "top -r -n 2 | cat: $(nframes "$W/out") frames"
grep -q '^DEVICES ' "$W/out" || fail "top -r | cat: no DEVICES table"
grep -q $'\033' "$W/out" && fail "top -r | cat: escape sequences"

# a reader that goes away: the printer stops instead of spinning
start=$(date +%s)
timeout 20 "$IRQTRAIL" top -b -r "$REC" -i 0.01 2> /dev/null | head -1 > /dev/null
rc=${PIPESTATUS[0]}
[ "$rc" != 124 ] || fail "top -b | head -1 did not stop"
[ $(($(date +%s) - start)) -lt 20 ] || fail "top -b | head -1 took too long"

# `irqtrail replay FILE` (no --summary) opens the dashboard: text frames here
"$IRQTRAIL" replay "$REC" < /dev/null > "$W/replay" 2> "$W/replay.err"
if head -1 "$W/replay" | grep -q '^irqtrail top '; then
	grep -q '\[END\]' "$W/replay" || fail "replay FILE: no [END] frame"
else
	echo "note: 'irqtrail replay FILE' does not open the dashboard in this build"
fi
echo "ok"
