# SPDX-License-Identifier: GPL-2.0-only
# The VMM scenario of the lab (tests/lab/vmm): Debian's qemu-system-x86_64
# inside the lab guest passes the emulated e1000e through vfio-pci to a
# nested guest; irqtrail in the lab guest explains it.  Run by `make lab`
# (configurations vmm-intel-6.12 and vmm-amd-6.12, about 2-3 minutes each).
# The lab guest carries this host's QEMU binary, its libraries and firmware.
DEPS_PKGS += qemu-system-x86 busybox-static
LAB += vmm-intel-6.12 vmm-amd-6.12

# Copy the last vmm-intel-6.12 run's recording into examples/.
.PHONY: lab-vmm-example
lab-vmm-example:
	$(Q)f=$(LAB_OUT)/runs/vmm-intel-6.12/out/good.itr; \
	[ -s $$f ] || { echo "no $$f: run 'make lab LAB=vmm-intel-6.12' first" >&2; exit 1; }; \
	cp $$f examples/vmm-passthrough.itr; echo "  CP       examples/vmm-passthrough.itr"
