# SPDX-License-Identifier: GPL-2.0-only
# irqtrail top: batch golden tests from recordings, the dashboard driven in a
# real terminal (tmux), command-line errors, and a live run as root.
#
#   make top-tests                 run them (SAN=1: against the ASan/UBSan binary)
#   make top-tests TOP_TESTS=tmux  only some (cli golden tmux live)
#   make top-golden                rewrite tests/top/golden/ from the current binary
#   make top-data                  re-record tests/top/data/ (root, /dev/kvm), then top-golden
.PHONY: top-tests top-golden top-data

TOP_TESTS ?=
TOP_ENV = IRQTRAIL=$(abspath $(BIN)) ITVMM=$(abspath $(OUTPUT)/tests/itvmm)

top-tests: $(BIN) $(OUTPUT)/tests/itvmm
	$(Q)$(TOP_ENV) bash tests/top/run.sh $(TOP_TESTS)

top-golden: $(BIN)
	$(Q)$(TOP_ENV) UPDATE=1 bash tests/top/run.sh golden

top-data: $(BIN) $(OUTPUT)/tests/itvmm
	$(Q)$(TOP_ENV) bash tests/top/mkdata.sh

# part of make check (the live test skips itself when not root)
CHECK_TARGETS += top-tests
