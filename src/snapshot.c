// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail start-up snapshot readers.  See snapshot.h.
 *
 * Formats read here (as printed by the kernel):
 *  - /proc/interrupts: a "CPUn" header, then per line "%*d:" (or a symbolic
 *    name), one "%10u " count per online CPU, the chip name (" %8s"), the
 *    hwirq (" %*lu", absent without a domain), optionally " %-8s" Level/Edge,
 *    the flow handler name ("-%-8s"), then "  name[, name...]".
 *  - debugfs iommu/intel/ir_translation_struct: per IOMMU a "Remapped" and a
 *    "Posted" section, entry lines
 *      " %-5d %02x:%02x.%01x %08x %02x  %016llx\t%016llx"       (remapped)
 *      " %-5d %02x:%02x.%01x %08x %08x %02x  %016llx\t%016llx"  (posted)
 *    i.e. index, source id, destination (or PDA high/low), vector, IRTE
 *    high and low quadwords.
 *  - debugfs iommu/amd/irqtbl (Linux 6.17+): "DeviceId ssss:bb:dd.f", then
 *    "IRT[%04d] %016llx %016llx" (128-bit, high then low) or
 *    "IRT[%04d] %08x" (32-bit) per valid entry.
 *  - /proc/PID/fdinfo of an eventfd: "eventfd-count: %16llx",
 *    "eventfd-id: %d", "eventfd-semaphore: %d"; of a VFIO device fd
 *    (Linux 6.18+): "vfio-device-syspath: /sys/devices/.../BDF".
 */
#include "snapshot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------- */

#define MAX_FILE_BYTES (256u << 20)

static size_t impl_cap(size_t n)
{
	size_t c = 4;

	if (!n)
		return 0;
	while (c < n)
		c <<= 1;
	return c;
}

/* Append one zeroed element to a dynamic array; NULL on ENOMEM. */
static void *push(void *pp, size_t *n, size_t elsz)
{
	void **p = pp;
	size_t cap = impl_cap(*n);
	char *e;

	if (*n == cap) {
		size_t nc = cap ? cap * 2 : 4;
		void *np;

		if (nc > SIZE_MAX / elsz)
			return NULL;
		np = realloc(*p, nc * elsz);
		if (!np)
			return NULL;
		*p = np;
	}
	e = (char *)*p + (*n)++ * elsz;
	memset(e, 0, elsz);
	return e;
}

static void src_reset(struct it_snap_src *src)
{
	memset(src, 0, sizeof(*src));
}

static void __attribute__((format(printf, 4, 5)))
src_note(struct it_snap_src *src, bool known, int err, const char *fmt, ...)
{
	size_t used = strlen(src->reason);
	va_list ap;

	src->known = known;
	if (err && !src->err)
		src->err = err;
	if (used && used + 3 < sizeof(src->reason)) {
		memcpy(src->reason + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= sizeof(src->reason))
		return;
	va_start(ap, fmt);
	vsnprintf(src->reason + used, sizeof(src->reason) - used, fmt, ap);
	va_end(ap);
}

static bool root_is_live(const char *root)
{
	return !root || !root[0] || !strcmp(root, "/");
}

/* root + logical path ("/proc/interrupts"); malloc'd or NULL. */
static char * __attribute__((format(printf, 2, 3)))
mkpath(const char *root, const char *fmt, ...)
{
	char *rel = NULL, *out = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&rel, fmt, ap);
	va_end(ap);
	if (r < 0)
		return NULL;
	if (root_is_live(root))
		return rel;
	if (asprintf(&out, "%s%s", root, rel) < 0)
		out = NULL;
	free(rel);
	return out;
}

/* Read a whole (proc/sys) file; NUL-terminated.  *err gets errno on NULL. */
static char *slurp(const char *path, size_t *lenp, int *err)
{
	size_t cap = 4096, len = 0;
	char *buf;
	int fd;

	*err = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	buf = malloc(cap);
	if (!buf) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= MAX_FILE_BYTES) {
				*err = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				*err = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

static char *rstrip(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static char *lskip(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static char *trim(char *s)
{
	return rstrip(lskip(s));
}

/* readlink into a malloc'd string. */
static char *xreadlink(const char *path, int *err)
{
	size_t cap = 256;

	*err = 0;
	for (;;) {
		char *buf = malloc(cap);
		ssize_t r;

		if (!buf) {
			*err = ENOMEM;
			return NULL;
		}
		r = readlink(path, buf, cap);
		if (r < 0) {
			*err = errno;
			free(buf);
			return NULL;
		}
		if ((size_t)r < cap) {
			buf[r] = '\0';
			return buf;
		}
		free(buf);
		if (cap >= 65536) {
			*err = ENAMETOOLONG;
			return NULL;
		}
		cap *= 4;
	}
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	if (!all_digits(s, strlen(s)))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* ---- CPU masks ----------------------------------------------------------- */

int it_cpumask_set(struct it_cpumask *m, unsigned cpu)
{
	size_t w = cpu / 64;

	if (cpu > IT_CPU_MAX)
		return -ERANGE;
	if (w >= m->nwords) {
		size_t nw = m->nwords ? m->nwords : 1;
		uint64_t *nb;

		while (nw <= w)
			nw *= 2;
		nb = realloc(m->bits, nw * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + m->nwords, 0, (nw - m->nwords) * sizeof(*nb));
		m->bits = nb;
		m->nwords = nw;
	}
	m->bits[w] |= 1ull << (cpu % 64);
	return 0;
}

bool it_cpumask_test(const struct it_cpumask *m, unsigned cpu)
{
	size_t w = cpu / 64;

	return w < m->nwords && (m->bits[w] >> (cpu % 64) & 1);
}

unsigned it_cpumask_weight(const struct it_cpumask *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < m->nwords; i++)
		n += (unsigned)__builtin_popcountll(m->bits[i]);
	return n;
}

int it_cpumask_next(const struct it_cpumask *m, int prev)
{
	size_t start = prev < 0 ? 0 : (size_t)prev + 1;

	for (size_t w = start / 64; w < m->nwords; w++) {
		uint64_t v = m->bits[w];

		if (w == start / 64)
			v &= ~0ull << (start % 64);
		if (v)
			return (int)(w * 64 + (size_t)__builtin_ctzll(v));
	}
	return -1;
}

int it_cpumask_first(const struct it_cpumask *m)
{
	return it_cpumask_next(m, -1);
}

bool it_cpumask_equal(const struct it_cpumask *a, const struct it_cpumask *b)
{
	size_t n = a->nwords > b->nwords ? a->nwords : b->nwords;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = i < a->nwords ? a->bits[i] : 0;
		uint64_t y = i < b->nwords ? b->bits[i] : 0;

		if (x != y)
			return false;
	}
	return true;
}

void it_cpumask_clear(struct it_cpumask *m)
{
	if (m->bits)
		memset(m->bits, 0, m->nwords * sizeof(*m->bits));
}

void it_cpumask_free(struct it_cpumask *m)
{
	free(m->bits);
	m->bits = NULL;
	m->nwords = 0;
}

static int parse_cpu_num(const char **pp, unsigned *out)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > IT_CPU_MAX)
			return -ERANGE;
		p++;
	}
	*pp = p;
	*out = (unsigned)v;
	return 0;
}

int it_cpulist_parse(const char *s, struct it_cpumask *m)
{
	const char *p = s;
	int r;

	it_cpumask_clear(m);
	while (*p && isspace((unsigned char)*p))
		p++;
	if (!strncmp(p, "(null)", 6))
		return 0;
	while (*p && !isspace((unsigned char)*p)) {
		unsigned a, b;

		r = parse_cpu_num(&p, &a);
		if (r)
			return r;
		b = a;
		if (*p == '-') {
			p++;
			r = parse_cpu_num(&p, &b);
			if (r)
				return r;
			if (b < a)
				return -EINVAL;
		}
		for (unsigned c = a; c <= b; c++) {
			r = it_cpumask_set(m, c);
			if (r)
				return r;
		}
		if (*p == ',')
			p++;
		else if (*p && !isspace((unsigned char)*p))
			return -EINVAL;
	}
	while (*p && isspace((unsigned char)*p))
		p++;
	return *p ? -EINVAL : 0;
}

int it_cpumask_parse_hex(const char *s, struct it_cpumask *m)
{
	const char *b = s, *e;
	unsigned bit = 0;
	int r;

	it_cpumask_clear(m);
	while (*b && isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (e == b)
		return 0;
	/* From the least significant digit; commas separate 32-bit groups. */
	for (const char *p = e; p > b; p--) {
		char c = p[-1];
		int v;

		if (c == ',')
			continue;
		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		v = isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
		for (int i = 0; i < 4; i++) {
			if (v >> i & 1) {
				r = it_cpumask_set(m, bit + (unsigned)i);
				if (r)
					return r;
			}
		}
		bit += 4;
	}
	return 0;
}

int it_cpulist_format(const struct it_cpumask *m, char *buf, size_t len)
{
	size_t need = 0;
	int c = it_cpumask_first(m);

	if (len)
		buf[0] = '\0';
	while (c >= 0) {
		int e = c, n;
		char tmp[32];

		while (it_cpumask_test(m, (unsigned)e + 1))
			e++;
		if (e == c)
			n = snprintf(tmp, sizeof(tmp), "%s%d", need ? "," : "", c);
		else
			n = snprintf(tmp, sizeof(tmp), "%s%d-%d", need ? "," : "", c, e);
		if (len && need + (size_t)n < len)
			memcpy(buf + need, tmp, (size_t)n + 1);
		else if (len && need < len)
			buf[need] = '\0';
		need += (size_t)n;
		c = it_cpumask_next(m, e);
	}
	return (int)need;
}

/* ---- names -------------------------------------------------------------- */

const char *it_irq_kind_str(enum it_irq_kind k)
{
	switch (k) {
	case IT_IRQ_MSI: return "msi";
	case IT_IRQ_MSIX: return "msix";
	case IT_IRQ_IMS: return "ims";
	case IT_IRQ_IOAPIC: return "ioapic";
	case IT_IRQ_OTHER: break;
	}
	return "other";
}

const char *it_trigger_str(enum it_trigger t)
{
	switch (t) {
	case IT_TRIG_EDGE: return "edge";
	case IT_TRIG_LEVEL: return "level";
	case IT_TRIG_UNKNOWN: break;
	}
	return "?";
}

const char *it_ir_mode_str(enum it_ir_mode m)
{
	switch (m) {
	case IT_IR_NONE: return "none";
	case IT_IR_INTEL: return "intel";
	case IT_IR_AMD: return "amd";
	case IT_IR_ARM_ITS: return "arm-its";
	case IT_IR_OTHER: return "other";
	case IT_IR_UNKNOWN: break;
	}
	return "unknown";
}

const char *it_apic_mode_str(enum it_apic_mode m)
{
	switch (m) {
	case IT_APIC_XAPIC: return "xapic";
	case IT_APIC_X2APIC: return "x2apic";
	case IT_APIC_UNKNOWN: break;
	}
	return "unknown";
}

const char *it_fd_kind_str(enum it_fd_kind k)
{
	switch (k) {
	case IT_FD_KVM_DEV: return "kvm";
	case IT_FD_KVM_VM: return "kvm-vm";
	case IT_FD_KVM_VCPU: return "kvm-vcpu";
	case IT_FD_KVM_DEVICE: return "kvm-device";
	case IT_FD_VFIO_CONTAINER: return "vfio-container";
	case IT_FD_VFIO_GROUP: return "vfio-group";
	case IT_FD_VFIO_DEVICE: return "vfio-device";
	case IT_FD_VFIO_CDEV: return "vfio-cdev";
	case IT_FD_IOMMUFD: return "iommufd";
	case IT_FD_EVENTFD: return "eventfd";
	}
	return "?";
}

/* ---- PCI addresses and VFIO names ------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int it_bdf_parse(const char *s, size_t len, char out[IT_BDF_LEN])
{
	size_t i = 0, dom_digits = 0;
	unsigned long dom = 0;
	int bus, dev, fn;

	while (i < len && hexval(s[i]) >= 0) {
		dom = dom * 16 + (unsigned long)hexval(s[i]);
		i++;
		dom_digits++;
	}
	if (dom_digits < 4 || dom_digits > 7 || i >= len || s[i] != ':')
		return -1;
	i++;
	if (i + 7 != len)	/* "bb:dd.f" */
		return -1;
	if (hexval(s[i]) < 0 || hexval(s[i + 1]) < 0 || s[i + 2] != ':' ||
	    hexval(s[i + 3]) < 0 || hexval(s[i + 4]) < 0 || s[i + 5] != '.' ||
	    s[i + 6] < '0' || s[i + 6] > '7')
		return -1;
	bus = hexval(s[i]) * 16 + hexval(s[i + 1]);
	dev = hexval(s[i + 3]) * 16 + hexval(s[i + 4]);
	fn = s[i + 6] - '0';
	if (dev > 0x1f)
		return -1;
	if (out)
		snprintf(out, IT_BDF_LEN, "%04lx:%02x:%02x.%d", dom, bus, dev, fn);
	return 0;
}

int it_parse_vfio_irq_name(const char *name, int *entry, char bdf[16], int *msix)
{
	const char *p = name, *b, *e;
	char tmp[IT_BDF_LEN];
	long n = 0;
	int x = 0;

	if (!name || strncmp(p, "vfio-msi", 8))
		return -1;
	p += 8;
	if (*p == 'x') {
		x = 1;
		p++;
	}
	if (*p++ != '[' || !isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (*p - '0');
		if (n > INT_MAX)
			return -1;
		p++;
	}
	if (*p++ != ']' || *p++ != '(')
		return -1;
	b = p;
	e = strchr(b, ')');
	if (!e || e[1] != '\0')
		return -1;
	if (it_bdf_parse(b, (size_t)(e - b), tmp))
		return -1;
	if (entry)
		*entry = (int)n;
	if (bdf)
		memcpy(bdf, tmp, IT_BDF_LEN);
	if (msix)
		*msix = x;
	return 0;
}

int it_parse_vfio_intx_name(const char *name, char bdf[16])
{
	const char *b, *e;
	char tmp[IT_BDF_LEN];

	if (!name || strncmp(name, "vfio-intx(", 10))
		return -1;
	b = name + 10;
	e = strchr(b, ')');
	if (!e || e[1] != '\0' || it_bdf_parse(b, (size_t)(e - b), tmp))
		return -1;
	if (bdf)
		memcpy(bdf, tmp, IT_BDF_LEN);
	return 0;
}

/* ---- /proc/interrupts ----------------------------------------------------- */

static void irq_free(struct it_irq *q)
{
	free(q->counts);
	free(q->chip);
	free(q->handler);
}

static void interrupts_clear(struct it_snapshot *s)
{
	for (size_t i = 0; i < s->nirqs; i++)
		irq_free(&s->irqs[i]);
	free(s->irqs);
	for (size_t i = 0; i < s->narch; i++) {
		free(s->arch[i].counts);
		free(s->arch[i].desc);
	}
	free(s->arch);
	free(s->cpu_ids);
	s->irqs = NULL;
	s->arch = NULL;
	s->cpu_ids = NULL;
	s->nirqs = s->narch = s->ncpus = 0;
}

/* Counts after the label: at most ncpus decimal numbers. */
static int parse_counts(char **pp, size_t ncpus, uint64_t **out, size_t *nout,
			uint64_t *total)
{
	char *p = *pp;
	uint64_t *c = NULL;
	size_t n = 0;

	*total = 0;
	if (ncpus) {
		c = calloc(ncpus, sizeof(*c));
		if (!c)
			return -ENOMEM;
	}
	while (n < ncpus) {
		char *q = lskip(p), *end;
		unsigned long long v;

		if (!isdigit((unsigned char)*q))
			break;
		errno = 0;
		v = strtoull(q, &end, 10);
		if (errno || (*end && !isspace((unsigned char)*end)))
			break;
		c[n++] = v;
		*total += v;
		p = end;
	}
	*pp = p;
	*out = c;
	*nout = n;
	return 0;
}

/* "0-edge", "27", "-edge": hwirq and/or flow handler name. */
static bool parse_hwirq_tok(const char *t, size_t len, struct it_irq *q)
{
	size_t i = 0;
	uint64_t v = 0;
	bool has = false;

	while (i < len && isdigit((unsigned char)t[i])) {
		v = v * 10 + (uint64_t)(t[i] - '0');
		i++;
		has = true;
	}
	if (i < len) {
		size_t fl;

		if (t[i] != '-' || i + 1 >= len)
			return false;
		fl = len - i - 1;
		for (size_t k = i + 1; k < len; k++)
			if (!isalnum((unsigned char)t[k]) && t[k] != '_')
				return false;
		if (fl >= sizeof(q->flow))
			fl = sizeof(q->flow) - 1;
		memcpy(q->flow, t + i + 1, fl);
		q->flow[fl] = '\0';
	} else if (!has) {
		return false;
	}
	q->has_hwirq = has;
	q->hwirq = v;
	return true;
}

/* Does one '-'-separated component of chip satisfy pred? */
static bool chip_has_component(const char *chip, const char *word, bool suffix)
{
	size_t wl = strlen(word);
	const char *p = chip;

	while (*p) {
		const char *e = strchr(p, '-');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (suffix ? (l >= wl && !strncmp(p + l - wl, word, wl))
			   : (l == wl && !strncmp(p, word, wl)))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static void derive_irq(struct it_irq *q)
{
	const char *chip = q->chip;
	bool bdf_from_chip = false;

	q->msi_entry = -1;
	q->vfio_entry = -1;
	q->remapped = !strncmp(chip, "IR-", 3) || strstr(chip, "INTEL-IR") ||
		      strstr(chip, "AMD-IR");
	q->its = !strncmp(chip, "ITS-", 4);

	if (strstr(chip, "IO-APIC") || strstr(chip, "IOAPIC"))
		q->kind = IT_IRQ_IOAPIC;
	else if (chip_has_component(chip, "MSIX", false))
		q->kind = IT_IRQ_MSIX;
	else if (chip_has_component(chip, "IMS", false))
		q->kind = IT_IRQ_IMS;
	else if (chip_has_component(chip, "MSI", true))
		q->kind = IT_IRQ_MSI;
	else
		q->kind = IT_IRQ_OTHER;

	/* Per-device MSI domains: "<prefix>PCI-MSIX-<BDF>"; hwirq = entry. */
	for (const char *p = strchr(chip, '-'); p; p = strchr(p + 1, '-')) {
		if (!it_bdf_parse(p + 1, strlen(p + 1), q->bdf)) {
			bdf_from_chip = true;
			break;
		}
	}
	if (bdf_from_chip) {
		if (q->has_hwirq && q->kind != IT_IRQ_OTHER && q->kind != IT_IRQ_IOAPIC &&
		    q->hwirq <= INT_MAX)
			q->msi_entry = (int)q->hwirq;
	} else if (q->has_hwirq &&
		   (!strcmp(chip, "PCI-MSI") || !strcmp(chip, "IR-PCI-MSI") ||
		    !strcmp(chip, "ITS-MSI"))) {
		/* One global PCI/MSI domain: hwirq = entry | devid << 11 |
		 * domain << 27. */
		uint64_t dom = q->hwirq >> 27;
		unsigned devid = (unsigned)(q->hwirq >> 11) & 0xffff;

		if (dom <= 0xfffffff) {
			snprintf(q->bdf, sizeof(q->bdf), "%04x:%02x:%02x.%u",
				 (unsigned)dom, devid >> 8, (devid >> 3) & 0x1f, devid & 7);
			q->msi_entry = (int)(q->hwirq & 0x7ff);
		}
	}

	if (!strcmp(q->flow, "edge"))
		q->trigger = IT_TRIG_EDGE;
	else if (!strcmp(q->flow, "level"))
		q->trigger = IT_TRIG_LEVEL;
	else if (!strcmp(q->flow, "fasteoi") && q->kind == IT_IRQ_IOAPIC)
		q->trigger = IT_TRIG_LEVEL;	/* IO-APIC uses fasteoi for level */

	/* VFIO handler names; a shared line prints "a, b". */
	{
		const char *h = q->handler;

		while (h && *h) {
			const char *e = strstr(h, ", ");
			size_t l = e ? (size_t)(e - h) : strlen(h);
			char *part = strndup(h, l);
			int entry, msix;

			if (part && !it_parse_vfio_irq_name(part, &entry, q->vfio_bdf, &msix)) {
				q->vfio = true;
				q->vfio_entry = entry;
				q->vfio_msix = msix;
				free(part);
				break;
			}
			free(part);
			h = e ? e + 2 : NULL;
		}
	}
}

static int parse_irq_rest(struct it_irq *q, char *p)
{
	char *t, *te;

	p = lskip(p);
	/* chip */
	t = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	q->chip = strndup(t, (size_t)(p - t));
	if (!q->chip)
		return -ENOMEM;
	/* hwirq[-flow] */
	t = lskip(p);
	te = t;
	while (*te && !isspace((unsigned char)*te))
		te++;
	if (te > t && parse_hwirq_tok(t, (size_t)(te - t), q)) {
		p = te;
		t = lskip(p);
		te = t;
		while (*te && !isspace((unsigned char)*te))
			te++;
	}
	/* GENERIC_IRQ_SHOW_LEVEL column */
	if ((size_t)(te - t) == 5 && !strncmp(t, "Level", 5)) {
		q->trigger = IT_TRIG_LEVEL;
		p = te;
	} else if ((size_t)(te - t) == 4 && !strncmp(t, "Edge", 4)) {
		q->trigger = IT_TRIG_EDGE;
		p = te;
	}
	q->handler = strdup(trim(p));
	return q->handler ? 0 : -ENOMEM;
}

int it_interrupts_parse(struct it_snapshot *s, const char *text)
{
	char *buf, *line, *save = NULL;
	bool header = false;
	int ret = 0;

	interrupts_clear(s);
	buf = strdup(text);
	if (!buf)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = lskip(line), *colon;

		if (!*p)
			continue;
		if (!header) {
			/* "           CPU0       CPU1 ..." */
			while (*p) {
				char *e;
				long id;
				int *slot;

				if (strncmp(p, "CPU", 3) || !isdigit((unsigned char)p[3])) {
					ret = -EINVAL;
					goto out;
				}
				id = strtol(p + 3, &e, 10);
				if (id < 0 || id > IT_CPU_MAX) {
					ret = -EINVAL;
					goto out;
				}
				slot = push(&s->cpu_ids, &s->ncpus, sizeof(int));
				if (!slot) {
					ret = -ENOMEM;
					goto out;
				}
				*slot = (int)id;
				p = lskip(e);
			}
			header = true;
			continue;
		}
		colon = strchr(p, ':');
		if (!colon || colon == p)
			continue;
		for (char *c = p; c < colon; c++)
			if (isspace((unsigned char)*c))
				goto next;
		if (all_digits(p, (size_t)(colon - p))) {
			struct it_irq *q = push(&s->irqs, &s->nirqs, sizeof(*q));
			char *r = colon + 1;

			if (!q) {
				ret = -ENOMEM;
				goto out;
			}
			*colon = '\0';
			if (parse_int(p, &q->irq)) {
				irq_free(q);
				s->nirqs--;
				continue;
			}
			ret = parse_counts(&r, s->ncpus, &q->counts, &q->ncounts, &q->total);
			if (!ret)
				ret = parse_irq_rest(q, r);
			if (ret)
				goto out;
			derive_irq(q);
		} else {
			struct it_arch_irq *a = push(&s->arch, &s->narch, sizeof(*a));
			size_t nl = (size_t)(colon - p);
			char *r = colon + 1;

			if (!a) {
				ret = -ENOMEM;
				goto out;
			}
			if (nl >= sizeof(a->name))
				nl = sizeof(a->name) - 1;
			memcpy(a->name, p, nl);
			a->name[nl] = '\0';
			ret = parse_counts(&r, s->ncpus, &a->counts, &a->ncounts, &a->total);
			if (ret)
				goto out;
			a->desc = strdup(trim(r));
			if (!a->desc) {
				ret = -ENOMEM;
				goto out;
			}
		}
next:;
	}
	if (!header)
		ret = -EINVAL;
out:
	free(buf);
	return ret;
}

int it_snapshot_read_interrupts(struct it_snapshot *s)
{
	char *path = mkpath(s->root, "/proc/interrupts");
	char *text;
	int err, r;

	interrupts_clear(s);
	src_reset(&s->interrupts_src);
	if (!path)
		return -ENOMEM;
	text = slurp(path, NULL, &err);
	free(path);
	if (!text) {
		if (err == ENOMEM)
			return -ENOMEM;
		src_note(&s->interrupts_src, false, err, "/proc/interrupts: %s", strerror(err));
		return 0;
	}
	r = it_interrupts_parse(s, text);
	free(text);
	if (r == -ENOMEM)
		return r;
	if (r) {
		interrupts_clear(s);
		src_note(&s->interrupts_src, false, EINVAL,
			 "/proc/interrupts: no CPU header line");
		return 0;
	}
	s->interrupts_src.known = true;
	return 0;
}

/* ---- /sys/bus/pci/devices --------------------------------------------------- */

static void pci_dev_free(struct it_pci_dev *d)
{
	free(d->driver);
	free(d->msi);
}

static void pci_clear(struct it_snapshot *s)
{
	for (size_t i = 0; i < s->npci; i++)
		pci_dev_free(&s->pci[i]);
	free(s->pci);
	s->pci = NULL;
	s->npci = 0;
}

static int cmp_msi(const void *a, const void *b)
{
	const struct it_msi_irq *x = a, *y = b;

	return (x->irq > y->irq) - (x->irq < y->irq);
}

static int cmp_pci(const void *a, const void *b)
{
	const struct it_pci_dev *x = a, *y = b;

	return strcmp(x->bdf, y->bdf);
}

static enum it_irq_kind msi_mode_from_text(const char *t)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%s", t);
	trim(tmp);
	if (!strcmp(tmp, "msix"))
		return IT_IRQ_MSIX;
	if (!strcmp(tmp, "msi"))
		return IT_IRQ_MSI;
	return IT_IRQ_OTHER;
}

static int read_msi_irqs(struct it_snapshot *s, struct it_pci_dev *d)
{
	char *dir = mkpath(s->root, "/sys/bus/pci/devices/%s/msi_irqs", d->bdf);
	struct dirent *de;
	DIR *dh;

	if (!dir)
		return -ENOMEM;
	dh = opendir(dir);
	if (!dh) {
		int e = errno;

		free(dir);
		if (e == ENOENT) {	/* no MSI/MSI-X enabled */
			d->msi_known = true;
			return 0;
		}
		src_note(&s->pci_src, true, e, "%s msi_irqs: %s", d->bdf, strerror(e));
		return 0;
	}
	d->msi_known = true;
	while ((de = readdir(dh))) {
		struct it_msi_irq *m;
		char *f, *text;
		int irq, err;

		if (parse_int(de->d_name, &irq))
			continue;
		m = push(&d->msi, &d->nmsi, sizeof(*m));
		if (!m)
			goto nomem;
		m->irq = irq;
		f = mkpath(NULL, "%s/%s", dir, de->d_name);
		if (!f)
			goto nomem;
		text = slurp(f, NULL, &err);
		if (!text && err == EISDIR) {	/* old layout: msi_irqs/N/mode */
			char *f2 = mkpath(NULL, "%s/mode", f);

			if (!f2) {
				free(f);
				goto nomem;
			}
			text = slurp(f2, NULL, &err);
			free(f2);
		}
		free(f);
		if (text) {
			m->mode = msi_mode_from_text(text);
			free(text);
		} else {
			if (err == ENOMEM)
				goto nomem;
			src_note(&s->pci_src, true, err, "%s msi_irqs/%d: %s", d->bdf, irq,
				 strerror(err));
		}
	}
	closedir(dh);
	free(dir);
	if (d->nmsi > 1)
		qsort(d->msi, d->nmsi, sizeof(*d->msi), cmp_msi);
	return 0;
nomem:
	closedir(dh);
	free(dir);
	return -ENOMEM;
}

static int read_hex_u16(const char *root, const char *bdf, const char *file, uint16_t *out)
{
	char *p = mkpath(root, "/sys/bus/pci/devices/%s/%s", bdf, file);
	char *t, *e;
	unsigned long v;
	int err;

	if (!p)
		return -ENOMEM;
	t = slurp(p, NULL, &err);
	free(p);
	if (!t)
		return err == ENOMEM ? -ENOMEM : -err;
	errno = 0;
	v = strtoul(t, &e, 16);
	if (errno || e == t || v > 0xffff) {
		free(t);
		return -EINVAL;
	}
	free(t);
	*out = (uint16_t)v;
	return 0;
}

int it_snapshot_read_pci(struct it_snapshot *s)
{
	char *dir = mkpath(s->root, "/sys/bus/pci/devices");
	struct dirent *de;
	DIR *dh;
	int ret = 0;

	pci_clear(s);
	src_reset(&s->pci_src);
	if (!dir)
		return -ENOMEM;
	dh = opendir(dir);
	free(dir);
	if (!dh) {
		src_note(&s->pci_src, false, errno, "/sys/bus/pci/devices: %s", strerror(errno));
		return 0;
	}
	s->pci_src.known = true;
	while ((de = readdir(dh))) {
		struct it_pci_dev *d;
		char bdf[IT_BDF_LEN], *p, *link;
		int err, r1, r2;

		if (it_bdf_parse(de->d_name, strlen(de->d_name), bdf))
			continue;
		d = push(&s->pci, &s->npci, sizeof(*d));
		if (!d) {
			ret = -ENOMEM;
			break;
		}
		memcpy(d->bdf, bdf, sizeof(bdf));
		d->iommu_group = -1;
		r1 = read_hex_u16(s->root, de->d_name, "vendor", &d->vendor);
		r2 = read_hex_u16(s->root, de->d_name, "device", &d->device);
		if (r1 == -ENOMEM || r2 == -ENOMEM) {
			ret = -ENOMEM;
			break;
		}
		d->ids_known = !r1 && !r2;

		p = mkpath(s->root, "/sys/bus/pci/devices/%s/driver", de->d_name);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		link = xreadlink(p, &err);
		free(p);
		if (link) {
			d->driver = strdup(base_name(link));
			free(link);
			if (!d->driver) {
				ret = -ENOMEM;
				break;
			}
		}
		p = mkpath(s->root, "/sys/bus/pci/devices/%s/iommu_group", de->d_name);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		link = xreadlink(p, &err);
		free(p);
		if (link) {
			int g;

			if (!parse_int(base_name(link), &g))
				d->iommu_group = g;
			free(link);
		}
		ret = read_msi_irqs(s, d);
		if (ret)
			break;
	}
	closedir(dh);
	if (s->npci > 1)
		qsort(s->pci, s->npci, sizeof(*s->pci), cmp_pci);
	return ret;
}

/* ---- /proc/irq/N ----------------------------------------------------------- */

static void aff_free(struct it_irq_aff *a)
{
	it_cpumask_free(&a->smp_affinity);
	it_cpumask_free(&a->effective);
	it_cpumask_free(&a->smp_affinity_hex);
	it_cpumask_free(&a->effective_hex);
	free(a->reason);
}

static void aff_clear(struct it_snapshot *s)
{
	for (size_t i = 0; i < s->naff; i++)
		aff_free(&s->aff[i]);
	free(s->aff);
	s->aff = NULL;
	s->naff = 0;
}

static int cmp_aff(const void *a, const void *b)
{
	const struct it_irq_aff *x = a, *y = b;

	return (x->irq > y->irq) - (x->irq < y->irq);
}

static int aff_reason(struct it_irq_aff *a, const char *file, const char *why)
{
	char *n;

	if (asprintf(&n, "%s%s%s: %s", a->reason ? a->reason : "", a->reason ? "; " : "",
		     file, why) < 0)
		return -ENOMEM;
	free(a->reason);
	a->reason = n;
	return 0;
}

static int read_mask_file(const char *root, int irq, const char *file, bool list,
			  struct it_cpumask *m, bool *known, struct it_irq_aff *a)
{
	char *p = mkpath(root, "/proc/irq/%d/%s", irq, file);
	char *t;
	int err, r;

	if (!p)
		return -ENOMEM;
	t = slurp(p, NULL, &err);
	free(p);
	if (!t)
		return err == ENOMEM ? -ENOMEM : aff_reason(a, file, strerror(err));
	r = list ? it_cpulist_parse(t, m) : it_cpumask_parse_hex(t, m);
	free(t);
	if (r == -ENOMEM)
		return r;
	if (r)
		return aff_reason(a, file, "unparsable");
	*known = true;
	return 0;
}

int it_snapshot_read_affinity(struct it_snapshot *s)
{
	char *dir = mkpath(s->root, "/proc/irq");
	struct dirent *de;
	DIR *dh;
	int ret = 0;

	aff_clear(s);
	src_reset(&s->aff_src);
	if (!dir)
		return -ENOMEM;
	dh = opendir(dir);
	free(dir);
	if (!dh) {
		src_note(&s->aff_src, false, errno, "/proc/irq: %s", strerror(errno));
		return 0;
	}
	s->aff_src.known = true;
	while ((de = readdir(dh))) {
		struct it_irq_aff *a;
		int irq;

		if (parse_int(de->d_name, &irq))
			continue;
		a = push(&s->aff, &s->naff, sizeof(*a));
		if (!a) {
			ret = -ENOMEM;
			break;
		}
		a->irq = irq;
		ret = read_mask_file(s->root, irq, "smp_affinity_list", true,
				     &a->smp_affinity, &a->smp_list_known, a);
		if (!ret)
			ret = read_mask_file(s->root, irq, "effective_affinity_list", true,
					     &a->effective, &a->eff_list_known, a);
		if (!ret)
			ret = read_mask_file(s->root, irq, "smp_affinity", false,
					     &a->smp_affinity_hex, &a->smp_hex_known, a);
		if (!ret)
			ret = read_mask_file(s->root, irq, "effective_affinity", false,
					     &a->effective_hex, &a->eff_hex_known, a);
		if (ret)
			break;
	}
	closedir(dh);
	if (s->naff > 1)
		qsort(s->aff, s->naff, sizeof(*s->aff), cmp_aff);
	return ret;
}

/* ---- CPUs ------------------------------------------------------------------- */

static int read_cpulist(const char *root, const char *file, struct it_cpumask *m,
			struct it_snap_src *src)
{
	char *p = mkpath(root, "/sys/devices/system/cpu/%s", file);
	char *t;
	int err, r;

	src_reset(src);
	it_cpumask_clear(m);
	if (!p)
		return -ENOMEM;
	t = slurp(p, NULL, &err);
	free(p);
	if (!t) {
		if (err == ENOMEM)
			return -ENOMEM;
		src_note(src, false, err, "/sys/devices/system/cpu/%s: %s", file, strerror(err));
		return 0;
	}
	r = it_cpulist_parse(t, m);
	free(t);
	if (r == -ENOMEM)
		return r;
	if (r) {
		src_note(src, false, -r, "/sys/devices/system/cpu/%s: unparsable cpulist", file);
		return 0;
	}
	src->known = true;
	return 0;
}

int it_snapshot_read_cpus(struct it_snapshot *s)
{
	int r;

	r = read_cpulist(s->root, "online", &s->cpus.online, &s->cpus.online_src);
	if (!r)
		r = read_cpulist(s->root, "isolated", &s->cpus.isolated, &s->cpus.isolated_src);
	if (!r)
		r = read_cpulist(s->root, "nohz_full", &s->cpus.nohz_full, &s->cpus.nohz_full_src);
	return r;
}

/* ---- interrupt remapping mode -------------------------------------------- */

struct ir_evidence {
	bool chip_ir, chip_intel_ir, chip_amd_ir, chip_its, chip_dmar, handler_amdvi;
	bool have_rows;
	bool sys_dmar, sys_ivhd, sys_other;
	bool log_intel_on, log_amd_on, log_its, log_iommu;
	enum it_apic_mode apic;
	enum it_apic_mode log_intel_apic;
};

static void ir_scan_line(struct ir_evidence *ev, const char *l)
{
	if (strstr(l, "DMAR-IR: Enabled IRQ remapping in x2apic mode")) {
		ev->log_intel_on = true;
		ev->log_intel_apic = IT_APIC_X2APIC;
		ev->apic = IT_APIC_X2APIC;
	} else if (strstr(l, "DMAR-IR: Enabled IRQ remapping in xapic mode")) {
		ev->log_intel_on = true;
		ev->log_intel_apic = IT_APIC_XAPIC;
		if (ev->apic == IT_APIC_UNKNOWN)
			ev->apic = IT_APIC_XAPIC;
	}
	if (strstr(l, "AMD-Vi: Interrupt remapping enabled"))
		ev->log_amd_on = true;
	if (strstr(l, "AMD-Vi: X2APIC enabled") || strstr(l, "x2apic enabled") ||
	    strstr(l, "APIC routing to: physical x2apic") ||
	    strstr(l, "APIC routing to: cluster x2apic"))
		ev->apic = IT_APIC_X2APIC;
	else if (strstr(l, "APIC routing to: physical flat") ||
		 strstr(l, "APIC routing to: flat") ||
		 strstr(l, "APIC routing to: logical flat"))
		if (ev->apic == IT_APIC_UNKNOWN)
			ev->apic = IT_APIC_XAPIC;
	if (strstr(l, "ITS@0x") || strstr(l, "GICv3: ITS"))
		ev->log_its = true;
	if (strstr(l, "DMAR: IOMMU enabled") || strstr(l, "DMAR: dmar") ||
	    strstr(l, "AMD-Vi: "))
		ev->log_iommu = true;
}

static void ir_scan_text(struct ir_evidence *ev, char *text)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		ir_scan_line(ev, l);
}

/* Live kernel log, read without blocking; best effort. */
static void ir_scan_kmsg(struct ir_evidence *ev)
{
	char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	for (int n = 0; n < 1000000; n++) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);
		char *msg, *nl;

		if (r < 0) {
			if (errno == EPIPE || errno == EINTR)
				continue;	/* record overwritten: go on */
			break;			/* EAGAIN: end of buffer */
		}
		if (r == 0)
			break;
		rec[r] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		ir_scan_line(ev, msg);
	}
	close(fd);
}

static int ir_detect(const char *root, const char *dmesg_path, bool kmsg,
		     struct it_ir_info *out)
{
	struct ir_evidence ev = { 0 };
	struct it_snapshot tmp = { 0 };
	char *p, *text;
	char ev_txt[IT_REASON_LEN] = "";
	size_t el = 0;
	int err;
	DIR *dh;

	memset(out, 0, sizeof(*out));
#define EV(...) do { \
		if (el < sizeof(ev_txt)) { \
			int _n = snprintf(ev_txt + el, sizeof(ev_txt) - el, "%s", el ? "; " : ""); \
			el += (size_t)(_n > 0 ? _n : 0); \
			if (el < sizeof(ev_txt)) { \
				_n = snprintf(ev_txt + el, sizeof(ev_txt) - el, __VA_ARGS__); \
				el += (size_t)(_n > 0 ? _n : 0); \
			} \
		} \
	} while (0)

	/* chips in /proc/interrupts */
	p = mkpath(root, "/proc/interrupts");
	if (!p)
		return -ENOMEM;
	text = slurp(p, NULL, &err);
	free(p);
	if (text) {
		int r = it_interrupts_parse(&tmp, text);

		free(text);
		if (r == -ENOMEM) {
			interrupts_clear(&tmp);
			return r;
		}
		if (r)
			src_note(&out->src, false, EINVAL, "/proc/interrupts: unparsable");
		for (size_t i = 0; i < tmp.nirqs; i++) {
			const struct it_irq *q = &tmp.irqs[i];

			ev.have_rows = true;
			if (!strncmp(q->chip, "IR-", 3))
				ev.chip_ir = true;
			if (strstr(q->chip, "INTEL-IR"))
				ev.chip_intel_ir = true;
			if (strstr(q->chip, "AMD-IR"))
				ev.chip_amd_ir = true;
			if (q->its)
				ev.chip_its = true;
			if (!strncmp(q->chip, "DMAR-MSI", 8))
				ev.chip_dmar = true;
			if (!strncmp(q->handler, "AMD-Vi", 6))
				ev.handler_amdvi = true;
		}
		interrupts_clear(&tmp);
	} else {
		if (err == ENOMEM)
			return -ENOMEM;
		src_note(&out->src, false, err, "/proc/interrupts: %s", strerror(err));
	}

	/* IOMMUs in sysfs */
	p = mkpath(root, "/sys/class/iommu");
	if (!p)
		return -ENOMEM;
	dh = opendir(p);
	free(p);
	if (dh) {
		struct dirent *de;

		while ((de = readdir(dh))) {
			if (de->d_name[0] == '.')
				continue;
			if (!strncmp(de->d_name, "dmar", 4))
				ev.sys_dmar = true;
			else if (!strncmp(de->d_name, "ivhd", 4))
				ev.sys_ivhd = true;
			else
				ev.sys_other = true;
		}
		closedir(dh);
	}

	/* kernel log */
	if (dmesg_path) {
		text = slurp(dmesg_path, NULL, &err);
		if (text) {
			ir_scan_text(&ev, text);
			free(text);
		} else if (err == ENOMEM) {
			return -ENOMEM;
		}
	}
	if (kmsg)
		ir_scan_kmsg(&ev);

	out->apic = ev.apic;
	if (ev.chip_ir || ev.chip_intel_ir || ev.chip_amd_ir)
		EV("IR- chips in /proc/interrupts");
	if (ev.chip_its)
		EV("ITS- chips in /proc/interrupts");
	if (ev.chip_dmar)
		EV("DMAR-MSI");
	if (ev.handler_amdvi)
		EV("AMD-Vi irq");
	if (ev.sys_dmar)
		EV("/sys/class/iommu/dmar*");
	if (ev.sys_ivhd)
		EV("/sys/class/iommu/ivhd*");
	if (ev.log_intel_on)
		EV("log: DMAR-IR enabled (%s)", it_apic_mode_str(ev.log_intel_apic));
	if (ev.log_amd_on)
		EV("log: AMD-Vi remapping enabled");
	if (ev.apic != IT_APIC_UNKNOWN)
		EV("apic: %s", it_apic_mode_str(ev.apic));
	snprintf(out->evidence, sizeof(out->evidence), "%s", ev_txt);

	out->iommu_present = ev.sys_dmar || ev.sys_ivhd || ev.sys_other || ev.chip_dmar ||
			     ev.handler_amdvi || ev.log_iommu || ev.chip_intel_ir ||
			     ev.chip_amd_ir;

	if (ev.log_intel_on || ev.chip_intel_ir ||
	    (ev.chip_ir && (ev.sys_dmar || ev.chip_dmar) && !ev.log_amd_on)) {
		out->mode = IT_IR_INTEL;
		if (ev.apic != IT_APIC_UNKNOWN)
			snprintf(out->text, sizeof(out->text), "DMAR-IR (%s)",
				 it_apic_mode_str(ev.apic));
		else
			snprintf(out->text, sizeof(out->text), "DMAR-IR");
	} else if (ev.log_amd_on || ev.chip_amd_ir ||
		   (ev.chip_ir && (ev.sys_ivhd || ev.handler_amdvi))) {
		out->mode = IT_IR_AMD;
		if (ev.apic == IT_APIC_X2APIC)
			snprintf(out->text, sizeof(out->text), "AMD-Vi (x2apic)");
		else
			snprintf(out->text, sizeof(out->text), "AMD-Vi");
	} else if (ev.chip_ir) {
		out->mode = IT_IR_OTHER;
		snprintf(out->text, sizeof(out->text), "IR (vendor unknown)");
	} else if (ev.chip_its || ev.log_its) {
		out->mode = IT_IR_ARM_ITS;
		snprintf(out->text, sizeof(out->text), "GICv3 ITS");
	} else if (ev.have_rows) {
		out->mode = IT_IR_NONE;
		snprintf(out->text, sizeof(out->text), "none");
	} else {
		out->mode = IT_IR_UNKNOWN;
		snprintf(out->text, sizeof(out->text), "unknown");
	}
	if (out->mode != IT_IR_UNKNOWN) {
		out->src.known = true;
	} else if (!out->src.reason[0]) {
		src_note(&out->src, false, ENOENT, "no remapping evidence");
	}
#undef EV
	return 0;
}

int it_ir_detect(const char *root, const char *dmesg_path, struct it_ir_info *out)
{
	return ir_detect(root, dmesg_path, false, out);
}

static int ir_detect_default(const char *root, bool allow_kmsg, struct it_ir_info *out)
{
	char *dm = NULL;
	int r;

	if (!root_is_live(root)) {
		dm = mkpath(root, "/" IT_SNAP_DMESG_FILE);
		if (!dm)
			return -ENOMEM;
	}
	r = ir_detect(root, dm, root_is_live(root) && allow_kmsg, out);
	free(dm);
	return r;
}

int it_ir_mode_detect(const char *root, char *buf, size_t len)
{
	struct it_ir_info info;

	if (ir_detect_default(root, true, &info)) {
		if (buf && len)
			snprintf(buf, len, "unknown");
		return IT_IR_UNKNOWN;
	}
	if (buf && len)
		snprintf(buf, len, "%s", info.text);
	return (int)info.mode;
}

/* ---- IRTE dumps ------------------------------------------------------------ */

void it_irte_table_free(struct it_snap_irte_table *t)
{
	free(t->e);
	t->e = NULL;
	t->n = 0;
}

uint32_t it_irte_intel_apic_dest(const struct it_snap_irte *e, bool x2apic)
{
	return x2apic ? e->dest_id : (e->dest_id >> 8) & 0xff;
}

uint32_t it_irte_amd_dest(const struct it_snap_irte *e)
{
	return e->dest_id;
}

static void decode_intel(struct it_snap_irte *e)
{
	uint64_t lo = e->raw_lo, hi = e->raw_hi;

	e->present = lo & 1;
	e->fpd = lo >> 1 & 1;
	e->posted = lo >> 15 & 1;
	e->vector = (uint8_t)(lo >> 16);
	e->sid = (uint16_t)hi;
	e->sq = (uint8_t)(hi >> 16 & 3);
	e->svt = (uint8_t)(hi >> 18 & 3);
	if (e->posted) {
		e->urgent = lo >> 14 & 1;
		e->pda = (hi >> 32) << 32 | ((lo >> 38) << 6);
	} else {
		e->dst_mode = lo >> 2 & 1;
		e->redir_hint = lo >> 3 & 1;
		e->trigger_mode = lo >> 4 & 1;
		e->delivery_mode = lo >> 5 & 7;
		e->dest_id = (uint32_t)(lo >> 32);
	}
}

int it_irte_parse_intel_text(const char *text, struct it_snap_irte_table *t)
{
	enum { SEC_NONE, SEC_REMAP, SEC_POSTED } sec = SEC_NONE;
	char iommu[16] = "";
	uint64_t irta = 0;
	char *buf = strdup(text), *save = NULL;
	if (!buf)
		return -ENOMEM;
	t->fmt = IT_IRTE_FMT_INTEL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = lskip(l);
		const char *k;
		unsigned idx, bus, dev, fn, a, b, vec;
		unsigned long long hi, lo;
		int used = 0;

		if ((k = strstr(p, "Remapped Interrupt supported on IOMMU:")) ||
		    (k = strstr(p, "Posted Interrupt supported on IOMMU:"))) {
			sec = k[0] == 'R' ? SEC_REMAP : SEC_POSTED;
			snprintf(iommu, sizeof(iommu), "%s", lskip(strchr(k, ':') + 1));
			rstrip(iommu);
			irta = 0;
			continue;
		}
		if (!strncmp(p, "IR table address:", 17)) {
			irta = strtoull(p + 17, NULL, 16);
			continue;
		}
		if (!strncmp(p, "Interrupt Remapping is not enabled", 34)) {
			src_note(&t->src, true, 0, "%s: interrupt remapping not enabled",
				 iommu[0] ? iommu : "iommu");
			continue;
		}
		if (!strncmp(p, "****", 4) || !strncmp(p, "Entry", 5) || !isdigit((unsigned char)*p))
			continue;
		if (sec == SEC_REMAP &&
		    sscanf(p, "%u %x:%x.%x %x %x %llx %llx%n", &idx, &bus, &dev, &fn, &a, &vec,
			   &hi, &lo, &used) == 8 && !*lskip(p + used)) {
			b = 0;
		} else if (sec == SEC_POSTED &&
			   sscanf(p, "%u %x:%x.%x %x %x %x %llx %llx%n", &idx, &bus, &dev, &fn, &a,
				  &b, &vec, &hi, &lo, &used) == 9 && !*lskip(p + used)) {
			;
		} else {
			t->unparsed++;
			continue;
		}
		{
			struct it_snap_irte *e = push(&t->e, &t->n, sizeof(*e));

			if (!e) {
				free(buf);
				return -ENOMEM;
			}
			e->fmt = IT_IRTE_FMT_INTEL;
			snprintf(e->iommu, sizeof(e->iommu), "%s", iommu);
			e->table_addr = irta;
			e->index = idx;
			e->raw_hi = hi;
			e->raw_lo = lo;
			decode_intel(e);
			/* The printed columns are authoritative for what they show. */
			e->sid = (uint16_t)((bus & 0xff) << 8 | (dev & 0x1f) << 3 | (fn & 7));
			e->vector = (uint8_t)vec;
			if (sec == SEC_REMAP) {
				e->dest_id = a;
			} else {
				e->posted = true;
				e->pda = (uint64_t)a << 32 | b;
			}
			snprintf(e->sid_bdf, sizeof(e->sid_bdf), "0000:%02x:%02x.%u",
				 bus & 0xff, dev & 0x1f, fn & 7);
		}
	}
	free(buf);
	t->src.known = true;
	return 0;
}

static void decode_amd32(struct it_snap_irte *e)
{
	uint64_t v = e->raw_lo;

	e->present = v & 1;
	e->fpd = v >> 1 & 1;
	e->delivery_mode = (uint8_t)(v >> 2 & 7);
	e->rq_eoi = v >> 5 & 1;
	e->dst_mode = v >> 6 & 1;
	e->dest_id = (uint32_t)(v >> 8 & 0xff);
	e->vector = (uint8_t)(v >> 16);
}

static void decode_amd128(struct it_snap_irte *e)
{
	uint64_t lo = e->raw_lo, hi = e->raw_hi;

	e->present = lo & 1;
	e->fpd = lo >> 1 & 1;
	e->posted = lo >> 7 & 1;	/* guest mode */
	if (e->posted) {
		e->ga_log_intr = lo >> 2 & 1;
		e->is_run = lo >> 6 & 1;
		e->pda = (hi >> 12 & ((1ull << 40) - 1)) << 12;
	} else {
		e->delivery_mode = (uint8_t)(lo >> 2 & 7);
		e->rq_eoi = lo >> 5 & 1;
		e->dst_mode = lo >> 6 & 1;
	}
	e->dest_id = (uint32_t)(lo >> 8 & 0xffffff) | (uint32_t)(hi >> 56) << 24;
	e->ga_tag = (uint32_t)(lo >> 32);
	e->vector = (uint8_t)hi;
}

static int hex_token(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (!n || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		x = x << 4 | (uint64_t)h;
	}
	*v = x;
	return 0;
}

int it_irte_parse_amd_text(const char *text, struct it_snap_irte_table *t)
{
	char bdf[IT_BDF_LEN] = "";
	uint16_t sid = 0;
	char *buf = strdup(text), *save = NULL;
	bool any_table = false;

	if (!buf)
		return -ENOMEM;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *p = trim(l), *tok[3];
		size_t ntok = 0, len[3];
		unsigned long idx;
		char *e;
		struct it_snap_irte *ent;

		if (!strncmp(p, "DeviceId", 8)) {
			char *d = lskip(p + 8);

			any_table = true;
			unsigned dom, bus, dev, fn;

			if (it_bdf_parse(d, strlen(d), bdf) ||
			    sscanf(bdf, "%x:%x:%x.%u", &dom, &bus, &dev, &fn) != 4) {
				bdf[0] = '\0';
				sid = 0;
				t->unparsed++;
			} else {
				sid = (uint16_t)(bus << 8 | dev << 3 | fn);
			}
			continue;
		}
		if (!strncmp(p, "Interrupt remapping is disabled", 31)) {
			src_note(&t->src, true, 0, "iommu/amd/irqtbl: interrupt remapping disabled");
			any_table = true;
			continue;
		}
		if (!strncmp(p, "Enter a valid device ID", 23)) {
			src_note(&t->src, false, ENOENT,
				 "iommu/amd/irqtbl: no device selected in iommu/amd/devid");
			continue;
		}
		if (!strncmp(p, "IRQ lookup table not set", 24)) {
			src_note(&t->src, true, 0, "iommu/amd/irqtbl: %s", p);
			any_table = true;
			continue;
		}
		if (strncmp(p, "IRT[", 4))
			continue;
		errno = 0;
		idx = strtoul(p + 4, &e, 10);
		if (errno || *e != ']' || e == p + 4 || idx > UINT32_MAX) {
			t->unparsed++;
			continue;
		}
		p = e + 1;
		while (ntok < 3) {
			p = lskip(p);
			if (!*p)
				break;
			tok[ntok] = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
			len[ntok] = (size_t)(p - tok[ntok]);
			ntok++;
		}
		ent = push(&t->e, &t->n, sizeof(*ent));
		if (!ent) {
			free(buf);
			return -ENOMEM;
		}
		ent->index = (uint32_t)idx;
		snprintf(ent->sid_bdf, sizeof(ent->sid_bdf), "%s", bdf);
		ent->sid = sid;
		if (ntok == 2 && !hex_token(tok[0], len[0], &ent->raw_hi) &&
		    !hex_token(tok[1], len[1], &ent->raw_lo)) {
			ent->fmt = IT_IRTE_FMT_AMD128;
			decode_amd128(ent);
		} else if (ntok == 1 && len[0] == 32 && !hex_token(tok[0], 16, &ent->raw_hi) &&
			   !hex_token(tok[0] + 16, 16, &ent->raw_lo)) {
			ent->fmt = IT_IRTE_FMT_AMD128;	/* hi and lo printed joined */
			decode_amd128(ent);
		} else if (ntok == 1 && len[0] <= 8 && !hex_token(tok[0], len[0], &ent->raw_lo)) {
			ent->fmt = IT_IRTE_FMT_AMD32;
			decode_amd32(ent);
		} else {
			t->n--;
			t->unparsed++;
			continue;
		}
		t->fmt = ent->fmt;
	}
	free(buf);
	if (any_table || t->n)
		t->src.known = true;
	return 0;
}

static int irte_read_file(const char *path, struct it_snap_irte_table *t, bool amd)
{
	char *text;
	int err, r;

	text = slurp(path, NULL, &err);
	if (!text) {
		if (err == ENOMEM)
			return -ENOMEM;
		src_note(&t->src, t->src.known, err, "%s: %s", path, strerror(err));
		return -err;
	}
	r = amd ? it_irte_parse_amd_text(text, t) : it_irte_parse_intel_text(text, t);
	free(text);
	return r;
}

int it_irte_read_intel(const char *path, struct it_snap_irte_table *t)
{
	return irte_read_file(path, t, false);
}

int it_irte_read_amd(const char *path, struct it_snap_irte_table *t)
{
	return irte_read_file(path, t, true);
}

static bool path_exists(const char *root, const char *rel)
{
	char *p = mkpath(root, "%s", rel);
	struct stat st;
	bool ok;

	if (!p)
		return false;
	ok = !stat(p, &st);
	free(p);
	return ok;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(text);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, text, n);
	if (w < 0 || (size_t)w != n) {
		int e = w < 0 ? errno : EIO;

		close(fd);
		return -e;
	}
	return close(fd) ? -errno : 0;
}

int it_snapshot_read_irte(struct it_snapshot *s)
{
	const char *intel = "/sys/kernel/debug/iommu/intel/ir_translation_struct";
	const char *amd = "/sys/kernel/debug/iommu/amd/irqtbl";
	struct it_snap_irte_table *t = &s->irte;
	char *p;
	int r = 0;

	it_irte_table_free(t);
	memset(t, 0, sizeof(*t));
	if (path_exists(s->root, intel)) {
		p = mkpath(s->root, "%s", intel);
		if (!p)
			return -ENOMEM;
		r = it_irte_read_intel(p, t);
		free(p);
		if (r && r != -ENOMEM) {
			/* keep the reason with the logical path */
			src_reset(&t->src);
			src_note(&t->src, false, -r, "%s: %s", intel, strerror(-r));
			r = 0;
		}
		return r;
	}
	if (path_exists(s->root, amd)) {
		p = mkpath(s->root, "%s", amd);
		if (!p)
			return -ENOMEM;
		if (s->flags & IT_SNAP_AMD_SELECT) {
			char *devid = mkpath(s->root, "/sys/kernel/debug/iommu/amd/devid");
			size_t nsel = 0;

			if (!devid) {
				free(p);
				return -ENOMEM;
			}
			for (size_t i = 0; i < s->npci && !r; i++) {
				if (!s->pci[i].nmsi)
					continue;
				if (write_file(devid, s->pci[i].bdf))
					continue;
				nsel++;
				r = it_irte_read_amd(p, t);
				if (r && r != -ENOMEM)
					r = 0;
			}
			free(devid);
			if (!nsel && !r) {
				r = it_irte_read_amd(p, t);
				if (r && r != -ENOMEM)
					r = 0;
			}
		} else {
			r = it_irte_read_amd(p, t);
			if (r && r != -ENOMEM)
				r = 0;
		}
		free(p);
		return r;
	}
	if (path_exists(s->root, "/sys/kernel/debug/iommu"))
		src_note(&t->src, false, ENOENT,
			 "no IRTE dump in /sys/kernel/debug/iommu (intel/ir_translation_struct "
			 "needs CONFIG_IRQ_REMAP, amd/irqtbl Linux 6.17+)");
	else if (path_exists(s->root, "/sys/kernel/debug/tracing") ||
		 path_exists(s->root, "/sys/kernel/debug/kvm"))
		src_note(&t->src, false, ENOENT,
			 "/sys/kernel/debug/iommu absent (kernel built without CONFIG_IOMMU_DEBUGFS)");
	else
		src_note(&t->src, false, ENOENT,
			 "/sys/kernel/debug/iommu absent (debugfs not mounted, or kernel without "
			 "CONFIG_IOMMU_DEBUGFS)");
	return 0;
}

/* ---- VMM scan ---------------------------------------------------------------- */

int it_fd_classify(const char *t, int *num)
{
	int n = -1;

	if (num)
		*num = -1;
	if (!strcmp(t, "/dev/kvm"))
		return IT_FD_KVM_DEV;
	if (!strcmp(t, "anon_inode:kvm-vm"))
		return IT_FD_KVM_VM;
	if (!strncmp(t, "anon_inode:kvm-vcpu:", 20)) {
		if (parse_int(t + 20, &n))
			return 0;
		if (num)
			*num = n;
		return IT_FD_KVM_VCPU;
	}
	/* KVM devices (kvm-vfio, kvm-arm-vgic-v3, ...), not the stats fds */
	if (!strncmp(t, "anon_inode:kvm-", 15) && !strstr(t, "-stats"))
		return IT_FD_KVM_DEVICE;
	if (!strcmp(t, "/dev/vfio/vfio"))
		return IT_FD_VFIO_CONTAINER;
	if (!strncmp(t, "/dev/vfio/devices/vfio", 22)) {
		if (parse_int(t + 22, &n))
			return 0;
		if (num)
			*num = n;
		return IT_FD_VFIO_CDEV;
	}
	if (!strncmp(t, "/dev/vfio/", 10)) {
		const char *g = t + 10;

		if (!strncmp(g, "noiommu-", 8))
			g += 8;
		if (parse_int(g, &n))
			return 0;
		if (num)
			*num = n;
		return IT_FD_VFIO_GROUP;
	}
	if (!strcmp(t, "anon_inode:[vfio-device]"))
		return IT_FD_VFIO_DEVICE;
	if (!strcmp(t, "/dev/iommu"))
		return IT_FD_IOMMUFD;
	if (!strcmp(t, "anon_inode:[eventfd]"))
		return IT_FD_EVENTFD;
	return 0;
}

char *it_qemu_name_from_arg(const char *arg)
{
	size_t n = strlen(arg);
	char *item = malloc(n + 1), *res = NULL;
	size_t i = 0;
	bool first = true;

	if (!item)
		return NULL;
	while (i <= n && !res) {
		size_t k = 0;

		/* one comma-separated item, ",," is a literal comma */
		while (i < n) {
			if (arg[i] == ',') {
				if (i + 1 < n && arg[i + 1] == ',') {
					item[k++] = ',';
					i += 2;
					continue;
				}
				break;
			}
			item[k++] = arg[i++];
		}
		item[k] = '\0';
		i++;	/* skip the separator (or pass the end) */
		if (!strncmp(item, "guest=", 6))
			res = strdup(item + 6);
		else if (first && k && !strchr(item, '='))
			res = strdup(item);
		first = false;
	}
	free(item);
	if (res && !res[0]) {
		free(res);
		res = NULL;
	}
	return res;
}

char *it_vmm_name_from_cmdline(const char *in, size_t len)
{
	/* /proc/PID/cmdline read into a fixed buffer may end inside an
	 * argument: work on a copy that is always terminated */
	char *buf = malloc(len + 1), *res = NULL;
	size_t i = 0;

	if (!buf)
		return NULL;
	memcpy(buf, in, len);
	buf[len] = '\0';
	while (i < len) {
		const char *a = buf + i;
		size_t l = strlen(a);
		size_t next = i + l + 1;

		if (!strcmp(a, "-name") || !strcmp(a, "--name")) {
			if (next < len)
				res = it_qemu_name_from_arg(buf + next);
			break;
		}
		if (!strncmp(a, "-name=", 6)) {
			res = it_qemu_name_from_arg(a + 6);
			break;
		}
		if (!strncmp(a, "--name=", 7)) {
			res = it_qemu_name_from_arg(a + 7);
			break;
		}
		i = next;
	}
	free(buf);
	return res;
}

static void vmm_fd_free(struct it_vmm_fd *f)
{
	free(f->name);
	free(f->group_bdfs);
}

void it_vmm_free(struct it_vmm *v)
{
	for (size_t i = 0; i < v->nfds; i++)
		vmm_fd_free(&v->fds[i]);
	free(v->fds);
	free(v->name);
	free(v->exe);
	memset(v, 0, sizeof(*v));
}

static int cmp_vmm_fd(const void *a, const void *b)
{
	const struct it_vmm_fd *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

static int cmp_vmm(const void *a, const void *b)
{
	const struct it_vmm *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void bdf_from_syspath(const char *path, char out[IT_BDF_LEN])
{
	const char *b = base_name(path);

	if (it_bdf_parse(b, strlen(b), out))
		out[0] = '\0';
}

static int read_fdinfo(const char *root, int pid, struct it_vmm_fd *f)
{
	char *p = mkpath(root, "/proc/%d/fdinfo/%d", pid, f->fd);
	char *t, *save = NULL;
	int err;

	if (!p)
		return -ENOMEM;
	t = slurp(p, NULL, &err);
	free(p);
	if (!t)
		return err == ENOMEM ? -ENOMEM : 0;
	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "eventfd-count:", 14)) {
			f->eventfd_count = strtoull(lskip(l + 14), NULL, 16);
			f->eventfd_known = true;
		} else if (!strncmp(l, "eventfd-id:", 11)) {
			int id;

			if (!parse_int(trim(l + 11), &id))
				f->eventfd_id = id;
		} else if (!strncmp(l, "eventfd-semaphore:", 18)) {
			f->eventfd_semaphore = atoi(lskip(l + 18)) != 0;
		} else if (!strncmp(l, "vfio-device-syspath:", 20)) {
			bdf_from_syspath(trim(l + 20), f->bdf);
		}
	}
	free(t);
	return 0;
}

static int read_group_devices(const char *root, struct it_vmm_fd *f)
{
	char *p = mkpath(root, "/sys/kernel/iommu_groups/%d/devices", f->num);
	struct dirent *de;
	DIR *dh;

	if (!p)
		return -ENOMEM;
	dh = opendir(p);
	free(p);
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		char bdf[IT_BDF_LEN];
		char (*slot)[IT_BDF_LEN];

		if (it_bdf_parse(de->d_name, strlen(de->d_name), bdf))
			continue;
		slot = push(&f->group_bdfs, &f->ngroup_bdfs, sizeof(*slot));
		if (!slot) {
			closedir(dh);
			return -ENOMEM;
		}
		memcpy(*slot, bdf, IT_BDF_LEN);
	}
	closedir(dh);
	if (f->ngroup_bdfs > 1)
		qsort(f->group_bdfs, f->ngroup_bdfs, IT_BDF_LEN, cmp_bdf);
	return 0;
}

static int scan_one_pid(const char *root, int pid, struct it_vmm *v, bool *keep, int *ferr)
{
	char *p = mkpath(root, "/proc/%d/fd", pid);
	struct dirent *de;
	DIR *dh;
	int r = 0;

	*keep = false;
	*ferr = 0;
	if (!p)
		return -ENOMEM;
	dh = opendir(p);
	if (!dh) {
		*ferr = errno;
		free(p);
		return 0;
	}
	v->pid = pid;
	while ((de = readdir(dh))) {
		struct it_vmm_fd *f;
		char *lp, *target;
		int fd, num, kind, err;

		if (parse_int(de->d_name, &fd))
			continue;
		lp = mkpath(NULL, "%s/%d", p, fd);
		if (!lp) {
			r = -ENOMEM;
			break;
		}
		target = xreadlink(lp, &err);
		free(lp);
		if (!target) {
			if (err == ENOMEM) {
				r = -ENOMEM;
				break;
			}
			continue;
		}
		kind = it_fd_classify(target, &num);
		if (!kind) {
			free(target);
			continue;
		}
		f = push(&v->fds, &v->nfds, sizeof(*f));
		if (!f) {
			free(target);
			r = -ENOMEM;
			break;
		}
		f->fd = fd;
		f->kind = (enum it_fd_kind)kind;
		f->num = num;
		f->eventfd_id = -1;
		if (kind == IT_FD_KVM_DEVICE) {
			f->name = strdup(target + strlen("anon_inode:"));
			if (!f->name) {
				free(target);
				r = -ENOMEM;
				break;
			}
		}
		if (kind == IT_FD_VFIO_GROUP)
			f->noiommu = strstr(target, "noiommu-") != NULL;
		free(target);
		if (kind != IT_FD_EVENTFD)
			*keep = true;
	}
	closedir(dh);
	free(p);
	return r;
}

static int fill_vmm(const char *root, struct it_vmm *v)
{
	char *p, *t;
	size_t len;
	int err, r;

	for (size_t i = 0; i < v->nfds; i++) {
		struct it_vmm_fd *f = &v->fds[i];

		switch (f->kind) {
		case IT_FD_KVM_VM:
			v->nvms++;
			break;
		case IT_FD_KVM_VCPU:
			v->nvcpus++;
			break;
		case IT_FD_EVENTFD:
			v->neventfds++;
			r = read_fdinfo(root, v->pid, f);
			if (r)
				return r;
			break;
		case IT_FD_VFIO_DEVICE:
			v->nvfio_devices++;
			r = read_fdinfo(root, v->pid, f);
			if (r)
				return r;
			break;
		case IT_FD_VFIO_CDEV:
			v->nvfio_devices++;
			r = read_fdinfo(root, v->pid, f);
			if (r)
				return r;
			if (!f->bdf[0]) {
				char *lp = mkpath(root, "/sys/class/vfio-dev/vfio%d/device", f->num);
				char *target;

				if (!lp)
					return -ENOMEM;
				target = xreadlink(lp, &err);
				free(lp);
				if (target) {
					bdf_from_syspath(target, f->bdf);
					free(target);
				}
			}
			break;
		case IT_FD_VFIO_GROUP:
			r = read_group_devices(root, f);
			if (r)
				return r;
			break;
		default:
			break;
		}
	}
	if (v->nfds > 1)
		qsort(v->fds, v->nfds, sizeof(*v->fds), cmp_vmm_fd);

	p = mkpath(root, "/proc/%d/comm", v->pid);
	if (!p)
		return -ENOMEM;
	t = slurp(p, NULL, &err);
	free(p);
	if (t) {
		snprintf(v->comm, sizeof(v->comm), "%s", rstrip(t));
		free(t);
	}
	p = mkpath(root, "/proc/%d/cmdline", v->pid);
	if (!p)
		return -ENOMEM;
	t = slurp(p, &len, &err);
	free(p);
	if (t) {
		if (len) {
			v->name = it_vmm_name_from_cmdline(t, len);
			v->exe = strdup(t);
			if (!v->exe) {
				free(t);
				return -ENOMEM;
			}
		}
		free(t);
	}
	return 0;
}

int it_vmm_scan(const char *root, struct it_vmm **vmms, size_t *nvmms,
		struct it_snap_src *src, size_t *nscanned, size_t *nunreadable)
{
	char *p = mkpath(root, "/proc");
	size_t first = *nvmms, scanned = 0, unreadable = 0;
	int first_err = 0, first_pid = 0;
	struct dirent *de;
	DIR *dh;
	int r = 0;

	src_reset(src);
	if (!p)
		return -ENOMEM;
	dh = opendir(p);
	free(p);
	if (!dh) {
		src_note(src, false, errno, "/proc: %s", strerror(errno));
		return 0;
	}
	while ((de = readdir(dh))) {
		struct it_vmm v = { 0 }, *slot;
		bool keep;
		int pid, ferr;

		if (parse_int(de->d_name, &pid))
			continue;
		r = scan_one_pid(root, pid, &v, &keep, &ferr);
		if (r) {
			it_vmm_free(&v);
			break;
		}
		if (ferr) {
			if (ferr != ENOENT) {	/* ENOENT: the process exited */
				unreadable++;
				if (!first_err) {
					first_err = ferr;
					first_pid = pid;
				}
			}
			it_vmm_free(&v);
			continue;
		}
		scanned++;
		if (!keep) {
			it_vmm_free(&v);
			continue;
		}
		r = fill_vmm(root, &v);
		if (r) {
			it_vmm_free(&v);
			break;
		}
		slot = push(vmms, nvmms, sizeof(*slot));
		if (!slot) {
			it_vmm_free(&v);
			r = -ENOMEM;
			break;
		}
		*slot = v;
	}
	closedir(dh);
	if (*nvmms - first > 1)
		qsort(*vmms + first, *nvmms - first, sizeof(**vmms), cmp_vmm);
	if (nscanned)
		*nscanned = scanned;
	if (nunreadable)
		*nunreadable = unreadable;
	if (!scanned && unreadable)
		src_note(src, false, first_err, "/proc/*/fd unreadable (%zu processes, "
			 "first pid %d: %s)", unreadable, first_pid, strerror(first_err));
	else if (unreadable)
		src_note(src, true, first_err, "%zu processes' fds unreadable (first pid %d: %s)",
			 unreadable, first_pid, strerror(first_err));
	else
		src->known = true;
	return r;
}

/* ---- the snapshot -------------------------------------------------------------- */

static void snapshot_join(struct it_snapshot *s)
{
	for (size_t i = 0; i < s->nirqs; i++) {
		struct it_irq *q = &s->irqs[i];

		for (size_t d = 0; d < s->npci; d++) {
			const struct it_pci_dev *dev = &s->pci[d];
			struct it_msi_irq key = { .irq = q->irq };
			const struct it_msi_irq *m;

			if (!dev->nmsi)
				continue;
			m = bsearch(&key, dev->msi, dev->nmsi, sizeof(key), cmp_msi);
			if (!m)
				continue;
			if (!q->bdf[0])
				snprintf(q->bdf, sizeof(q->bdf), "%s", dev->bdf);
			if (m->mode == IT_IRQ_MSIX && q->kind != IT_IRQ_IMS)
				q->kind = IT_IRQ_MSIX;
			else if (m->mode == IT_IRQ_MSI && q->kind == IT_IRQ_OTHER)
				q->kind = IT_IRQ_MSI;
			break;
		}
	}
}

int it_snapshot_read(struct it_snapshot *s, const char *root, unsigned flags)
{
	size_t rl;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!flags)
		flags = IT_SNAP_ALL;
	s->flags = flags;
	if (root_is_live(root))
		root = "";
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	s->root = strndup(root, rl);
	if (!s->root)
		return -ENOMEM;

	if (flags & IT_SNAP_INTERRUPTS)
		r = it_snapshot_read_interrupts(s);
	else
		src_note(&s->interrupts_src, false, 0, "not requested");
	if (!r && (flags & (IT_SNAP_PCI | IT_SNAP_IRTE)))
		r = it_snapshot_read_pci(s);
	else if (!r)
		src_note(&s->pci_src, false, 0, "not requested");
	if (!r && (flags & IT_SNAP_AFFINITY))
		r = it_snapshot_read_affinity(s);
	else if (!r)
		src_note(&s->aff_src, false, 0, "not requested");
	if (!r && (flags & IT_SNAP_CPUS)) {
		r = it_snapshot_read_cpus(s);
	} else if (!r) {
		src_note(&s->cpus.online_src, false, 0, "not requested");
		src_note(&s->cpus.isolated_src, false, 0, "not requested");
		src_note(&s->cpus.nohz_full_src, false, 0, "not requested");
	}
	if (!r && (flags & IT_SNAP_IR)) {
		r = ir_detect_default(s->root, !(flags & IT_SNAP_NO_KMSG), &s->ir);
	} else if (!r) {
		snprintf(s->ir.text, sizeof(s->ir.text), "unknown");
		src_note(&s->ir.src, false, 0, "not requested");
	}
	if (!r && (flags & IT_SNAP_IRTE))
		r = it_snapshot_read_irte(s);
	else if (!r)
		src_note(&s->irte.src, false, 0, "not requested");
	if (!r && (flags & IT_SNAP_VMM))
		r = it_vmm_scan(s->root, &s->vmms, &s->nvmms, &s->vmm_src,
				&s->procs_scanned, &s->procs_unreadable);
	else if (!r)
		src_note(&s->vmm_src, false, 0, "not requested");
	if (!r)
		snapshot_join(s);
	return r;
}

void it_snapshot_free(struct it_snapshot *s)
{
	if (!s)
		return;
	interrupts_clear(s);
	pci_clear(s);
	aff_clear(s);
	it_cpumask_free(&s->cpus.online);
	it_cpumask_free(&s->cpus.isolated);
	it_cpumask_free(&s->cpus.nohz_full);
	it_irte_table_free(&s->irte);
	for (size_t i = 0; i < s->nvmms; i++)
		it_vmm_free(&s->vmms[i]);
	free(s->vmms);
	free(s->root);
	memset(s, 0, sizeof(*s));
}

/* ---- look-ups ------------------------------------------------------------------- */

const struct it_irq *it_snapshot_irq(const struct it_snapshot *s, int irq)
{
	for (size_t i = 0; i < s->nirqs; i++)
		if (s->irqs[i].irq == irq)
			return &s->irqs[i];
	return NULL;
}

const struct it_arch_irq *it_snapshot_arch(const struct it_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->narch; i++)
		if (!strcmp(s->arch[i].name, name))
			return &s->arch[i];
	return NULL;
}

const struct it_pci_dev *it_snapshot_pci(const struct it_snapshot *s, const char *bdf)
{
	struct it_pci_dev key;

	if (!s->npci || snprintf(key.bdf, sizeof(key.bdf), "%s", bdf) >= (int)sizeof(key.bdf))
		return NULL;
	return bsearch(&key, s->pci, s->npci, sizeof(key), cmp_pci);
}

const struct it_irq_aff *it_snapshot_aff(const struct it_snapshot *s, int irq)
{
	struct it_irq_aff key = { .irq = irq };

	if (!s->naff)
		return NULL;
	return bsearch(&key, s->aff, s->naff, sizeof(key), cmp_aff);
}

const struct it_snap_irte *it_snapshot_irte(const struct it_snapshot *s, const char *sid_bdf,
				       size_t nth)
{
	for (size_t i = 0; i < s->irte.n; i++)
		if (!strcmp(s->irte.e[i].sid_bdf, sid_bdf) && nth-- == 0)
			return &s->irte.e[i];
	return NULL;
}

const struct it_vmm *it_snapshot_vmm_for_bdf(const struct it_snapshot *s, const char *bdf)
{
	for (size_t i = 0; i < s->nvmms; i++) {
		const struct it_vmm *v = &s->vmms[i];

		for (size_t k = 0; k < v->nfds; k++) {
			const struct it_vmm_fd *f = &v->fds[k];

			if ((f->kind == IT_FD_VFIO_DEVICE || f->kind == IT_FD_VFIO_CDEV) &&
			    !strcmp(f->bdf, bdf))
				return v;
			if (f->kind == IT_FD_VFIO_GROUP)
				for (size_t g = 0; g < f->ngroup_bdfs; g++)
					if (!strcmp(f->group_bdfs[g], bdf))
						return v;
		}
	}
	return NULL;
}

uint64_t it_irq_count_on_cpu(const struct it_snapshot *s, const struct it_irq *q, int cpu)
{
	for (size_t i = 0; i < s->ncpus && i < q->ncounts; i++)
		if (s->cpu_ids[i] == cpu)
			return q->counts[i];
	return 0;
}
