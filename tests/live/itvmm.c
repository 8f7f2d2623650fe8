// SPDX-License-Identifier: GPL-2.0-only
/*
 * itvmm - irqtrail's test VMM.
 *
 * Drives the KVM interrupt-routing paths that irqtrail traces, without ever
 * running guest code: it creates a VM with an in-kernel irqchip and vCPUs,
 * installs MSI routes with KVM_SET_GSI_ROUTING, binds eventfds with
 * KVM_IRQFD, injects MSIs through the eventfds and through KVM_SIGNAL_MSI,
 * optionally changes a route and fires again, and prints a JSON summary of
 * exactly what it did on stdout.  Failing ioctls are reported (with errno)
 * in the summary instead of aborting the run.
 *
 * Exit status: 0 when the run completed (even if some requested ioctls
 * failed, see the JSON), 1 when the VM could not be set up or the
 * --wait-start file did not appear, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#define MAX_ROUTES	1024
#define MAX_IRQFDS	64
#define MAX_SIGNALS	64
#define MAX_FIRES	(MAX_IRQFDS + MAX_SIGNALS)
#define MAX_THREADS	64
#define MAX_ERRS	128
#define IOAPIC_PINS	24
#define MAX_GSI		4096	/* KVM_MAX_IRQ_ROUTES on x86 */

/* ------------------------------------------------------------------ */
/* bookkeeping                                                         */

enum ioc {
	IOC_GET_API_VERSION,
	IOC_CHECK_EXTENSION,
	IOC_CREATE_VM,
	IOC_CREATE_IRQCHIP,
	IOC_CREATE_VCPU,
	IOC_GET_LAPIC,
	IOC_SET_LAPIC,
	IOC_SET_GSI_ROUTING,
	IOC_IRQFD,
	IOC_SIGNAL_MSI,
	IOC_NR,
};

static const char *const ioc_names[IOC_NR] = {
	[IOC_GET_API_VERSION] = "KVM_GET_API_VERSION",
	[IOC_CHECK_EXTENSION] = "KVM_CHECK_EXTENSION",
	[IOC_CREATE_VM] = "KVM_CREATE_VM",
	[IOC_CREATE_IRQCHIP] = "KVM_CREATE_IRQCHIP",
	[IOC_CREATE_VCPU] = "KVM_CREATE_VCPU",
	[IOC_GET_LAPIC] = "KVM_GET_LAPIC",
	[IOC_SET_LAPIC] = "KVM_SET_LAPIC",
	[IOC_SET_GSI_ROUTING] = "KVM_SET_GSI_ROUTING",
	[IOC_IRQFD] = "KVM_IRQFD",
	[IOC_SIGNAL_MSI] = "KVM_SIGNAL_MSI",
};

/* ioctl calls issued outside the firing loops (those are counted per item) */
static unsigned long ioc_count[IOC_NR];

struct ioc_err {
	enum ioc ioc;
	int err;
	long arg;		/* gsi / vcpu id / -1 */
};
static struct ioc_err ioc_errs[MAX_ERRS];
static int n_ioc_errs;

struct msi {
	uint64_t address;
	uint32_t data;
};

struct route {
	uint32_t gsi;
	struct msi msg;
};

struct irqfd {
	uint32_t gsi;
	int efd;		/* eventfd, or the bad fd for --irqfd-bad-fd */
	bool bad;		/* deliberately invalid fd */
	int ret, err;
	bool deassign;		/* --deassign-irqfd asked */
	int dret, derr;		/* result of the deassign */
};

enum fire_how { FIRE_IRQFD, FIRE_SIGNAL };

struct fire {
	enum fire_how how;
	int phase;		/* 1 initial, 2 after reroute */
	uint32_t gsi;		/* irqfd only */
	int efd;		/* irqfd only */
	struct msi msg;		/* signal: the message; irqfd: route at the time */
	bool routed;		/* irqfd: gsi had an MSI route at the time */
	uint64_t count;		/* requested (0 = until duration ends) */
	/* results, summed over threads */
	uint64_t done, ok, blocked, failed;
	int first_errno;
	uint64_t elapsed_ns;
};

struct table {
	unsigned int nr, msi;
	int ret, err;
};

struct thread_res {
	uint64_t done, ok, blocked, failed;
	int first_errno;
};

struct worker {
	pthread_t th;
	int idx;
	int vm_fd;
	struct fire *items;
	int nitems;
	uint64_t share[MAX_FIRES];	/* this thread's part of each count */
	uint64_t cap[MAX_FIRES];	/* duration mode: share, or no cap */
	struct thread_res res[MAX_FIRES];
	double rate;		/* this thread's events/s, 0 = unthrottled */
	uint64_t deadline;	/* CLOCK_MONOTONIC ns, 0 = none */
};

/* options */
static unsigned int opt_vcpus = 1;
static struct route opt_routes[MAX_ROUTES];
static int n_opt_routes;
static struct route opt_reroutes[MAX_ROUTES];
static int n_opt_reroutes;
static bool opt_irqchip_routes;
static struct irqfd irqfds[MAX_IRQFDS];
static int n_irqfds;
static struct { uint32_t gsi; uint64_t count; } opt_fire_irqfd[MAX_IRQFDS];
static int n_opt_fire_irqfd;
static struct { struct msi msg; uint64_t count; } opt_signal[MAX_SIGNALS];
static int n_opt_signal;
static double opt_rate;
static uint64_t opt_duration_ms;
static uint64_t opt_fire_after;
static bool opt_fire_after_set;
static bool opt_bad_route;
static const char *opt_wait_start;
static uint64_t opt_wait_timeout_ms = 60000;
static uint64_t opt_sleep_before_ms;
static uint64_t opt_pause_ms;
static unsigned int opt_threads = 1;
static bool opt_lapic_enable = true;

/* results */
static struct route cur_routes[MAX_ROUTES];	/* MSI entries of the table in force */
static int n_cur_routes;
static struct route init_routes[MAX_ROUTES];
static int n_init_routes;
static struct { struct route nw; struct msi old; bool had_old; } reroutes[MAX_ROUTES];
static int n_reroutes;
static struct table tables[2];
static int n_tables;
static struct fire fires[2 * MAX_FIRES];
static int n_fires;
static int lapic_ok = -1;	/* vCPUs whose LAPIC was software-enabled */
static uint64_t fire_ns_total, fire_events_total;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
		;
}

static void sleep_ms(uint64_t ms)
{
	sleep_ns(ms * 1000000ull);
}

static void note_err(enum ioc ioc, int err, long arg)
{
	if (n_ioc_errs < MAX_ERRS)
		ioc_errs[n_ioc_errs++] = (struct ioc_err){ ioc, err, arg };
}

/* one counted ioctl; returns the ioctl's value, errno preserved */
static int do_ioctl(enum ioc ioc, int fd, unsigned long req, void *arg, long tag)
{
	int r;

	ioc_count[ioc]++;
	r = ioctl(fd, req, arg);
	if (r < 0) {
		int e = errno;

		note_err(ioc, e, tag);
		errno = e;
	}
	return r;
}

static void usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("itvmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* MSI decoding (x86)                                                  */

static bool msi_remappable(const struct msi *m)
{
	return m->address & (1u << 4);
}

/* destination APIC id as KVM computes it (8 bits, the virtual extended
 * destination id bits 11:5 -> 14:8, and address_hi bits 31:8 for x2APIC) */
static uint32_t msi_dest(const struct msi *m)
{
	uint32_t lo = (uint32_t)m->address;
	uint32_t hi = (uint32_t)(m->address >> 32);

	if (msi_remappable(m))	/* handle, not a destination */
		return ((lo >> 5) & 0x7fff) | (((lo >> 2) & 1) << 15);
	return ((lo >> 12) & 0xff) | (((lo >> 5) & 0x7f) << 8) | (hi & 0xffffff00);
}

static uint32_t msi_vector(const struct msi *m)
{
	return m->data & 0xff;
}

static const char *msi_delivery(const struct msi *m)
{
	static const char *const names[8] = {
		"fixed", "lowest", "smi", "reserved3",
		"nmi", "init", "startup", "extint",
	};

	return names[(m->data >> 8) & 7];
}

/* ------------------------------------------------------------------ */
/* parsing                                                             */

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	int base = 10;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno == 0 && *end == '\0' && end != s;
}

/* split "a:b:c" into exactly n fields (copies into buf) */
static int split(const char *arg, char *buf, size_t bufsz, char **f, int n)
{
	int k = 0;
	char *p;

	if (strlen(arg) >= bufsz)
		return -1;
	strcpy(buf, arg);
	p = buf;
	f[k++] = p;
	while ((p = strchr(p, ':'))) {
		*p++ = '\0';
		if (k == n)
			return -1;
		f[k++] = p;
	}
	return k == n ? 0 : -1;
}

static void check_msi(const char *opt, const struct msi *m)
{
	if (opt_bad_route)
		return;
	if ((m->address & 0xfff00000ull) != 0xfee00000ull)
		usage_err("%s: address 0x%" PRIx64 " is not in the 0xfee00000 MSI window (use --bad-route to allow)",
			  opt, m->address);
	if (msi_vector(m) < 16)
		usage_err("%s: vector %u is reserved (use --bad-route to allow)", opt, msi_vector(m));
	if (m->data > 0xffff)
		usage_err("%s: data 0x%x has bits above 15 (use --bad-route to allow)", opt, m->data);
}

static void parse_route(const char *opt, const char *arg, struct route *r)
{
	char buf[256], *f[3];
	uint64_t gsi, addr, data;

	if (split(arg, buf, sizeof(buf), f, 3) || !parse_u64(f[0], &gsi) ||
	    !parse_u64(f[1], &addr) || !parse_u64(f[2], &data))
		usage_err("%s: expected GSI:ADDRESS:DATA, got '%s'", opt, arg);
	if (data > UINT32_MAX)
		usage_err("%s: data '%s' does not fit 32 bits", opt, f[2]);
	if (gsi >= MAX_GSI && !opt_bad_route)
		usage_err("%s: gsi %" PRIu64 " >= %d (use --bad-route to allow)", opt, gsi, MAX_GSI);
	if (gsi > UINT32_MAX)
		usage_err("%s: gsi '%s' does not fit 32 bits", opt, f[0]);
	r->gsi = (uint32_t)gsi;
	r->msg.address = addr;
	r->msg.data = (uint32_t)data;
}

static uint64_t parse_count(const char *opt, const char *s)
{
	uint64_t v;

	if (!parse_u64(s, &v))
		usage_err("%s: bad number '%s'", opt, s);
	return v;
}

static struct irqfd *find_irqfd(uint32_t gsi)
{
	for (int i = 0; i < n_irqfds; i++)
		if (irqfds[i].gsi == gsi && !irqfds[i].bad)
			return &irqfds[i];
	return NULL;
}

static void help(void)
{
	puts(
"Usage: itvmm [OPTIONS]\n"
"Test VMM for irqtrail: builds a KVM VM with an in-kernel irqchip, installs MSI\n"
"routes, binds irqfds, injects MSIs, and prints a JSON summary on stdout.\n"
"vCPUs are created but never run.\n"
"\n"
"  -c, --vcpus N                 create N vCPUs (ids 0..N-1; default 1)\n"
"  -r, --route GSI:ADDR:DATA     MSI routing entry (repeatable; hex or decimal,\n"
"                                ADDR up to 64 bits -> address_lo/address_hi)\n"
"      --irqchip-routes          put 24 IOAPIC pin entries (gsi 0..23) first\n"
"  -i, --irqfd GSI               eventfd bound to GSI with KVM_IRQFD (repeatable)\n"
"      --irqfd-bad-fd GSI        KVM_IRQFD with an invalid fd (error is reported)\n"
"  -f, --fire-irqfd GSI:COUNT    write that irqfd's eventfd COUNT times\n"
"  -s, --signal ADDR:DATA:COUNT  COUNT x KVM_SIGNAL_MSI with that message\n"
"  -R, --rate R                  cap the firing loops at R events/s (0 = no cap)\n"
"  -d, --duration-ms MS          fire for MS ms (round-robin; COUNT 0 = no cap)\n"
"  -t, --threads T               split the firing over T threads (default 1)\n"
"      --reroute GSI:ADDR:DATA   after firing, replace GSI's entry in a second\n"
"                                KVM_SET_GSI_ROUTING (repeatable)\n"
"      --fire-after N            after the reroute fire N per irqfd and per signal\n"
"      --deassign-irqfd GSI      KVM_IRQFD_FLAG_DEASSIGN at the end (repeatable)\n"
"      --bad-route               allow reserved vectors/addresses/gsis\n"
"      --no-lapic-enable         leave the LAPICs software-disabled (KVM then\n"
"                                reports injections as not delivered)\n"
"      --wait-start FILE         wait until FILE exists before doing anything\n"
"      --wait-timeout-ms MS      exit 1 if FILE is not there after MS ms (60000)\n"
"      --sleep-before-ms MS      sleep MS ms before doing anything\n"
"  -p, --pause-ms MS             pause MS ms after setup and before exit\n"
"  -h, --help\n"
"\n"
"Example:\n"
"  itvmm --route 32:0xfee01000:0x4041 --irqfd 32 --fire-irqfd 32:1000 \\\n"
"        --signal 0xfee00000:0x30:5000 --reroute 32:0xfee00000:0x51 --fire-after 10");
}

enum {
	O_IRQCHIP_ROUTES = 256,
	O_IRQFD_BAD_FD,
	O_REROUTE,
	O_FIRE_AFTER,
	O_DEASSIGN,
	O_BAD_ROUTE,
	O_NO_LAPIC,
	O_WAIT_START,
	O_WAIT_TIMEOUT,
	O_SLEEP_BEFORE,
};

static const struct option long_opts[] = {
	{ "vcpus", required_argument, NULL, 'c' },
	{ "route", required_argument, NULL, 'r' },
	{ "irqchip-routes", no_argument, NULL, O_IRQCHIP_ROUTES },
	{ "irqfd", required_argument, NULL, 'i' },
	{ "irqfd-bad-fd", required_argument, NULL, O_IRQFD_BAD_FD },
	{ "fire-irqfd", required_argument, NULL, 'f' },
	{ "signal", required_argument, NULL, 's' },
	{ "rate", required_argument, NULL, 'R' },
	{ "duration-ms", required_argument, NULL, 'd' },
	{ "threads", required_argument, NULL, 't' },
	{ "reroute", required_argument, NULL, O_REROUTE },
	{ "fire-after", required_argument, NULL, O_FIRE_AFTER },
	{ "deassign-irqfd", required_argument, NULL, O_DEASSIGN },
	{ "bad-route", no_argument, NULL, O_BAD_ROUTE },
	{ "no-lapic-enable", no_argument, NULL, O_NO_LAPIC },
	{ "wait-start", required_argument, NULL, O_WAIT_START },
	{ "wait-timeout-ms", required_argument, NULL, O_WAIT_TIMEOUT },
	{ "sleep-before-ms", required_argument, NULL, O_SLEEP_BEFORE },
	{ "pause-ms", required_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void parse_args(int argc, char **argv)
{
	/* options whose meaning depends on --bad-route are parsed afterwards */
	const char *routes[MAX_ROUTES], *rr[MAX_ROUTES], *sigs[MAX_SIGNALS];
	const char *fi[MAX_IRQFDS], *deas[MAX_IRQFDS];
	int nroutes = 0, nrr = 0, nsigs = 0, nfi = 0, ndeas = 0;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:r:i:f:s:R:d:t:p:h", long_opts, NULL)) != -1) {
		uint64_t v;

		switch (c) {
		case 'c':
			v = parse_count("--vcpus", optarg);
			if (v < 1 || v > 255)
				usage_err("--vcpus: %s out of range 1..255", optarg);
			opt_vcpus = (unsigned int)v;
			break;
		case 'r':
			if (nroutes == MAX_ROUTES)
				usage_err("--route: more than %d", MAX_ROUTES);
			routes[nroutes++] = optarg;
			break;
		case O_IRQCHIP_ROUTES:
			opt_irqchip_routes = true;
			break;
		case 'i':
		case O_IRQFD_BAD_FD:
			if (n_irqfds == MAX_IRQFDS)
				usage_err("--irqfd: more than %d", MAX_IRQFDS);
			v = parse_count(c == 'i' ? "--irqfd" : "--irqfd-bad-fd", optarg);
			if (v > UINT32_MAX)
				usage_err("--irqfd: gsi %s out of range", optarg);
			if (c == 'i' && find_irqfd((uint32_t)v))
				usage_err("--irqfd: gsi %s given twice", optarg);
			irqfds[n_irqfds++] = (struct irqfd){
				.gsi = (uint32_t)v, .efd = -1, .bad = c != 'i',
			};
			break;
		case 'f':
			if (nfi == MAX_IRQFDS)
				usage_err("--fire-irqfd: more than %d", MAX_IRQFDS);
			fi[nfi++] = optarg;
			break;
		case 's':
			if (nsigs == MAX_SIGNALS)
				usage_err("--signal: more than %d", MAX_SIGNALS);
			sigs[nsigs++] = optarg;
			break;
		case 'R': {
			char *end;

			errno = 0;
			opt_rate = strtod(optarg, &end);
			if (errno || *end || end == optarg || opt_rate < 0)
				usage_err("--rate: bad number '%s'", optarg);
			break;
		}
		case 'd':
			opt_duration_ms = parse_count("--duration-ms", optarg);
			if (!opt_duration_ms)
				usage_err("--duration-ms: must be > 0");
			break;
		case 't':
			v = parse_count("--threads", optarg);
			if (v < 1 || v > MAX_THREADS)
				usage_err("--threads: %s out of range 1..%d", optarg, MAX_THREADS);
			opt_threads = (unsigned int)v;
			break;
		case O_REROUTE:
			if (nrr == MAX_ROUTES)
				usage_err("--reroute: more than %d", MAX_ROUTES);
			rr[nrr++] = optarg;
			break;
		case O_FIRE_AFTER:
			opt_fire_after = parse_count("--fire-after", optarg);
			opt_fire_after_set = true;
			break;
		case O_DEASSIGN:
			if (ndeas == MAX_IRQFDS)
				usage_err("--deassign-irqfd: more than %d", MAX_IRQFDS);
			deas[ndeas++] = optarg;
			break;
		case O_BAD_ROUTE:
			opt_bad_route = true;
			break;
		case O_NO_LAPIC:
			opt_lapic_enable = false;
			break;
		case O_WAIT_START:
			opt_wait_start = optarg;
			break;
		case O_WAIT_TIMEOUT:
			opt_wait_timeout_ms = parse_count("--wait-timeout-ms", optarg);
			break;
		case O_SLEEP_BEFORE:
			opt_sleep_before_ms = parse_count("--sleep-before-ms", optarg);
			break;
		case 'p':
			opt_pause_ms = parse_count("--pause-ms", optarg);
			break;
		case 'h':
			help();
			exit(0);
		case ':':
			usage_err("option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_err("unexpected argument '%s'", argv[optind]);

	for (int i = 0; i < nroutes; i++) {
		struct route r;

		parse_route("--route", routes[i], &r);
		check_msi("--route", &r.msg);
		opt_routes[n_opt_routes++] = r;
	}
	for (int i = 0; i < nrr; i++) {
		struct route r;

		parse_route("--reroute", rr[i], &r);
		check_msi("--reroute", &r.msg);
		opt_reroutes[n_opt_reroutes++] = r;
	}
	for (int i = 0; i < nsigs; i++) {
		char buf[256], *f[3];
		uint64_t addr, data;

		if (split(sigs[i], buf, sizeof(buf), f, 3) || !parse_u64(f[0], &addr) ||
		    !parse_u64(f[1], &data))
			usage_err("--signal: expected ADDRESS:DATA:COUNT, got '%s'", sigs[i]);
		if (data > UINT32_MAX)
			usage_err("--signal: data '%s' does not fit 32 bits", f[1]);
		opt_signal[n_opt_signal].msg = (struct msi){ addr, (uint32_t)data };
		opt_signal[n_opt_signal].count = parse_count("--signal", f[2]);
		check_msi("--signal", &opt_signal[n_opt_signal].msg);
		if (!opt_signal[n_opt_signal].count && !opt_duration_ms)
			usage_err("--signal: COUNT 0 needs --duration-ms");
		n_opt_signal++;
	}
	for (int i = 0; i < nfi; i++) {
		char buf[64], *f[2];
		uint64_t gsi, cnt;

		if (split(fi[i], buf, sizeof(buf), f, 2) || !parse_u64(f[0], &gsi) ||
		    !parse_u64(f[1], &cnt))
			usage_err("--fire-irqfd: expected GSI:COUNT, got '%s'", fi[i]);
		if (gsi > UINT32_MAX || !find_irqfd((uint32_t)gsi))
			usage_err("--fire-irqfd: no --irqfd %s", f[0]);
		if (!cnt && !opt_duration_ms)
			usage_err("--fire-irqfd: COUNT 0 needs --duration-ms");
		opt_fire_irqfd[n_opt_fire_irqfd].gsi = (uint32_t)gsi;
		opt_fire_irqfd[n_opt_fire_irqfd].count = cnt;
		n_opt_fire_irqfd++;
	}
	for (int i = 0; i < ndeas; i++) {
		uint64_t gsi = parse_count("--deassign-irqfd", deas[i]);
		struct irqfd *q = gsi <= UINT32_MAX ? find_irqfd((uint32_t)gsi) : NULL;

		if (!q)
			usage_err("--deassign-irqfd: no --irqfd %s", deas[i]);
		q->deassign = true;
	}
	if (n_opt_reroutes && !n_opt_routes && !opt_irqchip_routes)
		usage_err("--reroute needs an initial table (--route or --irqchip-routes)");
	if (opt_fire_after_set && !n_opt_reroutes)
		usage_err("--fire-after needs --reroute");
}

/* ------------------------------------------------------------------ */
/* KVM                                                                 */

static int set_routing(int vm_fd, const struct route *msi, int nmsi)
{
	unsigned int nr = (opt_irqchip_routes ? IOAPIC_PINS : 0) + (unsigned int)nmsi;
	struct kvm_irq_routing *tbl;
	struct table *t = &tables[n_tables++];
	unsigned int k = 0;
	int r;

	tbl = calloc(1, sizeof(*tbl) + nr * sizeof(tbl->entries[0]));
	if (!tbl) {
		perror("itvmm: calloc");
		exit(1);
	}
	if (opt_irqchip_routes) {
		for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++, k++) {
			tbl->entries[k].gsi = pin;
			tbl->entries[k].type = KVM_IRQ_ROUTING_IRQCHIP;
			tbl->entries[k].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
			tbl->entries[k].u.irqchip.pin = pin;
		}
	}
	for (int i = 0; i < nmsi; i++, k++) {
		tbl->entries[k].gsi = msi[i].gsi;
		tbl->entries[k].type = KVM_IRQ_ROUTING_MSI;
		tbl->entries[k].u.msi.address_lo = (uint32_t)msi[i].msg.address;
		tbl->entries[k].u.msi.address_hi = (uint32_t)(msi[i].msg.address >> 32);
		tbl->entries[k].u.msi.data = msi[i].msg.data;
	}
	tbl->nr = nr;
	r = do_ioctl(IOC_SET_GSI_ROUTING, vm_fd, KVM_SET_GSI_ROUTING, tbl, -1);
	*t = (struct table){ .nr = nr, .msi = (unsigned int)nmsi,
			     .ret = r, .err = r < 0 ? errno : 0 };
	free(tbl);
	if (r == 0) {
		memcpy(cur_routes, msi, (size_t)nmsi * sizeof(*msi));
		n_cur_routes = nmsi;
	}
	return r;
}

static const struct route *cur_route(uint32_t gsi)
{
	for (int i = 0; i < n_cur_routes; i++)
		if (cur_routes[i].gsi == gsi)
			return &cur_routes[i];
	return NULL;
}

/* software-enable a vCPU's local APIC (SVR bit 8) so that KVM accepts
 * fixed interrupts for it; no guest code runs */
static int lapic_sw_enable(int vcpu_fd, unsigned int id)
{
	struct kvm_lapic_state st;
	uint32_t svr;

	if (do_ioctl(IOC_GET_LAPIC, vcpu_fd, KVM_GET_LAPIC, &st, id) < 0)
		return -1;
	memcpy(&svr, &st.regs[0xf0], sizeof(svr));
	svr |= 0x100 | 0xff;	/* APIC enabled, spurious vector 0xff */
	memcpy(&st.regs[0xf0], &svr, sizeof(svr));
	return do_ioctl(IOC_SET_LAPIC, vcpu_fd, KVM_SET_LAPIC, &st, id);
}

/* ------------------------------------------------------------------ */
/* firing                                                              */

static inline void fire_one(int vm_fd, const struct fire *it, const struct kvm_msi *km,
			    struct thread_res *res)
{
	if (it->how == FIRE_SIGNAL) {
		int r = ioctl(vm_fd, KVM_SIGNAL_MSI, km);

		if (r > 0) {
			res->ok++;
		} else if (r == 0) {
			res->blocked++;
		} else {
			if (!res->failed)
				res->first_errno = errno;
			res->failed++;
		}
	} else {
		uint64_t one = 1;

		if (write(it->efd, &one, sizeof(one)) == sizeof(one)) {
			res->ok++;
		} else {
			if (!res->failed)
				res->first_errno = errno;
			res->failed++;
		}
	}
	res->done++;
}

/* rate cap: event n of a thread is due at start + n * ns_per_ev.  The
 * clock is read once every 16 events (a clock read costs 50-100 ns in a VM,
 * a tenth of the budget at 1M/s): bursts of at most 16 at the full rate. */
static inline void pace(uint64_t start, double ns_per_ev, uint64_t *n)
{
	if (ns_per_ev > 0 && !(*n & 15)) {
		uint64_t due = start + (uint64_t)((double)*n * ns_per_ev);
		uint64_t t = now_ns();

		if (t < due) {
			if (due - t > 100000)
				sleep_ns(due - t - 50000);
			while (now_ns() < due)
				;
		}
	}
	(*n)++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct kvm_msi km[MAX_FIRES];
	uint64_t start = now_ns(), n = 0;
	double ns_per_ev = w->rate > 0 ? 1e9 / w->rate : 0;

	memset(km, 0, sizeof(km));
	for (int i = 0; i < w->nitems; i++) {
		km[i].address_lo = (uint32_t)w->items[i].msg.address;
		km[i].address_hi = (uint32_t)(w->items[i].msg.address >> 32);
		km[i].data = w->items[i].msg.data;
	}

	if (!w->deadline) {
		/* sequential: each item its share, in order */
		for (int i = 0; i < w->nitems && !stop; i++) {
			uint64_t t0 = now_ns();

			for (uint64_t k = 0; k < w->share[i] && !stop; k++) {
				pace(start, ns_per_ev, &n);
				fire_one(w->vm_fd, &w->items[i], &km[i], &w->res[i]);
			}
			if (w->idx == 0)
				w->items[i].elapsed_ns = now_ns() - t0;
		}
	} else {
		/* round-robin until the deadline or until every capped item is done */
		bool active = true;
		uint64_t iter = 0;

		while (active && !stop) {
			active = false;
			for (int i = 0; i < w->nitems; i++) {
				if (w->res[i].done >= w->cap[i])
					continue;
				active = true;
				pace(start, ns_per_ev, &n);
				fire_one(w->vm_fd, &w->items[i], &km[i], &w->res[i]);
			}
			if ((++iter & 15) == 0 && now_ns() >= w->deadline)
				break;
		}
	}
	return NULL;
}

static void run_phase(int vm_fd, struct fire *items, int nitems)
{
	static struct worker ws[MAX_THREADS];
	unsigned int nt = opt_threads;
	uint64_t t0, t1;

	if (!nitems)
		return;
	memset(ws, 0, sizeof(ws));
	for (unsigned int t = 0; t < nt; t++) {
		struct worker *w = &ws[t];

		w->idx = (int)t;
		w->vm_fd = vm_fd;
		w->items = items;
		w->nitems = nitems;
		w->rate = opt_rate > 0 ? opt_rate / nt : 0;
		for (int i = 0; i < nitems; i++) {
			uint64_t c = items[i].count;

			/* split exactly: the first (c % nt) threads take one more */
			w->share[i] = c / nt + (t < c % nt ? 1 : 0);
			w->cap[i] = c ? w->share[i] : UINT64_MAX;
		}
	}

	t0 = now_ns();
	for (unsigned int t = 0; t < nt; t++) {
		ws[t].deadline = opt_duration_ms ? t0 + opt_duration_ms * 1000000ull : 0;
		if (nt == 1) {
			worker_main(&ws[0]);
		} else if (pthread_create(&ws[t].th, NULL, worker_main, &ws[t])) {
			fprintf(stderr, "itvmm: pthread_create failed\n");
			exit(1);
		}
	}
	if (nt > 1)
		for (unsigned int t = 0; t < nt; t++)
			pthread_join(ws[t].th, NULL);
	t1 = now_ns();

	for (int i = 0; i < nitems; i++) {
		struct fire *it = &items[i];

		for (unsigned int t = 0; t < nt; t++) {
			struct thread_res *r = &ws[t].res[i];

			if (r->failed && !it->failed)
				it->first_errno = r->first_errno;
			it->done += r->done;
			it->ok += r->ok;
			it->blocked += r->blocked;
			it->failed += r->failed;
		}
		if (nt > 1 || opt_duration_ms)
			it->elapsed_ns = t1 - t0;
		fire_events_total += it->done;
	}
	fire_ns_total += t1 - t0;
}

/* queue the irqfd and signal items of one phase */
static int build_phase(int phase, uint64_t fixed_count)
{
	int first = n_fires;

	if (phase == 1) {
		for (int i = 0; i < n_opt_fire_irqfd; i++) {
			struct irqfd *q = find_irqfd(opt_fire_irqfd[i].gsi);
			const struct route *r = cur_route(q->gsi);

			fires[n_fires++] = (struct fire){
				.how = FIRE_IRQFD, .phase = phase, .gsi = q->gsi, .efd = q->efd,
				.msg = r ? r->msg : (struct msi){ 0, 0 }, .routed = r != NULL,
				.count = opt_fire_irqfd[i].count,
			};
		}
		for (int i = 0; i < n_opt_signal; i++)
			fires[n_fires++] = (struct fire){
				.how = FIRE_SIGNAL, .phase = phase, .msg = opt_signal[i].msg,
				.count = opt_signal[i].count,
			};
	} else {
		for (int i = 0; i < n_irqfds; i++) {
			const struct route *r;

			if (irqfds[i].bad || irqfds[i].ret < 0)
				continue;
			r = cur_route(irqfds[i].gsi);
			fires[n_fires++] = (struct fire){
				.how = FIRE_IRQFD, .phase = phase, .gsi = irqfds[i].gsi,
				.efd = irqfds[i].efd, .msg = r ? r->msg : (struct msi){ 0, 0 },
				.routed = r != NULL, .count = fixed_count,
			};
		}
		for (int i = 0; i < n_opt_signal; i++)
			fires[n_fires++] = (struct fire){
				.how = FIRE_SIGNAL, .phase = phase, .msg = opt_signal[i].msg,
				.count = fixed_count,
			};
	}
	return first;
}

/* ------------------------------------------------------------------ */
/* JSON output                                                         */

static bool first_field;

static void jsep(void)
{
	if (!first_field)
		putchar(',');
	first_field = false;
}

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void jkey(const char *k)
{
	jsep();
	jstr(k);
	putchar(':');
}

static void jobj_begin(void)
{
	putchar('{');
	first_field = true;
}

static void jobj_end(void)
{
	putchar('}');
	first_field = false;
}

static void ju(const char *k, uint64_t v)
{
	jkey(k);
	printf("%" PRIu64, v);
}

static void ji(const char *k, int64_t v)
{
	jkey(k);
	printf("%" PRId64, v);
}

static void js(const char *k, const char *v)
{
	jkey(k);
	jstr(v);
}

static void jb(const char *k, bool v)
{
	jkey(k);
	fputs(v ? "true" : "false", stdout);
}

static void jerrno(int err)
{
	ji("errno", err);
	if (err)
		js("error", strerror(err));
}

static void jmsi(const struct msi *m)
{
	ju("address", m->address);
	ju("address_lo", (uint32_t)m->address);
	ju("address_hi", (uint32_t)(m->address >> 32));
	ju("data", m->data);
	ju("dest", msi_dest(m));
	ju("vector", msi_vector(m));
	js("dest_mode", (m->address & (1u << 2)) ? "logical" : "physical");
	js("delivery", msi_delivery(m));
	js("trigger", (m->data & (1u << 15)) ? "level" : "edge");
	js("format", msi_remappable(m) ? "remappable" : "compat");
}

static void print_summary(int vm_fd, uint64_t elapsed)
{
	jobj_begin();
	ji("pid", getpid());
	ji("vm_fd", vm_fd);
	ju("vcpus", opt_vcpus);
	ji("lapic_enabled", lapic_ok);
	ju("threads", opt_threads);
	jb("irqchip_routes", opt_irqchip_routes);

	jkey("routes");
	putchar('[');
	for (int i = 0; i < n_init_routes; i++) {
		if (i)
			putchar(',');
		jobj_begin();
		ju("gsi", init_routes[i].gsi);
		jmsi(&init_routes[i].msg);
		jobj_end();
	}
	putchar(']');

	jkey("reroutes");
	putchar('[');
	for (int i = 0; i < n_reroutes; i++) {
		if (i)
			putchar(',');
		jobj_begin();
		ju("gsi", reroutes[i].nw.gsi);
		jmsi(&reroutes[i].nw.msg);
		if (reroutes[i].had_old) {
			ju("old_address", reroutes[i].old.address);
			ju("old_data", reroutes[i].old.data);
			ju("old_vector", msi_vector(&reroutes[i].old));
			ju("old_dest", msi_dest(&reroutes[i].old));
		}
		jobj_end();
	}
	putchar(']');

	jkey("routing_tables");
	putchar('[');
	for (int i = 0; i < n_tables; i++) {
		if (i)
			putchar(',');
		jobj_begin();
		ju("nr", tables[i].nr);
		ju("msi_entries", tables[i].msi);
		ji("ret", tables[i].ret);
		jerrno(tables[i].err);
		jobj_end();
	}
	putchar(']');

	jkey("irqfds");
	putchar('[');
	for (int i = 0; i < n_irqfds; i++) {
		const struct irqfd *q = &irqfds[i];

		if (i)
			putchar(',');
		jobj_begin();
		ju("gsi", q->gsi);
		ji("eventfd", q->efd);
		jb("bad_fd", q->bad);
		ji("ret", q->ret);
		jerrno(q->err);
		jb("deassigned", q->deassign);
		if (q->deassign) {
			ji("deassign_ret", q->dret);
			ji("deassign_errno", q->derr);
		}
		jobj_end();
	}
	putchar(']');

	jkey("fired");
	putchar('[');
	for (int i = 0; i < n_fires; i++) {
		const struct fire *f = &fires[i];

		if (i)
			putchar(',');
		jobj_begin();
		js("how", f->how == FIRE_SIGNAL ? "signal" : "irqfd");
		ji("phase", f->phase);
		if (f->how == FIRE_IRQFD) {
			ju("gsi", f->gsi);
			ji("eventfd", f->efd);
			jb("routed", f->routed);
		} else {
			jkey("gsi");
			fputs("null", stdout);
		}
		jmsi(&f->msg);
		ju("requested", f->count);
		ju("count", f->done);
		ju("ok", f->ok);
		ju("blocked", f->blocked);
		ju("failed", f->failed);
		jerrno(f->first_errno);
		ju("elapsed_ns", f->elapsed_ns);
		jobj_end();
	}
	putchar(']');

	jkey("ioctls");
	jobj_begin();
	for (int i = 0; i < IOC_NR; i++) {
		uint64_t n = ioc_count[i];

		if (i == IOC_SIGNAL_MSI)
			for (int k = 0; k < n_fires; k++)
				if (fires[k].how == FIRE_SIGNAL)
					n += fires[k].done;
		ju(ioc_names[i], n);
	}
	jobj_end();

	jkey("ioctl_errors");
	putchar('[');
	for (int i = 0; i < n_ioc_errs; i++) {
		if (i)
			putchar(',');
		jobj_begin();
		js("ioctl", ioc_names[ioc_errs[i].ioc]);
		ji("arg", ioc_errs[i].arg);
		jerrno(ioc_errs[i].err);
		jobj_end();
	}
	putchar(']');

	ju("fired_total", fire_events_total);
	ju("fire_ns", fire_ns_total);
	ju("elapsed_ns", elapsed);
	jkey("rate_per_s");
	printf("%.0f", fire_ns_total ? (double)fire_events_total * 1e9 / (double)fire_ns_total : 0.0);
	jb("interrupted", stop);
	jobj_end();
	putchar('\n');
	fflush(stdout);
}

/* ------------------------------------------------------------------ */

static void wait_start(void)
{
	uint64_t deadline = now_ns() + opt_wait_timeout_ms * 1000000ull;
	struct stat st;

	while (stat(opt_wait_start, &st) < 0) {
		if (stop || now_ns() >= deadline) {
			fprintf(stderr, "itvmm: %s did not appear within %" PRIu64 " ms\n",
				opt_wait_start, opt_wait_timeout_ms);
			exit(1);
		}
		sleep_ms(5);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int kvm_fd, vm_fd, r;
	uint64_t t_start;

	parse_args(argc, argv);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (opt_wait_start)
		wait_start();
	if (opt_sleep_before_ms)
		sleep_ms(opt_sleep_before_ms);
	t_start = now_ns();

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		fprintf(stderr, "itvmm: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	r = do_ioctl(IOC_GET_API_VERSION, kvm_fd, KVM_GET_API_VERSION, NULL, -1);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "itvmm: KVM API version %d, expected %d\n", r, KVM_API_VERSION);
		return 1;
	}
	if (do_ioctl(IOC_CHECK_EXTENSION, kvm_fd, KVM_CHECK_EXTENSION,
		     (void *)KVM_CAP_IRQ_ROUTING, -1) <= 0 ||
	    do_ioctl(IOC_CHECK_EXTENSION, kvm_fd, KVM_CHECK_EXTENSION,
		     (void *)KVM_CAP_SIGNAL_MSI, -1) <= 0) {
		fprintf(stderr, "itvmm: KVM lacks IRQ routing or KVM_SIGNAL_MSI\n");
		return 1;
	}
	vm_fd = do_ioctl(IOC_CREATE_VM, kvm_fd, KVM_CREATE_VM, (void *)0, -1);
	if (vm_fd < 0) {
		fprintf(stderr, "itvmm: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}
	if (do_ioctl(IOC_CREATE_IRQCHIP, vm_fd, KVM_CREATE_IRQCHIP, NULL, -1) < 0) {
		fprintf(stderr, "itvmm: KVM_CREATE_IRQCHIP: %s\n", strerror(errno));
		return 1;
	}
	lapic_ok = 0;
	for (unsigned int id = 0; id < opt_vcpus; id++) {
		int vcpu = do_ioctl(IOC_CREATE_VCPU, vm_fd, KVM_CREATE_VCPU,
				    (void *)(uintptr_t)id, id);

		if (vcpu < 0) {
			fprintf(stderr, "itvmm: KVM_CREATE_VCPU %u: %s\n", id, strerror(errno));
			return 1;
		}
		if (opt_lapic_enable && lapic_sw_enable(vcpu, id) == 0)
			lapic_ok++;
	}

	/* initial routing table */
	if (n_opt_routes || opt_irqchip_routes) {
		set_routing(vm_fd, opt_routes, n_opt_routes);
		memcpy(init_routes, opt_routes, (size_t)n_opt_routes * sizeof(init_routes[0]));
		n_init_routes = n_opt_routes;
	}

	/* irqfds */
	for (int i = 0; i < n_irqfds; i++) {
		struct irqfd *q = &irqfds[i];
		struct kvm_irqfd kif = { .gsi = q->gsi };

		if (q->bad) {
			/* an fd number that is certainly not open */
			q->efd = INT_MAX;
		} else {
			q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (q->efd < 0) {
				q->ret = -1;
				q->err = errno;
				continue;
			}
		}
		kif.fd = (uint32_t)q->efd;
		q->ret = do_ioctl(IOC_IRQFD, vm_fd, KVM_IRQFD, &kif, q->gsi);
		q->err = q->ret < 0 ? errno : 0;
	}

	if (opt_pause_ms)
		sleep_ms(opt_pause_ms);

	/* phase 1 */
	r = build_phase(1, 0);
	run_phase(vm_fd, &fires[r], n_fires - r);

	/* reroute, phase 2 */
	if (n_opt_reroutes && !stop) {
		struct route tbl[MAX_ROUTES * 2];
		int n = n_cur_routes;

		memcpy(tbl, cur_routes, (size_t)n * sizeof(tbl[0]));
		for (int i = 0; i < n_opt_reroutes; i++) {
			const struct route *nw = &opt_reroutes[i];
			int k;

			for (k = 0; k < n; k++)
				if (tbl[k].gsi == nw->gsi)
					break;
			reroutes[n_reroutes].nw = *nw;
			reroutes[n_reroutes].had_old = k < n;
			if (k < n)
				reroutes[n_reroutes].old = tbl[k].msg;
			n_reroutes++;
			if (k == n)
				n++;
			tbl[k] = *nw;
		}
		set_routing(vm_fd, tbl, n);
		if (opt_fire_after) {
			r = build_phase(2, opt_fire_after);
			if (opt_duration_ms)
				opt_duration_ms = 0;	/* counts rule after a reroute */
			run_phase(vm_fd, &fires[r], n_fires - r);
		}
	}

	/* deassign */
	for (int i = 0; i < n_irqfds; i++) {
		struct irqfd *q = &irqfds[i];
		struct kvm_irqfd kif = { .fd = (uint32_t)q->efd, .gsi = q->gsi,
					 .flags = KVM_IRQFD_FLAG_DEASSIGN };

		if (!q->deassign)
			continue;
		q->dret = do_ioctl(IOC_IRQFD, vm_fd, KVM_IRQFD, &kif, q->gsi);
		q->derr = q->dret < 0 ? errno : 0;
	}

	if (opt_pause_ms)
		sleep_ms(opt_pause_ms);

	print_summary(vm_fd, now_ns() - t_start);
	return 0;
}
