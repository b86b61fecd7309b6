/* SPDX-License-Identifier: MIT */
/*
 * The BPF side of the session table: writes and deletes in the pinned stream maps (the
 * map_update/map_delete half of struct session_map_ops), the dump of sluice_streams used for
 * adoption, and reading the counters XDP keeps (per-CPU values summed).
 */
#ifndef SLUICE_SESSION_MAPS_H
#define SLUICE_SESSION_MAPS_H

#include <stddef.h>

#include "session/session_table.h"

struct session_maps {
	int streams_fd;
	int stats_fd;
	int rtp_fd;
	int global_fd;
	unsigned n_cpus; /* possible CPUs: the per-CPU value count */
};

/* Fill ret from the maps' fds; counts the possible CPUs. */
int session_maps_init(struct session_maps *ret, int streams_fd, int stats_fd, int rtp_fd,
		      int global_fd);

int session_maps_update(struct session_maps *m, enum session_map_id map,
			const struct sluice_stream_key *key, const struct sluice_stream *value,
			unsigned flags);
int session_maps_delete(struct session_maps *m, enum session_map_id map,
			const struct sluice_stream_key *key);

/* Every entry of sluice_streams; free() *ret_entries. */
int session_maps_dump_streams(const struct session_maps *m, struct session_map_entry **ret_entries,
			      size_t *ret_n);

/* The stream entry as XDP sees it now (with its latch). */
int session_maps_read_stream(const struct session_maps *m, const struct sluice_stream_key *key,
			     struct sluice_stream *ret);
/*
 * Latch an existing, unlatched stream entry to remote (16-byte map form) and port (network
 * order); every other field stays as it is. Returns 0 (also when the entry was latched already:
 * a latch never moves), -ENOENT when there is no entry (it is not created), or another errno.
 */
int session_maps_store_latch(const struct session_maps *m, const struct sluice_stream_key *key,
			     const uint8_t remote_addr[static 16], __be16 remote_port);
/* Per-CPU stream counters summed; last_seen_ns is the latest over the CPUs. */
int session_maps_read_stats(const struct session_maps *m, const struct sluice_stream_key *key,
			    struct sluice_stream_stats *ret);
/* A consistent copy of the RFC 3550 state (read under its spin lock). */
int session_maps_read_rtp(const struct session_maps *m, const struct sluice_stream_key *key,
			  struct sluice_rtp_quality *ret);
/* sluice_global_stats summed over the CPUs. */
int session_maps_read_global(const struct session_maps *m, struct sluice_global_stats *ret);

#endif
