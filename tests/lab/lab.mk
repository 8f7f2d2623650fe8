# SPDX-License-Identifier: GPL-2.0-only
# The QEMU lab (tests/lab): Debian kernels under TCG with an emulated Intel or
# AMD IOMMU doing interrupt remapping, edu and e1000e bound to vfio-pci,
# irqtrail running inside the guest; the host asserts on its output.
#
#   make lab                 every configuration (intel/amd x 6.12/6.1, and
#                            arm64 x 6.12/6.1: tests/lab/arm64/lab.mk)
#   make lab LAB="intel-6.12 amd-6.12"
#   make lab-build           the static guest binaries only
#   make lab-examples        copy the 6.12 runs' recordings into examples/
#   make core-check          CO-RE relocations of the BPF objects against the
#                            BTF of the lab kernels and of the running kernel
#
# Downloads are cached in $(LAB_CACHE) (outside the tree).

LAB_CACHE ?= /var/cache/irqtrail-lab
LAB ?= intel-6.12 amd-6.12 intel-6.1 amd-6.1 arm64-6.12 arm64-6.1 arm64-6.12-nosmmu
LAB_X86 = $(filter-out arm64-%,$(LAB))
LAB_ARM64 = $(filter arm64-%,$(LAB))
# the VMM scenario adds its configurations (vmm-intel-6.12 vmm-amd-6.12)
-include tests/lab/vmm/vmm.mk
LAB_OUT := .output/lab
LAB_CFLAGS := -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE

.PHONY: lab lab-build core-check

# The guest gets a static irqtrail: it has no libbpf, libelf or zlib.  Built
# from the non-sanitizer objects whatever SAN says (link-static.sh explains
# what it leaves out).
LAB_USER_OBJS = $(patsubst user/%.c,.output/user/%.o,$(wildcard user/*.c))
$(LAB_OUT)/irqtrail: FORCE_LAB_OBJS
	$(Q)$(MAKE) --no-print-directory SAN=0 irqtrail
	$(Q)mkdir -p $(@D)
	$(call msg,LINK,$@)CC=$(CC) bash tests/lab/link-static.sh $@ .output/libirqtrail.a $(LAB_USER_OBJS)

.PHONY: FORCE_LAB_OBJS
FORCE_LAB_OBJS:

$(LAB_OUT)/labdev: tests/lab/src/labdev.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(LAB_CFLAGS) -static $< -o $@

$(LAB_OUT)/labkvm: tests/lab/src/labkvm.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(LAB_CFLAGS) -static $< -o $@

$(LAB_OUT)/core_check: tests/lab/core_check.c
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)$(CC) $(LAB_CFLAGS) -g $< -lbpf -lelf -lz -o $@

lab-build: $(LAB_OUT)/irqtrail $(LAB_OUT)/labdev $(LAB_OUT)/labkvm

include tests/lab/arm64/lab.mk

lab: $(if $(LAB_X86),lab-build) $(if $(LAB_ARM64),lab-build-arm64)
	$(Q)rc=0; \
	$(if $(LAB_X86),LAB_CACHE=$(LAB_CACHE) LAB_OUT=$(CURDIR)/$(LAB_OUT) bash tests/lab/run.sh $(LAB_X86) || rc=1;) \
	$(if $(LAB_ARM64),$(call lab-arm64-run,$(LAB_ARM64)) || rc=1;) \
	exit $$rc

core-check: $(LAB_OUT)/core_check $(OUTPUT)/full.bpf.o $(OUTPUT)/irqtrail.bpf.o $(OUTPUT)/iter.bpf.o
	$(Q)LAB_CACHE=$(LAB_CACHE) bash tests/lab/core-check.sh $(LAB_OUT)/core_check $(OUTPUT)/full.bpf.o $(OUTPUT)/irqtrail.bpf.o $(OUTPUT)/iter.bpf.o

# Copy the recordings of the last 6.12 lab runs into examples/ (small trace
# files with real IRTE traffic for replay, the dashboard and the rules).
.PHONY: lab-examples
lab-examples:
	$(Q)for v in intel amd; do \
		f=$(LAB_OUT)/runs/$$v-6.12/out/lab.itr; \
		[ -s $$f ] || { echo "no $$f: run 'make lab' first" >&2; exit 1; }; \
		cp $$f examples/lab-$$v-6.12.itr; echo "  CP       examples/lab-$$v-6.12.itr"; \
	done

# The CO-RE check is part of `make check` (root: it loads programs).
CHECK_ROOT_TARGETS += core-check
