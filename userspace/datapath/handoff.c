/* SPDX-License-Identifier: MIT */
/*
 * Port slots and the command queue between the control threads and a datapath engine's thread.
 * See handoff.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "datapath/handoff.h"

int dp_handoff_init(struct dp_handoff *h, unsigned max_ports)
{
	int r;

	if (max_ports == 0 || max_ports > 0xffff)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->max_ports = max_ports;
	h->cmd_cap = 2 * max_ports;
	h->slot_gen = calloc(max_ports, sizeof(*h->slot_gen));
	h->slot_state = calloc(max_ports, sizeof(*h->slot_state));
	h->slot_ctx = calloc(max_ports, sizeof(*h->slot_ctx));
	h->free_slots = calloc(max_ports, sizeof(*h->free_slots));
	h->cmds = calloc(h->cmd_cap, sizeof(*h->cmds));
	if (!h->slot_gen || !h->slot_state || !h->slot_ctx || !h->free_slots || !h->cmds) {
		r = -ENOMEM;
		goto free_tables;
	}
	/* Hand out low slots first: the stack pops from the end. */
	for (unsigned i = 0; i < max_ports; i++)
		h->free_slots[i] = (uint16_t)(max_ports - 1 - i);
	h->n_free = max_ports;

	h->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (h->wake_fd < 0) {
		r = -errno;
		goto free_tables;
	}
	r = pthread_mutex_init(&h->lock, NULL);
	if (r != 0) {
		r = -r;
		goto close_wake;
	}
	return 0;

close_wake:
	close(h->wake_fd);
free_tables:
	free(h->slot_gen);
	free(h->slot_state);
	free(h->slot_ctx);
	free(h->free_slots);
	free(h->cmds);
	return r;
}

void dp_handoff_fini(struct dp_handoff *h)
{
	pthread_mutex_destroy(&h->lock);
	close(h->wake_fd);
	free(h->slot_gen);
	free(h->slot_state);
	free(h->slot_ctx);
	free(h->free_slots);
	free(h->cmds);
}

void dp_handoff_wake(struct dp_handoff *h)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter overflow, which a wake-up does not care about. */
	(void)!write(h->wake_fd, &one, sizeof(one));
}

static int check_udp_socket(int fd)
{
	int type, domain;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
		return -errno;
	if (type != SOCK_DGRAM || (domain != AF_INET && domain != AF_INET6))
		return -EINVAL;
	return 0;
}

/* Caller holds the lock and has checked there is room. */
static void queue_cmd(struct dp_handoff *h, const struct dp_cmd *cmd)
{
	h->cmds[(h->cmd_head + h->cmd_len) % h->cmd_cap] = *cmd;
	h->cmd_len++;
}

int dp_handoff_add(struct dp_handoff *h, int fd, void *port_ctx, dp_port_id *ret_port)
{
	unsigned slot;
	dp_port_id port;
	int r;

	r = check_udp_socket(fd);
	if (r < 0) {
		close(fd);
		return r;
	}

	pthread_mutex_lock(&h->lock);
	if (h->n_free == 0) {
		r = -ENOSPC;
		goto unlock;
	}
	if (h->cmd_len == h->cmd_cap) {
		r = -EAGAIN;
		goto unlock;
	}
	slot = h->free_slots[--h->n_free];
	h->slot_gen[slot]++;
	h->slot_state[slot] = DP_SLOT_ATTACHED;
	h->slot_ctx[slot] = port_ctx;
	port = DP_PORT_MAKE(slot, h->slot_gen[slot]);
	queue_cmd(
	    h, &(struct dp_cmd){.kind = DP_CMD_ADD, .port = port, .fd = fd, .port_ctx = port_ctx});
	r = 0;
unlock:
	pthread_mutex_unlock(&h->lock);
	if (r < 0) {
		close(fd);
		return r;
	}
	dp_handoff_wake(h);
	*ret_port = port;
	return 0;
}

int dp_handoff_remove(struct dp_handoff *h, dp_port_id port, dp_removed_fn removed, void *arg)
{
	unsigned slot = DP_PORT_SLOT(port);
	int r;

	if (slot >= h->max_ports)
		return -ENOENT;
	pthread_mutex_lock(&h->lock);
	if (h->slot_state[slot] != DP_SLOT_ATTACHED || h->slot_gen[slot] != DP_PORT_GEN(port)) {
		r = -ENOENT;
		goto unlock;
	}
	if (h->cmd_len == h->cmd_cap) {
		r = -EAGAIN;
		goto unlock;
	}
	h->slot_state[slot] = DP_SLOT_DETACHING;
	queue_cmd(h, &(struct dp_cmd){.kind = DP_CMD_REMOVE,
				      .port = port,
				      .fd = -1,
				      .port_ctx = h->slot_ctx[slot],
				      .removed = removed,
				      .removed_arg = arg});
	r = 0;
unlock:
	pthread_mutex_unlock(&h->lock);
	if (r == 0)
		dp_handoff_wake(h);
	return r;
}

unsigned dp_handoff_take(struct dp_handoff *h, struct dp_cmd *ret_cmds, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&h->lock);
	while (n < max && h->cmd_len > 0) {
		ret_cmds[n++] = h->cmds[h->cmd_head];
		h->cmd_head = (h->cmd_head + 1) % h->cmd_cap;
		h->cmd_len--;
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}

void dp_handoff_release(struct dp_handoff *h, unsigned slot)
{
	pthread_mutex_lock(&h->lock);
	h->slot_state[slot] = DP_SLOT_FREE;
	h->slot_ctx[slot] = NULL;
	h->free_slots[h->n_free++] = (uint16_t)slot;
	pthread_mutex_unlock(&h->lock);
}

int dp_limits_resolve(const struct dp_limits *in, struct dp_limits *ret)
{
	struct dp_limits l = in ? *in : (struct dp_limits){0};

	if (l.max_ports == 0)
		l.max_ports = DP_DEFAULT_MAX_PORTS;
	if (l.buf_count == 0)
		l.buf_count = DP_DEFAULT_BUF_COUNT;
	if (l.buf_size == 0)
		l.buf_size = DP_DEFAULT_BUF_SIZE;
	if (l.max_ports > 0xfffe || l.buf_count > 32768 || (l.buf_count & (l.buf_count - 1)) ||
	    l.buf_size < DP_MIN_BUF_SIZE || l.buf_size > (1u << 20) ||
	    l.ring_mode > DP_RING_DEFER_TASKRUN || l.rt_priority > DP_MAX_RT_PRIORITY)
		return -EINVAL;
	/* Keep every buffer, and so every packet after the 48-byte header, 16-byte aligned. */
	l.buf_size = (l.buf_size + 15) & ~15u;
	*ret = l;
	return 0;
}

void dp_counters_read(const struct dp_counters *c, struct dp_counters_snapshot *ret)
{
#define LOAD(field) atomic_load_explicit(&c->field, memory_order_relaxed)
	ret->rx = LOAD(rx);
	ret->rx_bytes = LOAD(rx_bytes);
	ret->tx = LOAD(tx);
	ret->tx_bytes = LOAD(tx_bytes);
	for (unsigned i = 0; i < DP_DROP_CODES; i++)
		ret->drops[i] = LOAD(drops[i]);
	ret->bad_tx = LOAD(bad_tx);
	ret->truncated = LOAD(truncated);
	ret->enobufs = LOAD(enobufs);
	ret->send_errors = LOAD(send_errors);
	ret->recv_errors = LOAD(recv_errors);
	ret->bufs_held = LOAD(bufs_held);
	ret->batches = LOAD(batches);
	for (unsigned i = 0; i < DP_PROC_HIST_BUCKETS; i++)
		ret->proc_hist[i] = LOAD(proc_hist[i]);
	ret->proc_ns = LOAD(proc_ns);
	ret->xsk_rx = LOAD(xsk_rx);
	ret->xsk_tx = LOAD(xsk_tx);
	ret->xsk_fallback = LOAD(xsk_fallback);
	ret->xsk_bad = LOAD(xsk_bad);
#undef LOAD
}
