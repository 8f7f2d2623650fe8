# SPDX-License-Identifier: GPL-2.0-only
# Helpers for tests/top/t_*.sh (sourced).
#
#   IRQTRAIL  the irqtrail binary     ITVMM  the test VMM
#   W         scratch directory of this test (made when unset)
# A test exits 0 on success, 77 to skip (reason in $W/skip-reason), else fails.

: "${IRQTRAIL:?IRQTRAIL must point at the irqtrail binary}"
TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA=$TOP_DIR/data
GOLDEN=$TOP_DIR/golden
if [ -z "${W:-}" ]; then
	W=$(mktemp -d /tmp/irqtrail-top.XXXXXX)
fi
mkdir -p "$W"
export TZ=UTC LC_ALL=C.UTF-8
# the pids and messages the data recording was made with
# shellcheck source=/dev/null
[ -f "$DATA/vmm.env" ] && . "$DATA/vmm.env"
REC=$DATA/vmm.itr

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "$*" > "$W/skip-reason"
	exit 77
}

need_rec() {
	[ -f "$REC" ] && [ -f "$DATA/vmm.env" ] || fail "no recording $REC (make top-data, as root)"
}

# frame N of a batch output (1-based; frames begin with "irqtrail top")
frame() {
	awk -v n="$1" '/^irqtrail top /{k++} k==n' "$2"
}

nframes() {
	grep -c '^irqtrail top ' "$1"
}

# the rows of a table section (TITLE: DEVICES, GUESTS...) of a frame, header line excluded
section_rows() {
	awk -v t="$1" '
		$1 == t && NF >= 2 { on = 1; hdr = 1; next }
		on && hdr { hdr = 0; next }
		on && /^$/ { on = 0 }
		on { print }' "$2"
}

# colvals TITLE "COL..." FILE: the named columns of a section's rows, by the
# header line's names (the sort mark stripped)
colvals() {
	awk -v t="$1" -v want="$2" '
		$1 == t && NF >= 2 { on = 1; hdr = 1; next }
		on && hdr {
			for (i = 1; i <= NF; i++) { h = $i; gsub(/[\^v]$|▲|▼/, "", h); idx[h] = i }
			n = split(want, w, " ")
			for (k = 1; k <= n; k++) if (!(w[k] in idx)) { print "colvals: no column " w[k] > "/dev/stderr"; exit 1 }
			hdr = 0; next
		}
		on && /^$/ { on = 0 }
		on && !/^\(/ { l = ""; for (k = 1; k <= n; k++) l = l (k > 1 ? " " : "") $(idx[w[k]]); print l }' "$3"
}
