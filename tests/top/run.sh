#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# irqtrail top tests.
#
#   IRQTRAIL=/path/to/irqtrail ITVMM=/path/to/itvmm bash tests/top/run.sh [NAME...]
#
# Runs tests/top/t_*.sh (or the NAMEs given: cli golden tmux live) and prints
# one line per test:  TOP      name  ok|FAIL|SKIP (reason).  A failing test's
# output follows its line.  UPDATE=1 makes the golden test rewrite its
# expected files instead of comparing.  Exit status 1 if any test failed.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
ITVMM=$(realpath -m "${ITVMM:-/nonexistent}")
export IRQTRAIL ITVMM
TEST_TIMEOUT=${TEST_TIMEOUT:-180}

. "$here/../lib/runner.sh"
IT_LABEL=TOP IT_DIR=$here IT_NEEDS_ROOT=0
it_run_tests "$@"
