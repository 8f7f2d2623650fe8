// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail explain BDF: one device's interrupt path, hop by hop, in words. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "decode.h"
#include "hist.h"
#include "session.h"
#include "snapshot.h"

struct explain_opts {
	char bdf[IT_BDF_LEN];
	bool have_bdf;
	double secs;
	const char *file;
};

static const struct argp_option explain_options[] = {
	{ "duration", 'D', "SECS", 0, "Observe for SECS seconds (default 2)", 0 },
	{ "read", 'r', "FILE", 0, "Explain from a recording", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf diagnostics", 0 },
	{ 0 },
};

static error_t explain_parse(int key, char *arg, struct argp_state *state)
{
	struct explain_opts *o = state->input;

	switch (key) {
	case 'D':
		o->secs = it_parse_secs(arg);
		if (o->secs < 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'r':
		o->file = arg;
		break;
	case 'v':
		it_verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (o->have_bdf)
			argp_error(state, "one device only");
		if (it_bdf_parse(arg, strlen(arg), o->bdf)) {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "0000:%s", arg);
			if (it_bdf_parse(tmp, strlen(tmp), o->bdf))
				argp_error(state, "invalid PCI address '%s' (expected 0000:00:03.0)", arg);
		}
		o->have_bdf = true;
		break;
	case ARGP_KEY_END:
		if (!o->have_bdf)
			argp_error(state, "which device? (a PCI address such as 0000:00:03.0)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char explain_doc[] =
	"Explain one PCI device's interrupt path in plain words: each MSI/MSI-X entry, its host "
	"irq, domain chain, CPU and vector, the IRTE, the handler's latency; for a device passed "
	"to a VM, the eventfd, the KVM GSI route, the guest's destination and vector and the "
	"injection latency.  Says what is unknown on this kernel and why.\n"
	"\vEXAMPLES:\n"
	"  irqtrail explain 0000:00:03.0\n"
	"  irqtrail explain 00:03.0 -D 10\n"
	"  irqtrail explain 0000:00:03.0 -r trace.itr\n";

static void lat_line(const struct it_route *r, double secs)
{
	char a[16], b[16], c[16];
	uint64_t n = it_hist_total(&r->lat);

	printf("%llu in %.1f s (%.1f/s)", (unsigned long long)r->count, secs, r->rate);
	if (n)
		printf(", %s p50 %s p99 %s max %s", r->lat_what,
		       it_fmt_ns(it_hist_quantile_max(&r->lat, 0.5, r->lat_max), a, sizeof(a)),
		       it_fmt_ns(it_hist_quantile_max(&r->lat, 0.99, r->lat_max), b, sizeof(b)),
		       it_fmt_ns(r->lat_max ? (double)r->lat_max : it_hist_quantile(&r->lat, 1), c, sizeof(c)));
	printf("\n");
}

static void changes(const struct it_changes *c, uint64_t t0)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct it_change *x = &c->c[(c->start + i) % IT_ROUTE_CHANGES];
		printf("      %+9.3fs  %-7u %s\n", ((double)x->ts - (double)t0) / 1e9, x->pid, x->what);
	}
}

int cmd_explain(int argc, char **argv)
{
	struct argp argp = { explain_options, explain_parse, "BDF", explain_doc, NULL, NULL, NULL };
	struct explain_opts o = { .secs = 2 };
	struct it_session_opts so = { 0 };
	struct it_session s;
	struct it_route *r;
	size_t n, found = 0, findings = 0;
	bool blind_irte, blind_vfio, blind_domain;
	int ret;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;
	so.replay = o.file;
	it_install_signals();
	ret = it_session_open(&s, &so);
	if (ret || it_session_run(&s, o.file ? 0 : o.secs)) {
		p_err("%s", s.err);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	it_session_blind(&s, &blind_irte, &blind_vfio, &blind_domain);
	double secs = s.now_ts > s.start_ts ? (double)(s.now_ts - s.start_ts) / 1e9 : 0;
	if (it_model_routes(s.model, &r, &n)) {
		p_err("out of memory");
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	const struct it_pci_dev *d = s.have_snap ? it_snapshot_pci(&s.snap, o.bdf) : NULL;

	printf("Device %s", o.bdf);
	if (d && d->ids_known)
		printf(" [%04x:%04x]", d->vendor, d->device);
	if (d)
		printf(", driver %s", d->driver ? d->driver : "(none)");
	if (d && d->iommu_group >= 0)
		printf(", IOMMU group %d", d->iommu_group);
	printf("\n");
	if (!d)
		printf("  not in /sys/bus/pci/devices at start%s\n", s.have_snap ? "" : " (no snapshot)");
	if (s.have_snap)
		printf("Interrupt remapping: %s%s\n", s.snap.ir.text[0] ? s.snap.ir.text : it_ir_mode_str(s.snap.ir.mode),
		       s.snap.ir.mode == IT_IR_NONE ? " (messages carry the CPU and vector directly; nothing "
						     "isolates a device that can write arbitrary MSIs)" : "");
	printf("Observed for %.1f s%s.\n\n", secs, it_session_is_live(&s) ? " live" : " of the recording");

	for (size_t i = 0; i < n; i++) {
		const struct it_route *x = &r[i];
		char vb[16];

		if (x->rk != IT_ROUTE_HOST || strcmp(x->bdf, o.bdf))
			continue;
		found++;
		printf("%s entry %s -> host irq %d \"%s\"\n", !strcmp(x->kind, "msix") ? "MSI-X" : !strcmp(x->kind, "msi") ? "MSI" : x->kind,
		       x->entry >= 0 ? (snprintf(vb, sizeof(vb), "%d", x->entry), vb) : "?", x->irq, x->name);
		printf("  chip %s%s\n", x->chip[0] ? x->chip : "(unknown)",
		       blind_domain ? "; domain chain from the chip name only (allocation hooks not attached)" : "");
		if (x->arm.its && x->cpu >= 0 && !strcmp(x->cpu_src, "its")) {
			/* arm64: an LPI, no vector; the ITS collection is the CPU */
			printf("  delivered to CPU %d (its ITS collection)\n", x->cpu);
		} else {
			if (x->cpu >= 0)
				printf("  delivered to CPU %d (%s)", x->cpu,
				       !strcmp(x->cpu_src, "snapshot") ? "effective affinity at start" : "last vector event");
			else
				printf("  CPU unknown");
			if (x->vector >= 0)
				printf(", vector %#x", x->vector);
			else
				printf(", vector unknown until its next move (no irq debugfs on this kernel)");
			if (x->apicid >= 0)
				printf(", APIC id %d", x->apicid);
			printf("\n");
		}
		if (x->arm.its) {
			printf("  GICv3 ITS: device id %#x, event id %u -> LPI %u", x->arm.device_id, x->arm.event_id,
			       x->arm.lpi);
			if (x->arm.its_cpu >= 0)
				printf(" -> collection of CPU %d", x->arm.its_cpu);
			printf("\n");
		}
		if (x->arm.doorbell && x->arm.translated)
			printf("  MSI doorbell: the device writes IOVA %#llx, mapped by its IOMMU domain onto the ITS doorbell %#llx\n",
			       (unsigned long long)x->arm.doorbell_iova, (unsigned long long)x->arm.doorbell_phys);
		else if (x->arm.doorbell)
			printf("  MSI doorbell: the device writes the physical doorbell %#llx (no IOMMU translation)\n",
			       (unsigned long long)x->arm.doorbell_phys);
		if (x->arm.its || x->arm.doorbell)
			(void)0;	/* the ITS and doorbell lines above stand for the IRTE */
		else if (x->remapped && x->irte) {
			const struct it_snap_irte *e = x->irte;
			printf("  remapped through IRTE %s[%u]: %s, destination %u, vector %#x, %s, %s",
			       e->iommu, e->index, !e->present ? "not present" : e->posted ? "posted" : "remapped",
			       e->dest_id, e->vector, e->dst_mode ? "logical" : "physical",
			       e->trigger_mode ? "level" : "edge");
			if (e->fmt == IT_IRTE_FMT_INTEL)
				printf(", source-id %02x:%02x.%x %s", e->sid >> 8, (e->sid >> 3) & 0x1f, e->sid & 7,
				       e->svt ? "validated" : "NOT validated");
			printf("\n");
		} else if (x->remapped)
			printf("  IRTE: %s\n", x->irte ? "see routes -j" :
			       blind_irte ? "contents unknown: reading IRTEs needs the fentry/kprobe tier (modify_irte), which this kernel lacks, or IOMMU debugfs" :
					    "not written since start");
		else
			printf("  not remapped: the device's message holds the destination itself\n");
		if (x->posted)
			printf("  posted interrupts: on (delivered to the vCPU without a host handler)\n");
		printf("  host handler: ");
		lat_line(x, secs);
		if (x->snapshot_total)
			printf("  %llu interrupts before irqtrail started\n", (unsigned long long)x->snapshot_total);
		printf("  owner: %s%s", x->owner_vm ? "VM " : "host driver ", x->owner_name);
		if (x->owner_vm)
			printf(" (pid %d)", x->owner_pid);
		printf("\n");
		if (!x->count) {
			printf("  finding: no interrupt observed in the window\n");
			findings++;
		}
		/* the guest side fed by this irq */
		for (size_t k = 0; k < n; k++) {
			const struct it_route *g = &r[k];
			if (g->rk != IT_ROUTE_GUEST || g->host_irq != x->irq)
				continue;
			printf("  -> eventfd %d -> KVM %s%d -> guest MSI %#llx/%#x: APIC %u, vector %#x, %s, %s\n", g->eventfd,
			       g->gsi >= 0 ? "irqfd gsi " : "(no route) ", g->gsi, (unsigned long long)g->msi_address,
			       g->msi_data, g->dest, g->guest_vector, g->delivery, g->trigger);
			printf("     injections: ");
			lat_line(g, secs);
			if (it_hist_total(&g->accept)) {
				char a[16], b[16];
				printf("     vCPU APIC accepts: %llu, injection -> accept p50 %s p99 %s\n",
				       (unsigned long long)g->accepted,
				       it_fmt_ns(it_hist_quantile(&g->accept, 0.5), a, sizeof(a)),
				       it_fmt_ns(it_hist_quantile(&g->accept, 0.99), b, sizeof(b)));
			}
			if (it_hist_total(&g->hop_irqfd) || it_hist_total(&g->hop_vcpu)) {
				char a[16], b[16], c[16], d[16], e[16], f[16];
				printf("     delivery, from the host handler (p50/p99): irqfd_wakeup %s/%s, "
				       "KVM injection %s/%s, vCPU injection %s/%s\n",
				       it_fmt_ns(it_hist_quantile(&g->hop_irqfd, 0.5), a, sizeof(a)),
				       it_fmt_ns(it_hist_quantile(&g->hop_irqfd, 0.99), b, sizeof(b)),
				       it_fmt_ns(it_hist_quantile_max(&g->lat, 0.5, g->lat_max), c, sizeof(c)),
				       it_fmt_ns(it_hist_quantile_max(&g->lat, 0.99, g->lat_max), d, sizeof(d)),
				       it_fmt_ns(it_hist_quantile(&g->hop_vcpu, 0.5), e, sizeof(e)),
				       it_fmt_ns(it_hist_quantile(&g->hop_vcpu, 0.99), f, sizeof(f)));
			}
			if (g->ntrap) {
				char a[16];
				uint64_t prev = 0;
				printf("     set up by the trap path:");
				for (size_t i = 0; i < g->ntrap; i++) {
					const struct it_trap_step *t = &g->trap[i];
					if (!t->ts)
						printf("%s %s (not seen)", i ? " ->" : "", t->what);
					else if (!prev)
						printf(" %s at +%.3fs", t->what,
						       t->ts >= s.start_ts ? (double)(t->ts - s.start_ts) / 1e9 : 0.0);
					else if (t->ts >= prev)
						printf(" -> %s +%s", t->what, it_fmt_ns((double)(t->ts - prev), a, sizeof(a)));
					else
						printf(" -> %s (earlier)", t->what);
					if (t->ts)
						prev = t->ts;
				}
				printf("\n");
			}
			if (g->guest_vector >= 0 && it_vector_reserved((unsigned)g->guest_vector)) {
				printf("     finding: guest vector %#x is reserved (< 0x10)\n", g->guest_vector);
				findings++;
			}
			changes(&g->changes, s.start_ts);
		}
		if (x->owner_vm && blind_vfio)
			printf("  VFIO's per-vector setup is not visible on this kernel (fentry/kprobe tier); "
			       "the eventfd link comes from the VMM's VFIO_DEVICE_SET_IRQS ioctl when seen\n");
		if (x->changes.n) {
			printf("  changes:\n");
			changes(&x->changes, s.start_ts);
		}
		printf("\n");
	}
	/* guest routes naming the device but with no host irq seen */
	for (size_t k = 0; k < n; k++) {
		const struct it_route *g = &r[k];
		if (g->rk == IT_ROUTE_GUEST && !strcmp(g->bdf, o.bdf) && g->host_irq < 0) {
			found++;
			printf("VM %d route gsi %d <- %s entry %d via eventfd %d: guest APIC %u vector %#x; host irq not seen\n",
			       g->vm_pid, g->gsi, g->bdf, g->entry, g->eventfd, g->dest, g->guest_vector);
		}
	}
	if (!found)
		printf("No interrupts of %s: it has no MSI/MSI-X irqs%s.\n", o.bdf,
		       d && !d->nmsi ? " enabled" : " known to irqtrail");
	printf("Findings: %zu\n", findings);
	free(r);
	it_session_close(&s);
	return found ? IT_EXIT_OK : IT_EXIT_FAIL;
}
