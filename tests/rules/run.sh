#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live tests of the rules engine, `irqtrail check` and `irqtrail serve`:
# real BPF programs, the test VMM programming each bad configuration the CI
# kernel allows, exact assertions on findings and exit codes.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/dir/with/itvmm bash tests/rules/run.sh [NAME...]
#
# One line per test:  RULES    name  ok|FAIL|SKIP (reason).  Exit 1 if any failed.
# The exposition-format parser's self-test runs first, without root.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

. "$here/../lib/runner.sh"
IT_LABEL=RULES

failed=0
if python3 "$here/promparse.py" --self-test > /tmp/irqtrail-promparse-selftest.log 2>&1; then
	it_line promparse-self ok
else
	it_line promparse-self FAIL
	sed -e 's/^/           | /' /tmp/irqtrail-promparse-selftest.log | tail -n 20
	failed=1
fi

IT_LABEL=RULES IT_DIR=$here IT_NEEDS_ROOT=1 IT_FAILED=$failed
it_run_tests "$@"
