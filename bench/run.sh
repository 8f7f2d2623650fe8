#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# irqtrail benchmark driver: installs the peers from Debian when they are
# missing, then runs bench/bench.py.  Use it through 'make bench'
# (BENCH_QUICK=1 for the two-minute smoke run); extra arguments go to bench.py
# (bench/bench.py --help).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (BPF, /dev/kvm, /proc/irq)" >&2
	exit 1
fi

# The peers users would pick instead, from Debian's archive.  A peer that
# cannot be installed or cannot run here is reported as such by bench.py.
need=()
command -v perf >/dev/null || need+=(linux-perf)
command -v bpftrace >/dev/null || need+=(bpftrace)
command -v trace-cmd >/dev/null || need+=(trace-cmd)
command -v hardirqs >/dev/null || need+=(libbpf-tools)
command -v taskset >/dev/null || need+=(util-linux)
command -v bpftool >/dev/null || need+=(bpftool)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench: apt-get install ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null 2>&1; } ||
		echo "bench: could not install ${need[*]}; those peers will be reported missing" >&2
fi
# bpftrace and libbpf need locked memory on kernels that still charge it
ulimit -l unlimited 2>/dev/null || true

exec python3 "$here/bench.py" "$@"
