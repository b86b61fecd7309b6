/* SPDX-License-Identifier: MIT */
/*
 * Media sockets and the workers that read them. Every stream port has a bound UDP socket: it
 * reserves the port on the host and receives what XDP hands to userspace (SLUICE_ACT_USERSPACE,
 * and forward packets whose next hop has no neighbour entry yet). The sockets of a session go to
 * one io_uring worker (datapath/worker.h), chosen by session id, whose handler is
 * relay_handle_packet: all of a session's state is touched by one thread.
 */
#ifndef SLUICE_DATAPATH_MEDIA_SOCKETS_H
#define SLUICE_DATAPATH_MEDIA_SOCKETS_H

#include <stdint.h>

#include "common/addr.h"
#include "datapath/relay_handler.h"

struct media_sockets;
struct media_socket;

/* Global userspace counters: the sum over the workers. */
struct media_counters {
	uint64_t rx, rx_bytes, tx, tx_bytes;
	uint64_t drops[RELAY_DROP_MAX]; /* handler drops by reason */
	uint64_t enobufs;		/* receive buffers ran out (receive re-armed) */
	uint64_t send_errors;		/* sends that failed, and sends the worker refused */
	uint64_t truncated;		/* datagrams larger than a receive buffer */
	uint64_t recv_errors;
	/* AF_XDP: workers with sockets, the workers' counters and the kernel's (XDP_STATISTICS). */
	uint64_t xsk_workers, xsk_rx, xsk_tx, xsk_fallback, xsk_bad;
	struct dp_xsk_kstats xsk_kernel;
};

struct media_sockets_opts {
	unsigned n_workers;   /* io_uring workers; 0: one per CPU */
	unsigned max_ports;   /* sockets one worker may hold */
	unsigned rt_priority; /* 1..99: the workers' threads run SCHED_FIFO; 0: the daemon's policy */
	const uint16_t *cpus; /* worker i runs on cpus[i % n_cpus] only; NULL: not pinned */
	unsigned n_cpus;
};

/*
 * The workers of opts. maps (copied; may be NULL) is every session's access to the stream maps:
 * forward sessions' peer lookups, SRTP streams' latches (see struct relay_maps).
 */
int media_sockets_new(const struct media_sockets_opts *opts, const struct relay_maps *maps,
		      struct media_sockets **ret);
/* Starts the workers. */
int media_sockets_start(struct media_sockets *m);
/* Stops the workers, closes every socket and completes every removal. Accepts NULL. */
struct media_sockets *media_sockets_free(struct media_sockets *m);
unsigned media_sockets_workers(const struct media_sockets *m);

/* Bind a UDP socket to local (no SO_REUSEADDR: a port in use is -EADDRINUSE). */
int media_socket_open(struct media_sockets *m, const struct endpoint *local,
		      struct media_socket **ret);
/* Close (unless a worker owns the socket now) and forget; NULL is fine. */
void media_socket_close(struct media_sockets *m, struct media_socket *s);

/*
 * Puts the session's sockets (socks[i] is stream i of rs, already filled and linked) on the
 * session's worker, which owns them from now on; each port holds a reference to rs. On failure
 * nothing stays attached.
 */
int media_sockets_attach(struct media_sockets *m, struct relay_session *rs,
			 struct media_socket *const socks[], unsigned n);
/*
 * Takes the session's sockets off its worker and waits (bounded) until the worker has closed
 * them, so their ports can be bound again at once. The caller keeps its own reference.
 */
void media_sockets_detach(struct media_sockets *m, struct relay_session *rs);

void media_sockets_counters(const struct media_sockets *m, struct media_counters *ret);

/* Worker i's AF_XDP sockets (dp_worker_enable_xsk), before media_sockets_start. */
int media_sockets_enable_xsk(struct media_sockets *m, unsigned i, const struct dp_xsk_opts *opts,
			     int ret_fds[], char *ret_error, size_t error_len);
/* Does the session's worker have AF_XDP sockets? (after media_sockets_attach) */
bool media_sockets_session_xsk(const struct media_sockets *m, const struct relay_session *rs);

/* One worker's own numbers, for the stats: its counters, thread CPU time and wall time. */
struct media_worker_stats {
	struct dp_counters_snapshot counters;
	uint64_t busy_ns; /* CPU time of the worker's thread */
	uint64_t wall_ns; /* since the thread started */
	bool has_xsk;	  /* owns AF_XDP sockets (fixed before the workers start) */
};

/* Worker i (< media_sockets_workers()). From any thread. */
void media_sockets_worker_stats(const struct media_sockets *m, unsigned i,
				struct media_worker_stats *ret);

#endif
