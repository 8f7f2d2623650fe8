/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A session feeds the model from one source: the live kernel (BPF) or a
 * recording.  Every view (routes, explain, top, replay, check) runs on a
 * session, so live and replay show the same numbers.
 */
#ifndef IRQTRAIL_SESSION_H
#define IRQTRAIL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "agg.h"
#include "live.h"
#include "model.h"
#include "snapshot.h"
#include "tracefile.h"

struct it_session_opts {
	const char *replay;	/* a recording, NULL = live */
	bool full;		/* live: stream data-plane events too */
	pid_t pid;
	double speed;		/* replay pacing: 0 = as fast as possible */
	it_event_fn cb;		/* every record, after the model saw it */
	void *ctx;
	/* live: called with each aggregate frame read (recording) */
	void (*agg_cb)(void *ctx, const struct it_agg_frame *f);
};

struct it_session {
	struct it_session_opts o;
	struct it_snapshot snap;
	bool have_snap;
	char snapdir[256];
	void *snapblob;		/* live: the captured snapshot (recordings store it) */
	size_t snaplen;
	uint64_t snap_ts;	/* CLOCK_MONOTONIC when it was taken (before the hooks attached) */
	struct it_model *model;
	struct it_live *live;
	struct it_tr *tr;
	bool ended;		/* replay: end of file */
	uint64_t start_ts;	/* data clock at start (CLOCK_MONOTONIC of the source) */
	uint64_t now_ts;	/* data clock now */
	uint64_t last_agg_read;	/* live: when the maps were last read */
	uint64_t replay_wall0, replay_data0;
	bool paused;
	bool msi_pending;	/* live: the devices' MSI messages are still to be read */
	uint64_t records;
	uint32_t procs[256];	/* live: processes already named by an IT_EV_PROC */
	size_t nprocs;
	char err[256];
};

/* 0, or -errno with a one-line message in s->err. */
int it_session_open(struct it_session *s, const struct it_session_opts *o);
/* Live: wait up to timeout_ms for events, read the aggregates at most once a
 * second (or when force_agg).  Replay: process what the pacing allows (all of
 * it when speed is 0, in batches).  Returns 0, 1 at the end of a recording,
 * or -errno. */
int it_session_step(struct it_session *s, int timeout_ms);
/* Live: read the aggregates now and hand them to the model. */
int it_session_read_agg(struct it_session *s);
/* Run until the data clock has advanced by secs (0: to the end / until
 * interrupted). */
int it_session_run(struct it_session *s, double secs);
void it_session_close(struct it_session *s);
bool it_session_is_live(const struct it_session *s);
/*
 * A recording's snapshot section, unpacked into a temporary directory (dir,
 * it_snapcap_remove it when done) and read: 0 read, 1 the recording has
 * none, 2 unpacked but unreadable, -errno the section is damaged.  *have:
 * snap holds memory to it_snapshot_free.
 */
int it_tr_read_snapshot(struct it_tr *tr, struct it_snapshot *snap, char *dir, size_t dirlen, bool *have);
/* What the source attached (live) or recorded (replay): hooks and tiers. */
void it_session_blind(struct it_session *s, bool *irte, bool *vfio, bool *domain);

#endif
