// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqtrail trace file (.itr) writer and reader.  The format is specified in
 * docs/trace-format.md; this is its implementation.  Pure C + libzstd, no
 * libbpf.  All functions return negative errno values on failure unless
 * stated otherwise, and never abort.
 */
#ifndef IRQTRAIL_TRACEFILE_H
#define IRQTRAIL_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "events.h"

#define IT_TRACE_MAJOR 1
#define IT_TRACE_MINOR 0

/* section types (docs/trace-format.md §4) */
enum it_sect_type {
	IT_SECT_HOST = 1,
	IT_SECT_SNAP = 2,
	IT_SECT_EVTB = 3,
	IT_SECT_AGGR = 4,
	IT_SECT_INDX = 5,
	IT_SECT_END = 6,
};

/* hdr.cpu of IT_EV_LOST records written by this library (§6) */
#define IT_LOST_CPU_KERNEL 0xFFFF	/* it_tw_write_lost(): lost in the kernel */
#define IT_LOST_CPU_QUEUE  0xFFFE	/* dropped by the async writer's queue */

/* One hook point and how it is attached. */
struct it_hook_info {
	const char *hook;	/* e.g. "kvm:kvm_msi_set_irq" */
	const char *hop;	/* routing hop it observes */
	const char *tier;	/* fentry, kprobe, tracepoint, syscall, poll */
	bool attached;
	const char *reason;	/* why not attached / why this tier ("" none) */
};

/*
 * Host facts (§5).  For writing, NULL strings and zero numbers are left out
 * of the file.  For reading, the strings are owned by the reader and never
 * NULL ("" when absent); has_* tell which facts were present.
 */
struct it_host {
	const char *kernel_release;
	const char *boot_id;
	const char *hostname;
	const char *machine;
	const char *tool_version;
	uint32_t cpus_online;
	uint32_t cpus_possible;
	uint32_t clock_id;		/* CLOCK_MONOTONIC (1) */
	int64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at start */
	int argc;
	char *const *argv;		/* command line */
	size_t nhooks;
	const struct it_hook_info *hooks;
	/* reader only */
	bool has_cpus, has_clock, has_cmdline;
};

/*
 * Fill the facts this process can learn by itself: kernel release, machine,
 * boot id, hostname, CPU counts, clock offset and start time, tool version.
 * Strings point into *store*, which must outlive h.  Never fails: facts that
 * cannot be read are left empty.
 */
struct it_host_store {
	char release[65], machine[65], hostname[65], boot_id[64], version[32];
};
void it_host_collect(struct it_host *h, struct it_host_store *store);

/* ------------------------------------------------------------------ writer */

struct it_tw;

struct it_tw_opts {
	const struct it_host *host;	/* written right after the header; NULL: none */
	uint32_t block_records;		/* close a block at this many records (65536) */
	uint32_t block_bytes;		/* ... or this many encoded bytes (1 MiB, max 16 MiB) */
	uint32_t block_ms;		/* ... or when it is this old (1000); see it_tw_tick */
	bool no_block_timer;		/* never close blocks by age (block_ms ignored) */
	int zstd_level;			/* 0: 3 */
	bool no_fsync;			/* skip fsync at close (tests) */
	/*
	 * Testing hooks.  write_fn replaces write(2) (same contract, set errno
	 * on -1); format_major/minor (when non-zero) go into the header as is.
	 */
	ssize_t (*write_fn)(void *arg, int fd, const void *buf, size_t len);
	void *write_arg;
	uint16_t format_major, format_minor;
};

struct it_tw_stats {
	uint64_t events;	/* records accepted (buffered or written) */
	uint64_t events_written;	/* records in blocks that reached the file */
	uint64_t raw_bytes;	/* sum of hdr.len of the records accepted */
	uint64_t bytes;		/* bytes in the file */
	uint64_t blocks;	/* event blocks written */
	uint64_t sections;	/* sections of any type written */
	uint64_t aggregates;
	uint64_t lost;		/* sum of it_tw_write_lost() counts */
	uint64_t dropped;	/* async: records dropped because the queue was full */
	uint64_t queue_max;	/* async: highest queue fill seen, bytes */
	int error;		/* sticky error (negative errno), 0 none */
};

/*
 * Create (truncate) path with mode 0600 and write the file header and, when
 * o->host is set, the host facts.  o may be NULL (defaults).  On failure
 * returns NULL, errno set and a message in err.
 */
struct it_tw *it_tw_open(const char *path, const struct it_tw_opts *o, char *err, size_t errlen);
/* Write (another) HOST section; later facts override earlier ones. */
int it_tw_set_host(struct it_tw *tw, const struct it_host *host);
/* Write the start-up snapshot (opaque bytes), timestamped now. */
int it_tw_write_snapshot(struct it_tw *tw, const void *buf, size_t len);
/* the same, timestamped when the snapshot was taken (before the events
 * that follow it: trace-format §2's time order) */
int it_tw_write_snapshot_at(struct it_tw *tw, uint64_t ts, const void *buf, size_t len);
/* Append one record (hdr.len bytes, >= 24) to the current block. */
int it_tw_write_event(struct it_tw *tw, const struct it_hdr *rec);
/* Write an aggregate frame (opaque bytes) taken at ts. */
int it_tw_write_aggregate(struct it_tw *tw, uint64_t ts, const void *buf, size_t len);
/* Record that the kernel lost 'lost' events (an IT_EV_LOST record, cpu 0xFFFF). */
int it_tw_write_lost(struct it_tw *tw, uint64_t ts, uint64_t lost);
/* Write a section of any type (extensions and tests; the current block is closed first). */
int it_tw_write_section(struct it_tw *tw, uint16_t type, uint64_t ts, const void *buf, size_t len);
/* Close the current block now (async mode: queued behind the records pushed before). */
int it_tw_flush(struct it_tw *tw);
/* Close the current block if it is older than block_ms (sync mode; the async thread does it itself). */
int it_tw_tick(struct it_tw *tw);
/*
 * Flush, write the index and footer, fsync, close and free.  Stops the async
 * thread first if running.  Returns the first error the writer met (the file
 * then holds every block written before it, without an index), else 0.
 */
int it_tw_close(struct it_tw *tw);
void it_tw_get_stats(const struct it_tw *tw, struct it_tw_stats *st);

/*
 * Asynchronous mode: a writer thread fed by a single-producer queue of
 * queue_bytes (rounded up to a power of two, >= 4096).  After start, one
 * producer thread calls it_tw_async_push / it_tw_write_* / it_tw_flush; the
 * disk I/O happens on the writer thread.  it_tw_async_push never blocks:
 * -EAGAIN when the queue is full (the drop is counted and later written to
 * the file as an IT_EV_LOST record with cpu 0xFFFE), or the writer's sticky
 * error (-ENOSPC, -EIO...) once writing failed; -EMSGSIZE for a record
 * that could never fit (queue_bytes under 8x a 64 KiB record: size it
 * generously).  Aggregates, lost counts,
 * snapshots and host facts use a reserve of the queue records cannot take;
 * they return -EAGAIN only when even that is full.
 */
int it_tw_async_start(struct it_tw *tw, size_t queue_bytes);
int it_tw_async_push(struct it_tw *tw, const struct it_hdr *rec);
/* Drain the queue, close the block and join the thread; returns the sticky error. */
int it_tw_async_stop(struct it_tw *tw);

/* ------------------------------------------------------------------ reader */

struct it_tr;

enum it_tr_kind {
	IT_TR_RECORD = 1,	/* rec: an event record (IT_EV_LOST ones come as IT_TR_LOST) */
	IT_TR_LOST,		/* rec: the IT_EV_LOST record; lost: its count */
	IT_TR_AGGREGATE,	/* ts, data, len: an aggregate frame */
	IT_TR_SNAPSHOT,		/* ts, data, len: a snapshot section */
};

struct it_tr_item {
	enum it_tr_kind kind;
	uint64_t ts;
	const struct it_hdr *rec;	/* RECORD, LOST: 8-byte aligned, hdr.len bytes */
	const void *data;		/* AGGREGATE, SNAPSHOT */
	size_t len;
	uint64_t lost;			/* LOST */
	uint64_t offset;		/* file offset of the section it came from */
};

struct it_tr_info {
	uint16_t major, minor;
	uint16_t header_size;
	uint16_t event_abi;
	bool big_endian;		/* payload byte order of the writer */
	uint64_t file_size;
};

struct it_tr_stats {
	uint64_t sections;		/* complete sections found (index or scan) */
	uint64_t blocks_total;		/* event blocks in the file */
	uint64_t records_total;		/* records the block headers announce */
	uint64_t blocks;		/* blocks decoded so far */
	uint64_t records;		/* records returned so far (RECORD + LOST) */
	uint64_t lost;			/* sum of IT_EV_LOST counts returned */
	uint64_t aggregates, snapshots;	/* frames returned */
	uint64_t skipped_types;		/* records of unknown types skipped */
	uint64_t skipped_short;		/* known type, hdr.len below its struct */
	uint64_t skipped_sections;	/* sections of unknown types skipped */
	uint64_t skipped_tlvs;		/* unknown host fact tags */
	uint64_t damaged;		/* damaged sections met (replay stops at the first) */
	uint64_t tail_bytes;		/* bytes after the last complete section */
	uint64_t tail_offset;		/* where they start */
	bool index_present;		/* a valid footer + index was used */
	bool index_rebuilt;		/* the section table came from scanning */
	bool index_damaged;		/* a footer was found but its index was unusable */
};

/*
 * Open a trace.  Refuses files it cannot read (not a trace, header cut or
 * damaged, newer major, foreign byte order) with a message in err and NULL.
 */
struct it_tr *it_tr_open(const char *path, char *err, size_t errlen);
/* Same on an open descriptor (dup'ed; the caller keeps fd). */
struct it_tr *it_tr_open_fd(int fd, char *err, size_t errlen);
void it_tr_close(struct it_tr *tr);

const struct it_tr_info *it_tr_info(const struct it_tr *tr);
const struct it_host *it_tr_host(const struct it_tr *tr);
/* The first snapshot in the file, NULL (len 0) when none or damaged. */
const void *it_tr_snapshot(struct it_tr *tr, size_t *len);

/*
 * Iterate everything in file order.  Returns 1 with *it filled, 0 at the end
 * (a cut tail is not an error: see stats.tail_bytes), <0 on damage, with
 * it_tr_error() saying what and where; the error is sticky.  Pointers in *it
 * stay valid until the next call.
 */
int it_tr_next_item(struct it_tr *tr, struct it_tr_item *it);

/*
 * Records only (RECORD and LOST items), in file order; aggregates and
 * snapshots go to the frame callback when one is set (a negative return
 * from it stops iteration and is returned), else are passed over.
 */
typedef int (*it_tr_frame_cb)(const struct it_tr_item *it, void *arg);
void it_tr_set_frame_cb(struct it_tr *tr, it_tr_frame_cb cb, void *arg);
int it_tr_next(struct it_tr *tr, const struct it_hdr **rec);

/* Pass records of unknown types on instead of skipping them. */
void it_tr_pass_unknown(struct it_tr *tr, bool pass);
/* Start again from the first section (stats of returned items are reset). */
int it_tr_rewind(struct it_tr *tr);

const char *it_tr_error(const struct it_tr *tr);	/* "" when none */
const struct it_tr_stats *it_tr_stats(const struct it_tr *tr);

/*
 * Print a trace's structure (docs/trace-format.md §11).  Returns 0 clean,
 * 1 damage/truncation/garbage found, <0 when it is not a readable trace.
 */
int it_tr_dump(const char *path, FILE *out);

/* CRC32C (Castagnoli); crc = 0 to start, pass the previous result to continue. */
uint32_t it_crc32c(uint32_t crc, const void *buf, size_t len);

#endif /* IRQTRAIL_TRACEFILE_H */
