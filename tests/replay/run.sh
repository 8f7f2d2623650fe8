#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Replay tests: recordings of real activity (the test VMM, a virtio irq
# moved between CPUs) replayed and compared with what was done and with the
# live views; damaged and interrupted recordings; errors; Perfetto export.
#
#   IRQTRAIL=/path/to/irqtrail TESTBIN=/path/to/dir/with/itvmm bash tests/replay/run.sh [NAME...]
#   make replay-tests            (make SAN=1 replay-tests: under ASan/UBSan)
#
# Runs every tests/replay/t_*.sh (or only the NAMEs given, e.g. damage) and
# prints one line per test:   REPLAY   name  ok|FAIL|SKIP (reason)
# A failing test's output follows its line (every test's with VERBOSE=1).
# Tests that need root (live BPF) or /dev/kvm skip themselves with the
# reason; the others (damage, errors, perfetto) fall back to the bundled
# example recordings.  Exit status 1 if any test failed.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${IRQTRAIL:?set IRQTRAIL to the irqtrail binary}"
: "${TESTBIN:?set TESTBIN to the directory holding itvmm}"
IRQTRAIL=$(realpath -m "$IRQTRAIL")
TESTBIN=$(realpath -m "$TESTBIN")
export IRQTRAIL TESTBIN
TEST_TIMEOUT=${TEST_TIMEOUT:-90}

. "$here/../lib/runner.sh"
IT_LABEL=REPLAY IT_DIR=$here IT_NEEDS_ROOT=0
it_run_tests "$@"
