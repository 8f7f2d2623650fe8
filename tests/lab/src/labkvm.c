// SPDX-License-Identifier: GPL-2.0-only
/*
 * labkvm: a minimal VMM for the lab guest (kvm_amd under TCG's nested SVM).
 * It drives the KVM paths irqtrail hooks and prints what it did, so the
 * host can compare irqtrail's account with the VMM's own:
 *
 *   labkvm [-h HYPERCALLS] [-m SIGNAL_MSIS] [-w IRQFD_WRITES] [-e EDU_BDF -f EDU_IRQS]
 *   labkvm -S STOPFILE
 *   labkvm -A BDF       (a device bound to vfio-pci: every MSI-X vector at once)
 *
 *   hypercalls   a real-mode loop "vmmcall; out 0x10,al; jmp" with rax = 0x77
 *                (an unknown hypercall: KVM answers -KVM_ENOSYS)
 *   signal msis  KVM_SIGNAL_MSI to APIC 0, vector 0x30
 *   irqfd        an eventfd bound with KVM_IRQFD to GSI 30 (MSI route)
 *   edu          the edu device's VFIO MSI eventfd bound to GSI 31: device
 *                interrupts reach KVM through vfio_msihandler -> irqfd;
 *                before it, a SET_IRQS naming an fd that is not open
 *
 * -S: a VM set up and left standing (for irqtrail started afterwards, which
 * can only know it through its start-up VM state reader): an irqchip route
 * and four MSI routes, three irqfds (one eventfd moved to another fd number
 * after binding), then "LABKVM READY"; it exits when STOPFILE appears (or after
 * 600 s).  It prints its own account of each route (message and decode) and
 * irqfd.
 *
 * Lines start with "LABKVM".
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "labkvm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int vm;

static void routes(void)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[2];
	} rt;

	memset(&rt, 0, sizeof(rt));
	rt.r.nr = 2;
	for (int i = 0; i < 2; i++) {
		rt.e[i].gsi = 30 + i;
		rt.e[i].type = KVM_IRQ_ROUTING_MSI;
		rt.e[i].u.msi.address_lo = 0xfee00000;
		rt.e[i].u.msi.data = 0x40 + i;
	}
	if (ioctl(vm, KVM_SET_GSI_ROUTING, &rt))
		die("KVM_SET_GSI_ROUTING");
}

/* The guest's own account of the VFIO vector: its /proc/interrupts line. */
static void irq_line(const char *tag, const char *bdf)
{
	char line[512], pat[96];
	FILE *f = fopen("/proc/interrupts", "r");

	snprintf(pat, sizeof(pat), "vfio-msi[0](%s)", bdf);
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, pat))
			printf("LABKVM %s %s", tag, line);
	if (f)
		fclose(f);
}

static void edu_irqfd(const char *bdf, int nirq)
{
	char path[256], link[256];
	int container, group, dev, efd;
	ssize_t n;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct kvm_device_attr at = { .group = KVM_DEV_VFIO_GROUP, .attr = KVM_DEV_VFIO_GROUP_ADD };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info bar = { .argsz = sizeof(bar), .index = VFIO_PCI_BAR0_REGION_INDEX };
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *s = (void *)buf;
	struct kvm_irqfd irqfd = { .gsi = 31 };
	uint32_t one = 1;
	uint16_t cmd;

	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (container < 0 || n < 0)
		die("vfio container / group");
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("vfio group");
	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		die("KVM_CREATE_DEVICE(VFIO)");
	at.addr = (uintptr_t)&group;
	if (ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &at))
		die("KVM_DEV_VFIO_GROUP_ADD");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0 || ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &cfg) || ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &bar))
		die("vfio device");
	if (pread(dev, &cmd, 2, (off_t)cfg.offset + PCI_COMMAND) != 2)
		die("config read");
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	if (pwrite(dev, &cmd, 2, (off_t)cfg.offset + PCI_COMMAND) != 2)
		die("config write");
	efd = eventfd(0, 0);
	irqfd.fd = efd;
	if (ioctl(vm, KVM_IRQFD, &irqfd))
		die("KVM_IRQFD(vfio)");
	/* first a trigger on an fd that is not open: the kernel allocates the
	 * vector, fails to take the eventfd and unwinds; irqtrail must report
	 * the failure with the kernel's error code */
	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->count = 1;
	{
		int badfd = 1000, r;

		close(badfd);
		memcpy(s->data, &badfd, sizeof(int));
		r = ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
		printf("LABKVM SET_IRQS_BAD bdf=%s fd=%d ret=%d errno=%d\n", bdf, badfd, r, r < 0 ? errno : 0);
	}
	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(buf);
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->count = 1;
	memcpy(s->data, &efd, sizeof(int));
	if (ioctl(dev, VFIO_DEVICE_SET_IRQS, s))
		die("VFIO_DEVICE_SET_IRQS");
	irq_line("EDU_IRQ_BEFORE", bdf);
	for (int i = 0; i < nirq; i++) {
		if (pwrite(dev, &one, 4, (off_t)bar.offset + 0x60) != 4)
			die("edu raise");
		usleep(5000);
		if (pwrite(dev, &one, 4, (off_t)bar.offset + 0x64) != 4)
			die("edu ack");
	}
	usleep(20000);
	irq_line("EDU_IRQ_AFTER", bdf);
	printf("LABKVM EDU_IRQFD bdf=%s gsi=31 raised=%d\n", bdf, nirq);
	s->argsz = sizeof(*s);
	s->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->count = 0;
	ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	ioctl(vm, KVM_IRQFD, &irqfd);
	close(dev);
	close(efd);
}

/* -A: ask VFIO for every MSI-X vector of a device whose table is larger
 * than what the guest can give (per-device IRTE table, vector matrix): the
 * allocation fails somewhere in the irqdomain chain or at activation, and
 * VFIO_DEVICE_SET_IRQS returns the error. */
static int alloc_many(const char *bdf)
{
	char path[256], link[256];
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct vfio_irq_set *s, off = { .argsz = sizeof(off), .index = VFIO_PCI_MSIX_IRQ_INDEX,
					 .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER };
	int container, group, dev, r, e;
	ssize_t n;

	container = open("/dev/vfio/vfio", O_RDWR);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (container < 0 || n < 0)
		die("vfio container / group");
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("vfio group");
	dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0 || ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &info))
		die("vfio device");
	s = calloc(1, sizeof(*s) + info.count * sizeof(int));
	if (!s)
		die("calloc");
	s->argsz = (uint32_t)(sizeof(*s) + info.count * sizeof(int));
	s->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSIX_IRQ_INDEX;
	s->count = info.count;
	for (uint32_t i = 0; i < info.count; i++) {
		int efd = eventfd(0, 0);

		if (efd < 0)
			die("eventfd");
		memcpy((char *)s->data + i * sizeof(int), &efd, sizeof(int));
	}
	r = ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
	e = r < 0 ? errno : 0;
	printf("LABKVM ALLOC_MANY bdf=%s vectors=%u ret=%d errno=%d\n", bdf, info.count, r, e);
	ioctl(dev, VFIO_DEVICE_SET_IRQS, &off);
	free(s);
	close(dev);
	return 0;
}

/* -S: the standing VM */
static int standing(const char *stop)
{
	static const struct {
		uint32_t gsi, lo, hi, data;
		int irqfd;	/* 0 none, 1 bound, 2 bound then its eventfd moved to fd 40 */
	} rt[] = {
		{ 24, 0xfee00000, 0, 0x0031, 1 },
		{ 25, 0xfee01000, 0, 0x0042, 1 },
		{ 26, 0xfee0300c, 0, 0xc053, 2 },	/* logical, redirection hint; level */
		{ 27, 0xfee02000, 0, 0x0064, 0 },
	};
	enum { N = sizeof(rt) / sizeof(rt[0]) };
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[N + 1];
	} t;
	int kvm;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	memset(&t, 0, sizeof(t));
	t.r.nr = N + 1;
	/* one non-MSI entry: GSI 5 on IOAPIC pin 5 (not an MSI route) */
	t.e[0].gsi = 5;
	t.e[0].type = KVM_IRQ_ROUTING_IRQCHIP;
	t.e[0].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
	t.e[0].u.irqchip.pin = 5;
	for (int i = 0; i < N; i++) {
		t.e[i + 1].gsi = rt[i].gsi;
		t.e[i + 1].type = KVM_IRQ_ROUTING_MSI;
		t.e[i + 1].u.msi.address_lo = rt[i].lo;
		t.e[i + 1].u.msi.address_hi = rt[i].hi;
		t.e[i + 1].u.msi.data = rt[i].data;
	}
	if (ioctl(vm, KVM_SET_GSI_ROUTING, &t))
		die("KVM_SET_GSI_ROUTING");
	printf("LABKVM STANDING pid=%d vmfd=%d entries=%d\n", (int)getpid(), vm, N + 1);
	for (int i = 0; i < N; i++) {
		/* the VMM's own decode of its message (x86 MSI format) */
		printf("LABKVM ROUTE gsi=%u address=0x%llx data=0x%x dest=%u vector=0x%x dest_mode=%s trigger=%s\n",
		       rt[i].gsi, (unsigned long long)rt[i].hi << 32 | rt[i].lo, rt[i].data, (rt[i].lo >> 12) & 0xff,
		       rt[i].data & 0xff, rt[i].lo & 4 ? "logical" : "physical", rt[i].data & 0x8000 ? "level" : "edge");
	}
	for (int i = 0; i < N; i++) {
		struct kvm_irqfd q = { .gsi = rt[i].gsi };
		int efd;

		if (!rt[i].irqfd)
			continue;
		efd = eventfd(0, 0);
		if (efd < 0)
			die("eventfd");
		q.fd = (uint32_t)efd;
		if (ioctl(vm, KVM_IRQFD, &q))
			die("KVM_IRQFD");
		if (rt[i].irqfd == 2) {
			/* the same eventfd under another number (closing the
			 * last fd would hang up the irqfd): the reader must
			 * name it by what the process holds now */
			if (dup2(efd, 40) != 40)
				die("dup2");
			close(efd);
			efd = 40;
		}
		printf("LABKVM IRQFD_BOUND gsi=%u eventfd=%d\n", rt[i].gsi, efd);
	}
	printf("LABKVM READY\n");
	for (int i = 0; i < 6000 && access(stop, F_OK); i++)
		usleep(100000);
	printf("LABKVM STANDING DONE\n");
	return 0;
}

int main(int argc, char **argv)
{
	int nhc = 4, nmsi = 3, nwr = 3, nedu = 5, opt;
	const char *edu = NULL;
	struct kvm_userspace_memory_region reg = { .slot = 0, .memory_size = 0x10000 };
	/* 0x1000: vmmcall; out 0x10, al; jmp 0x1000 */
	static const uint8_t code[] = { 0x0f, 0x01, 0xd9, 0xe6, 0x10, 0xeb, 0xf9 };
	struct kvm_sregs sr;
	struct kvm_regs r;
	struct kvm_run *run;
	int kvm, vcpu, efd, handled = 0, rsz;
	long long result = 0;
	uint8_t *mem;
	uint64_t one = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "h:m:w:e:f:S:A:")) != -1) {
		switch (opt) {
		case 'A': return alloc_many(optarg);
		case 'S': return standing(optarg);
		case 'h': nhc = atoi(optarg); break;
		case 'm': nmsi = atoi(optarg); break;
		case 'w': nwr = atoi(optarg); break;
		case 'e': edu = optarg; break;
		case 'f': nedu = atoi(optarg); break;
		default: return 2;
		}
	}
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		die("open /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	reg.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg))
		die("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	rsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)rsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	memcpy(mem + 0x1000, code, sizeof(code));
	if (ioctl(vcpu, KVM_GET_SREGS, &sr))
		die("KVM_GET_SREGS");
	sr.cs.base = 0;
	sr.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sr))
		die("KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rip = 0x1000;
	r.rflags = 2;
	r.rax = 0x77;
	r.rbx = 0x1111;
	if (ioctl(vcpu, KVM_SET_REGS, &r))
		die("KVM_SET_REGS");
	for (int i = 0; i < nhc; i++) {
		if (ioctl(vcpu, KVM_RUN, 0))
			die("KVM_RUN");
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10)
			break;
		if (ioctl(vcpu, KVM_GET_REGS, &r))
			die("KVM_GET_REGS");
		if (r.rax != 0x77) {	/* KVM wrote the hypercall's result */
			handled++;
			result = (long long)r.rax;
		}
		r.rax = 0x77;
		if (ioctl(vcpu, KVM_SET_REGS, &r))
			die("KVM_SET_REGS");
	}
	printf("LABKVM HYPERCALLS nr=0x77 a0=0x1111 executed=%d handled=%d result=%lld\n", nhc, handled, result);

	for (int i = 0; i < nmsi; i++) {
		struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x30 };

		if (ioctl(vm, KVM_SIGNAL_MSI, &msi) < 0)
			die("KVM_SIGNAL_MSI");
	}
	printf("LABKVM SIGNAL_MSI count=%d address=0xfee00000 data=0x30\n", nmsi);

	routes();
	efd = eventfd(0, 0);
	{
		struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = 30 };

		if (ioctl(vm, KVM_IRQFD, &irqfd))
			die("KVM_IRQFD");
	}
	for (int i = 0; i < nwr; i++) {
		if (write(efd, &one, 8) != 8)
			die("eventfd write");
		usleep(2000);
	}
	printf("LABKVM IRQFD gsi=30 writes=%d address=0xfee00000 data=0x40\n", nwr);
	if (edu)
		edu_irqfd(edu, nedu);
	printf("LABKVM DONE\n");
	return 0;
}
