// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>
#include "hist.h"
#include "routes_out.h"

bool it_route_match(const struct it_route *r, const struct it_route_filter *f)
{
	if (!f)
		return true;
	if (f->bdf && strcmp(r->bdf, f->bdf))
		return false;
	if (f->pid && r->owner_pid != f->pid && r->vm_pid != f->pid)
		return false;
	return true;
}

static void opt_int(struct it_json *j, const char *k, int v)
{
	jw_key(j, k);
	if (v < 0)
		jw_null(j);
	else
		jw_i64(j, v);
}

static void hist_json(struct it_json *j, const char *key, const char *what, const struct it_hist *h,
		      uint64_t max)
{
	uint64_t n = it_hist_total(h);

	jw_key(j, key);
	if (!n) {
		jw_null(j);
		return;
	}
	jw_obj_begin(j);
	jw_kstr(j, "what", what);
	jw_ku64(j, "samples", n);
	jw_ku64(j, "p50_ns", (uint64_t)it_hist_quantile_max(h, 0.50, max));
	jw_ku64(j, "p90_ns", (uint64_t)it_hist_quantile_max(h, 0.90, max));
	jw_ku64(j, "p99_ns", (uint64_t)it_hist_quantile_max(h, 0.99, max));
	jw_ku64(j, "max_ns", max ? max : (uint64_t)it_hist_quantile(h, 1.0));
	jw_obj_end(j);
}

static void lat_json(struct it_json *j, const struct it_route *r)
{
	hist_json(j, "latency", r->lat_what, &r->lat, r->lat_max);
	if (r->rk == IT_ROUTE_GUEST) {
		jw_ku64(j, "accepted", r->accepted);
		hist_json(j, "accept_latency", "inject->accept", &r->accept, 0);
		/* the delivery path hop by hop, each from the host handler's entry
		 * (every-event recordings only) */
		jw_key(j, "delivery_path");
		if (it_hist_total(&r->hop_irqfd) || it_hist_total(&r->hop_vcpu)) {
			jw_obj_begin(j);
			hist_json(j, "irq->irqfd", "host handler -> irqfd_wakeup", &r->hop_irqfd, 0);
			hist_json(j, "irq->kvm_inject", "host handler -> kvm_set_msi (KVM injection)", &r->lat,
				  r->lat_max);
			hist_json(j, "irq->vcpu_inject", "host handler -> kvm_inj_virq (vCPU entry)", &r->hop_vcpu,
				  0);
			jw_obj_end(j);
		} else {
			jw_null(j);
		}
	}
}

/* arm64: "its" (device id, event id -> LPI -> CPU) and "doorbell" (the ITS's
 * physical doorbell and the IOVA the device holds), only when known */
static void it_route_arm_json(struct it_json *j, const struct it_route_arm *a)
{
	if (a->its) {
		jw_key(j, "its");
		jw_obj_begin(j);
		jw_ku64(j, "device_id", a->device_id);
		jw_ku64(j, "event_id", a->event_id);
		jw_ku64(j, "lpi", a->lpi);
		opt_int(j, "cpu", a->its_cpu);
		if (a->its_cpu >= 0)
			jw_ku64(j, "redistributor", a->redistributor);
		jw_obj_end(j);
	}
	if (a->doorbell) {
		jw_key(j, "doorbell");
		jw_obj_begin(j);
		jw_ku64(j, "phys", a->doorbell_phys);
		jw_key(j, "iova");
		if (a->translated)
			jw_u64(j, a->doorbell_iova);
		else
			jw_null(j);
		jw_kbool(j, "translated", a->translated);
		if (a->domain)
			jw_ku64(j, "domain", a->domain);
		if (a->msi_base)
			jw_ku64(j, "msi_base", a->msi_base);
		jw_obj_end(j);
	}
}

void it_route_json(struct it_json *j, const struct it_route *r)
{
	jw_obj_begin(j);
	jw_key(j, "bdf");
	if (r->bdf[0])
		jw_str(j, r->bdf);
	else
		jw_null(j);
	opt_int(j, "entry", r->entry);
	jw_kstr(j, "kind", r->kind);
	opt_int(j, "irq", r->irq);
	opt_int(j, "cpu", r->cpu);
	opt_int(j, "vector", r->vector);
	opt_int(j, "apicid", r->apicid);
	jw_key(j, "irte");
	if (r->irte) {
		const struct it_snap_irte *e = r->irte;

		jw_obj_begin(j);
		jw_kstr(j, "iommu", e->iommu);
		jw_ku64(j, "index", e->index);
		jw_kbool(j, "present", e->present);
		jw_kstr(j, "mode", e->posted ? "posted" : "remapped");
		jw_ku64(j, "dest", e->dest_id);
		jw_ku64(j, "vector", e->vector);
		jw_kstr(j, "dest_mode", e->dst_mode ? "logical" : "physical");
		jw_ku64(j, "delivery", e->delivery_mode);
		jw_kstr(j, "trigger", e->trigger_mode ? "level" : "edge");
		if (e->fmt == IT_IRTE_FMT_INTEL) {
			jw_ku64(j, "sid", e->sid);
			jw_ku64(j, "sq", e->sq);
			jw_ku64(j, "svt", e->svt);
			jw_kbool(j, "fpd", e->fpd);
		}
		if (e->posted)
			jw_ku64(j, "pda", e->pda);
		jw_obj_end(j);
	} else {
		jw_null(j);
	}
	it_route_arm_json(j, &r->arm);
	jw_key(j, "owner");
	jw_obj_begin(j);
	jw_kstr(j, "kind", r->owner_vm ? "vm" : "host");
	jw_key(j, "pid");
	if (r->owner_vm && r->owner_pid > 0)
		jw_i64(j, r->owner_pid);
	else
		jw_null(j);
	jw_kstr(j, "name", r->owner_name);
	jw_obj_end(j);
	if (r->rk == IT_ROUTE_HOST) {
		jw_kstr(j, "name", r->name);
		jw_kstr(j, "chip", r->chip);
		jw_kbool(j, "remapped", r->remapped);
		jw_kbool(j, "posted", r->posted);
		jw_kstr(j, "cpu_source", r->cpu_src);
		jw_ku64(j, "count", r->count);
		jw_ku64(j, "total_at_start", r->snapshot_total);
	} else {
		opt_int(j, "vm_pid", r->vm_pid);
		opt_int(j, "gsi", r->gsi);
		jw_ku64(j, "msi_address", r->msi_address);
		jw_ku64(j, "msi_data", r->msi_data);
		jw_ku64(j, "dest", r->dest);
		opt_int(j, "guest_vector", r->guest_vector);
		jw_kstr(j, "dest_mode", r->dest_mode);
		jw_kstr(j, "delivery", r->delivery);
		jw_kstr(j, "trigger", r->trigger);
		opt_int(j, "eventfd", r->eventfd);
		opt_int(j, "host_irq", r->host_irq);
		jw_kstr(j, "source", r->source);
		jw_ku64(j, "count", r->count);
		/* the trap path that set this vector up, step by step */
		jw_key(j, "trap");
		if (r->ntrap) {
			uint64_t prev = 0;

			jw_arr_begin(j);
			for (size_t i = 0; i < r->ntrap; i++) {
				jw_obj_begin(j);
				jw_kstr(j, "step", r->trap[i].what);
				jw_key(j, "ts");
				if (r->trap[i].ts)
					jw_u64(j, r->trap[i].ts);
				else
					jw_null(j);
				jw_key(j, "since_prev_ns");
				if (r->trap[i].ts && prev && r->trap[i].ts >= prev)
					jw_u64(j, r->trap[i].ts - prev);
				else
					jw_null(j);
				jw_obj_end(j);
				if (r->trap[i].ts)
					prev = r->trap[i].ts;
			}
			jw_arr_end(j);
		} else {
			jw_null(j);
		}
	}
	jw_kdouble(j, "rate", r->rate);
	lat_json(j, r);
	jw_key(j, "changes");
	jw_arr_begin(j);
	for (size_t i = 0; i < r->changes.n; i++) {
		const struct it_change *c = &r->changes.c[(r->changes.start + i) % IT_ROUTE_CHANGES];
		jw_obj_begin(j);
		jw_ku64(j, "ts", c->ts);
		jw_ku64(j, "pid", c->pid);
		jw_kstr(j, "what", c->what);
		jw_obj_end(j);
	}
	jw_arr_end(j);
	if (r->unknown[0])
		jw_kstr(j, "unknown", r->unknown);
	jw_obj_end(j);
}

void it_routes_json(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f)
{
	struct it_json j;

	jw_init(&j);
	jw_arr_begin(&j);
	for (size_t i = 0; i < n; i++)
		if (it_route_match(&r[i], f))
			it_route_json(&j, &r[i]);
	jw_arr_end(&j);
	jw_raw(&j, "\n");
	jw_flush(&j, out);
	jw_free(&j);
}

static const char *num(char *b, size_t l, int v)
{
	if (v < 0)
		snprintf(b, l, "-");
	else
		snprintf(b, l, "%d", v);
	return b;
}

static const char *hexv(char *b, size_t l, int v)
{
	if (v < 0)
		snprintf(b, l, "-");
	else
		snprintf(b, l, "%#x", v);
	return b;
}

void it_routes_text(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f)
{
	char a[16], b[16], c[16], d[16], e[16], p50[16], p99[16];
	bool head = false;

	for (size_t i = 0; i < n; i++) {
		const struct it_route *x = &r[i];

		if (x->rk != IT_ROUTE_HOST || !it_route_match(x, f))
			continue;
		if (!head) {
			fprintf(out, "%-12s %-3s %-4s %-4s %-3s %-4s %-4s %-22s %-16s %9s %9s %7s %7s\n", "DEVICE",
				"ENT", "KIND", "IRQ", "CPU", "VEC", "APIC", "HANDLER", "OWNER", "COUNT", "RATE/s",
				"P50", "P99");
			head = true;
		}
		fprintf(out, "%-12s %-3s %-4s %-4s %-3s %-4s %-4s %-22.22s %-16.16s %9llu %9.1f %7s %7s\n",
			x->bdf[0] ? x->bdf : "-", num(a, sizeof(a), x->entry), x->kind, num(b, sizeof(b), x->irq),
			num(c, sizeof(c), x->cpu), hexv(d, sizeof(d), x->vector), num(e, sizeof(e), x->apicid),
			x->name, x->owner_name, (unsigned long long)x->count, x->rate,
			it_fmt_ns(it_hist_quantile_max(&x->lat, 0.5, x->lat_max), p50, sizeof(p50)),
			it_fmt_ns(it_hist_quantile_max(&x->lat, 0.99, x->lat_max), p99, sizeof(p99)));
	}
	head = false;
	for (size_t i = 0; i < n; i++) {
		const struct it_route *x = &r[i];

		if (x->rk != IT_ROUTE_GUEST || !it_route_match(x, f))
			continue;
		if (!head) {
			fprintf(out, "%-7s %-12s %-4s %-10s %-8s %-4s %-4s %-4s %-12s %-3s %9s %9s %7s %7s\n",
				"VM", "NAME", "GSI", "MSI-ADDR", "MSI-DATA", "DEST", "GVEC", "EVFD", "DEVICE", "ENT",
				"COUNT", "RATE/s", "P50", "P99");
			head = true;
		}
		fprintf(out, "%-7d %-12.12s %-4s %#-10llx %#-8x %-4u %-4s %-4s %-12s %-3s %9llu %9.1f %7s %7s\n",
			x->vm_pid, x->owner_name, x->gsi < 0 ? (x->source && !strcmp(x->source, "signal") ? "msi" : "?")
							     : num(a, sizeof(a), x->gsi),
			(unsigned long long)x->msi_address, x->msi_data, x->dest, hexv(b, sizeof(b), x->guest_vector),
			num(c, sizeof(c), x->eventfd), x->bdf[0] ? x->bdf : "-", num(d, sizeof(d), x->entry),
			(unsigned long long)x->count, x->rate,
			it_fmt_ns(it_hist_quantile(&x->lat, 0.5), p50, sizeof(p50)),
			it_fmt_ns(it_hist_quantile(&x->lat, 0.99), p99, sizeof(p99)));
	}
}

void it_routes_dot(FILE *out, const struct it_route *r, size_t n, const struct it_route_filter *f)
{
	fprintf(out, "digraph irqtrail {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
	for (size_t i = 0; i < n; i++) {
		const struct it_route *x = &r[i];

		if (!it_route_match(x, f))
			continue;
		if (x->rk == IT_ROUTE_HOST) {
			fprintf(out, "  \"dev %s\" -> \"irq %d\\n%s\" [label=\"%s %d\"];\n", x->bdf[0] ? x->bdf : "?",
				x->irq, x->name, x->kind, x->entry);
			if (x->cpu >= 0)
				fprintf(out, "  \"irq %d\\n%s\" -> \"cpu %d\\nvector %d\";\n", x->irq, x->name, x->cpu,
					x->vector);
		} else {
			if (x->host_irq >= 0)
				fprintf(out, "  \"irq %d\" -> \"eventfd %d (pid %d)\";\n", x->host_irq, x->eventfd, x->vm_pid);
			if (x->eventfd >= 0)
				fprintf(out, "  \"eventfd %d (pid %d)\" -> \"vm %d gsi %d\";\n", x->eventfd, x->vm_pid,
					x->vm_pid, x->gsi);
			fprintf(out, "  \"vm %d gsi %d\" -> \"vm %d apic %u vector %#x\";\n", x->vm_pid, x->gsi, x->vm_pid,
				x->dest, x->guest_vector);
		}
	}
	fprintf(out, "}\n");
}
