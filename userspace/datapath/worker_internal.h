/* SPDX-License-Identifier: MIT */
/*
 * The io_uring worker's insides, shared by worker.c (UDP sockets) and worker_xsk.c (AF_XDP
 * sockets). Not an API: only the worker's own files include it.
 */
#ifndef SLUICE_DATAPATH_WORKER_INTERNAL_H
#define SLUICE_DATAPATH_WORKER_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>

#include <liburing.h>

#include "datapath/handoff.h"
#include "datapath/worker.h"

/* user_data: operation in the top byte, port generation in bits 32..47, slot or buffer id below. */
enum worker_op {
	OP_RECV = 1,	 /* slot = port slot */
	OP_SEND = 2,	 /* slot = buffer id */
	OP_WAKE = 3,	 /* read on the hand-off eventfd */
	OP_CANCEL = 4,	 /* slot = port slot */
	OP_CLOSE = 5,	 /* slot = port slot */
	OP_XSK_POLL = 6, /* slot = AF_XDP socket index: readable */
	OP_XSK_SEND = 7, /* slot = UMEM frame: sent from a UDP socket instead */
};

#define UD(op, gen, slot)                                                                          \
	(((uint64_t)(op) << 56) | ((uint64_t)(uint16_t)(gen) << 32) | (uint64_t)(uint32_t)(slot))
#define UD_OP(ud)   ((unsigned)((ud) >> 56))
#define UD_GEN(ud)  ((uint16_t)((ud) >> 32))
#define UD_SLOT(ud) ((unsigned)(uint32_t)(ud))

#define CQE_BATCH  256
#define SQ_ENTRIES 1024
#define CMD_BATCH  64
#define BUF_GROUP  0
/* Name space reserved in every buffer: a sockaddr_in6 rounded up so the packet is 16-aligned. */
#define RX_NAME_SPACE 32

_Static_assert(sizeof(struct io_uring_recvmsg_out) + RX_NAME_SPACE == DP_RX_HEADROOM,
	       "receive header layout");

enum port_state {
	PORT_FREE = 0,
	PORT_ACTIVE,   /* receive armed, or starved waiting for buffers */
	PORT_REMOVING, /* receive cancelled, waiting for its last CQE */
	PORT_CLOSING,  /* close of the file slot queued */
	PORT_FAILED,   /* could not be registered; waits for its REMOVE */
};

struct port {
	void *ctx;
	uint16_t gen;
	uint8_t state;
	bool armed;   /* a multishot receive is in the kernel */
	bool starved; /* receive ended on ENOBUFS; re-armed once buffers come back */
	dp_removed_fn removed;
	void *removed_arg;
	/* With AF_XDP: the socket's own address, the source of what the port sends. */
	uint8_t local_addr[16]; /* IPv4-mapped for IPv4 */
	uint16_t local_port;	/* network order */
	uint8_t local_family;	/* AF_INET, AF_INET6, 0: unknown */
};

/* What a buffer needs while its send is in flight. */
struct send_slot {
	struct msghdr msg;
	struct iovec iov;
	struct dp_tx tx;
};

struct dp_worker {
	struct io_uring ring;
	struct io_uring_buf_ring *buf_ring;
	uint8_t *bufs;
	size_t buf_ring_bytes, bufs_bytes;
	unsigned buf_count, buf_size;
	int buf_mask;
	unsigned recycle_pending; /* buffers added to the ring since the last publish */
	unsigned bufs_held;	  /* buffers out of the ring */
	struct msghdr recv_msg;	  /* multishot recvmsg template: name space only */
	struct send_slot *sends;  /* by buffer id */

	struct port *ports; /* by slot */
	unsigned max_ports;
	unsigned n_starved;
	dp_handler_fn handler;
	struct dp_handoff handoff;
	uint64_t wake_value;

	struct dp_xsk *xsk; /* AF_XDP sockets, or NULL */

	enum dp_ring_mode mode;
	int cpu;
	unsigned rt_priority; /* SCHED_FIFO priority of the thread, 0: inherited policy */
	pthread_t thread;
	uint64_t start_ns; /* CLOCK_MONOTONIC when the thread started */
	bool started, running;
	atomic_bool stop;
	sem_t ready;
	int start_error;

	_Alignas(64) struct dp_counters counters;
};

struct io_uring_sqe *dp_get_sqe(struct dp_worker *w);
bool dp_port_can_send(const struct dp_worker *w, dp_port_id port);
/* May the worker hand a packet of this port to the handler? */
bool dp_port_can_receive(const struct dp_worker *w, dp_port_id port);
uint64_t dp_monotonic_ns(void);

/* worker_xsk.c: hooks of the AF_XDP part into the worker's loop; all no-ops without sockets. */
struct dp_xsk;
void dp_xsk_arm(struct dp_worker *w);
void dp_xsk_handle_cqe(struct dp_worker *w, const struct io_uring_cqe *cqe);
/* After each CQE batch: receive, relay, transmit, recycle. True when work is left over. */
bool dp_xsk_run(struct dp_worker *w);
void dp_xsk_port_added(struct dp_worker *w, unsigned slot, int fd);
void dp_xsk_free(struct dp_worker *w);

#endif
