#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# CO-RE relocation check of irqtrail's BPF objects against the BTF of each
# kernel the lab uses (Debian 6.12 and 6.1: vmlinux BTF extracted from the
# bzImage, module BTF from the .ko files) and of the running kernel.
#   usage: core-check.sh CORE_CHECK_BINARY OBJ.bpf.o...
# Needs root (the running kernel's verifier proves the relocated programs).
# A lab kernel that cannot be fetched (no archive access) is reported and
# skipped; a relocation failure fails the check.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CC_BIN=$1; shift
[ "$(id -u)" = 0 ] || { echo "  SKIP     core-check needs root"; exit 0; }
fail=0
run() { # args...
	local out
	out=$("$CC_BIN" "$@" 2>&1); rc=$?
	echo "$out" | grep -E ' FAIL|summary' | sed 's/^/  /'
	[ $rc = 0 ] || { fail=1; echo "$out" | grep FAIL | head -20 >&2; }
}
for flav in 6.12 6.1; do
	if ! kdir=$("$here/fetch-kernel.sh" "$flav" 2>/tmp/irqtrail-core-fetch.log); then
		echo "  SKIP     core-check $flav: kernel not available ($(tail -1 /tmp/irqtrail-core-fetch.log))"
		continue
	fi
	btf=$("$here/extract-btf.sh" "$kdir") || { echo "  FAIL     core-check $flav: BTF extraction"; fail=1; continue; }
	for obj in "$@"; do
		run "$obj" --btf-dir "$btf" --label "$flav/$(basename "$obj" .bpf.o)"
	done
done
for obj in "$@"; do
	run "$obj" --running --label "running-$(uname -r)/$(basename "$obj" .bpf.o)"
done
exit $fail
