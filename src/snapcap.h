/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Snapshot capture: the files the snapshot readers (snapshot.h) read,
 * copied verbatim into one blob that a recording stores, and materialised
 * again as a directory tree at replay, where the same readers parse it.
 * Live and replay therefore share one parser and give the same answers.
 */
#ifndef IRQTRAIL_SNAPCAP_H
#define IRQTRAIL_SNAPCAP_H

#include <stddef.h>

/* Capture below root ("" = live system).  *buf is malloc'd. 0 or -errno. */
int it_snapcap_capture(const char *root, void **buf, size_t *len);
/* Write the blob's tree into a new temporary directory (path in dir). */
int it_snapcap_materialize(const void *buf, size_t len, char *dir, size_t dirlen);
/* Remove a materialised tree. */
void it_snapcap_remove(const char *dir);
/* Entries in a blob, or -EINVAL when it is not one. */
long it_snapcap_count(const void *buf, size_t len);

#endif
