/* SPDX-License-Identifier: MIT */
/*
 * The daemon's struct session_map_ops: stream ports are reserved by binding a media socket, a
 * session's sockets go to its worker, map writes go to the pinned BPF maps.
 */
#ifndef SLUICE_DAEMON_OPS_H
#define SLUICE_DAEMON_OPS_H

#include "datapath/media_sockets.h"
#include "session/session_maps.h"

struct daemon_ops_ctx {
	struct session_maps *maps;
	struct media_sockets *media;
	int xsk_ports_fd; /* sluice_xsk_ports, or -1 when no worker has AF_XDP sockets */
};

extern const struct session_map_ops daemon_session_ops;

/* relay_lookup_fn over the pinned sluice_streams map (arg: struct session_maps). */
bool daemon_lookup_latch(void *arg, const struct sluice_stream_key *key,
			 union dp_sockaddr *ret_addr, socklen_t *ret_len);
/* relay_store_latch_fn into the pinned sluice_streams map (arg: struct session_maps). */
void daemon_store_latch(void *arg, const struct sluice_stream_key *key, const struct sockaddr *src,
			socklen_t src_len);

#endif
