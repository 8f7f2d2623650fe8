# SPDX-License-Identifier: GPL-2.0-only
# The rules engine, `check` and `serve` (issue 6): libraries and the live
# rules tests.  -include'd at the end of the main Makefile, so the values
# appended here are in place before any recipe runs (recipes expand their
# variables when they run).
#
#   make rules-tests      live tests of every rule the kernel allows, check
#                         exit codes, serve scraped with curl (root, /dev/kvm)

# libinih parses the rules file (src/rules_conf.c, in libirqtrail.a);
# libmicrohttpd serves /metrics (user/cmd_serve.c).
LDLIBS += -linih -lmicrohttpd
DEPS_PKGS += libinih-dev libmicrohttpd-dev curl

# a checkout whose dependency stamp predates these packages installs them
$(DEPS_STAMP): tests/rules/rules.mk

.PHONY: rules-tests
rules-tests: $(BIN) $(OUTPUT)/tests/itvmm
	$(Q)IRQTRAIL=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(OUTPUT)/tests bash tests/rules/run.sh
