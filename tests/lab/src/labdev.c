// SPDX-License-Identifier: GPL-2.0-only
/*
 * labdev: drives QEMU's emulated edu (MSI) and e1000e (MSI-X) through VFIO
 * inside the lab guest, and reads what the device itself holds.
 *
 *   labdev run BDF edu|e1000e [-n VECTORS] [-c CTLFIFO]
 *       open the device through VFIO, enable its MSI / MSI-X vectors with
 *       eventfds, then obey commands, one a line, from CTLFIFO (or stdin):
 *         fire N     raise N interrupts (round robin over the vectors) and
 *                    wait for each eventfd; prints "FIRED k/N vector-counts"
 *         off        disable the vectors (VFIO_DEVICE_SET_IRQS, count 0)
 *         quit       disable and exit
 *       prints "READY irqs=..." once the vectors are enabled.
 *   labdev msix BDF   the MSI-X table as the device holds it (BAR mmap)
 *   labdev msi BDF    the MSI capability's address/data (config space)
 *
 * Output lines start with "LABDEV" so the host can find them in the log.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAXV 8

static void die(const char *what)
{
	fprintf(stderr, "labdev: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct dev {
	int container, group, fd;
	struct vfio_region_info cfg, bar0;
	bool msix;
	int nv;
	int efd[MAXV];
	unsigned long fired[MAXV];
};

static void cfg_rw(struct dev *d, void *buf, size_t n, off_t off, bool wr)
{
	ssize_t r = wr ? pwrite(d->fd, buf, n, (off_t)d->cfg.offset + off) : pread(d->fd, buf, n, (off_t)d->cfg.offset + off);

	if (r != (ssize_t)n)
		die("config space access");
}

static void bar0_w32(struct dev *d, uint64_t off, uint32_t v)
{
	if (pwrite(d->fd, &v, 4, (off_t)(d->bar0.offset + off)) != 4)
		die("BAR0 write");
}

static int set_irqs(struct dev *d, int n)
{
	char buf[sizeof(struct vfio_irq_set) + MAXV * sizeof(int)];
	struct vfio_irq_set *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = sizeof(*s) + n * sizeof(int);
	s->index = d->msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
	s->count = n;
	s->flags = VFIO_IRQ_SET_ACTION_TRIGGER | (n ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE);
	memcpy(s->data, d->efd, n * sizeof(int));
	return ioctl(d->fd, VFIO_DEVICE_SET_IRQS, s);
}

static void open_dev(struct dev *d, const char *bdf)
{
	char path[256], link[256];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	ssize_t n;

	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		die("open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("iommu_group link");
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		die("open group");
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &gs) || !(gs.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group not viable");
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("VFIO_SET_IOMMU");
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	d->cfg.argsz = sizeof(d->cfg);
	d->cfg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	d->bar0.argsz = sizeof(d->bar0);
	d->bar0.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->cfg) || ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->bar0))
		die("VFIO_DEVICE_GET_REGION_INFO");
}

/* e1000e causes routed to MSI-X vectors 0..4 (IVAR), and the ICS bit of each */
static const uint32_t e1000e_cause[5] = { 0x00100000, 0x00200000, 0x00400000, 0x00800000, 0x01000004 };

static void fire(struct dev *d, int n)
{
	unsigned long got = 0, per[MAXV] = { 0 };

	for (int i = 0; i < n; i++) {
		int v = d->msix ? i % d->nv : 0;
		struct pollfd p = { .fd = d->efd[v], .events = POLLIN };
		uint64_t cnt;

		if (d->msix)
			bar0_w32(d, 0xC8 /* ICS */, e1000e_cause[v]);
		else
			bar0_w32(d, 0x60 /* raise */, 1);
		if (poll(&p, 1, 2000) == 1 && read(d->efd[v], &cnt, 8) == 8) {
			got++;
			per[v] += cnt;
			d->fired[v] += cnt;
		}
		if (d->msix)
			bar0_w32(d, 0xC0 /* ICR: write 1s to clear */, 0xffffffff);
		else
			bar0_w32(d, 0x64 /* ack */, 1);
	}
	printf("LABDEV FIRED %lu/%d", got, n);
	for (int v = 0; v < d->nv; v++)
		printf(" v%d=%lu", v, per[v]);
	printf("\n");
	fflush(stdout);
}

static int cmd_run(const char *bdf, const char *kind, int argc, char **argv)
{
	struct dev d = { 0 };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	const char *ctl = NULL;
	int want = 5, opt;
	uint16_t cmd;
	FILE *in = stdin;
	char line[128];

	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n')
			want = atoi(optarg);
		else if (opt == 'c')
			ctl = optarg;
		else
			return 2;
	}
	d.msix = !strcmp(kind, "e1000e");
	open_dev(&d, bdf);
	ii.index = d.msix ? VFIO_PCI_MSIX_IRQ_INDEX : VFIO_PCI_MSI_IRQ_INDEX;
	if (ioctl(d.fd, VFIO_DEVICE_GET_IRQ_INFO, &ii) || !ii.count)
		die("VFIO_DEVICE_GET_IRQ_INFO");
	d.nv = d.msix ? (int)(ii.count < (unsigned)want ? ii.count : (unsigned)want) : 1;
	if (d.nv > MAXV)
		d.nv = MAXV;
	if (d.msix && d.nv > 5)
		d.nv = 5;
	/* QEMU drops MSIs of a device that is not bus master */
	cfg_rw(&d, &cmd, 2, PCI_COMMAND, false);
	cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	cfg_rw(&d, &cmd, 2, PCI_COMMAND, true);
	for (int i = 0; i < d.nv; i++)
		d.efd[i] = eventfd(0, EFD_NONBLOCK);
	if (set_irqs(&d, d.nv))
		die("VFIO_DEVICE_SET_IRQS enable");
	if (d.msix) {
		/* IVAR: RxQ0->0, RxQ1->1, TxQ0->2, TxQ1->3, Other->4, each valid */
		bar0_w32(&d, 0xE4, 0x8 | (0x9 << 4) | (0xA << 8) | (0xB << 12) | (0xC << 16) | (1u << 31));
		bar0_w32(&d, 0x0C /* IAM */, 0);
		bar0_w32(&d, 0xD0 /* IMS */, 0x01F00000 | 0x80 | 0x1 | 0x4);
	}
	printf("LABDEV READY %s %s vectors=%d\n", bdf, kind, d.nv);
	fflush(stdout);
	if (ctl && !(in = fopen(ctl, "r")))
		die("open control fifo");
	while (fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "fire", 4)) {
			fire(&d, atoi(line + 4));
		} else if (!strncmp(line, "off", 3)) {
			if (set_irqs(&d, 0))
				die("VFIO_DEVICE_SET_IRQS disable");
			printf("LABDEV OFF\n");
			fflush(stdout);
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	set_irqs(&d, 0);
	printf("LABDEV DONE total");
	for (int v = 0; v < d.nv; v++)
		printf(" v%d=%lu", v, d.fired[v]);
	printf("\n");
	return 0;
}

/* Find a capability in config space read through sysfs. */
static int find_cap(const uint8_t *cfg, size_t len, uint8_t id)
{
	unsigned int pos = cfg[PCI_CAPABILITY_LIST] & ~3u;

	for (int i = 0; pos && pos + 1 < len && i < 48; i++) {
		if (cfg[pos] == id)
			return (int)pos;
		pos = cfg[pos + 1] & ~3u;
	}
	return -1;
}

static size_t read_config(const char *bdf, uint8_t *cfg, size_t len)
{
	char path[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open config");
	n = pread(fd, cfg, len, 0);
	close(fd);
	if (n < 64)
		die("read config");
	return (size_t)n;
}

static int cmd_msix(const char *bdf)
{
	uint8_t cfg[256];
	size_t len = read_config(bdf, cfg, sizeof(cfg));
	int pos = find_cap(cfg, len, PCI_CAP_ID_MSIX), fd;
	uint32_t table, bir, off;
	uint16_t ctrl;
	char path[256];
	long pg = sysconf(_SC_PAGESIZE);
	volatile uint32_t *t;
	void *map;

	if (pos < 0) {
		printf("LABDEV MSIX %s none\n", bdf);
		return 1;
	}
	memcpy(&ctrl, cfg + pos + PCI_MSIX_FLAGS, 2);
	memcpy(&table, cfg + pos + PCI_MSIX_TABLE, 4);
	bir = table & PCI_MSIX_TABLE_BIR;
	off = table & PCI_MSIX_TABLE_OFFSET;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%u", bdf, bir);
	fd = open(path, O_RDONLY | O_SYNC);
	if (fd < 0)
		die("open BAR resource");
	map = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, off & ~(uint32_t)(pg - 1));
	if (map == MAP_FAILED)
		die("mmap BAR resource");
	t = (volatile uint32_t *)((char *)map + (off & (uint32_t)(pg - 1)));
	printf("LABDEV MSIX %s enabled=%d size=%u\n", bdf, !!(ctrl & PCI_MSIX_FLAGS_ENABLE), (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1);
	for (unsigned int i = 0; i <= (ctrl & PCI_MSIX_FLAGS_QSIZE) && i < 64; i++)
		printf("LABDEV MSIX_ENTRY %s %u addr_lo=0x%08x addr_hi=0x%08x data=0x%08x ctrl=0x%08x\n", bdf, i, t[i * 4],
		       t[i * 4 + 1], t[i * 4 + 2], t[i * 4 + 3]);
	munmap(map, (size_t)pg);
	close(fd);
	return 0;
}

static int cmd_msi(const char *bdf)
{
	uint8_t cfg[256];
	size_t len = read_config(bdf, cfg, sizeof(cfg));
	int pos = find_cap(cfg, len, PCI_CAP_ID_MSI);
	uint16_t flags, data;
	uint32_t lo, hi = 0;

	if (pos < 0) {
		printf("LABDEV MSI %s none\n", bdf);
		return 1;
	}
	memcpy(&flags, cfg + pos + PCI_MSI_FLAGS, 2);
	memcpy(&lo, cfg + pos + PCI_MSI_ADDRESS_LO, 4);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		memcpy(&hi, cfg + pos + PCI_MSI_ADDRESS_HI, 4);
		memcpy(&data, cfg + pos + PCI_MSI_DATA_64, 2);
	} else {
		memcpy(&data, cfg + pos + PCI_MSI_DATA_32, 2);
	}
	printf("LABDEV MSI %s enabled=%d addr_lo=0x%08x addr_hi=0x%08x data=0x%04x\n", bdf, !!(flags & PCI_MSI_FLAGS_ENABLE),
	       lo, hi, data);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "run"))
		return cmd_run(argv[2], argv[3], argc - 3, argv + 3);
	if (argc == 3 && !strcmp(argv[1], "msix"))
		return cmd_msix(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "msi"))
		return cmd_msi(argv[2]);
	fprintf(stderr, "usage: labdev run BDF edu|e1000e [-n N] [-c FIFO] | msix BDF | msi BDF\n");
	return 2;
}
