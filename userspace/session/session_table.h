/* SPDX-License-Identifier: MIT */
/*
 * The session table: userspace's single source of truth about sessions, legs and streams, and
 * its projection into the BPF stream maps. Map writes go through struct session_map_ops, so the
 * table logic runs without BPF (the unit tests use an in-memory fake; the daemon uses the pinned
 * maps and its media sockets). The table never logs; errors come back as negative errno plus a
 * human-readable reason.
 */
#ifndef SLUICE_SESSION_TABLE_H
#define SLUICE_SESSION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/relay.h>

#include "common/addr.h"

#define SESSION_MAX_STREAMS 4
#define SESSION_ERROR_MAX   256

enum session_map_id {
	SESSION_MAP_STREAMS, /* sluice_streams: what XDP looks up */
	SESSION_MAP_STATS,   /* sluice_stream_stats: zeroed per-CPU counters */
	SESSION_MAP_RTP,     /* sluice_stream_rtp: zeroed RFC 3550 state, RTP and MUX streams */
};

/* map_update flags */
#define SESSION_MAP_KEEP_EXISTING (1u << 0) /* stats/rtp: create only if missing (adoption) */

/* One relay port of one leg. */
struct session_stream {
	struct sluice_stream_key key;
	struct sluice_stream value; /* as written; XDP or the worker may have latched it since */
	struct endpoint local;
	void *media; /* set by ops->stream_open, owned by the ops */
};

/* A leg's parameters; local.port 0 asks for an allocated port. */
struct session_leg {
	struct endpoint local; /* relay address and RTP port */
	struct endpoint remote;
	bool has_remote;
	bool strict_source;
	uint32_t clock_rate;
	enum sluice_action action;
	/*
	 * The leg speaks SRTP: its streams are marked SLUICE_F_SRTP and written without
	 * SLUICE_F_STRICT_SOURCE, because the source check and the latch belong to the worker,
	 * which latches on the first authenticated packet (XDP cannot authenticate).
	 */
	bool srtp;
};

struct session {
	uint32_t id;
	bool rtcp_mux;
	bool reserved; /* a placeholder: ports and media held, nothing in the maps (params.reserved)
			*/
	struct session_leg legs[2]; /* by enum sluice_leg */
	unsigned n_streams;
	/* internal RTP, internal RTCP, gateway RTP, gateway RTCP; muxed: internal, gateway */
	struct session_stream streams[SESSION_MAX_STREAMS];
	void *relay; /* the data path's state, owned by the ops (session_attach/detach) */
	struct session *bucket_next;
};

struct session_params {
	uint32_t id;
	bool rtcp_mux;
	/*
	 * Reserve only (the ng offer's placeholder): take the ports and open the streams' media,
	 * but neither attach the session to the data path nor write any map entry, so XDP drops its
	 * packets as SLUICE_DROP_NO_SESSION and its sockets relay nothing. session_table_replace()
	 * turns it into a real session on the same ports.
	 */
	bool reserved;
	struct session_leg legs[2];
	void *relay; /* handed to ops->session_attach through session.relay; never freed here */
};

struct session_map_ops {
	/* Optional: reserve the stream's port outside BPF (the daemon binds its media socket). */
	int (*stream_open)(void *userdata, struct session_stream *stream);
	void (*stream_close)(void *userdata, struct session_stream *stream);
	/*
	 * Optional: put the session's streams on the data path, after every stream is open and
	 * before any stream entry reaches the maps (so XDP hands nothing to a socket nobody
	 * reads); session_detach undoes it after the stream entries are gone and before the
	 * streams close. detach must be done with the streams when it returns.
	 */
	int (*session_attach)(void *userdata, struct session *session);
	void (*session_detach)(void *userdata, struct session *session);
	/* value is NULL for SESSION_MAP_STATS and SESSION_MAP_RTP: write a zeroed entry. */
	int (*map_update)(void *userdata, enum session_map_id map,
			  const struct sluice_stream_key *key, const struct sluice_stream *value,
			  unsigned flags);
	/* -ENOENT is not an error for the table. */
	int (*map_delete)(void *userdata, enum session_map_id map,
			  const struct sluice_stream_key *key);
};

/* One entry of sluice_streams, as read back for adoption. */
struct session_map_entry {
	struct sluice_stream_key key;
	struct sluice_stream value;
};

/* Called for each session adoption skips (and removes from the maps), with the reason. */
typedef void (*session_adopt_warn_fn)(void *userdata, uint32_t session_id, const char *reason);

struct session_table;

int session_table_new(uint16_t port_min, uint16_t port_max, uint32_t max_sessions,
		      const struct session_map_ops *ops, void *userdata,
		      struct session_table **ret);
/* Frees memory and closes the streams' media (ops->stream_close); the maps are left alone. */
struct session_table *session_table_free(struct session_table *table);

/*
 * Validate, allocate ports, open the streams, write the maps. On failure nothing is left behind
 * and ret_error (SESSION_ERROR_MAX) says why: -EEXIST duplicate id, -ENOSPC session limit,
 * -ERANGE port outside the range, -EADDRINUSE port in use, -EADDRNOTAVAIL no free port,
 * -EINVAL bad parameters, or an ops error.
 */
int session_table_insert(struct session_table *table, const struct session_params *params,
			 const struct session **ret_session, char *ret_error, size_t error_len);
/* Remove the session's map entries (stream entries first), close its media, free it. */
int session_table_delete(struct session_table *table, uint32_t id);
/*
 * Swap session params->id for params in one step (the ng answer turning a placeholder into the full
 * session): the old session's entries, media and ports are released and the new session installed
 * before the caller (who holds session_table_lock()) lets anyone else at the table, so no other
 * request of this process can take its ports in between; params may name the same ports. The total
 * is not counted again. On failure the old session is gone as well (the caller re-inserts what it
 * wants kept) and the error is as session_table_insert()'s; -ENOENT without such a session.
 */
int session_table_replace(struct session_table *table, const struct session_params *params,
			  const struct session **ret_session, char *ret_error, size_t error_len);
const struct session *session_table_get(const struct session_table *table, uint32_t id);

size_t session_table_count(const struct session_table *table);
uint64_t session_table_total(const struct session_table *table);
/*
 * The table does no locking of its own. The daemon shares it between threads (the admin socket,
 * the ng control thread, the stats thread): each of them holds this mutex around every call that
 * reads or changes the table, and around every use of a struct session it got from it.
 */
void session_table_lock(struct session_table *table);
void session_table_unlock(struct session_table *table);

typedef void (*session_visit_fn)(void *arg, const struct session *s);
/*
 * Visits sessions in bucket order from *cursor (start at 0) until at least `batch` were visited
 * or the table ends, and moves *cursor on. Returns whether sessions may remain. For walking the
 * table in pieces, with the lock dropped in between: buckets never move, so no session is visited
 * twice; one inserted or deleted between two calls may be missed.
 */
bool session_table_walk(const struct session_table *table, size_t *cursor, size_t batch,
			session_visit_fn visit, void *arg);
/* All sessions sorted by id; free() the array. Returns the count or -ENOMEM. */
int session_table_list(const struct session_table *table, const struct session ***ret_sessions);

/*
 * Rebuild sessions from sluice_streams entries (a restarted daemon adopting pinned maps). Each
 * complete, consistent session whose streams are all SLUICE_ACT_FORWARD is taken over (media
 * opened, missing stats/rtp entries created); the streams of any other session (userspace ones
 * among them: their SRTP keys were never in the maps) are deleted from the maps and reported
 * through warn. Returns the number of sessions adopted or a negative errno of a failed map or media
 * operation.
 */
int session_table_adopt(struct session_table *table, const struct session_map_entry *entries,
			size_t n_entries, session_adopt_warn_fn warn, void *userdata);

const char *session_kind_name(enum sluice_kind kind);
const char *session_leg_name(enum sluice_leg leg);
const char *session_action_name(enum sluice_action action);

#endif
