// SPDX-License-Identifier: GPL-2.0-only
/* irqtrail replay / export / dump: a recording into the model and views,
 * into JSON lines or a Perfetto trace, or its structure. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "decode.h"
#include "format.h"
#include "json.h"
#include "session.h"
#include "snapcap.h"
#include "top.h"
#include "tracefile.h"

/* ------------------------------------------------------------------ replay */

struct replay_opts {
	const char *file;
	bool summary, json;
	double speed;
	bool speed_set;
};

static const struct argp_option replay_options[] = {
	{ "summary", 's', NULL, 0, "Print per-route counts and latency percentiles", 0 },
	{ "json", 'j', NULL, 0, "The summary as JSON", 0 },
	{ "speed", 'x', "X", 0, "Replay in real time scaled by X (0 = as fast as possible)", 0 },
	{ 0 },
};

static error_t replay_parse(int key, char *arg, struct argp_state *state)
{
	struct replay_opts *o = state->input;
	char *end;

	switch (key) {
	case 's':
		o->summary = true;
		break;
	case 'j':
		o->json = true;
		it_json_out = true;
		break;
	case 'x':
		o->speed = strtod(arg, &end);
		if (*end || end == arg || o->speed < 0 || o->speed > 1e6)
			argp_error(state, "invalid speed '%s'", arg);
		o->speed_set = true;
		break;
	case ARGP_KEY_ARG:
		if (o->file)
			argp_error(state, "one recording only");
		o->file = arg;
		break;
	case ARGP_KEY_END:
		if (!o->file)
			argp_error(state, "which recording?");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char replay_doc[] =
	"Replay a recording into the routing model.  Without --summary the dashboard (irqtrail top) "
	"shows it at --speed (default 1, real time); --summary prints the route table with "
	"per-route counts and latency percentiles at the end of the recording (the numbers a live "
	"run over the same window shows), -j as JSON.  Exit status: 0 the whole file replayed "
	"(a cut tail after the last complete block is reported but is not an error), 1 the file "
	"is damaged or unreadable (what came before the damage was replayed), 2 bad usage.\n"
	"\vEXAMPLES:\n"
	"  irqtrail replay --summary examples/vmm-msi.itr\n"
	"  irqtrail replay -j --summary trace.itr | jq '.[] | select(.kind==\"guest\")'\n";

static int report_file(struct it_session *s)
{
	const struct it_tr_stats *st = it_tr_stats(s->tr);
	int ret = IT_EXIT_OK;

	if (st->damaged) {
		/* stderr only: under -j, stdout carries the summary of the part replayed */
		p_info("%s: %s; replayed the %llu records before it", s->o.replay, it_tr_error(s->tr),
		       (unsigned long long)st->records);
		ret = IT_EXIT_FAIL;
	} else if (st->tail_bytes) {
		p_info("%s: file cut %llu bytes into an unfinished block (recording interrupted); replayed %llu records",
		       s->o.replay, (unsigned long long)st->tail_bytes, (unsigned long long)st->records);
	}
	if (st->skipped_types || st->skipped_sections || st->skipped_short)
		p_info("%s: skipped %llu records of unknown types, %llu records shorter than their type "
		       "(written by another irqtrail version) and %llu unknown sections",
		       s->o.replay, (unsigned long long)st->skipped_types, (unsigned long long)st->skipped_short,
		       (unsigned long long)st->skipped_sections);
	return ret;
}

int cmd_replay(int argc, char **argv)
{
	struct argp argp = { replay_options, replay_parse, "FILE", replay_doc, NULL, NULL, NULL };
	struct replay_opts o = { 0 };
	struct it_session_opts so = { 0 };
	struct it_session s;
	int r, ret;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;
	/* without --summary: the dashboard, driven by the recording */
	if (!o.summary && !o.json)
		return it_top_run_replay(o.file, o.speed_set ? o.speed : 1.0);
	so.replay = o.file;
	so.speed = o.speed_set ? o.speed : 0;
	it_install_signals();
	r = it_session_open(&s, &so);
	if (r) {
		p_err("%s", s.err);
		it_session_close(&s);
		return IT_EXIT_FAIL;
	}
	r = it_session_run(&s, 0);
	ret = report_file(&s);
	if (it_exiting && !s.ended)
		p_info("interrupted: summary of the part replayed");
	(void)r;
	if (it_print_routes(&s, o.json, false, NULL, 0))
		ret = IT_EXIT_FAIL;
	it_session_close(&s);
	return ret;
}

/* ------------------------------------------------------------------ export */

struct export_opts {
	const char *file, *jsonl, *perfetto;
};

static const struct argp_option export_options[] = {
	{ "jsonl", 'l', "OUT", 0, "JSON lines, one event a line (the stream -j schema)", 0 },
	{ "perfetto", 'P', "OUT", 0, "Chrome trace-event JSON that Perfetto and chrome://tracing load", 0 },
	{ 0 },
};

static error_t export_parse(int key, char *arg, struct argp_state *state)
{
	struct export_opts *o = state->input;

	switch (key) {
	case 'l':
		o->jsonl = arg;
		break;
	case 'P':
		o->perfetto = arg;
		break;
	case ARGP_KEY_ARG:
		if (o->file)
			argp_error(state, "one recording only");
		o->file = arg;
		break;
	case ARGP_KEY_END:
		if (!o->file)
			argp_error(state, "which recording?");
		if (!o->jsonl == !o->perfetto)
			argp_error(state, "give one of --jsonl OUT or --perfetto OUT");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char export_doc[] =
	"Convert a recording: --jsonl writes every event as a JSON line (the stream -j schema); "
	"--perfetto writes a trace with a track per host CPU and per VM, slices for handler runs "
	"and hypercalls, flow arrows from a host irq to the injection it caused, and counters for "
	"rates (from aggregate frames).  OUT '-' is standard output.\n"
	"\vEXAMPLES:\n"
	"  irqtrail export trace.itr --jsonl trace.jsonl\n"
	"  irqtrail export trace.itr --perfetto trace.json   (open in ui.perfetto.dev)\n";

struct pf_state {
	struct it_json j;
	FILE *out;
	uint64_t t0;
	bool have_t0;
	uint64_t flow_id;
	/* open handler slice per cpu */
	struct {
		uint64_t ts;
		int irq;
		char name[IT_IRQ_NAME_LEN];
		bool open;
		uint64_t flow;
	} cpu[256];
	uint64_t prev_agg_ts;
	struct it_agg_frame prev;
	const struct it_msi_host *mh;	/* the recorded host's MSI decoding */
	bool have_prev;
};

static double us(struct pf_state *p, uint64_t ts)
{
	return ts >= p->t0 ? (double)(ts - p->t0) / 1000.0 : 0;
}

static void pf_begin(struct pf_state *p, const char *ph, const char *name, const char *cat, int pid, int tid,
		     uint64_t ts)
{
	jw_obj_begin(&p->j);
	jw_kstr(&p->j, "ph", ph);
	jw_kstr(&p->j, "name", name);
	jw_kstr(&p->j, "cat", cat);
	jw_ki64(&p->j, "pid", pid);
	jw_ki64(&p->j, "tid", tid);
	jw_kdouble(&p->j, "ts", us(p, ts));
}

/* Flush the buffer but stay inside the traceEvents array, so the next
 * event still gets its separating comma. */
static void pf_flush(struct pf_state *p)
{
	if (p->j.len > (1u << 20)) {
		jw_flush(&p->j, p->out);
		p->j.depth = 1;
		p->j.first[1] = false;
	}
}

#define PF_HOST_PID 1

static int pf_record(struct pf_state *p, const struct it_hdr *h)
{
	char name[96];
	unsigned int c = h->cpu < 256 ? h->cpu : 255;

	if (!p->have_t0) {
		p->t0 = h->ts;
		p->have_t0 = true;
	}
	switch (h->type) {
	case IT_EV_IRQ_ENTRY: {
		const struct it_irq_entry *e = (const void *)h;
		p->cpu[c].ts = h->ts;
		p->cpu[c].irq = e->irq;
		p->cpu[c].open = true;
		p->cpu[c].flow = 0;
		snprintf(p->cpu[c].name, sizeof(p->cpu[c].name), "%.*s", (int)strnlen(e->name, sizeof(e->name)), e->name);
		break;
	}
	case IT_EV_IRQ_EXIT: {
		const struct it_irq_exit *e = (const void *)h;
		uint64_t start = e->duration && e->duration <= h->ts ? h->ts - e->duration : h->ts;
		snprintf(name, sizeof(name), "irq %d %s", e->irq,
			 p->cpu[c].open && p->cpu[c].irq == e->irq ? p->cpu[c].name : "");
		pf_begin(p, "X", name, "host-irq", PF_HOST_PID, (int)c, start);
		jw_kdouble(&p->j, "dur", (double)(h->ts - start) / 1000.0);
		jw_key(&p->j, "args");
		jw_obj_begin(&p->j);
		jw_ki64(&p->j, "irq", e->irq);
		jw_ki64(&p->j, "ret", e->ret);
		jw_obj_end(&p->j);
		jw_obj_end(&p->j);
		if (p->cpu[c].flow) {
			/* the flow leaves from inside this slice */
			pf_begin(p, "s", "irq->inject", "route", PF_HOST_PID, (int)c, start);
			jw_ku64(&p->j, "id", p->cpu[c].flow);
			jw_obj_end(&p->j);
		}
		p->cpu[c].open = false;
		break;
	}
	case IT_EV_KVM_MSI: {
		const struct it_kvm_msi *e = (const void *)h;
		struct it_msi_decoded d;
		it_msi_decode(e->address, (uint32_t)e->data, &d);
		snprintf(name, sizeof(name), "inject vec %#x -> apic %u", d.vector, d.dest);
		int pid = h->pid ? (int)h->pid : 2;
		pf_begin(p, "i", name, "kvm", pid, 0, h->ts);
		jw_kstr(&p->j, "s", "t");
		jw_key(&p->j, "args");
		jw_obj_begin(&p->j);
		jw_ku64(&p->j, "address", e->address);
		jw_ku64(&p->j, "data", e->data);
		jw_ku64(&p->j, "host_irq", e->host_irq);
		jw_obj_end(&p->j);
		jw_obj_end(&p->j);
		if (e->host_irq && p->cpu[c].open) {
			p->cpu[c].flow = ++p->flow_id;
			pf_begin(p, "f", "irq->inject", "route", pid, 0, h->ts);
			jw_ku64(&p->j, "id", p->flow_id);
			jw_kstr(&p->j, "bp", "e");
			jw_obj_end(&p->j);
		}
		break;
	}
	case IT_EV_KVM_SIGNAL_MSI: {	/* a KVM_SIGNAL_MSI, folded with its ioctl */
		const struct it_kvm_signal_msi *e = (const void *)h;
		struct it_msi_decoded d;
		it_msi_decode(e->address, e->data, &d);
		snprintf(name, sizeof(name), "inject vec %#x -> apic %u", d.vector, d.dest);
		pf_begin(p, "i", name, "kvm", h->pid ? (int)h->pid : 2, 0, h->ts);
		jw_kstr(&p->j, "s", "t");
		jw_key(&p->j, "args");
		jw_obj_begin(&p->j);
		jw_ku64(&p->j, "address", e->address);
		jw_ku64(&p->j, "data", e->data);
		jw_ku64(&p->j, "host_irq", 0);
		jw_kstr(&p->j, "ioctl", "KVM_SIGNAL_MSI");
		jw_ki64(&p->j, "ret", e->ret);
		jw_obj_end(&p->j);
		jw_obj_end(&p->j);
		break;
	}
	case IT_EV_HC_KVM:
	case IT_EV_HC_HV:
	case IT_EV_HC_XEN: {
		const struct it_hypercall *e = (const void *)h;
		snprintf(name, sizeof(name), "%s %llu", it_event_type_name(h->type), (unsigned long long)e->nr);
		pf_begin(p, "i", name, "hypercall", h->pid ? (int)h->pid : 2, (int)h->tid, h->ts);
		jw_kstr(&p->j, "s", "t");
		jw_obj_end(&p->j);
		break;
	}
	default: {
		if (it_event_is_dataplane(h->type))
			break;
		/* control plane: an instant event with the stream fields as args */
		const char *tn = it_event_type_name(h->type);
		if (!tn)
			break;
		pf_begin(p, "i", tn, "control", h->pid ? (int)h->pid : PF_HOST_PID, h->pid ? (int)h->tid : (int)c, h->ts);
		jw_kstr(&p->j, "s", "p");
		jw_key(&p->j, "args");
		if (it_event_json_host(&p->j, h, p->mh) <= 0)
			jw_null(&p->j);
		jw_obj_end(&p->j);
		break;
	}
	}
	pf_flush(p);
	return 0;
}

static void pf_agg(struct pf_state *p, const struct it_agg_frame *f)
{
	if (!p->have_t0) {
		p->t0 = f->ts;
		p->have_t0 = true;
	}
	if (p->have_prev && f->ts > p->prev.ts) {
		double secs = (double)(f->ts - p->prev.ts) / 1e9;
		uint64_t irqs = 0, pirqs = 0, inj = 0, pinj = 0;
		for (size_t i = 0; i < f->nirq; i++)
			irqs += f->irq[i].st.count;
		for (size_t i = 0; i < p->prev.nirq; i++)
			pirqs += p->prev.irq[i].st.count;
		for (size_t i = 0; i < f->nmsi; i++)
			inj += f->msi[i].st.count;
		for (size_t i = 0; i < p->prev.nmsi; i++)
			pinj += p->prev.msi[i].st.count;
		pf_begin(p, "C", "rates", "rates", PF_HOST_PID, 0, f->ts);
		jw_key(&p->j, "args");
		jw_obj_begin(&p->j);
		jw_kdouble(&p->j, "host irqs/s", irqs >= pirqs ? (double)(irqs - pirqs) / secs : 0);
		jw_kdouble(&p->j, "injections/s", inj >= pinj ? (double)(inj - pinj) / secs : 0);
		jw_obj_end(&p->j);
		jw_obj_end(&p->j);
	}
	if (p->have_prev)
		it_agg_free(&p->prev);
	p->have_prev = it_agg_copy(&p->prev, f) == 0;
}

static FILE *open_out(const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	return fopen(path, "w");
}

int cmd_export(int argc, char **argv)
{
	struct argp argp = { export_options, export_parse, "FILE", export_doc, NULL, NULL, NULL };
	struct export_opts o = { 0 };
	struct it_tr_item it;
	struct it_tr *tr;
	struct pf_state *pf = NULL;
	struct it_json j;
	struct it_snapshot snap;
	struct it_msi_host mh;
	char snapdir[256];
	bool have_snap;
	char err[256];
	FILE *out;
	uint64_t n = 0;
	int r, ret = IT_EXIT_OK;

	if (it_argp_parse(&argp, argc, argv, 0, &o))
		return IT_EXIT_USAGE;
	tr = it_tr_open(o.file, err, sizeof(err));
	if (!tr) {
		p_err("%s", err);
		return IT_EXIT_FAIL;
	}
	out = open_out(o.jsonl ? o.jsonl : o.perfetto);
	if (!out) {
		p_err("%s: %s", o.jsonl ? o.jsonl : o.perfetto, strerror(errno));
		it_tr_close(tr);
		return IT_EXIT_FAIL;
	}
	jw_init(&j);
	if (o.perfetto) {
		pf = calloc(1, sizeof(*pf));
		if (!pf) {
			p_err("out of memory");
			it_tr_close(tr);
			return IT_EXIT_FAIL;
		}
		jw_init(&pf->j);
		pf->out = out;
		pf->mh = &mh;
		fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
		jw_arr_begin(&pf->j);	/* commas between events; the bracket itself is dropped below */
		pf->j.len = 0;
		/* track names */
		pf_begin(pf, "M", "process_name", "meta", PF_HOST_PID, 0, 0);
		jw_key(&pf->j, "args");
		jw_obj_begin(&pf->j);
		jw_kstr(&pf->j, "name", "host CPUs");
		jw_obj_end(&pf->j);
		jw_obj_end(&pf->j);
	}
	/* the recorded host's remapping flavour decides what its MSI messages say */
	if (it_tr_read_snapshot(tr, &snap, snapdir, sizeof(snapdir), &have_snap) < 0)
		p_info("%s: the snapshot section is damaged; MSI messages decoded by their bits alone", o.file);
	it_msi_host_init(&mh, have_snap ? &snap : NULL);
	while ((r = it_tr_next_item(tr, &it)) > 0) {
		if (it.kind == IT_TR_AGGREGATE) {
			struct it_agg_frame f;
			if (pf && it_agg_decode(it.data, it.len, &f) == 0) {
				pf_agg(pf, &f);
				it_agg_free(&f);
			}
			continue;
		}
		if (it.kind != IT_TR_RECORD && it.kind != IT_TR_LOST)
			continue;
		n++;
		if (pf) {
			pf_record(pf, it.rec);
			continue;
		}
		if (it_event_json_host(&j, it.rec, &mh) > 0)
			jw_raw(&j, "\n");
		if (j.len > (1u << 20) && jw_flush(&j, out))
			break;
	}
	if (r < 0) {
		p_err("%s: %s; exported the %llu events before it", o.file, it_tr_error(tr), (unsigned long long)n);
		ret = IT_EXIT_FAIL;
	}
	if (pf) {
		jw_flush(&pf->j, out);
		fputs("\n]}\n", out);
		if (pf->have_prev)
			it_agg_free(&pf->prev);
		jw_free(&pf->j);
		free(pf);
	} else {
		jw_flush(&j, out);
	}
	jw_free(&j);
	if (fflush(out) || (out != stdout && fclose(out))) {
		p_err("writing %s failed: %s", o.jsonl ? o.jsonl : o.perfetto, strerror(errno));
		ret = IT_EXIT_FAIL;
	}
	it_tr_close(tr);
	if (have_snap)
		it_snapshot_free(&snap);
	if (snapdir[0])
		it_snapcap_remove(snapdir);
	p_info("%llu events exported", (unsigned long long)n);
	return ret;
}

/* ------------------------------------------------------------------ dump */

int cmd_dump(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: irqtrail dump FILE\n"
		       "Print a recording's structure: header, host facts, sections with offsets and sizes,\n"
		       "event blocks with record counts, time ranges and checksums, the index.\n"
		       "Exit status: 0 clean, 1 damage or truncation found, 2 not a readable trace.\n\n"
		       "EXAMPLES:\n  irqtrail dump trace.itr\n");
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		p_err("usage: irqtrail dump FILE");
		return IT_EXIT_USAGE;
	}
	char err[256];
	struct it_tr *tr = it_tr_open(argv[1], err, sizeof(err));

	if (!tr) {
		p_err("%s", err);
		return IT_EXIT_USAGE;
	}
	it_tr_close(tr);
	int r = it_tr_dump(argv[1], stdout);
	if (r < 0) {
		p_err("%s: not a readable trace (%s)", argv[1], strerror(-r));
		return IT_EXIT_USAGE;
	}
	return r ? IT_EXIT_FAIL : IT_EXIT_OK;
}
