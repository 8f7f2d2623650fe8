#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Command-line and input errors of routes, explain, record, replay, export and
# dump: an exit status as documented (2 bad usage; 1 a file that cannot be
# read; dump: 2 not a readable trace), exactly one line on stderr that names
# what is wrong, nothing on stdout, no output file created.  Needs no root:
# every case is refused before anything is attached.
set -u
. "$(dirname "$0")/common.sh"
need_irqtrail

EX=$EXAMPLES/vmm-msi.itr
[ -f "$EX" ] || fail "no $EX"
cd "$W" || exit 1

# expect RC WORD DESC ARGS...: exit RC, one stderr line containing WORD
# (case-insensitive, "" for any), empty stdout
expect() {
	local want=$1 word=$2 desc=$3 lines
	shift 3
	it_run err 10 "$@"
	if [ "$RC" != "$want" ]; then
		bad "$desc: 'irqtrail $*' exited $RC, want $want: $(head -c 300 "$W/err.err" | tr '\n' '|')"
	fi
	lines=$(grep -c . "$W/err.err")
	[ "$lines" = 1 ] || bad "$desc: 'irqtrail $*' wrote $lines stderr lines, want one: $(head -c 300 "$W/err.err" | tr '\n' '|')"
	[ -z "$word" ] || grep -qi -- "$word" "$W/err.err" ||
		{ [ "$word" = no-such-flag ] && grep -qi usage "$W/err.err"; } ||
		bad "$desc: 'irqtrail $*': the message does not name '$word': $(head -c 300 "$W/err.err")"
	[ ! -s "$W/err.out" ] || bad "$desc: 'irqtrail $*' wrote to stdout: $(head -c 200 "$W/err.out")"
	echo "$desc: exit $RC: $(head -n 1 "$W/err.err")"
}

for c in routes explain record replay export dump; do
	expect 2 no-such-flag "unknown flag" "$c" --no-such-flag
done
expect 2 "-o" "record without -o" record
expect 2 "-o" "record without -o, with -D" record -D 1 --full
expect 2 abc "record, bad duration" record -o "$W/x.itr" -D abc
[ ! -e "$W/x.itr" ] || bad "record -D abc created its output file"
expect 2 garbage "routes, bad device" routes -d garbage
expect 2 "-5" "routes, bad duration" routes -D -5
expect 2 "" "explain without a device" explain
expect 2 garbage "explain, bad device" explain garbage
expect 2 "" "replay without a file" replay --summary
expect 2 "-1" "replay, bad speed" replay --speed -1 "$EX"
expect 1 /nonexistent/x.itr "replay of a missing file" replay --summary /nonexistent/x.itr
expect 1 /etc/passwd "replay of /etc/passwd" replay --summary /etc/passwd
expect 1 /etc/passwd "replay -j of /etc/passwd (stderr)" replay --summary /etc/passwd
expect 1 /nonexistent/x.itr "routes -r of a missing file" routes -r /nonexistent/x.itr
expect 2 "" "export with neither --jsonl nor --perfetto" export "$EX"
expect 2 "" "export with both --jsonl and --perfetto" export "$EX" --jsonl "$W/a.jsonl" --perfetto "$W/b.json"
[ ! -e "$W/a.jsonl" ] && [ ! -e "$W/b.json" ] || bad "export with both outputs created a file"
expect 1 /etc/passwd "export of /etc/passwd" export /etc/passwd --jsonl "$W/c.jsonl"
expect 1 /nonexistent/x.itr "export of a missing file" export /nonexistent/x.itr --jsonl "$W/d.jsonl"
expect 2 "" "dump without a file" dump
expect 2 /etc/passwd "dump of /etc/passwd" dump /etc/passwd

# -j: a failing replay still prints one line on stderr; stdout, when it has
# anything, is JSON
it_run errj 10 replay --summary -j /etc/passwd
[ "$RC" = 1 ] || bad "replay --summary -j /etc/passwd exited $RC, want 1"
[ "$(grep -c . "$W/errj.err")" = 1 ] || bad "replay -j /etc/passwd: $(grep -c . "$W/errj.err") stderr lines"
if [ -s "$W/errj.out" ]; then
	python3 -c 'import json,sys
for l in open(sys.argv[1]):
    json.loads(l)' "$W/errj.out" 2>/dev/null || bad "replay -j /etc/passwd: stdout is not JSON lines: $(head -c 200 "$W/errj.out")"
fi
finish
