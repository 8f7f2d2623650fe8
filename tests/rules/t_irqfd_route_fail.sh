#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IRT014: an irqfd bound to a GSI with no route; IRT015: KVM_IRQFD on a bad
# fd (-EBADF) and KVM_SET_GSI_ROUTING with a GSI KVM refuses (-EINVAL).
set -u
. "$(dirname "$0")/lib.sh"

check_vmm 4 "" --route 60:0xfee00000:0x0031 --irqfd 60 --irqfd 61 --pause-ms 1500
expect_findings 1 IRT014
jq -e '.findings[] | select(.rule == "IRT014" and .gsi == 61) | select(.message | test("bound to gsi 61, which has no route"))' \
	"$W/check.json" > /dev/null || fail "IRT014: $(jq -c .findings "$W/check.json")"

check_vmm 3 "" --route 60:0xfee00000:0x0031 --irqfd-bad-fd 60
expect_findings 1 IRT015
jq -e '.findings[] | select(.rule == "IRT015") | select(.message | test("KVM_IRQFD assign .* failed: -9 \\(-EBADF\\)"))' \
	"$W/check.json" > /dev/null || fail "IRT015 irqfd: $(jq -c .findings "$W/check.json")"

check_vmm 3 "" --bad-route --route 5000:0xfee00000:0x0031
python3 - "$W/vmm.json" <<'PY' || exit 1
import json, sys
v = json.load(open(sys.argv[1]))
t = v["routing_tables"][0]
if t["ret"] != -1 or t["errno"] != 22:
    sys.exit("KVM_SET_GSI_ROUTING with gsi 5000 did not fail with EINVAL: %s" % t)
PY
expect_findings 1 IRT015
jq -e '.findings[] | select(.rule == "IRT015") | select(.message | test("KVM_SET_GSI_ROUTING \\(1 entries\\) failed: -22 \\(-EINVAL\\)"))' \
	"$W/check.json" > /dev/null || fail "IRT015 routing: $(jq -c .findings "$W/check.json")"
