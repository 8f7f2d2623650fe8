# SPDX-License-Identifier: GPL-2.0-only
# Replay tests (tests/replay/run.sh), -included by the main Makefile.
#   make replay-tests          with ./irqtrail
#   make SAN=1 replay-tests    with .output-san/irqtrail (ASan/UBSan)
# Tests that need root (live BPF) or /dev/kvm skip themselves, saying why.
# REPLAY_TESTS="damage errors" runs only those.

.PHONY: replay-tests
replay-tests: $(BIN) $(OUTPUT)/tests/itvmm
	$(Q)IRQTRAIL=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(OUTPUT)/tests bash tests/replay/run.sh $(REPLAY_TESTS)

# part of make check (root-only tests skip themselves with a reason)
CHECK_TARGETS += replay-tests
