#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# IRT011 reserved vector, IRT012 destination matching no vCPU, IRT013
# address outside 0xFEExxxxx: each one alone -> that finding only, exit 1
# (warnings); all three together -> three findings.
set -u
. "$(dirname "$0")/lib.sh"

check_vmm 3 "" --bad-route --vcpus 2 --route 60:0xfee00000:0x0005 --route 61:0xfee01000:0x0031
expect_findings 1 IRT011
jq -e '.findings[] | select(.rule == "IRT011") | select(.gsi == 60 and (.message | test("vector 0x5 is reserved")))' \
	"$W/check.json" > /dev/null || fail "IRT011 message: $(jq -c .findings "$W/check.json")"

check_vmm 3 "" --vcpus 2 --route 60:0xfee05000:0x0031 --route 61:0xfee01000:0x0032
expect_findings 1 IRT012
jq -e '.findings[] | select(.rule == "IRT012" and .gsi == 60) | select(.message | test("APIC id 5 matches none of its 2 vCPUs"))' \
	"$W/check.json" > /dev/null || fail "IRT012 message: $(jq -c .findings "$W/check.json")"

check_vmm 3 "" --bad-route --vcpus 1 --route 62:0x12345000:0x0032
expect_findings 1 IRT013
jq -e '.findings[] | select(.rule == "IRT013" and .gsi == 62 and .vm == "itvmm")' \
	"$W/check.json" > /dev/null || fail "IRT013: $(jq -c .findings "$W/check.json")"

check_vmm 3 "" --bad-route --vcpus 1 --route 60:0xfee00000:0x0005 --route 61:0xfee03000:0x0031 \
	--route 62:0xfed00000:0x0032
expect_findings 1 IRT011 IRT012 IRT013
