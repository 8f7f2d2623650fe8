#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live-kernel tests: real BPF programs, real kernel paths, exact assertions.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/path/to/dir/with/itvmm bash tests/live/run.sh [NAME...]
#
# Runs every tests/live/t_*.sh (or only the NAMEs given, e.g. vmm_msi) and
# prints one line per test:   LIVE     name  ok|FAIL|SKIP (reason)
# A failing test's output follows its line.  Exit status 1 if any test
# failed.  Tests are skipped, with the reason printed, only when not root or
# (for the KVM tests) when /dev/kvm is absent, or when a test finds nothing
# on this machine to exercise (it says what).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-90}

. "$here/../lib/runner.sh"
IT_LABEL=LIVE IT_DIR=$here IT_NEEDS_ROOT=1
it_run_tests "$@"
