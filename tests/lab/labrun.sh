# SPDX-License-Identifier: GPL-2.0-only
# What the lab's host-side runners share (run.sh for x86, arm64/run.sh,
# vmm/run.sh): the packages, a boot retried once when QEMU ends without the
# guest's end marker, the guest's /out unpacked from the serial log, the
# checker's verdict in result.txt, configurations run side by side.
# Sourced by them (bash); defines functions only.

# lab_need QEMU_COMMAND QEMU_PACKAGE: install it and busybox-static (for
# cpio) when missing; as root only.
lab_need() {
	local need=""
	command -v "$1" >/dev/null || need="$need $2"
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx cpio || need="$need busybox-static"
	[ -n "$need" ] || return 0
	if [ "$(id -u)" != 0 ]; then echo "lab: missing packages:$need" >&2; return 1; fi
	echo "  APT      $need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null; } ||
		{ echo "lab: cannot install$need" >&2; return 1; }
}

# lab_boot CFG LOG COMMAND...: run COMMAND (a QEMU writing its serial
# console to LOG); once more when the log has no '=== GUEST DONE'.  With
# LAB_KEEP_TRY1=1 the first try's log stays as LOG's .try1.log.
lab_boot() {
	local cfg=$1 log=$2 try
	shift 2
	for try in 1 2; do
		"$@"
		grep -aq '=== GUEST DONE' "$log" && break
		echo "  LAB      $cfg: QEMU ended without the guest's end marker (try $try): $(tail -c 300 "$log" | tr -d '\r' | tail -2)"
		[ $try = 1 ] && [ "${LAB_KEEP_TRY1:-0}" = 1 ] && cp "$log" "${log%.log}.try1.log"
	done
}

# lab_unpack LOG DIR: the guest's /out, sent as a base64 tarball between
# the ARCHIVE markers, into DIR.
lab_unpack() {
	sed -n '/^=== ARCHIVE BEGIN/,/^=== ARCHIVE END/p' "$1" | tr -d '\r' | grep -v '^===' |
		base64 -d 2>/dev/null | tar xzf - -C "$2" 2>/dev/null
}

# lab_check CFG DIR START CHECKER ARGS...: the checker (python3) into
# DIR/check.txt, the verdict with every FAIL and PROVEN line into
# DIR/result.txt (START: when the run began, date +%s); 0 when it passed.
lab_check() {
	local cfg=$1 dir=$2 t=$3 res=FAIL
	shift 3
	python3 "$@" > "$dir/check.txt" 2>&1 && res=ok
	{
		echo "  LAB      $cfg $res ($(( $(date +%s) - t ))s, $(grep -c '^ok ' "$dir/check.txt") checks passed, $(grep -c '^FAIL ' "$dir/check.txt") failed)"
		grep -E '^(FAIL|PROVEN) ' "$dir/check.txt" | sed 's/^/           | /'
	} > "$dir/result.txt"
	[ $res = ok ]
}

# lab_parallel FUNCTION CFG...: FUNCTION CFG for each, LAB_JOBS at once
# (default: host CPUs; under TCG a guest keeps about one busy); 0 when
# every one returned 0.
lab_parallel() {
	local fn=$1 cfg i fail=0 pids=()
	shift
	LAB_JOBS=${LAB_JOBS:-$(nproc)}
	for cfg in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$LAB_JOBS" ]; do wait -n; done
		"$fn" "$cfg" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail=1
	done
	return $fail
}

# lab_results CFG...: each configuration's LAB_RUNS/CFG/result.txt; 1 when
# one is missing.
lab_results() {
	local cfg fail=0
	for cfg in "$@"; do
		cat "$LAB_RUNS/$cfg/result.txt" 2>/dev/null || { echo "  LAB      $cfg FAIL (no result)"; fail=1; }
	done
	return $fail
}
