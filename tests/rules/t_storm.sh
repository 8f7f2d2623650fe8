#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IRT008: unthrottled KVM_SIGNAL_MSI (> 1M/s here) for 3 s raises the storm
# finding; the same at 20k/s (near miss) does not; a rules file lowering the
# threshold to 5k/s makes 20k/s a storm.
set -u
. "$(dirname "$0")/lib.sh"

check_vmm 5 "" --vcpus 1 --signal 0xfee00000:0x0041:0 --duration-ms 3000 --rate 0
echo "VMM fired $(jq '.fired_total' "$W/vmm.json") injections at $(jq '.rate_per_s' "$W/vmm.json")/s"
expect_findings 1 IRT008
jq -e '.findings[] | select(.rule == "IRT008") | select(.value >= 200000) | select(.message | test("interrupt storm: VM itvmm"))' \
	"$W/check.json" > /dev/null || fail "IRT008: $(jq -c .findings "$W/check.json")"

check_vmm 5 "" --vcpus 1 --signal 0xfee00000:0x0041:0 --duration-ms 3000 --rate 20000
expect_findings 0

cat > "$W/low.conf" <<'CONF'
[interrupt-storm]
rate = 5k
clear-rate = 2k
CONF
check_vmm 5 "--rules $W/low.conf" --vcpus 1 --signal 0xfee00000:0x0041:0 --duration-ms 3000 --rate 20000
expect_findings 1 IRT008
jq -e '.rules_file | endswith("low.conf")' "$W/check.json" > /dev/null || fail "rules file not reported"
