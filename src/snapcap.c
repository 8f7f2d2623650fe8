// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "snapcap.h"
#include "snapshot.h"

/*
 * Blob: "ITSNAP01" then entries { u8 kind; u8 pad; u16 path_len; u32 data_len;
 * path; data }, little-endian.  kind 1 file, 2 symlink (data = target),
 * 3 directory.
 */
#define SNAP_MAGIC "ITSNAP01"
#define SNAP_MAX_FILE (8u << 20)

enum { K_FILE = 1, K_LINK = 2, K_DIR = 3 };

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_put(struct sbuf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->len + n)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void entry(struct sbuf *b, int kind, const char *path, const void *data, size_t dlen)
{
	uint8_t hdr[8];
	size_t pl = strlen(path);

	if (pl > 0xffff || dlen > SNAP_MAX_FILE)
		return;
	hdr[0] = (uint8_t)kind;
	hdr[1] = 0;
	hdr[2] = pl & 0xff;
	hdr[3] = (pl >> 8) & 0xff;
	for (int i = 0; i < 4; i++)
		hdr[4 + i] = (dlen >> (8 * i)) & 0xff;
	sb_put(b, hdr, sizeof(hdr));
	sb_put(b, path, pl);
	if (dlen)
		sb_put(b, data, dlen);
}

static char *full(const char *root, const char *path)
{
	char *p;

	if (asprintf(&p, "%s%s", root, path) < 0)
		return NULL;
	return p;
}

/* Copy one regular (or proc/sys pseudo) file if readable. */
static void cap_file(struct sbuf *b, const char *root, const char *path)
{
	char *fp = full(root, path);
	char *data = NULL;
	size_t len = 0, cap = 0;
	int fd;

	if (!fp)
		return;
	fd = open(fp, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	free(fp);
	if (fd < 0)
		return;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > SNAP_MAX_FILE)
				break;
			char *nd = realloc(data, cap);
			if (!nd)
				break;
			data = nd;
		}
		ssize_t n = read(fd, data + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	entry(b, K_FILE, path, data, len);
	free(data);
}

static void cap_link(struct sbuf *b, const char *root, const char *path)
{
	char *fp = full(root, path);
	char target[4096];
	ssize_t n;

	if (!fp)
		return;
	n = readlink(fp, target, sizeof(target) - 1);
	free(fp);
	if (n > 0)
		entry(b, K_LINK, path, target, (size_t)n);
}

static void cap_dir(struct sbuf *b, const char *root, const char *path)
{
	char *fp = full(root, path);
	struct stat st;

	if (fp && stat(fp, &st) == 0 && S_ISDIR(st.st_mode))
		entry(b, K_DIR, path, NULL, 0);
	free(fp);
}

/* Names in a directory (sorted), for the caller to walk. */
static int list_dir(const char *root, const char *path, char ***names)
{
	char *fp = full(root, path);
	struct dirent **nl = NULL;
	int n;

	*names = NULL;
	if (!fp)
		return 0;
	n = scandir(fp, &nl, NULL, alphasort);
	free(fp);
	if (n < 0)
		return 0;
	char **out = calloc((size_t)n + 1, sizeof(char *));
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (out && nl[i]->d_name[0] != '.')
			out[k++] = strdup(nl[i]->d_name);
		free(nl[i]);
	}
	free(nl);
	*names = out;
	return out ? k : 0;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void cap_irqs(struct sbuf *b, const char *root)
{
	static const char *const files[] = { "smp_affinity", "smp_affinity_list", "effective_affinity",
					     "effective_affinity_list" };
	char **names, path[256];
	int n = list_dir(root, "/proc/irq", &names);

	for (int i = 0; i < n; i++) {
		if (!names[i] || !numeric(names[i]))
			continue;
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			snprintf(path, sizeof(path), "/proc/irq/%s/%s", names[i], files[f]);
			cap_file(b, root, path);
		}
	}
	free_names(names, n);
}

static void cap_pci(struct sbuf *b, const char *root)
{
	char **devs, **irqs, path[512];
	int n = list_dir(root, "/sys/bus/pci/devices", &devs);

	for (int i = 0; i < n; i++) {
		if (!devs[i])
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", devs[i]);
		entry(b, K_DIR, path, NULL, 0);
		static const char *const files[] = { "vendor", "device", "class" };
		for (size_t f = 0; f < 3; f++) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", devs[i], files[f]);
			cap_file(b, root, path);
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", devs[i]);
		cap_link(b, root, path);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", devs[i]);
		cap_link(b, root, path);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs", devs[i]);
		int m = list_dir(root, path, &irqs);
		if (m)
			entry(b, K_DIR, path, NULL, 0);
		for (int k = 0; k < m; k++) {
			if (!irqs[k])
				continue;
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/msi_irqs/%s", devs[i], irqs[k]);
			cap_file(b, root, path);
		}
		free_names(irqs, m);
	}
	free_names(devs, n);
}

static void cap_iommu(struct sbuf *b, const char *root)
{
	char **names, path[512];
	int n = list_dir(root, "/sys/class/iommu", &names);

	cap_dir(b, root, "/sys/class/iommu");
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		snprintf(path, sizeof(path), "/sys/class/iommu/%s", names[i]);
		entry(b, K_DIR, path, NULL, 0);
	}
	free_names(names, n);
	cap_dir(b, root, "/sys/kernel/debug/iommu");
	cap_dir(b, root, "/sys/kernel/debug/tracing");
	cap_dir(b, root, "/sys/kernel/debug/kvm");
	cap_file(b, root, "/sys/kernel/debug/iommu/intel/ir_translation_struct");
	cap_file(b, root, "/sys/kernel/debug/iommu/amd/irqtbl");
}

static void cap_group(struct sbuf *b, const char *root, int group)
{
	char **names, path[512];
	int n;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	n = list_dir(root, path, &names);
	if (n)
		entry(b, K_DIR, path, NULL, 0);
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s", group, names[i]);
		cap_link(b, root, path);
	}
	free_names(names, n);
}

static void cap_vmms(struct sbuf *b, const char *root)
{
	char **pids, **fds, path[512], target[512];
	int n = list_dir(root, "/proc", &pids);

	for (int i = 0; i < n; i++) {
		if (!pids[i] || !numeric(pids[i]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pids[i]);
		int m = list_dir(root, path, &fds);
		bool vmm = false;

		for (int pass = 0; pass < 2; pass++) {
			for (int k = 0; k < m; k++) {
				int num = -1, kind;
				char *fp;
				ssize_t tl;

				if (!fds[k])
					continue;
				snprintf(path, sizeof(path), "/proc/%s/fd/%s", pids[i], fds[k]);
				fp = full(root, path);
				tl = fp ? readlink(fp, target, sizeof(target) - 1) : -1;
				free(fp);
				if (tl <= 0)
					continue;
				target[tl] = 0;
				kind = it_fd_classify(target, &num);
				if (pass == 0) {
					if (kind && kind != IT_FD_EVENTFD)
						vmm = true;
					continue;
				}
				if (!kind)
					continue;
				entry(b, K_LINK, path, target, (size_t)tl);
				snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pids[i], fds[k]);
				cap_file(b, root, path);
				if (kind == IT_FD_VFIO_GROUP && num >= 0)
					cap_group(b, root, num);
				if (kind == IT_FD_VFIO_CDEV && num >= 0) {
					snprintf(path, sizeof(path), "/sys/class/vfio-dev/vfio%d/device", num);
					cap_link(b, root, path);
				}
			}
			if (!vmm)
				break;
			if (pass == 0) {
				snprintf(path, sizeof(path), "/proc/%s/fd", pids[i]);
				entry(b, K_DIR, path, NULL, 0);
				snprintf(path, sizeof(path), "/proc/%s/fdinfo", pids[i]);
				entry(b, K_DIR, path, NULL, 0);
				snprintf(path, sizeof(path), "/proc/%s/comm", pids[i]);
				cap_file(b, root, path);
				snprintf(path, sizeof(path), "/proc/%s/cmdline", pids[i]);
				cap_file(b, root, path);
			}
		}
		free_names(fds, m);
	}
	free_names(pids, n);
}

/* The kernel log lines the remapping detector reads. */
static void cap_kmsg(struct sbuf *b, const char *root)
{
	static const char *const keys[] = { "DMAR", "AMD-Vi", "x2apic", "IOMMU", "iommu", "remapping",
					    "ITS", "APIC", "SMMU" };
	char *fp = full(root, IT_SNAP_DMESG_FILE);
	struct sbuf out = { 0 };
	char rec[2048];
	int fd;

	if (fp && access(fp, R_OK) == 0) {
		free(fp);
		cap_file(b, root, "/" IT_SNAP_DMESG_FILE);
		return;
	}
	free(fp);
	if (*root)
		return;
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = 0;
		char *msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		char *nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strstr(msg, keys[k])) {
				sb_put(&out, msg, strlen(msg));
				sb_put(&out, "\n", 1);
				break;
			}
		}
	}
	close(fd);
	if (!out.err && out.len)
		entry(b, K_FILE, "/" IT_SNAP_DMESG_FILE, out.p, out.len);
	free(out.p);
}

int it_snapcap_capture(const char *root, void **buf, size_t *len)
{
	struct sbuf b = { 0 };

	if (!root || !strcmp(root, "/"))
		root = "";
	sb_put(&b, SNAP_MAGIC, 8);
	cap_file(&b, root, "/proc/interrupts");
	cap_irqs(&b, root);
	cap_pci(&b, root);
	cap_file(&b, root, "/sys/devices/system/cpu/online");
	cap_file(&b, root, "/sys/devices/system/cpu/isolated");
	cap_file(&b, root, "/sys/devices/system/cpu/nohz_full");
	cap_iommu(&b, root);
	cap_vmms(&b, root);
	cap_kmsg(&b, root);
	if (b.err) {
		free(b.p);
		return b.err;
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

struct snap_ent {
	int kind;
	const char *path;
	size_t plen;
	const char *data;
	size_t dlen;
};

/* Iterate entries; returns 1 with e filled, 0 at end, -EINVAL on damage. */
static int next_ent(const unsigned char *p, size_t len, size_t *off, struct snap_ent *e)
{
	if (*off == len)
		return 0;
	if (len - *off < 8)
		return -EINVAL;
	const unsigned char *h = p + *off;
	size_t pl = h[2] | (size_t)h[3] << 8;
	size_t dl = h[4] | (size_t)h[5] << 8 | (size_t)h[6] << 16 | (size_t)h[7] << 24;
	if (h[0] < K_FILE || h[0] > K_DIR || !pl || pl > len - *off - 8 || dl > len - *off - 8 - pl)
		return -EINVAL;
	e->kind = h[0];
	e->path = (const char *)h + 8;
	e->plen = pl;
	e->data = (const char *)h + 8 + pl;
	e->dlen = dl;
	*off += 8 + pl + dl;
	return 1;
}

long it_snapcap_count(const void *buf, size_t len)
{
	struct snap_ent e;
	size_t off = 8;
	long n = 0;
	int r;

	if (len < 8 || memcmp(buf, SNAP_MAGIC, 8))
		return -EINVAL;
	while ((r = next_ent(buf, len, &off, &e)) > 0)
		n++;
	return r < 0 ? r : n;
}

static int mkdirs(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(path, 0700) && errno != EEXIST) {
			*s = '/';
			return -errno;
		}
		*s = '/';
	}
	return 0;
}

static bool safe_path(const char *p, size_t n)
{
	if (!n || p[0] != '/' || memchr(p, 0, n))
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '/'))
			return false;
	return true;
}

int it_snapcap_materialize(const void *buf, size_t len, char *dir, size_t dirlen)
{
	const char *tmp = getenv("TMPDIR");
	struct snap_ent e;
	size_t off = 8;
	int r, ret = 0;

	if (len < 8 || memcmp(buf, SNAP_MAGIC, 8))
		return -EINVAL;
	if (snprintf(dir, dirlen, "%s/irqtrail-snap.XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)dirlen)
		return -ENAMETOOLONG;
	if (!mkdtemp(dir))
		return -errno;
	while ((r = next_ent(buf, len, &off, &e)) > 0) {
		char *p;

		if (!safe_path(e.path, e.plen)) {
			ret = -EINVAL;
			break;
		}
		if (asprintf(&p, "%s%.*s", dir, (int)e.plen, e.path) < 0) {
			ret = -ENOMEM;
			break;
		}
		mkdirs(p);
		if (e.kind == K_DIR) {
			mkdir(p, 0700);
		} else if (e.kind == K_LINK) {
			char *t = strndup(e.data, e.dlen);
			if (t && symlink(t, p) && errno != EEXIST)
				ret = ret ? ret : -errno;
			free(t);
		} else {
			int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0) {
				size_t w = 0;
				while (w < e.dlen) {
					ssize_t n = write(fd, e.data + w, e.dlen - w);
					if (n <= 0)
						break;
					w += (size_t)n;
				}
				close(fd);
			}
		}
		free(p);
	}
	if (r < 0)
		ret = r;
	if (ret)
		it_snapcap_remove(dir);
	return ret;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(p);
	return 0;
}

void it_snapcap_remove(const char *dir)
{
	if (dir && *dir && !strncmp(dir, "/", 1) && strstr(dir, "irqtrail-snap."))
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
