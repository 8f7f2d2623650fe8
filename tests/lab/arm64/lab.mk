# SPDX-License-Identifier: GPL-2.0-only
# The arm64 lab (tests/lab/arm64), included by tests/lab/lab.mk: Debian arm64
# kernels under qemu-system-aarch64 (GICv3 ITS + SMMUv3), the cross-built
# static irqtrail and labdev inside.
#
#   make lab LAB="arm64-6.12 arm64-6.1"     (part of the default LAB list)
#   make lab LAB=arm64-6.12-nosmmu          negative control: no SMMU (in the default list)
#   make lab-build-arm64                     the arm64 guest binaries only

LAB_ARM64_OUT := .output-arm64/lab

.PHONY: lab-build-arm64 FORCE_LAB_ARM64
FORCE_LAB_ARM64:

$(LAB_ARM64_OUT)/irqtrail: FORCE_LAB_ARM64
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 SAN=0 OUTPUT=.output-arm64 .output-arm64/irqtrail
	$(Q)mkdir -p $(@D)
	$(Q)cp .output-arm64/irqtrail $@

# after irqtrail: its build installs the cross compiler when missing
$(LAB_ARM64_OUT)/labdev: tests/lab/src/labdev.c | $(LAB_ARM64_OUT)/irqtrail
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)aarch64-linux-gnu-gcc $(LAB_CFLAGS) -static $< -o $@

lab-build-arm64: $(LAB_ARM64_OUT)/irqtrail $(LAB_ARM64_OUT)/labdev

# called by the lab target with the arm64 configurations of $(LAB)
lab-arm64-run = LAB_CACHE=$(LAB_CACHE) LAB_OUT=$(CURDIR)/$(LAB_ARM64_OUT) bash tests/lab/arm64/run.sh $(1)

# Copy the arm64 lab's recordings into examples/ (ITS routes with the doorbell
# IOVA; the no-SMMU control with the physical doorbell and IRT031).
.PHONY: lab-examples-arm64
lab-examples-arm64:
	$(Q)for c in arm64-6.12 arm64-6.12-nosmmu; do \
		f=$(LAB_ARM64_OUT)/runs/$$c/out/lab.itr; \
		[ -s $$f ] || { echo "no $$f: run 'make lab LAB=$$c' first" >&2; exit 1; }; \
		cp $$f examples/lab-$$c.itr; echo "  CP       examples/lab-$$c.itr"; \
	done
