// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail top, Detail view: one route's whole path in words (what
 * `explain` says for a device), its latency histogram as bars, its changes,
 * and what is unknown on this kernel.  Also the hook-coverage page.
 */
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "hist.h"
#include "top_data.h"

static const char *kind_name(const char *k)
{
	if (!k)
		return "irq";
	if (!strcmp(k, "msix"))
		return "MSI-X";
	if (!strcmp(k, "msi"))
		return "MSI";
	if (!strcmp(k, "ims"))
		return "IMS";
	if (!strcmp(k, "ioapic"))
		return "IOAPIC";
	return k;
}

static void bar(char *out, size_t len, double frac, int width, bool utf8)
{
	static const char *const part[8] = { "", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589" };
	int eighths = (int)(frac * width * 8 + 0.5);
	size_t o = 0;

	if (frac > 0 && eighths == 0)
		eighths = 1;
	out[0] = 0;
	if (!utf8) {
		int n = (eighths + 4) / 8;
		if (frac > 0 && n == 0)
			n = 1;
		for (int i = 0; i < n && o + 1 < len; i++)
			out[o++] = '#';
		out[o] = 0;
		return;
	}
	for (int i = 0; i < eighths / 8 && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "\u2588");
	if (eighths % 8 && o + 4 < len)
		snprintf(out + o, len - o, "%s", part[eighths % 8]);
}

/* interpolated in its log2 bucket, never above the true maximum */
static double quantile(const struct it_hist *h, uint64_t max, double q)
{
	double v = it_hist_quantile(h, q);

	return max && v > (double)max ? (double)max : v;
}

static void histogram(struct top_lines *out, const char *what, const struct it_hist *h, uint64_t hmax, int barw,
		      bool utf8)
{
	uint64_t total = it_hist_total(h), max = 0;
	int lo = -1, hi = -1;
	char a[16], b[16], c[16], d[16], bars[512];

	if (!total) {
		top_lines_add(out, TOP_S_DIM, "  %s latency: no samples in the window", what);
		return;
	}
	for (int i = 0; i < IT_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	top_lines_add(out, TOP_S_NORMAL, "  %s latency: %llu samples, p50 %s  p90 %s  p99 %s  max %s", what,
		      (unsigned long long)total, it_fmt_ns(quantile(h, hmax, 0.5), a, sizeof(a)),
		      it_fmt_ns(quantile(h, hmax, 0.9), b, sizeof(b)), it_fmt_ns(quantile(h, hmax, 0.99), c, sizeof(c)),
		      it_fmt_ns(hmax ? (double)hmax : it_hist_quantile(h, 1), d, sizeof(d)));
	if (barw < 4)
		barw = 4;
	for (int i = lo; i <= hi; i++) {
		double from = i ? (double)(1ull << i) : 0, to = (double)(2ull << i);
		uint64_t n = h->slots[i];

		bar(bars, sizeof(bars), max ? (double)n / (double)max : 0, barw, utf8);
		top_lines_add(out, TOP_S_BAR, "    %7s - %-7s %10llu %5.1f%% |%s", i ? it_fmt_ns(from, a, sizeof(a)) : "0",
			      it_fmt_ns(to, b, sizeof(b)), (unsigned long long)n, 100.0 * (double)n / (double)total, bars);
	}
}

static void changes(struct top_lines *out, const struct top_frame *f, const struct it_changes *c)
{
	char b[32];

	if (!c->n)
		return;
	top_lines_add(out, TOP_S_HEAD, "  changes (%llu in all, last %zu):", (unsigned long long)c->total, c->n);
	for (size_t i = 0; i < c->n; i++) {
		const struct it_change *x = &c->c[(c->start + i) % IT_ROUTE_CHANGES];
		top_lines_add(out, TOP_S_NORMAL, "    %10s  pid %-7u %s", top_fmt_rel(x->ts, f->start_ts, b, sizeof(b)), x->pid,
			      x->what);
	}
}

static void rate_line(struct top_lines *out, const struct top_frame *f, const struct top_row *row, const char *what)
{
	char a[32], b[32];

	top_lines_add(out, TOP_S_NORMAL, "  %s: %s/s now, %s in %.1f s observed", what, top_fmt_rate(row->rate, a, sizeof(a)),
		      top_fmt_count(row->total, b, sizeof(b)),
		      f->ts > f->start_ts ? (double)(f->ts - f->start_ts) / 1e9 : 0.0);
}

static void unknown(struct top_lines *out, const char *u)
{
	size_t n = strlen(u);

	while (n && (u[n - 1] == ' ' || u[n - 1] == ';'))
		n--;
	if (n)
		top_lines_add(out, TOP_S_DIM, "  unknown: %.*s", (int)n, u);
}

static const struct top_row *row_of_route(const struct top_frame *f, size_t ri)
{
	for (int v = 0; v < 2; v++)
		for (size_t i = 0; i < f->t[v].nrows; i++)
			if (f->t[v].rows[i].route == (int)ri)
				return &f->t[v].rows[i];
	return NULL;
}

static void host_detail(const struct top_frame *f, const struct top_row *row, const struct it_route *r, int barw,
			bool utf8, struct top_lines *out)
{
	const struct top_info *in = f->info;
	const struct it_pci_dev *d = f->snap && r->bdf[0] ? it_snapshot_pci(f->snap, r->bdf) : NULL;
	char e[16], a[32];

	if (r->bdf[0]) {
		char ids[24] = "";
		if (d && d->ids_known)
			snprintf(ids, sizeof(ids), " [%04x:%04x]", d->vendor, d->device);
		top_lines_add(out, TOP_S_TITLE, "Device %s%s%s%s%s", r->bdf, ids, d ? ", driver " : "",
			      d ? (d->driver ? d->driver : "(none)") : "",
			      d && d->iommu_group >= 0 ? (snprintf(a, sizeof(a), ", IOMMU group %d", d->iommu_group), a) : "");
	} else {
		top_lines_add(out, TOP_S_TITLE, "Host irq %d (no PCI device known)", r->irq);
	}
	snprintf(e, sizeof(e), "%d", r->entry);
	top_lines_add(out, TOP_S_HEAD, "%s entry %s -> host irq %d \"%s\"", kind_name(r->kind), r->entry >= 0 ? e : "?",
		      r->irq, r->name);
	top_lines_add(out, TOP_S_NORMAL, "  chip %s%s", r->chip[0] ? r->chip : "(unknown)",
		      in->blind_domain ? "; domain chain from the chip name only (allocation hooks not attached)" : "");
	char cpu[96] = "  CPU unknown", vec[96] = "";
	if (r->cpu >= 0)
		snprintf(cpu, sizeof(cpu), "  delivered to CPU %d (%s)", r->cpu,
			 !strcmp(r->cpu_src, "snapshot") ? "effective affinity at start" :
			 !strcmp(r->cpu_src, "its")	 ? "its ITS collection" :
							   "last vector event");
	if (r->vector >= 0)
		snprintf(vec, sizeof(vec), ", vector %#x", r->vector);
	else
		snprintf(vec, sizeof(vec), ", vector unknown until its next move");
	top_lines_add(out, TOP_S_NORMAL, "%s%s%s", cpu, vec,
		      r->apicid >= 0 ? (snprintf(a, sizeof(a), ", APIC id %d", r->apicid), a) : "");
	if (r->arm.its)
		top_lines_add(out, TOP_S_NORMAL, "  GICv3 ITS: device id %#x, event id %u -> LPI %u -> CPU %d", r->arm.device_id,
			      r->arm.event_id, r->arm.lpi, r->arm.its_cpu);
	if (r->arm.doorbell)
		top_lines_add(out, r->arm.translated ? TOP_S_NORMAL : TOP_S_WARN,
			      "  MSI doorbell %#llx, the device writes %#llx%s", (unsigned long long)r->arm.doorbell_phys,
			      (unsigned long long)(r->arm.translated ? r->arm.doorbell_iova : r->arm.doorbell_phys),
			      r->arm.translated ? " (IOVA of its IOMMU domain)" : " (physical: not translated)");
	if (r->arm.its || r->arm.doorbell) {
		/* arm64: the ITS and doorbell lines stand for the IRTE */
	} else if (r->remapped) {
		if (r->irte)
			top_lines_add(out, TOP_S_NORMAL, "  IRTE %u: %s, dest %#x, vector %#x, SVT %u SQ %u", r->irte->index,
				      r->irte->posted ? "posted" : "remapped", r->irte->dest_id, r->irte->vector,
				      r->irte->svt, r->irte->sq);
		else
			top_lines_add(out, TOP_S_NORMAL, "  IRTE: %s",
				      in->blind_irte ? "contents unknown (needs the fentry/kprobe tier or IOMMU debugfs)"
						     : "not written since start");
	} else {
		top_lines_add(out, TOP_S_NORMAL, "  not remapped: the device's message holds the destination itself");
	}
	if (r->posted)
		top_lines_add(out, TOP_S_GOOD, "  posted interrupts: on (delivered to the vCPU without a host handler)");
	if (r->owner_vm)
		top_lines_add(out, TOP_S_NORMAL, "  owner: VM %s (pid %d)", r->owner_name, r->owner_pid);
	else
		top_lines_add(out, TOP_S_NORMAL, "  owner: host%s%s", strcmp(r->owner_name, "host") ? " driver " : "",
			      strcmp(r->owner_name, "host") ? r->owner_name : "");
	rate_line(out, f, row, "interrupts");
	if (r->snapshot_total)
		top_lines_add(out, TOP_S_DIM, "  %llu interrupts before irqtrail started",
			      (unsigned long long)r->snapshot_total);
	histogram(out, r->lat_what ? r->lat_what : "handler", &r->lat, r->lat_max, barw, utf8);
	/* the guest side this irq feeds */
	for (size_t k = 0; k < f->nroutes; k++) {
		const struct it_route *g = &f->routes[k];
		const struct top_row *gr;

		if (g->rk != IT_ROUTE_GUEST || g->host_irq != r->irq || r->irq < 0)
			continue;
		gr = row_of_route(f, k);
		top_lines_add(out, TOP_S_HEAD, "  -> eventfd %d -> KVM %s%d -> VM %s: guest APIC %u vector %#x (%s, %s)",
			      g->eventfd, g->gsi >= 0 ? "irqfd gsi " : "(no route) ", g->gsi, g->owner_name, g->dest,
			      g->guest_vector, g->delivery ? g->delivery : "?", g->trigger ? g->trigger : "?");
		if (gr)
			top_lines_add(out, TOP_S_NORMAL, "     injections %s/s, %s in the window",
				      top_fmt_rate(gr->rate, a, sizeof(a)), top_fmt_count(gr->total, e, sizeof(e)));
	}
	changes(out, f, &r->changes);
	unknown(out, r->unknown);
}

static void guest_detail(const struct top_frame *f, const struct top_row *row, const struct it_route *r, int barw,
			 bool utf8, struct top_lines *out)
{
	const struct it_vm_info *vm = NULL;
	char a[32];

	for (size_t i = 0; i < f->nvms; i++)
		if (f->vms[i].pid == r->vm_pid)
			vm = &f->vms[i];
	top_lines_add(out, TOP_S_TITLE, "VM %s (pid %d)%s", r->owner_name, r->vm_pid,
		      r->gsi >= 0 ? (snprintf(a, sizeof(a), ": GSI %d", r->gsi), a) : ": MSI without a GSI route");
	if (vm)
		top_lines_add(out, TOP_S_DIM, "  %u vCPUs, %u MSI routes, %u irqfds, %u VFIO devices%s", vm->vcpus, vm->routes,
			      vm->irqfds, vm->vfio_devices, vm->from_snapshot ? ", running before irqtrail started" : "");
	top_lines_add(out, TOP_S_HEAD, "guest MSI %#llx/%#x -> APIC %u, vector %#x, %s, %s, %s",
		      (unsigned long long)r->msi_address, r->msi_data, r->dest, r->guest_vector,
		      r->dest_mode ? r->dest_mode : "?", r->delivery ? r->delivery : "?", r->trigger ? r->trigger : "?");
	if (r->guest_vector >= 0 && it_vector_reserved((unsigned)r->guest_vector))
		top_lines_add(out, TOP_S_WARN, "  finding: guest vector %#x is reserved (< 0x20)", r->guest_vector);
	if (r->source) {
		const char *how = !strcmp(r->source, "ioctl") ? "the VMM's KVM_SET_GSI_ROUTING"
				  : !strcmp(r->source, "signal") ? "KVM_SIGNAL_MSI from the VMM (no GSI route)"
				  : !strcmp(r->source, "snapshot") ? "the start-up snapshot"
								   : "injections observed (route set up before start)";
		top_lines_add(out, TOP_S_NORMAL, "  known from %s", how);
	}
	if (r->eventfd >= 0)
		top_lines_add(out, TOP_S_NORMAL, "  fed by eventfd %d (KVM_IRQFD)", r->eventfd);
	if (r->bdf[0]) {
		const struct it_route *h = NULL;
		for (size_t k = 0; k < f->nroutes; k++)
			if (f->routes[k].rk == IT_ROUTE_HOST && f->routes[k].irq == r->host_irq && r->host_irq >= 0)
				h = &f->routes[k];
		top_lines_add(out, TOP_S_NORMAL, "  <- device %s %s entry %d, host irq %s%s", r->bdf,
			      h ? kind_name(h->kind) : "vector", r->entry,
			      r->host_irq >= 0 ? (snprintf(a, sizeof(a), "%d", r->host_irq), a) : "not seen",
			      h && h->cpu >= 0 ? "" : "");
		if (h)
			top_lines_add(out, TOP_S_NORMAL, "     host side: \"%s\" on CPU %d%s", h->name, h->cpu,
				      h->posted ? ", posted (no host handler)" : "");
	} else if (r->host_irq >= 0) {
		top_lines_add(out, TOP_S_NORMAL, "  <- host irq %d", r->host_irq);
	} else if (r->eventfd >= 0) {
		top_lines_add(out, TOP_S_NORMAL, "  no host device behind the eventfd: written by user space (the VMM or a backend)");
	} else {
		top_lines_add(out, TOP_S_NORMAL, "  no host device: injected by the VMM");
	}
	rate_line(out, f, row, "injections");
	if (r->host_irq >= 0 || it_hist_total(&r->lat))
		histogram(out, "host irq -> injection", &r->lat, r->lat_max, barw, utf8);
	top_lines_add(out, TOP_S_NORMAL, "  accepted by a vCPU's local APIC: %llu of %llu injections",
		      (unsigned long long)r->accepted, (unsigned long long)r->count);
	histogram(out, "injection -> APIC accept", &r->accept, 0, barw, utf8);
	changes(out, f, &r->changes);
	if (vm && vm->changes.n) {
		top_lines_add(out, TOP_S_DIM, "  VM-level:");
		changes(out, f, &vm->changes);
	}
	unknown(out, r->unknown);
}

void top_detail(const struct top_frame *f, const struct top_row *row, int barw, bool utf8, struct top_lines *out)
{
	const struct it_route *r;

	if (!row || row->route < 0 || (size_t)row->route >= f->nroutes) {
		top_lines_add(out, TOP_S_DIM, "No row selected: pick one in Devices (1) or Guests (2) and press Enter.");
		return;
	}
	r = &f->routes[row->route];
	if (r->rk == IT_ROUTE_HOST)
		host_detail(f, row, r, barw, utf8, out);
	else
		guest_detail(f, row, r, barw, utf8, out);
}

void top_coverage_lines(const struct top_info *in, struct top_lines *out)
{
	const struct top_cov *c = &in->cov;

	top_lines_add(out, TOP_S_TITLE, "Hook coverage: %zu of %zu routing hops visible, %u of %u hooks attached (%s)",
		      c->visible, c->n, c->hooks_attached, c->hooks_total, in->source);
	top_lines_add(out, TOP_S_HEAD, "%-16s %-8s %-11s %-6s %s", "HOP", "STATE", "TIER", "HOOKS", "WHY BLIND");
	for (size_t i = 0; i < c->n; i++) {
		const struct top_hop *h = &c->hop[i];
		top_lines_add(out, h->visible ? TOP_S_NORMAL : TOP_S_WARN, "%-16s %-8s %-11s %2u/%-3u %s", h->name,
			      h->visible ? "visible" : "BLIND", h->visible ? h->tier : "-", h->attached, h->total,
			      h->visible ? "" : h->why);
	}
	top_lines_add(out, TOP_S_DIM, "%s", "");
	top_lines_add(out, TOP_S_DIM, "Tiers, best first: fentry, kprobe, tracepoint, syscall (VMM ioctls decoded at "
				      "syscalls:sys_enter_ioctl).  'irqtrail doctor' explains each hook.");
}
