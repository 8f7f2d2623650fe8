# SPDX-License-Identifier: GPL-2.0-only
# The performance benchmark (bench/run.sh), -included by the main Makefile.
# Never part of 'make check'.  Needs root, /dev/kvm and a few minutes.
#
#   make bench                  full run (>= 5 alternating pairs per configuration)
#   make bench BENCH_QUICK=1    about two minutes, same design, shorter windows
#   BENCH_ARGS='--only msi'     extra arguments for bench/bench.py (see --help)
#
# The floor and micro-cost BPF objects are built here, into $(OUTPUT)/bench/,
# never under bpf/ (the main Makefile builds every bpf/*.bpf.c into irqtrail).

BENCH_OUT := $(OUTPUT)/bench
BENCH_BPF := $(BENCH_OUT)/empty.bpf.o $(BENCH_OUT)/ops.bpf.o
BENCH_TOOLS := $(BENCH_OUT)/bench-attach $(BENCH_OUT)/bench-churn
BENCH_QUICK ?= 0

.PHONY: bench bench-tools
bench: $(BIN) $(OUTPUT)/tests/itvmm bench-tools
	$(Q)IRQTRAIL=$(CURDIR)/$(BIN) ITVMM=$(CURDIR)/$(OUTPUT)/tests/itvmm BENCH_OUT=$(CURDIR)/$(BENCH_OUT) \
		BENCH_QUICK=$(BENCH_QUICK) bash bench/run.sh $(BENCH_ARGS)

bench-tools: $(BENCH_BPF) $(BENCH_TOOLS)

$(BENCH_OUT)/%.bpf.o: bench/%.bpf.c $(VMLINUX_H) | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(dir $(VMLINUX_H)) -c $< -o $@

$(BENCH_OUT)/bench-attach: bench/attach.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE $< -lbpf -lelf -lz -o $@

$(BENCH_OUT)/bench-churn: bench/churn.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE $< -o $@
