/* SPDX-License-Identifier: MIT */
/*
 * The control side's hand-off to a datapath engine (internal to userspace/datapath): port slots
 * with generations, and a mutex-protected command queue plus an eventfd that wakes the engine's
 * thread. The control threads allocate a slot and queue ADD/REMOVE; the engine drains the queue
 * between batches and gives a slot back only when it no longer uses it. Never on the packet path.
 */
#ifndef SLUICE_DATAPATH_HANDOFF_H
#define SLUICE_DATAPATH_HANDOFF_H

#include <pthread.h>
#include <stdatomic.h>

#include "datapath/worker.h"

#define DP_PORT_SLOT(id)	((unsigned)((id)&0xffffu))
#define DP_PORT_GEN(id)		((uint16_t)((id) >> 16))
#define DP_PORT_MAKE(slot, gen) ((dp_port_id)(((uint32_t)(gen) << 16) | (uint32_t)(slot)))

enum dp_cmd_kind {
	DP_CMD_ADD = 1,
	DP_CMD_REMOVE = 2,
};

struct dp_cmd {
	enum dp_cmd_kind kind;
	dp_port_id port;
	int fd;		       /* ADD: the socket, owned by the engine from now on */
	void *port_ctx;	       /* ADD and REMOVE */
	dp_removed_fn removed; /* REMOVE */
	void *removed_arg;     /* REMOVE */
};

/* Who holds a slot, as the control side sees it. */
enum dp_slot_state {
	DP_SLOT_FREE = 0,
	DP_SLOT_ATTACHED = 1,  /* ADD queued or done */
	DP_SLOT_DETACHING = 2, /* REMOVE queued; the engine releases the slot when done */
};

struct dp_handoff {
	pthread_mutex_t lock;
	int wake_fd; /* eventfd, written once per queued command; blocking reads by the engine */
	unsigned max_ports;
	uint16_t *slot_gen;
	uint8_t *slot_state;
	void **slot_ctx;
	uint16_t *free_slots; /* stack of free slots */
	unsigned n_free;
	struct dp_cmd
	    *cmds; /* FIFO ring of 2 * max_ports: one ADD and one REMOVE per slot at most */
	unsigned cmd_cap, cmd_head, cmd_len;
};

/* Fills the defaults into limits and checks them. Returns 0 or -EINVAL. */
int dp_limits_resolve(const struct dp_limits *in, struct dp_limits *ret);

int dp_handoff_init(struct dp_handoff *h, unsigned max_ports);
/* Frees the tables; pending commands must have been taken first. */
void dp_handoff_fini(struct dp_handoff *h);

/* Control side: validate the socket (closed on failure), take a slot, queue ADD, wake. */
int dp_handoff_add(struct dp_handoff *h, int fd, void *port_ctx, dp_port_id *ret_port);
/* Control side: queue REMOVE for an attached port, wake. */
int dp_handoff_remove(struct dp_handoff *h, dp_port_id port, dp_removed_fn removed, void *arg);

/* Engine side: pop up to max commands in queue order. Returns how many. */
unsigned dp_handoff_take(struct dp_handoff *h, struct dp_cmd *ret_cmds, unsigned max);
/* Engine side: the slot is closed and unused; it may be handed out again. */
void dp_handoff_release(struct dp_handoff *h, unsigned slot);
/* Engine side: wake the engine's own loop (used by stop). */
void dp_handoff_wake(struct dp_handoff *h);

/* Single-writer counter update: a plain add published with a relaxed store. */
static inline void dp_count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

#endif
