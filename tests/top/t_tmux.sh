#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The dashboard in a real terminal: tmux runs `irqtrail top -r data/vmm.itr`,
# keys switch every view (1-5, Tab), sort (s, <, >, I), filter (/, d, g),
# open Detail (Enter), pause (p, space), change the speed (+, -), reset (r),
# set the interval (i), show help (?) and coverage (c); capture-pane checks
# what is on screen.  Then q exits
# with status 0 and the terminal is restored (echo and icanon back, the
# shell's screen back).  Also: a resize, SIGTERM and SIGSEGV while drawing,
# a damaged recording (its message is held while curses owns the screen),
# NO_COLOR, and TERM=dumb.
set -u
. "$(dirname "$0")/lib.sh"
need_rec
command -v tmux > /dev/null || skip "tmux is not installed"

SOCK=irqtrail-top-test-$$
T=(tmux -L "$SOCK" -f /dev/null)
cleanup() {
	"${T[@]}" kill-server 2> /dev/null
}
trap cleanup EXIT

"${T[@]}" -u new-session -d -s t -x 150 -y 45 \
	"env PS1='$ ' TERM=screen LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC bash --norc --noprofile" ||
	fail "cannot start tmux"
"${T[@]}" set-option -t t -g status off > /dev/null

cap() {
	"${T[@]}" capture-pane -t t -p
}

cap_e() {
	"${T[@]}" capture-pane -t t -p -e
}

keys() {
	"${T[@]}" send-keys -t t "$@"
}

# type a literal string (no key names)
typ() {
	"${T[@]}" send-keys -t t -l "$1"
}

# wait_for REGEX [SECS]: until the screen shows it
wait_for() {
	local re=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		cap | grep -qE -- "$re" && return 0
		sleep 0.05
	done
	echo "--- screen ---" >&2
	cap >&2
	fail "not on screen after ${secs}s: $re"
}

wait_gone() {
	local re=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		cap | grep -qE -- "$re" || return 0
		sleep 0.05
	done
	echo "--- screen ---" >&2
	cap >&2
	fail "still on screen after ${secs}s: $re"
}

# the replay position shown in the header ("+1.234s")
clock() {
	cap | head -1 | grep -oE ' \+[0-9]+\.[0-9]{3}s ' | tr -d ' '
}

# table rows on screen: the lines after the column header line matching $1,
# up to the status line
rows_after() {
	cap | awk -v h="$1" '
		$0 ~ h { on = 1; next }
		on && /^q quit|^$/ { exit }
		on { print }'
}

# the terminal is back to a line discipline a shell can use
assert_tty_sane() {
	local f=$W/stty.$1
	keys "stty -a > $f; echo STTY-DONE-$1" Enter
	wait_for "^STTY-DONE-$1"
	grep -qE '(^|[ ;])echo( |;|$)' "$f" || fail "$1: echo is off after exit: $(cat "$f")"
	grep -qE '(^|[ ;])icanon( |;|$)' "$f" || fail "$1: icanon is off after exit"
	grep -qE '(^|[ ;])-echo( |;|$)' "$f" && fail "$1: -echo after exit"
	keys "clear" Enter
	sleep 0.2
}

cd "$TOP_DIR" || exit 1
keys "cd '$TOP_DIR'" Enter
keys "clear" Enter

# ---------------------------------------------------------------- the session
keys "'$IRQTRAIL' top -r data/vmm.itr --speed 1 2> '$W/err1'; echo RC=\$?" Enter
wait_for '^irqtrail top  replay data/vmm.itr'
wait_for '^DEVICE +ENT KIND +IRQ CPU +VEC IRTE +OWNER'
wait_for '^ 1 Devices  2 Guests  3 Changes  4 Alerts  5 Detail'

# pause: the replay clock stops
keys p
wait_for '\[PAUSED\]'
sleep 0.3
c1=$(clock)
sleep 1.3
c2=$(clock)
[ -n "$c1" ] && [ "$c1" = "$c2" ] || fail "paused, yet the clock moved: $c1 -> $c2"
# speed
keys +
wait_for ' x2 '
keys - -
wait_for ' x0.5 '
# space resumes; the clock moves again
keys Space
wait_gone '\[PAUSED\]'
for ((i = 0; i < 60; i++)); do
	[ "$(clock)" != "$c2" ] && break
	sleep 0.05
done
[ "$(clock)" != "$c2" ] || fail "resumed, yet the clock stays at $c2"
# fast to the end: x1024
for ((i = 0; i < 12; i++)); do
	keys +
done
wait_for ' x1024 '
wait_for '\[END\]' 15

# ---------------------------------------------------------------- views
keys 1
wait_for '^DEVICE +ENT KIND'
wait_for '^0000:00:0[0-9a-f]\.[0-7] '
keys 2
wait_for '^VM +PID +GSI +DEST +GVEC'
wait_for "^itvmm +$VM_A_PID +40 "
wait_for "^itvmm +$VM_A_PID +41 +0 +0x53 "
wait_for "^itvmm +$VM_B_PID +50 "
keys 3
wait_for '^ +TIME. +PID WHO +WHAT'
wait_for "$VM_A_PID itvmm +gsi 40 routed to 0xfee00000/0x41"
wait_for "irqfd eventfd [0-9]+ on gsi 40 removed"
keys 4
wait_for '^SEV. +RULE +STATE'
if "$IRQTRAIL" top -b -r data/vmm.itr --view alerts | grep -q IRT011; then
	wait_for "^warning +IRT011 +ACTIVE .*pid $VM_B_PID\) gsi 51"
else
	wait_for 'no findings|rules engine not available'
fi
keys 5
wait_for '^(VM .*\(pid [0-9]+\)|Device |Host irq )'
# Tab cycles: Detail -> Devices -> Guests
keys Tab
wait_for '^DEVICE +ENT KIND'
keys Tab
wait_for '^VM +PID +GSI'
keys BTab
wait_for '^DEVICE +ENT KIND'
keys 2
wait_for '^VM +PID +GSI'

# ---------------------------------------------------------------- sorting
# within a VM (rows of a VM stay together) the column must be ordered
ordered() {	# COLUMN asc|desc
	cap | awk -v c="$1" -v d="$2" '
		/^VM.* +PID +GSI/ { for (i = 1; i <= NF; i++) { h = $i; gsub(/▲|▼/, "", h); idx[h] = i }; on = 1; next }
		on && (/^q quit/ || /^$/) { exit }
		on {
			if ($2 != pid) { pid = $2; have = 0 }
			v = $(idx[c]); if (v == "-") v = -1; v += 0
			if (have && ((d == "desc" && v > last) || (d == "asc" && v < last))) bad = 1
			last = v; have = 1
		}
		END { exit bad || !(c in idx) }'
}
wait_for 'sort RATE/s desc'
keys s
wait_for 'sort TOTAL desc'
wait_for 'TOTAL▼'
ordered TOTAL desc || fail "s: TOTAL not descending: $(rows_after '^VM +PID')"
keys '>'
wait_for 'sort P50 desc'
keys '<'
wait_for 'sort TOTAL desc'
keys I
wait_for 'sort TOTAL asc'
ordered TOTAL asc || fail "I: TOTAL not ascending"
for ((i = 0; i < 20; i++)); do
	cap | grep -q 'sort GSI ' && break
	keys '<'
	sleep 0.1
done
wait_for 'sort GSI asc'
rows_after '^VM +PID' | awk '$2 != pid { pid = $2; last = -2 } { g = ($3 == "msi") ? -1 : $3 + 0; if (g < last) bad = 1; last = g } END { exit bad }' ||
	fail "GSI not ascending within a VM"

# ---------------------------------------------------------------- filters
keys /
wait_for 'filter regex \(Enter applies'
typ '0x53'
keys Enter
wait_for '/0x53/'
sleep 0.3
n=$(rows_after '^VM +PID' | grep -c .)
[ "$n" = 1 ] || fail "/0x53/: $n rows: $(rows_after '^VM +PID')"
rows_after '^VM +PID' | grep -qE "^itvmm +$VM_A_PID +41 " || fail "/0x53/ is not gsi 41"
keys / Enter
wait_gone '/0x53/'
wait_for "^itvmm +$VM_B_PID +50 "
# a bad regex is refused and said so
keys /
typ '(x'
keys Enter
wait_for 'bad regex'
# VM filter
keys g
wait_for 'VM \(pid or name\)'
typ "$VM_B_PID"
keys Enter
wait_for "vm=$VM_B_PID"
sleep 0.3
rows_after '^VM +PID' | awk -v p="$VM_B_PID" '$2 != p { bad = 1 } END { exit bad || NR != 2 }' ||
	fail "g $VM_B_PID: $(rows_after '^VM +PID')"
keys g Enter
wait_gone "vm=$VM_B_PID"
# device filter
keys 1 d
typ '00:04.0'
keys Enter
wait_for 'dev=0000:00:04.0'
sleep 0.3
rows_after '^DEVICE +ENT' | awk '$1 != "0000:00:04.0" { bad = 1 } END { exit bad || NR == 0 }' ||
	fail "d 00:04.0: $(rows_after '^DEVICE +ENT')"
keys d
typ 'zz'
keys Enter
wait_for "'zz' is not a PCI address"
keys d Enter
wait_gone 'dev=0000:00:04.0'

# ---------------------------------------------------------------- detail
keys 2 g
typ "$VM_A_PID"
keys Enter /
typ '0x53'
keys Enter
wait_for '/0x53/'
keys Enter
wait_for "^VM itvmm \(pid $VM_A_PID\): GSI 41"
wait_for 'guest MSI 0xfee00000/0x53 -> APIC 0, vector 0x53, physical, fixed, edge'
wait_for 'gsi 41: 0xfee01000/0x52 \(dest 1 vector 0x52\) -> 0xfee00000/0x53'
keys Escape
wait_for '^VM +PID +GSI'
keys g Enter / Enter
wait_gone '/0x53/'
# a device's handler latency, drawn as bars
keys 1 /
typ 'virtio1-req'
keys Enter
wait_for 'virtio1-req'
keys Enter
wait_for '^MSI-X entry 1 -> host irq [0-9]+ "virtio1-req.0"'
wait_for 'handler latency: [0-9]+ samples, p50'
wait_for '^ +[0-9.]+[num]?s - [0-9.]+[num]?s +[0-9]+ +[0-9.]+% \|█'
keys Enter
wait_for '^DEVICE +ENT'
keys / Enter

# ---------------------------------------------------------------- reset, interval
keys 2
wait_for '^VM +PID +GSI'
keys r
wait_for 'counters reset'
sleep 0.3
cap | awk '
	/^VM.* +PID +GSI/ { for (i = 1; i <= NF; i++) { h = $i; gsub(/▲|▼/, "", h); idx[h] = i }; on = 1; next }
	on && (/^q quit/ || /^$/ || /counters reset/) { exit }
	on { n++; if ($(idx["TOTAL"]) != "0") bad = 1 }
	END { exit bad || !n }' || fail "r: totals not back to 0: $(rows_after '^VM +PID')"
keys i
wait_for 'interval \(s\)'
typ '0.5'
keys Enter
wait_for 'every 0.5s'

# ---------------------------------------------------------------- help, coverage
keys '?'
wait_for '^irqtrail top: keys'
wait_for 'any key closes this page'
keys x
wait_gone '^irqtrail top: keys'
keys c
wait_for '^Hook coverage: [0-9]+ of [0-9]+ routing hops visible'
wait_for '^host-handler +visible +tracepoint'
keys x
wait_gone '^Hook coverage'

# ---------------------------------------------------------------- resize
keys 1
wait_for '^DEVICE +ENT KIND'
"${T[@]}" resize-window -t t -x 80 -y 24
wait_for '^DEVICE.*RATE/s'
cap | awk 'length > 80 { bad = 1 } END { exit bad }' || fail "lines wider than 80 after the resize"
"${T[@]}" resize-window -t t -x 30 -y 8
wait_for 'terminal too small'
"${T[@]}" resize-window -t t -x 150 -y 45
wait_for '^DEVICE +ENT KIND +IRQ CPU +VEC IRTE +OWNER'

# ---------------------------------------------------------------- q
keys q
wait_for '^RC=0$'
cap | grep -q '^DEVICE ' && fail "the dashboard is still on screen after q"
[ ! -s "$W/err1" ] || fail "stderr of a clean run: $(cat "$W/err1")"
assert_tty_sane q

# ---------------------------------------------------------------- signals
for sig in TERM SEGV; do
	rm -f "$W/pid"
	keys "bash -c 'echo \$\$ > $W/pid; exec \"$IRQTRAIL\" top -r data/vmm.itr' 2> '$W/err.$sig'; echo RC=\$?" Enter
	wait_for '^DEVICE +ENT KIND'
	kill -"$sig" "$(cat "$W/pid")"
	wait_for '^RC=[0-9]+$'
	rc=$(cap | grep -oE '^RC=[0-9]+$' | tail -1)
	if [ "$sig" = TERM ]; then
		[ "$rc" = RC=0 ] || fail "SIGTERM: $rc, want 0"
	else
		[ "$rc" != RC=0 ] || fail "SIGSEGV: exit status 0"
	fi
	cap | grep -q '^DEVICE ' && fail "$sig: the dashboard is still on screen"
	assert_tty_sane "$sig"
done

# ---------------------------------------------------------------- damage
# a recording damaged at +2.7 s: the replay stops there, the message is
# held while curses owns the screen and printed once after it is restored
off=$("$IRQTRAIL" dump data/vmm.itr | awk '$3 == "EVTB" { n++; if (n == 3) print $2 }')
[ -n "$off" ] || fail "no third event block in the recording"
cp data/vmm.itr "$W/damaged.itr"
printf '\377\377\377\377' | dd of="$W/damaged.itr" bs=1 seek=$((off + 40)) conv=notrunc 2> /dev/null
keys "'$IRQTRAIL' top -r '$W/damaged.itr' --speed 0; echo RC=\$?" Enter
wait_for '^DEVICE +ENT KIND'
wait_for 'damaged|crc|checksum|CRC'
cap | grep -q '^irqtrail: ' && fail "the held message was written over the dashboard"
keys q
wait_for '^RC=1$'
cap | grep -qE '^irqtrail: .*(damaged|crc|checksum|CRC)' || fail "the damage message was not printed after exit"
assert_tty_sane damaged

# ---------------------------------------------------------------- colours
keys "'$IRQTRAIL' top -r data/vmm.itr --speed 0" Enter
wait_for '^DEVICE +ENT KIND'
sleep 0.3
cap_e | grep -qE $'\033\\[[0-9;]*(3[0-7]|4[0-7])m' || fail "no colours in a colour terminal"
keys q
wait_gone '^DEVICE '
keys "NO_COLOR=1 '$IRQTRAIL' top -r data/vmm.itr --speed 0" Enter
wait_for '^DEVICE +ENT KIND'
sleep 0.3
cap_e | grep -qE $'\033\\[[0-9;]*(3[0-7]|4[0-7])m' && fail "NO_COLOR=1, yet colours on screen"
cap_e | grep -qE $'\033\\[[0-9;]*7m' || fail "NO_COLOR=1: no reverse video either"
keys q
wait_gone '^DEVICE '
keys "clear" Enter

# TERM=dumb: no cursor addressing, text frames instead
keys "TERM=dumb '$IRQTRAIL' top -r data/vmm.itr -n 1 --view guests; echo RC=\$?" Enter
wait_for '^RC=0$'
wait_for 'no cursor addressing: printing text frames'
wait_for '^GUESTS +[0-9]+ rows'
cap | grep -q $'\033' && fail "TERM=dumb: escape sequences on screen"
echo "ok: views, sorts, filters, detail, pause, speed, help, coverage, resize, q, signals, damage, colours, dumb"
