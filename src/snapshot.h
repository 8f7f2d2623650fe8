// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail start-up snapshot: the interrupt routing state that existed before
 * the tool started, read from procfs, sysfs and debugfs.
 *
 * Every reader takes a root directory prefix: "" or "/" reads the live
 * system, any other directory is treated as a captured tree laid out like the
 * live one (tests use tests/fixtures/<machine>/).  A reader never aborts on a
 * missing or unreadable file: the section is marked unknown and the reason is
 * kept as text (struct it_snap_src) for `doctor` and `explain`.
 *
 * Pure C, libc only.  All arrays are sized dynamically.
 */
#ifndef IRQTRAIL_SNAPSHOT_H
#define IRQTRAIL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "dddd:bb:dd.f" plus NUL; PCI domains of up to 7 hex digits fit. */
#define IT_BDF_LEN 16
#define IT_REASON_LEN 192

/* Status of one snapshot source: known, or unknown with the reason. */
struct it_snap_src {
	bool known;			/* data was read (possibly partially) */
	int err;			/* errno of the first failure, 0 if none */
	char reason[IT_REASON_LEN];	/* "" when fully read */
};

/* ---- CPU masks ---------------------------------------------------------- */

/* A growable CPU bitmask (no fixed CPU limit). Zero-initialise before use. */
struct it_cpumask {
	uint64_t *bits;
	size_t nwords;
};

/* Largest CPU number accepted from input (a sanity bound, reported as an
 * error rather than truncated). */
#define IT_CPU_MAX 1048575

int it_cpumask_set(struct it_cpumask *m, unsigned cpu);	/* 0 / -ENOMEM / -ERANGE */
bool it_cpumask_test(const struct it_cpumask *m, unsigned cpu);
unsigned it_cpumask_weight(const struct it_cpumask *m);
int it_cpumask_first(const struct it_cpumask *m);	/* -1 when empty */
int it_cpumask_next(const struct it_cpumask *m, int prev); /* -1 at end */
bool it_cpumask_equal(const struct it_cpumask *a, const struct it_cpumask *b);
void it_cpumask_clear(struct it_cpumask *m);
void it_cpumask_free(struct it_cpumask *m);
/* Parse a kernel cpulist ("0-3,8,10-11", "" or "(null)" = empty).
 * The mask is cleared first.  0 on success, -EINVAL / -ERANGE / -ENOMEM. */
int it_cpulist_parse(const char *s, struct it_cpumask *m);
/* Parse a kernel hex mask ("ff", "00000001,00000000"). */
int it_cpumask_parse_hex(const char *s, struct it_cpumask *m);
/* Format as a cpulist into buf; returns the length it needed (snprintf-like). */
int it_cpulist_format(const struct it_cpumask *m, char *buf, size_t len);

/* ---- /proc/interrupts ---------------------------------------------------- */

enum it_irq_kind {
	IT_IRQ_OTHER = 0,
	IT_IRQ_MSI,
	IT_IRQ_MSIX,
	IT_IRQ_IMS,
	IT_IRQ_IOAPIC,
};

enum it_trigger {
	IT_TRIG_UNKNOWN = 0,
	IT_TRIG_EDGE,
	IT_TRIG_LEVEL,
};

const char *it_irq_kind_str(enum it_irq_kind k);	/* "msi", "msix", ... */
const char *it_trigger_str(enum it_trigger t);		/* "edge", "level", "?" */

/* One numbered row of /proc/interrupts. */
struct it_irq {
	int irq;			/* Linux IRQ number */
	uint64_t *counts;		/* [ncounts], in the header's CPU order */
	size_t ncounts;			/* == snapshot ncpus unless the row was short */
	uint64_t total;
	char *chip;			/* "IR-PCI-MSIX-0000:00:03.0", never NULL */
	bool has_hwirq;
	uint64_t hwirq;
	char flow[16];			/* "edge", "fasteoi", ... or "" */
	enum it_trigger trigger;
	char *handler;			/* action name(s) as printed, "" if none */
	/* derived */
	enum it_irq_kind kind;
	bool remapped;			/* IR- prefix, INTEL-IR or AMD-IR chip */
	bool its;			/* ARM GIC ITS (ITS- prefix) */
	char bdf[IT_BDF_LEN];		/* device, from the chip name or msi_irqs; "" */
	int msi_entry;			/* MSI/MSI-X table index, -1 if unknown */
	bool vfio;			/* handler is vfio-msi[x][N](BDF) */
	bool vfio_msix;
	int vfio_entry;			/* N, -1 if not vfio */
	char vfio_bdf[IT_BDF_LEN];
};

/* A symbolic row (NMI, LOC, ERR, IPI0, ...). */
struct it_arch_irq {
	char name[16];
	uint64_t *counts;
	size_t ncounts;			/* ERR/MIS have one total, not per CPU */
	uint64_t total;
	char *desc;			/* "Local timer interrupts", "" if none */
};

/*
 * Parse a VFIO IRQ name "vfio-msi[N](BDF)" / "vfio-msix[N](BDF)".
 * Returns 0 and fills entry, bdf and msix (1 for MSI-X, 0 for MSI) on a
 * match, -1 otherwise (outputs untouched).  Any of the outputs may be NULL.
 */
int it_parse_vfio_irq_name(const char *name, int *entry, char bdf[16], int *msix);
/* "vfio-intx(BDF)": 0 and bdf on a match, -1 otherwise. */
int it_parse_vfio_intx_name(const char *name, char bdf[16]);
/* Validate/normalise a PCI address "dddd:bb:dd.f" (lower-case hex);
 * 0 on success. */
int it_bdf_parse(const char *s, size_t len, char out[IT_BDF_LEN]);

/* ---- /sys/bus/pci/devices ------------------------------------------------ */

struct it_msi_irq {
	int irq;
	enum it_irq_kind mode;		/* IT_IRQ_MSI or IT_IRQ_MSIX (OTHER if unreadable) */
};

struct it_pci_dev {
	char bdf[IT_BDF_LEN];
	bool ids_known;
	uint16_t vendor, device;
	char *driver;			/* bound driver name, NULL if none/unknown */
	int iommu_group;		/* -1 if none/unknown */
	struct it_msi_irq *msi;		/* sorted by irq */
	size_t nmsi;
	bool msi_known;			/* msi_irqs directory was readable */
};

/* ---- /proc/irq/N ---------------------------------------------------------- */

struct it_irq_aff {
	int irq;
	bool smp_list_known, eff_list_known, smp_hex_known, eff_hex_known;
	struct it_cpumask smp_affinity;		/* smp_affinity_list */
	struct it_cpumask effective;		/* effective_affinity_list */
	struct it_cpumask smp_affinity_hex;	/* smp_affinity */
	struct it_cpumask effective_hex;	/* effective_affinity */
	char *reason;			/* unreadable files of this IRQ, NULL if none */
};

/* ---- CPUs ------------------------------------------------------------------ */

struct it_cpus {
	struct it_cpumask online, isolated, nohz_full;
	struct it_snap_src online_src, isolated_src, nohz_full_src;
};

/* ---- interrupt remapping ------------------------------------------------- */

enum it_ir_mode {
	IT_IR_UNKNOWN = 0,
	IT_IR_NONE,
	IT_IR_INTEL,
	IT_IR_AMD,
	IT_IR_ARM_ITS,
	IT_IR_OTHER,		/* remapped (IR- chips), vendor not identified */
};

enum it_apic_mode {
	IT_APIC_UNKNOWN = 0,
	IT_APIC_XAPIC,
	IT_APIC_X2APIC,
};

struct it_ir_info {
	enum it_ir_mode mode;
	enum it_apic_mode apic;
	char text[48];			/* "DMAR-IR (xapic)", "AMD-Vi", "none", ... */
	bool iommu_present;		/* an IOMMU was seen (even with IR off) */
	char evidence[IT_REASON_LEN];	/* what the decision rests on */
	struct it_snap_src src;
};

const char *it_ir_mode_str(enum it_ir_mode m);	/* "unknown", "none", "intel", ... */
const char *it_apic_mode_str(enum it_apic_mode m);

/*
 * Detect the interrupt-remapping mode from <root>/sys/class/iommu (dmar*,
 * ivhd*) and the chip names in <root>/proc/interrupts (IR-, ITS-, DMAR-MSI,
 * the AMD-Vi IRQ), plus a kernel log: <root>/dmesg-iommu.txt for a captured
 * root, /dev/kmsg (best effort) for the live system.  Writes a text into buf
 * ("DMAR-IR (xapic)", "DMAR-IR (x2apic)", "AMD-Vi", "GICv3 ITS", "none",
 * "unknown") and returns the enum it_ir_mode.
 */
int it_ir_mode_detect(const char *root, char *buf, size_t len);
/* The same with an explicit kernel-log excerpt file (dmesg_path, NULL for
 * none; /dev/kmsg is not read), filling the full result. */
int it_ir_detect(const char *root, const char *dmesg_path, struct it_ir_info *out);

/* ---- IRTE dumps (debugfs) ------------------------------------------------ */

enum it_irte_fmt {
	IT_IRTE_FMT_NONE = 0,
	IT_IRTE_FMT_INTEL,		/* /sys/kernel/debug/iommu/intel/ir_translation_struct */
	IT_IRTE_FMT_AMD32,		/* /sys/kernel/debug/iommu/amd/irqtbl, legacy 32-bit */
	IT_IRTE_FMT_AMD128,		/* the same, 128-bit guest-APIC-capable format */
};

struct it_snap_irte {
	enum it_irte_fmt fmt;
	char iommu[16];		/* Intel: "dmar0"; AMD: "" */
	uint64_t table_addr;	/* Intel: IR table address; 0 if not printed */
	uint32_t index;
	char sid_bdf[IT_BDF_LEN]; /* source id as BDF (Intel prints no segment: 0000) */
	uint16_t sid;		/* bus << 8 | devfn */
	bool present;
	bool posted;		/* Intel posted (PST); AMD guest mode */
	bool fpd;		/* Intel fault processing disable; AMD NoFault */
	uint8_t vector;		/* host vector, or the guest vector when posted */
	uint32_t dest_id;	/* raw destination field (remapped mode) */
	uint8_t dst_mode;	/* 0 physical, 1 logical */
	uint8_t redir_hint;
	uint8_t trigger_mode;	/* 0 edge, 1 level */
	uint8_t delivery_mode;	/* Intel DLM / AMD IntType */
	uint8_t svt, sq;	/* Intel source validation type / qualifier */
	/* posted (Intel) / guest mode (AMD) */
	uint64_t pda;		/* Intel posted descriptor address; AMD GA root ptr << 12 */
	bool urgent;
	uint32_t ga_tag;	/* AMD */
	bool is_run, ga_log_intr, rq_eoi; /* AMD */
	uint64_t raw_hi, raw_lo;	/* as dumped (AMD32: raw_lo only) */
};

struct it_snap_irte_table {
	struct it_snap_src src;
	enum it_irte_fmt fmt;
	struct it_snap_irte *e;
	size_t n;
	size_t unparsed;	/* lines that looked like entries but did not parse */
};

/* Parse a dump; each appends to t (zero-initialise t first).  Return 0 or a
 * negative errno; t->src says known/unknown with the reason. */
int it_irte_read_intel(const char *path, struct it_snap_irte_table *t);
int it_irte_read_amd(const char *path, struct it_snap_irte_table *t);
int it_irte_parse_intel_text(const char *text, struct it_snap_irte_table *t);
int it_irte_parse_amd_text(const char *text, struct it_snap_irte_table *t);
void it_irte_table_free(struct it_snap_irte_table *t);
/* Destination APIC id of an Intel remapped IRTE (xAPIC: bits 15:8). */
uint32_t it_irte_intel_apic_dest(const struct it_snap_irte *e, bool x2apic);
/* AMD: destination APIC id (low 24 bits | high 8 bits). */
uint32_t it_irte_amd_dest(const struct it_snap_irte *e);

/* ---- VMMs: /proc/PID/fd ------------------------------------------------- */

enum it_fd_kind {
	IT_FD_KVM_DEV = 1,	/* /dev/kvm */
	IT_FD_KVM_VM,		/* anon_inode:kvm-vm */
	IT_FD_KVM_VCPU,		/* anon_inode:kvm-vcpu:N */
	IT_FD_KVM_DEVICE,	/* anon_inode:kvm-vfio, kvm-arm-vgic-v3, ... */
	IT_FD_VFIO_CONTAINER,	/* /dev/vfio/vfio */
	IT_FD_VFIO_GROUP,	/* /dev/vfio/N or /dev/vfio/noiommu-N */
	IT_FD_VFIO_DEVICE,	/* anon_inode:[vfio-device] */
	IT_FD_VFIO_CDEV,	/* /dev/vfio/devices/vfioN */
	IT_FD_IOMMUFD,		/* /dev/iommu */
	IT_FD_EVENTFD,		/* anon_inode:[eventfd] */
};

const char *it_fd_kind_str(enum it_fd_kind k);
/* Classify a /proc/PID/fd link target; 0 if not interesting.  num gets the
 * vCPU index, VFIO group or cdev number (-1 otherwise). */
int it_fd_classify(const char *target, int *num);

struct it_vmm_fd {
	int fd;
	enum it_fd_kind kind;
	int num;		/* vCPU / group / cdev number, -1 */
	char *name;		/* KVM device name ("kvm-vfio"), NULL otherwise */
	/* eventfd */
	bool eventfd_known;
	int eventfd_id;		/* -1 when the kernel does not print it */
	uint64_t eventfd_count;
	bool eventfd_semaphore;
	/* VFIO device / cdev: the device, "" if not identifiable */
	char bdf[IT_BDF_LEN];
	/* VFIO group: its devices */
	char (*group_bdfs)[IT_BDF_LEN];
	size_t ngroup_bdfs;
	bool noiommu;
};

struct it_vmm {
	int pid;
	char comm[32];
	char *name;		/* from -name (QEMU), NULL if absent */
	char *exe;		/* argv[0], NULL if unreadable */
	size_t nvms;		/* kvm-vm fds */
	size_t nvcpus;		/* kvm-vcpu fds */
	size_t nvfio_devices;	/* vfio device + cdev fds */
	size_t neventfds;
	struct it_vmm_fd *fds;	/* sorted by fd */
	size_t nfds;
};

/* Scan <root>/proc for processes holding KVM or VFIO fds.  Appends to the
 * arrays; returns 0 or a negative errno (ENOMEM).  src reports the outcome. */
int it_vmm_scan(const char *root, struct it_vmm **vmms, size_t *nvmms,
		struct it_snap_src *src, size_t *nscanned, size_t *nunreadable);
void it_vmm_free(struct it_vmm *v);
/* Parse a QEMU -name value ("foo", "guest=foo,debug-threads=on"); malloc'd. */
char *it_qemu_name_from_arg(const char *arg);
/* The VM name from a NUL-separated cmdline buffer; malloc'd or NULL. */
char *it_vmm_name_from_cmdline(const char *buf, size_t len);

/* ---- the snapshot --------------------------------------------------------- */

enum {
	IT_SNAP_INTERRUPTS	= 1u << 0,	/* /proc/interrupts */
	IT_SNAP_PCI		= 1u << 1,	/* /sys/bus/pci/devices */
	IT_SNAP_AFFINITY	= 1u << 2,	/* /proc/irq/N */
	IT_SNAP_CPUS		= 1u << 3,	/* online, isolated, nohz_full */
	IT_SNAP_IR		= 1u << 4,	/* remapping mode */
	IT_SNAP_IRTE		= 1u << 5,	/* debugfs IRTE dumps */
	IT_SNAP_VMM		= 1u << 6,	/* /proc/PID/fd scan */
	IT_SNAP_ALL		= 0x7f,
	/* Opt-in: on AMD, write each MSI-capable device to debugfs
	 * iommu/amd/devid and read irqtbl for it.  This changes the
	 * debugfs selection other users of that file may rely on. */
	IT_SNAP_AMD_SELECT	= 1u << 8,
	/* Live only: do not read /dev/kmsg for remapping/APIC messages. */
	IT_SNAP_NO_KMSG		= 1u << 9,
};

/* Name of an optional kernel-log excerpt at the top of a captured tree. */
#define IT_SNAP_DMESG_FILE "dmesg-iommu.txt"

struct it_snapshot {
	char *root;			/* "" for the live system */
	unsigned flags;

	/* /proc/interrupts */
	struct it_snap_src interrupts_src;
	int *cpu_ids;			/* header "CPUn" columns */
	size_t ncpus;
	struct it_irq *irqs;		/* in file order (ascending) */
	size_t nirqs;
	struct it_arch_irq *arch;
	size_t narch;

	/* /sys/bus/pci/devices */
	struct it_snap_src pci_src;
	struct it_pci_dev *pci;		/* sorted by BDF */
	size_t npci;

	/* /proc/irq */
	struct it_snap_src aff_src;
	struct it_irq_aff *aff;		/* sorted by IRQ */
	size_t naff;

	struct it_cpus cpus;
	struct it_ir_info ir;
	struct it_snap_irte_table irte;

	/* processes holding KVM/VFIO fds */
	struct it_snap_src vmm_src;
	struct it_vmm *vmms;		/* sorted by pid */
	size_t nvmms;
	size_t procs_scanned, procs_unreadable;
};

/*
 * Read the snapshot below root ("" or "/" = live) for the sections in flags
 * (0 = IT_SNAP_ALL).  Returns 0 (sections that could not be read are marked
 * unknown with their reason) or a negative errno for ENOMEM/EINVAL.  The
 * struct must be freed with it_snapshot_free() in both cases.
 */
int it_snapshot_read(struct it_snapshot *s, const char *root, unsigned flags);
void it_snapshot_free(struct it_snapshot *s);

/* Individual section readers (each resets and fills its part of s). */
int it_snapshot_read_interrupts(struct it_snapshot *s);
int it_snapshot_read_pci(struct it_snapshot *s);
int it_snapshot_read_affinity(struct it_snapshot *s);
int it_snapshot_read_cpus(struct it_snapshot *s);
int it_snapshot_read_irte(struct it_snapshot *s);
/* Parse /proc/interrupts text into s (replacing earlier contents). */
int it_interrupts_parse(struct it_snapshot *s, const char *text);

/* Look-ups (NULL if absent). */
const struct it_irq *it_snapshot_irq(const struct it_snapshot *s, int irq);
const struct it_arch_irq *it_snapshot_arch(const struct it_snapshot *s, const char *name);
const struct it_pci_dev *it_snapshot_pci(const struct it_snapshot *s, const char *bdf);
const struct it_irq_aff *it_snapshot_aff(const struct it_snapshot *s, int irq);
const struct it_snap_irte *it_snapshot_irte(const struct it_snapshot *s, const char *sid_bdf,
				       size_t nth);
/* The process holding a VFIO fd for bdf (device fd, cdev, or a group that
 * contains it); NULL if none. */
const struct it_vmm *it_snapshot_vmm_for_bdf(const struct it_snapshot *s, const char *bdf);
/* Per-CPU count of irq for cpu (a CPU number, not a column); 0 if absent. */
uint64_t it_irq_count_on_cpu(const struct it_snapshot *s, const struct it_irq *q, int cpu);

#ifdef __cplusplus
}
#endif

#endif /* IRQTRAIL_SNAPSHOT_H */
