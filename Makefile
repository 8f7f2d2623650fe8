# SPDX-License-Identifier: GPL-2.0-only
# irqtrail build: bpf/*.bpf.c -> .bpf.o -> .skel.h; src/ -> libirqtrail.a; user/ -> irqtrail
#
#   make            build ./irqtrail
#   make check      unit tests (ASan/UBSan) + live tests when root
#   make run        live view as root, replay of the bundled example otherwise
#   make deps       install build/test dependencies (Debian 12, root)
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF
#   SAN=1           build everything with AddressSanitizer + UBSan
#   ARCH=arm64      cross-build a static arm64 irqtrail in .output-arm64
#                   (CROSS_COMPILE=aarch64-linux-gnu-, Debian arm64 sysroot
#                   unpacked by tests/lab/arm64/sysroot.sh; vmlinux/arm64/README)
#   V=1             verbose

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
SAN ?= 0
HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ifneq ($(ARCH),$(HOST_ARCH))
ifeq ($(ARCH),arm64)
CROSS_COMPILE ?= aarch64-linux-gnu-
endif
endif
ifneq ($(CROSS_COMPILE),)
OUTPUT ?= .output-$(ARCH)
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
AR := $(CROSS_COMPILE)ar
NM := $(CROSS_COMPILE)nm
SYSROOT ?= $(or $(IRQTRAIL_LAB_CACHE),/var/cache/irqtrail-lab)/sysroot-$(ARCH)
SYSROOT_STAMP := $(SYSROOT)/.ok-2
endif
OUTPUT ?= $(if $(filter 1,$(SAN)),.output-san,.output)
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PREFIX ?= /usr/local
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -DIRQTRAIL_VERSION='"$(VERSION)"' \
	  -I$(OUTPUT) -Isrc -Ibpf -Iuser
LDLIBS += -lbpf -lelf -lz -lzstd -lncursesw -lpthread -lm
ifneq ($(CROSS_COMPILE),)
CFLAGS += -isystem $(SYSROOT)/usr/include
endif
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -I$(dir $(VMLINUX_H)) -Ibpf

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(wildcard src/*.c)
LIB_OBJS := $(patsubst src/%.c,$(OUTPUT)/src/%.o,$(LIB_SRCS))
LIB := $(OUTPUT)/libirqtrail.a
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
BIN := $(if $(filter 1,$(SAN))$(CROSS_COMPILE),$(OUTPUT)/irqtrail,irqtrail)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
LIVE_SRCS := $(wildcard tests/live/*.c)
LIVE_BINS := $(patsubst tests/live/%.c,$(OUTPUT)/tests/%,$(LIVE_SRCS))

DEPS_PKGS := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev \
	     libncurses-dev libcmocka-dev pkg-config make gcc libc6-dev tmux \
	     python3 jq libclang-rt-14-dev
DEPS_STAMP := $(OUTPUT)/.deps-ok

.PHONY: all deps vmlinux check unit live run install clean bench lab fuzz
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BIN)

# ---- dependencies -------------------------------------------------------
$(DEPS_STAMP):
	$(Q)mkdir -p $(OUTPUT)
	$(Q)missing=$$(for p in $(DEPS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "  DEPS     apt-get install $$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null || \
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } || exit 1; \
		else \
			echo "missing packages: $$missing (run 'sudo make deps')" >&2; exit 1; \
		fi; \
	fi
	$(Q)touch $@

deps:
	$(Q)rm -f $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory $(DEPS_STAMP)

vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
ifeq ($(CROSS_COMPILE),)
	$(call msg,GEN,$(VMLINUX_H))$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H)
else
	$(call msg,GEN,$(VMLINUX_H))k=$$(bash tests/lab/$(ARCH)/fetch-kernel.sh 6.12) && \
		b=$$(bash tests/lab/$(ARCH)/extract-btf.sh "$$k") && \
		$(BPFTOOL) btf dump file "$$b/vmlinux" format c > $(VMLINUX_H)
endif

# ---- BPF ----------------------------------------------------------------
$(OUTPUT)/%.bpf.o: bpf/%.bpf.c bpf/events.h $(wildcard bpf/*.h) $(VMLINUX_H) | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,BPF,$@)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)llvm-strip -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)$(BPFTOOL) gen skeleton $< > $@

# ---- user space ---------------------------------------------------------
$(OUTPUT)/src/%.o: src/%.c $(wildcard src/*.h) bpf/events.h | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)$(AR) rcs $@ $^

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h) $(wildcard src/*.h) bpf/events.h $(SKELS) | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJS) $(LIB)
ifeq ($(CROSS_COMPILE),)
	$(call msg,LINK,$@)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@
else
	$(call msg,LINK,$@)CC=$(CC) NM=$(NM) LIBDIR=$(SYSROOT)/usr/lib/$(patsubst %-,%,$(CROSS_COMPILE)) \
		NO_FALLBACK=1 bash tests/lab/link-static.sh $@ $(LIB) $(USER_OBJS)

# the cross build's libraries and headers: Debian arm64 packages, unpacked
$(DEPS_STAMP): $(SYSROOT_STAMP)
$(SYSROOT_STAMP):
	$(Q)command -v $(CC) >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
	$(call msg,SYSROOT,$(SYSROOT))IRQTRAIL_LAB_CACHE=$(patsubst %/,%,$(dir $(SYSROOT))) bash tests/lab/$(ARCH)/sysroot.sh >/dev/null
endif

# ---- tests --------------------------------------------------------------
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(LIB) $(wildcard tests/unit/*.h)
	$(Q)mkdir -p $(@D)
	$(call msg,TEST-CC,$@)$(CC) $(CFLAGS) -DTEST_FIXTURES='"$(CURDIR)/tests/fixtures"' $(LDFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(OUTPUT)/tests/%: tests/live/%.c | $(DEPS_STAMP)
	$(Q)mkdir -p $(@D)
	$(call msg,TEST-CC,$@)$(CC) $(CFLAGS) $(LDFLAGS) $< -lpthread -o $@

unit: $(UNIT_BINS)
	$(Q)fail=0; for t in $(UNIT_BINS); do \
		printf '  UNIT     %s\n' "$${t##*/}"; \
		$$t >$$t.log 2>&1 || { cat $$t.log; fail=1; }; \
	done; exit $$fail

# The 1M/s rate case (t_vmm_rate.sh) runs the optimized build even under
# SAN=1 (2 cores: the ASan stream alone needs a core at 1M lines/s, see that
# test and docs/performance.md); every other live test runs $(BIN).
live: $(BIN) $(LIVE_BINS)
	$(Q)$(if $(filter 1,$(SAN)),$(MAKE) --no-print-directory SAN=0 irqtrail .output/tests/itvmm &&) \
	IRQTRAIL=$(CURDIR)/$(BIN) TESTBIN=$(CURDIR)/$(OUTPUT)/tests \
	IRQTRAIL_RATE=$(CURDIR)/irqtrail ITVMM_RATE=$(CURDIR)/.output/tests/itvmm bash tests/live/run.sh

# Test targets the tests/*/ fragments add: CHECK_TARGETS run always,
# CHECK_ROOT_TARGETS only as root (they load BPF programs).
CHECK_TARGETS +=
CHECK_ROOT_TARGETS += live

# make check: the default suite, user space under ASan/UBSan.
check: $(DEPS_STAMP)
	$(Q)rc=0; \
	$(MAKE) --no-print-directory -k SAN=1 unit $(CHECK_TARGETS) || rc=1; \
	if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory -k SAN=1 $(CHECK_ROOT_TARGETS) || rc=1; \
	else echo "  SKIP     $(CHECK_ROOT_TARGETS): need root"; fi; \
	if [ $$rc = 0 ]; then echo "  CHECK    all passed"; else echo "  CHECK    FAILED (see above)"; fi; \
	exit $$rc

run: $(BIN)
	$(Q)if [ "$$(id -u)" = 0 ]; then ./$(BIN) top; \
	else ./$(BIN) top -r examples/vmm-msi.itr; fi

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/irqtrail
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf .output .output-san .output-arm64 irqtrail

# fragments owned by test/bench subtrees (fuzz, lab, bench targets)
-include $(wildcard tests/*/*.mk bench/*.mk)
