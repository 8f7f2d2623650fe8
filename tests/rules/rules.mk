# SPDX-License-Identifier: GPL-2.0-only
# The rules engine, `check` and `serve` (issue 6): libraries and the live
# rules tests.  -include'd at the end of the main Makefile, so the values
# appended here are in place before any recipe runs (recipes expand their
# variables when they run).
#
#   make rules-tests      live tests of every rule the kernel allows, check
#                         exit codes, serve scraped with curl (root, /dev/kvm)
#   make rules-selftest   the exposition-format parser's self-test (no root)

# libinih parses the rules file (src/rules_conf.c, in libirqtrail.a);
# libmicrohttpd serves /metrics (user/cmd_serve.c).
LDLIBS += -linih -lmicrohttpd
DEPS_PKGS += libinih-dev libmicrohttpd-dev curl

# a checkout whose dependency stamp predates these packages installs them
$(DEPS_STAMP): tests/rules/rules.mk

# `make check`: the exposition parser's self-test always, the live rules
# tests as root (they load BPF programs and run KVM guests)
CHECK_TARGETS += rules-selftest
CHECK_ROOT_TARGETS += rules-tests

.PHONY: rules-tests rules-selftest
rules-tests: $(BIN) $(OUTPUT)/tests/itvmm
	$(Q)IRQTRAIL=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(OUTPUT)/tests bash tests/rules/run.sh

rules-selftest:
	$(Q)mkdir -p $(OUTPUT) && python3 tests/rules/promparse.py --self-test > $(OUTPUT)/promparse-selftest.log 2>&1 || \
		{ cat $(OUTPUT)/promparse-selftest.log; exit 1; }
	$(Q)printf '  RULES    %-18s ok\n' promparse-self
