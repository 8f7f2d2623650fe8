// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>
#include "decode.h"
#include "format.h"
#include "rules.h"
#include "full_events.h"
#include "snapshot.h"

int it_event_check(const struct it_hdr *h, size_t avail)
{
	unsigned int min;

	if (avail < sizeof(*h) || h->len < sizeof(*h) || h->len > avail)
		return -1;
	min = it_event_min_len(h->type);
	if (!min || h->len < min)
		return -1;
	return 0;
}

static void msi_fields(struct it_json *j, uint64_t address, uint32_t data)
{
	struct it_msi_decoded d;

	it_msi_decode(address, data, &d);
	jw_ku64(j, "address", address);
	jw_ku64(j, "data", data);
	if (d.remappable) {
		jw_kstr(j, "format", "remappable");
		jw_ku64(j, "irte_handle", d.irte_handle);
		if (d.shv)
			jw_ku64(j, "subhandle", d.subhandle);
		return;	/* the vector is in the IRTE, not in the message */
	}
	jw_kstr(j, "format", "compat");
	jw_ku64(j, "dest", d.dest);
	jw_ku64(j, "vector", d.vector);
	jw_kstr(j, "dest_mode", d.logical ? "logical" : "physical");
	jw_kstr(j, "delivery", it_msi_delivery_name(d.delivery));
	jw_kstr(j, "trigger", d.level ? "level" : "edge");
	if (!d.window)
		jw_kbool(j, "window", false);
}

static void ioctl_common(struct it_json *j, const struct it_ioctl_common *c)
{
	const char *n = it_ioctl_name(c->cmd);

	if (n)
		jw_kstr(j, "ioctl", n);
	else
		jw_ku64(j, "ioctl_cmd", c->cmd);
	jw_ku64(j, "ioctl_fd", c->fd);
	jw_ki64(j, "ret", c->ret);
	jw_ku64(j, "duration_ns", c->duration);
}

static void kvm_signal_msi_fields(struct it_json *j, const struct it_kvm_signal_msi *e)
{
	msi_fields(j, e->address, e->data);
	jw_ku64(j, "host_irq", 0);
	jw_kstr(j, "ioctl", "KVM_SIGNAL_MSI");
	jw_ku64(j, "ioctl_fd", e->fd);
	if (e->h.flags & IT_F_NO_EXIT) {
		jw_kbool(j, "exit_seen", false);
	} else {
		jw_ki64(j, "ret", e->ret);
		jw_ku64(j, "duration_ns", e->duration);
	}
	jw_ku64(j, "fd", e->fd);
	if (e->msi_flags & 1)
		jw_ku64(j, "devid", e->devid);
	jw_ku64(j, "accepted", e->accepted);
	if (e->accepted)
		jw_ku64(j, "apicid", e->apicid);
}

/*
 * The stream's hot line (one per KVM_SIGNAL_MSI at millions a second),
 * written straight into the buffer: the same bytes as the generic path
 * (test_format checks it), without the per-key calls.  0 when the record
 * takes the generic path (remappable format, not at the top level).
 */
/* ,"dest_mode":..,"delivery":..,"trigger":.. for every compat message,
 * [logical][delivery][level], padded so it copies at a fixed size */
#define MSI_FRAG(dm, dl, tr) { ",\"dest_mode\":\"" dm "\",\"delivery\":\"" dl "\",\"trigger\":\"" tr "\"", \
			       sizeof(",\"dest_mode\":\"" dm "\",\"delivery\":\"" dl "\",\"trigger\":\"" tr "\"") - 1 }
#define MSI_FRAG_TR(dm, dl) { MSI_FRAG(dm, dl, "edge"), MSI_FRAG(dm, dl, "level") }
#define MSI_FRAG_DL(dm) { MSI_FRAG_TR(dm, "fixed"), MSI_FRAG_TR(dm, "lowest"), MSI_FRAG_TR(dm, "smi"), \
			  MSI_FRAG_TR(dm, "reserved3"), MSI_FRAG_TR(dm, "nmi"), MSI_FRAG_TR(dm, "init"), \
			  MSI_FRAG_TR(dm, "reserved6"), MSI_FRAG_TR(dm, "extint") }
static const struct {
	char s[72];
	unsigned char n;
} msi_frag[2][8][2] = { MSI_FRAG_DL("physical"), MSI_FRAG_DL("logical") };

/*
 * The stream's hot line (one per KVM_SIGNAL_MSI at millions a second),
 * written straight into the buffer: the same bytes as the generic path
 * (test_format checks it), without the per-key calls.  0 when the record
 * takes the generic path (remappable format, not at the top level).
 */
static int kvm_signal_msi_fast(struct it_json *j, const struct it_kvm_signal_msi *e)
{
	const struct it_hdr *h = &e->h;
	struct it_msi_decoded d;
	char *p;

	if (j->depth || j->after_key || (h->flags & (IT_F_IN_HARDIRQ | IT_F_NO_EXIT)))
		return 0;
	it_msi_decode(e->address, e->data, &d);
	if (d.remappable || !d.window)
		return 0;
	p = jw_room(j, 640);
	if (!p)
		return -1;
	if (!j->first[0])
		*p++ = ',';
	j->first[0] = false;
	p = JP_LIT(p, "{\"ts\":");
	p = jp_u64(p, h->ts);
	p = JP_LIT(p, ",\"cpu\":");
	p = jp_u64(p, h->cpu);
	p = JP_LIT(p, ",\"type\":\"kvm_msi\",\"pid\":");
	p = jp_u64(p, h->pid);
	p = JP_LIT(p, ",\"tid\":");
	p = jp_u64(p, h->tid);
	p = JP_LIT(p, ",\"address\":");
	p = jp_u64(p, e->address);
	p = JP_LIT(p, ",\"data\":");
	p = jp_u64(p, e->data);
	p = JP_LIT(p, ",\"format\":\"compat\",\"dest\":");
	p = jp_u64(p, d.dest);
	p = JP_LIT(p, ",\"vector\":");
	p = jp_u64(p, d.vector);
	{
		const typeof(msi_frag[0][0][0]) *f = &msi_frag[d.logical][d.delivery & 7][d.level];

		p = jp_copy(p, f->s, f->n);
	}
	p = JP_LIT(p, ",\"host_irq\":0,\"ioctl\":\"KVM_SIGNAL_MSI\",\"ioctl_fd\":");
	p = jp_u64(p, e->fd);
	p = JP_LIT(p, ",\"ret\":");
	p = jp_i64(p, e->ret);
	p = JP_LIT(p, ",\"duration_ns\":");
	p = jp_u64(p, e->duration);
	p = JP_LIT(p, ",\"fd\":");
	p = jp_u64(p, e->fd);
	if (e->msi_flags & 1) {
		p = JP_LIT(p, ",\"devid\":");
		p = jp_u64(p, e->devid);
	}
	if (e->accepted) {
		p = JP_LIT(p, ",\"accepted\":");
		p = jp_u64(p, e->accepted);
		p = JP_LIT(p, ",\"apicid\":");
		p = jp_u64(p, e->apicid);
	} else {
		p = JP_LIT(p, ",\"accepted\":0");
	}
	*p++ = '}';
	jw_commit(j, p);
	return 1;
}

void it_msi_host_init(struct it_msi_host *mh, const struct it_snapshot *s)
{
	mh->amd_ir = s && s->ir.mode == IT_IR_AMD;
	mh->snap = s;
}

bool it_msi_host_amd(const struct it_msi_host *mh, unsigned int irq, const char *bdf, const char *chip)
{
	const struct it_irq *q;

	if (!mh || !mh->amd_ir)
		return false;
	if (chip && chip[0])
		return it_msi_chip_remapped(chip);
	/* the snapshot's chip, unless the irq number went to another device since */
	q = mh->snap ? it_snapshot_irq(mh->snap, (int)irq) : NULL;
	if (q && (!bdf || !q->bdf[0] || !strcmp(bdf, q->bdf)))
		return it_msi_chip_remapped(q->chip);
	return it_msi_chip_remapped(NULL);
}

int it_event_json(struct it_json *j, const struct it_hdr *h)
{
	return it_event_json_host(j, h, NULL);
}

int it_event_json_host(struct it_json *j, const struct it_hdr *h, const struct it_msi_host *mh)
{
	const char *name;

	if (h->type == IT_EV_KVM_SIGNAL_MSI && h->len >= sizeof(struct it_kvm_signal_msi)) {
		int r = kvm_signal_msi_fast(j, (const void *)h);

		if (r)
			return r;
	}
	name = it_event_type_name(h->type);

	if (!name || it_event_check(h, h->len))
		return -1;
	if (h->type == IT_EV_IOCTL_GSI_ROUTING && ((const struct it_ioctl_gsi_routing *)h)->nr_msi &&
	    !((const struct it_ioctl_gsi_routing *)h)->truncated)
		return 0;

	/* vector events carry the irq's target CPU as "cpu"; the CPU the event
	 * fired on is then "event_cpu", so no key appears twice */
	bool payload_cpu = h->type == IT_EV_VECTOR_UPDATE || h->type == IT_EV_VECTOR_CLEAR ||
			   h->type == IT_EV_VECTOR_CONFIG || h->type == IT_EV_VECTOR_FREE_MOVED;

	jw_obj_begin(j);
	jw_ku64(j, "ts", h->ts);
	jw_ku64(j, payload_cpu ? "event_cpu" : "cpu", h->cpu);
	/* every VMM ioctl is "type":"ioctl" with "ioctl" naming the command */
	/* a folded KVM_SIGNAL_MSI is the injection's line, with the ioctl in it */
	jw_kstr(j, "type", h->type >= IT_EV_IOCTL_SET_IRQS && h->type <= IT_EV_IOCTL_CREATE_VCPU ? "ioctl"
			   : h->type == IT_EV_KVM_SIGNAL_MSI ? "kvm_msi" : name);
	jw_ku64(j, "pid", h->pid);
	jw_ku64(j, "tid", h->tid);
	if (h->flags & IT_F_IN_HARDIRQ)
		jw_kbool(j, "in_irq", true);
	if (h->flags & IT_F_SNAPSHOT)
		jw_kstr(j, "origin", "iterator");

	switch (h->type) {
	case IT_EV_IRQ_ENTRY:
	case IT_EV_IRQ_NAME: {
		const struct it_irq_entry *e = (const void *)h;
		jw_ki64(j, "irq", e->irq);
		jw_key(j, "name");
		jw_strn(j, e->name, sizeof(e->name));
		break;
	}
	case IT_EV_IRQ_EXIT: {
		const struct it_irq_exit *e = (const void *)h;
		jw_ki64(j, "irq", e->irq);
		jw_ki64(j, "ret", e->ret);
		jw_ku64(j, "duration_ns", e->duration);
		break;
	}
	case IT_EV_VECTOR_SETUP ... IT_EV_VECTOR_FREE_MOVED: {
		const struct it_vector *e = (const void *)h;
		jw_ku64(j, "irq", e->irq);
		switch (h->type) {
		case IT_EV_VECTOR_UPDATE:
		case IT_EV_VECTOR_CLEAR:
			jw_ku64(j, "vector", e->vector);
			jw_ku64(j, "cpu", e->cpu);
			jw_ku64(j, "prev_vector", e->prev_vector);
			jw_ku64(j, "prev_cpu", e->prev_cpu);
			break;
		case IT_EV_VECTOR_CONFIG:
			jw_ku64(j, "vector", e->vector);
			jw_ku64(j, "cpu", e->cpu);
			jw_ku64(j, "apicdest", e->apicdest);
			break;
		case IT_EV_VECTOR_ALLOC:
			jw_ku64(j, "vector", e->vector);
			jw_kbool(j, "reserved", e->reserved);
			jw_ki64(j, "ret", e->ret);
			break;
		case IT_EV_VECTOR_ALLOC_MANAGED:
			jw_ku64(j, "vector", e->vector);
			jw_ki64(j, "ret", e->ret);
			break;
		case IT_EV_VECTOR_RESERVE:
		case IT_EV_VECTOR_RESERVE_MANAGED:
			jw_ki64(j, "ret", e->ret);
			break;
		case IT_EV_VECTOR_ACTIVATE:
		case IT_EV_VECTOR_DEACTIVATE:
			jw_kbool(j, "is_managed", e->is_managed);
			jw_kbool(j, "can_reserve", e->can_reserve);
			jw_kbool(j, "reserve", e->reserved);
			break;
		case IT_EV_VECTOR_SETUP:
			jw_kbool(j, "is_legacy", e->is_legacy);
			jw_ki64(j, "ret", e->ret);
			break;
		case IT_EV_VECTOR_TEARDOWN:
			jw_kbool(j, "is_managed", e->is_managed);
			jw_kbool(j, "has_reserved", e->reserved);
			break;
		case IT_EV_VECTOR_FREE_MOVED:
			jw_ku64(j, "vector", e->vector);
			jw_ku64(j, "cpu", e->cpu);
			jw_kbool(j, "is_managed", e->is_managed);
			break;
		}
		break;
	}
	case IT_EV_MATRIX_ALLOC ... IT_EV_MATRIX_ASSIGN: {
		const struct it_matrix *e = (const void *)h;
		jw_ki64(j, "bit", e->bit);
		jw_ku64(j, "matrix_cpu", e->cpu);
		jw_kbool(j, "online", e->online);
		jw_ku64(j, "available", e->available);
		jw_ku64(j, "allocated", e->allocated);
		jw_ku64(j, "managed", e->managed);
		jw_ku64(j, "global_available", e->global_available);
		jw_ku64(j, "global_reserved", e->global_reserved);
		jw_ku64(j, "total_allocated", e->total_allocated);
		break;
	}
	case IT_EV_KVM_MSI: {
		const struct it_kvm_msi *e = (const void *)h;
		msi_fields(j, e->address, (uint32_t)e->data);
		jw_ku64(j, "host_irq", e->host_irq);
		if (e->host_irq)
			jw_ku64(j, "since_irq_ns", e->since_irq);
		break;
	}
	case IT_EV_KVM_SIGNAL_MSI:
		kvm_signal_msi_fields(j, (const void *)h);
		break;
	case IT_EV_KVM_SET_IRQ: {
		const struct it_kvm_set_irq *e = (const void *)h;
		jw_ku64(j, "gsi", e->gsi);
		jw_ki64(j, "level", e->level);
		jw_ki64(j, "irq_source_id", e->irq_source_id);
		break;
	}
	case IT_EV_KVM_ACK_IRQ: {
		const struct it_kvm_set_irq *e = (const void *)h;
		jw_ku64(j, "pin", e->gsi);
		jw_ki64(j, "irqchip", e->level);
		break;
	}
	case IT_EV_KVM_PI_IRTE: {
		const struct it_kvm_pi_irte *e = (const void *)h;
		jw_ku64(j, "host_irq", e->host_irq);
		jw_ki64(j, "vcpu_id", e->vcpu_id);
		jw_ku64(j, "gsi", e->gsi);
		jw_ku64(j, "gvec", e->gvec);
		jw_kbool(j, "set", e->set);
		if (e->pi_desc_addr)
			jw_ku64(j, "pi_desc_addr", e->pi_desc_addr);
		break;
	}
	case IT_EV_KVM_APIC_ACCEPT: {
		const struct it_kvm_apic *e = (const void *)h;
		jw_ku64(j, "apicid", e->apicid);
		jw_ku64(j, "vector", e->vector);
		jw_kstr(j, "delivery", it_msi_delivery_name(e->dm >> 8));	/* APIC_DM_* is bits 10:8 */
		jw_kstr(j, "trigger", e->tm ? "level" : "edge");
		break;
	}
	case IT_EV_KVM_INJ_VIRQ: {
		const struct it_kvm_apic *e = (const void *)h;
		jw_ku64(j, "vector", e->vector);
		jw_kbool(j, "soft", e->soft);
		jw_kbool(j, "reinjected", e->reinjected);
		break;
	}
	case IT_EV_KVM_EOI: {
		const struct it_kvm_apic *e = (const void *)h;
		jw_ku64(j, "apicid", e->apicid);
		jw_ku64(j, "vector", e->vector);
		break;
	}
	case IT_EV_HC_KVM:
	case IT_EV_HC_XEN: {
		const struct it_hypercall *e = (const void *)h;
		static const char *const an[6] = { "a0", "a1", "a2", "a3", "a4", "a5" };
		jw_ku64(j, "nr", e->nr);
		for (int i = 0; i < (h->type == IT_EV_HC_XEN ? 6 : 4); i++)
			jw_ku64(j, an[i], e->args[i]);
		if (h->type == IT_EV_HC_XEN)
			jw_ku64(j, "cpl", e->cpl);
		break;
	}
	case IT_EV_HC_HV: {
		const struct it_hypercall *e = (const void *)h;
		jw_ku64(j, "code", e->nr);
		jw_kbool(j, "fast", e->fast);
		jw_ku64(j, "rep_cnt", e->rep_cnt);
		jw_ku64(j, "rep_idx", e->rep_idx);
		jw_ku64(j, "var_cnt", e->var_cnt);
		jw_ku64(j, "ingpa", e->args[0]);
		jw_ku64(j, "outgpa", e->args[1]);
		break;
	}
	case IT_EV_HC_HV_DONE: {
		const struct it_hypercall *e = (const void *)h;
		jw_ku64(j, "result", (uint64_t)e->ret);
		break;
	}
	case IT_EV_IOCTL_SET_IRQS: {
		const struct it_ioctl_set_irqs *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, "flags", e->flags);
		jw_ku64(j, "index", e->index);
		jw_kstr(j, "irq_kind", it_vfio_irq_index_name(e->index));
		jw_ku64(j, "start", e->start);
		jw_ku64(j, "count", e->count);
		if (e->flags & (1u << 2)) {
			unsigned int n = e->nfds < IT_MAX_IRQ_FDS ? e->nfds : IT_MAX_IRQ_FDS;
			jw_key(j, "fds");
			jw_arr_begin(j);
			for (unsigned int i = 0; i < n; i++)
				jw_i64(j, e->fds[i]);
			jw_arr_end(j);
			if (e->count > n)
				jw_ku64(j, "fds_truncated", e->count - n);
		}
		break;
	}
	case IT_EV_IOCTL_GET_DEVICE_FD: {
		const struct it_ioctl_get_device_fd *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_key(j, "device");
		jw_strn(j, e->name, sizeof(e->name));
		break;
	}
	case IT_EV_IOCTL_IRQFD: {
		const struct it_ioctl_irqfd *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, "fd", e->efd);
		jw_ku64(j, "gsi", e->gsi);
		jw_ku64(j, "flags", e->flags);
		jw_kbool(j, "deassign", e->flags & 1);
		if (e->flags & 2)
			jw_ku64(j, "resamplefd", e->resamplefd);
		break;
	}
	case IT_EV_IOCTL_GSI_ROUTING: {
		const struct it_ioctl_gsi_routing *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, "nr", e->nr);
		jw_ku64(j, "nr_msi", e->nr_msi);
		if (e->truncated)
			jw_ku64(j, "unread", e->truncated);
		break;
	}
	case IT_EV_IOCTL_GSI_ROUTE: {
		const struct it_ioctl_gsi_route *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, "nr", e->nr);
		jw_ku64(j, "index", e->index);
		jw_ku64(j, "gsi", e->gsi);
		jw_kstr(j, "route_type", it_kvm_route_type_name(e->type));
		msi_fields(j, ((uint64_t)e->address_hi << 32) | e->address_lo, e->data);
		jw_ku64(j, "flags", e->flags);
		jw_ku64(j, "devid", e->devid);	/* meaningful when flags has KVM_MSI_VALID_DEVID */
		break;
	}
	case IT_EV_IOCTL_SIGNAL_MSI: {
		const struct it_ioctl_signal_msi *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, "fd", e->c.fd);
		msi_fields(j, ((uint64_t)e->address_hi << 32) | e->address_lo, e->data);
		if (e->flags & 1)
			jw_ku64(j, "devid", e->devid);
		break;
	}
	case IT_EV_IOCTL_CREATE_VM:
	case IT_EV_IOCTL_CREATE_VCPU: {
		const struct it_ioctl_simple *e = (const void *)h;
		ioctl_common(j, &e->c);
		jw_ku64(j, h->type == IT_EV_IOCTL_CREATE_VM ? "vm_type" : "vcpu_id", e->arg);
		break;
	}
	case IT_EV_LOST: {
		const struct it_lost *e = (const void *)h;
		jw_ku64(j, "lost", e->lost);
		break;
	}
	case IT_EV_ALERT:
		it_alert_json_fields(j, (const void *)h);
		break;
	case IT_EV_PROC: {
		const struct it_proc *e = (const void *)h;
		jw_ku64(j, "proc_pid", e->proc_pid);
		jw_key(j, "comm");
		jw_strn(j, e->comm, sizeof(e->comm));
		jw_key(j, "name");
		jw_strn(j, e->name, sizeof(e->name));
		break;
	}
	default:
		if (h->type >= IT_EV_RESERVED_FIRST && h->type <= IT_EV_RESERVED_LAST)
			it_full_event_json(j, h, mh);
		break;
	}
	jw_obj_end(j);
	return 1;
}

/* Text: "   SECONDS.USEC CPU PID TYPE key=value ..." from the JSON form. */
int it_event_text(const struct it_hdr *h, char *buf, size_t len)
{
	return it_event_text_host(h, buf, len, NULL);
}

int it_event_text_host(const struct it_hdr *h, char *buf, size_t len, const struct it_msi_host *mh)
{
	struct it_json j;
	int r;

	if (!len)
		return -1;
	buf[0] = 0;
	jw_init(&j);
	r = it_event_json_host(&j, h, mh);
	if (r <= 0 || j.oom) {
		jw_free(&j);
		return r <= 0 ? r : -1;
	}
	/* flatten {"ts":..,"cpu":..,"type":"x",..} into words */
	size_t o = (size_t)snprintf(buf, len, "%6llu.%06llu cpu%-3u %-7u %-20s",
				    (unsigned long long)(h->ts / 1000000000ull),
				    (unsigned long long)((h->ts / 1000) % 1000000ull), h->cpu, h->pid,
				    it_event_type_name(h->type));
	const char *p = j.buf + 1, *end = j.buf + j.len - 1;
	int skip = 5;	/* ts, cpu, type, pid, tid are in the prefix */
	while (p < end && o < len) {
		const char *k = p + 1, *ke = strchr(k, '"');
		if (!ke)
			break;
		const char *v = ke + 2, *ve = v;
		int depth = 0;
		bool instr = false;
		for (; ve < end; ve++) {
			if (instr) {
				if (*ve == '\\')
					ve++;
				else if (*ve == '"')
					instr = false;
			} else if (*ve == '"') {
				instr = true;
			} else if (*ve == '[' || *ve == '{') {
				depth++;
			} else if (*ve == ']' || *ve == '}') {
				depth--;
			} else if (*ve == ',' && !depth) {
				break;
			}
		}
		if (skip > 0) {
			skip--;
		} else {
			int vl = (int)(ve - v);
			if (*v == '"' && vl >= 2) {
				v++;
				vl -= 2;
			}
			o += (size_t)snprintf(buf + o, len - o, " %.*s=%.*s", (int)(ke - k), k, vl, v);
		}
		p = ve + 1;
	}
	jw_free(&j);
	return 1;
}
