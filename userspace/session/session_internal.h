/* SPDX-License-Identifier: MIT */
/*
 * What session_table.c shares with session_adopt.c: building a session's streams from its legs
 * and installing a built session (ports, media, maps) with full rollback on failure.
 */
#ifndef SLUICE_SESSION_INTERNAL_H
#define SLUICE_SESSION_INTERNAL_H

#include <pthread.h>

#include "session/port_alloc.h"
#include "session/session_table.h"

struct session_table {
	const struct session_map_ops *ops;
	void *userdata;
	struct port_alloc *ports;
	uint32_t max_sessions;
	size_t count;
	uint64_t total;
	size_t n_buckets; /* power of two */
	struct session **buckets;
	pthread_mutex_t lock; /* session_table_lock(): taken by the table's users, not by the table */
};

/* Index of a leg's component (0 RTP or MUX, 1 RTCP) in session.streams. */
static inline unsigned session_stream_index(bool rtcp_mux, enum sluice_leg leg, unsigned component)
{
	return rtcp_mux ? (unsigned)leg : (unsigned)leg * 2 + component;
}

/* Fill s->streams from s->legs and s->rtcp_mux (ports already assigned). */
void session_build_streams(struct session *s);
/*
 * Take ports, open media, write the maps, link into the table; on failure undo all of it. When
 * adopting, the stream entries are already in the map (and hold XDP's latches): they are neither
 * written nor deleted, and existing stats/rtp entries are kept.
 */
int session_install(struct session_table *table, struct session *s, bool adopt, char *ret_error,
		    size_t error_len);

#endif
