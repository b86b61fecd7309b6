/* SPDX-License-Identifier: MIT */
/*
 * Media sockets: one bound UDP socket per stream port. The socket reserves the port on the
 * host and receives what XDP hands to userspace (SLUICE_ACT_USERSPACE, and anything the fast
 * path passes up). For now one reader thread drains them and only counts packets and bytes;
 * the io_uring SRTP workers replace it behind this interface.
 */
#ifndef SLUICE_DATAPATH_MEDIA_SOCKETS_H
#define SLUICE_DATAPATH_MEDIA_SOCKETS_H

#include <stdint.h>

#include "common/addr.h"

struct media_sockets;
struct media_socket;

int media_sockets_new(struct media_sockets **ret);
/* Start the reader thread. Call once; sockets may be opened before or after. */
int media_sockets_start(struct media_sockets *m);
/* Stops the reader thread and closes every socket still open. */
struct media_sockets *media_sockets_free(struct media_sockets *m);

/* Bind a UDP socket to local (no SO_REUSEADDR: a port in use is -EADDRINUSE). */
int media_socket_open(struct media_sockets *m, const struct endpoint *local,
		      struct media_socket **ret);
/* Close and forget; NULL is fine. */
void media_socket_close(struct media_sockets *m, struct media_socket *s);

/* What the socket received so far. */
void media_socket_counters(const struct media_socket *s, uint64_t *ret_packets,
			   uint64_t *ret_bytes);
/* Packets received on all media sockets since start. */
uint64_t media_sockets_rx_packets(const struct media_sockets *m);

#endif
