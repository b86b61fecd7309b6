/* SPDX-License-Identifier: MIT */
/*
 * The epoll + recvmmsg/sendmmsg engine: the baseline the io_uring worker is measured against.
 * One thread waits on a level-triggered epoll set of the ports and the hand-off eventfd; a
 * readable port is drained in batches of DP_MMSG_BATCH packets, each packet goes through the
 * handler in place, and runs of packets leaving from the same socket go out in one sendmmsg.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "datapath/handoff.h"
#include "datapath/mmsg_relay.h"

#define EPOLL_BATCH 64
#define CMD_BATCH   64
/* Batches read from one socket per wake-up before the others get their turn. */
#define ROUNDS_PER_WAKEUP 4
#define WAKE_TAG	  UINT64_MAX

struct mmsg_port {
	int fd; /* -1 when free */
	uint16_t gen;
	void *ctx;
};

struct dp_mmsg_relay {
	int epoll_fd;
	dp_handler_fn handler;
	struct dp_handoff handoff;
	struct mmsg_port *ports;
	unsigned max_ports;
	unsigned buf_size;
	uint8_t *bufs; /* DP_MMSG_BATCH buffers */

	struct mmsghdr rx[DP_MMSG_BATCH];
	struct iovec rx_iov[DP_MMSG_BATCH];
	union dp_sockaddr rx_name[DP_MMSG_BATCH];
	struct dp_tx tx[DP_MMSG_BATCH];
	struct mmsghdr tx_msgs[DP_MMSG_BATCH];
	struct iovec tx_iov[DP_MMSG_BATCH];
	int tx_fd[DP_MMSG_BATCH];

	int cpu;
	pthread_t thread;
	bool running;
	atomic_bool stop;

	_Alignas(64) struct dp_counters counters;
};

static uint8_t *packet_addr(struct dp_mmsg_relay *r, unsigned i)
{
	return r->bufs + (size_t)i * r->buf_size + DP_RX_HEADROOM;
}

static struct mmsg_port *port_lookup(struct dp_mmsg_relay *r, dp_port_id port)
{
	unsigned slot = DP_PORT_SLOT(port);

	if (slot >= r->max_ports || r->ports[slot].fd < 0 ||
	    r->ports[slot].gen != DP_PORT_GEN(port))
		return NULL;
	return &r->ports[slot];
}

/* Send tx_msgs[0..n): consecutive entries with the same socket share one sendmmsg. */
static void send_batch(struct dp_mmsg_relay *r, unsigned n)
{
	unsigned start = 0;

	while (start < n) {
		unsigned end = start + 1;
		int sent;

		while (end < n && r->tx_fd[end] == r->tx_fd[start])
			end++;
		while (start < end) {
			sent = sendmmsg(r->tx_fd[start], &r->tx_msgs[start], end - start,
					MSG_DONTWAIT);
			if (sent < 0 && errno == EINTR)
				continue;
			if (sent <= 0) {
				/* The first message failed: count it and go on with the rest. */
				dp_count(&r->counters.send_errors, 1);
				start++;
				continue;
			}
			for (int i = 0; i < sent; i++)
				dp_count(&r->counters.tx_bytes, r->tx_msgs[start + i].msg_len);
			dp_count(&r->counters.tx, (uint64_t)sent);
			start += (unsigned)sent;
		}
	}
}

/* Run the handler over received packets; returns how many were queued for sending. */
static unsigned handle_batch(struct dp_mmsg_relay *r, struct mmsg_port *in, unsigned n)
{
	size_t cap = r->buf_size - DP_RX_HEADROOM;
	unsigned queued = 0;

	for (unsigned i = 0; i < n; i++) {
		struct msghdr *h = &r->rx[i].msg_hdr;
		struct dp_tx *tx = &r->tx[queued];
		struct mmsg_port *out;
		uint8_t *pkt = packet_addr(r, i);
		int verdict;

		if (h->msg_flags & MSG_TRUNC) {
			dp_count(&r->counters.truncated, 1);
			continue;
		}
		dp_count(&r->counters.rx, 1);
		dp_count(&r->counters.rx_bytes, r->rx[i].msg_len);
		*tx = (struct dp_tx){
		    .src = h->msg_name, .src_len = h->msg_namelen, .out_port = DP_PORT_INVALID};
		verdict = r->handler(in->ctx, pkt, r->rx[i].msg_len, cap, tx);
		if (verdict != DP_SEND) {
			if (verdict < 0 || verdict >= DP_DROP_CODES)
				verdict = DP_DROP_CODES - 1;
			dp_count(&r->counters.drops[verdict], 1);
			continue;
		}
		out = port_lookup(r, tx->out_port);
		if (!out || tx->len > cap || tx->dst_len < sizeof(struct sockaddr_in) ||
		    tx->dst_len > sizeof(tx->dst)) {
			dp_count(&r->counters.bad_tx, 1);
			continue;
		}
		r->tx_iov[queued] = (struct iovec){.iov_base = pkt, .iov_len = tx->len};
		r->tx_msgs[queued].msg_hdr = (struct msghdr){.msg_name = &tx->dst,
							     .msg_namelen = tx->dst_len,
							     .msg_iov = &r->tx_iov[queued],
							     .msg_iovlen = 1};
		r->tx_fd[queued] = out->fd;
		queued++;
	}
	return queued;
}

static void drain_port(struct dp_mmsg_relay *r, struct mmsg_port *in)
{
	for (unsigned round = 0; round < ROUNDS_PER_WAKEUP; round++) {
		int n;

		for (unsigned i = 0; i < DP_MMSG_BATCH; i++) {
			r->rx[i].msg_hdr.msg_namelen = sizeof(r->rx_name[i]);
			r->rx[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(in->fd, r->rx, DP_MMSG_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				dp_count(&r->counters.recv_errors, 1);
			return;
		}
		send_batch(r, handle_batch(r, in, (unsigned)n));
		if (n < DP_MMSG_BATCH)
			return;
	}
}

static void cmd_add(struct dp_mmsg_relay *r, const struct dp_cmd *cmd)
{
	unsigned slot = DP_PORT_SLOT(cmd->port);
	struct mmsg_port *p = &r->ports[slot];
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = cmd->port};

	*p = (struct mmsg_port){.fd = cmd->fd, .gen = DP_PORT_GEN(cmd->port), .ctx = cmd->port_ctx};
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, cmd->fd, &ev) < 0)
		/* Stays attached but silent until removed. */
		dp_count(&r->counters.recv_errors, 1);
}

static void cmd_remove(struct dp_mmsg_relay *r, const struct dp_cmd *cmd)
{
	unsigned slot = DP_PORT_SLOT(cmd->port);
	struct mmsg_port *p = &r->ports[slot];

	epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	*p = (struct mmsg_port){.fd = -1, .gen = p->gen};
	dp_handoff_release(&r->handoff, slot);
	if (cmd->removed)
		cmd->removed(cmd->port_ctx, cmd->removed_arg);
}

static void drain_commands(struct dp_mmsg_relay *r)
{
	struct dp_cmd cmds[CMD_BATCH];
	uint64_t value;
	unsigned n;

	(void)!read(r->handoff.wake_fd, &value, sizeof(value));
	while ((n = dp_handoff_take(&r->handoff, cmds, CMD_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (cmds[i].kind == DP_CMD_ADD)
				cmd_add(r, &cmds[i]);
			else
				cmd_remove(r, &cmds[i]);
		}
	}
}

static void *relay_thread(void *arg)
{
	struct dp_mmsg_relay *r = arg;
	struct epoll_event events[EPOLL_BATCH];

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		int n = epoll_wait(r->epoll_fd, events, EPOLL_BATCH, -1);

		/*
		 * Commands first: a packet may only have been sent once the port it leaves from
		 * was queued. Events of ports removed here fail port_lookup's generation check.
		 */
		for (int i = 0; i < n; i++) {
			if (events[i].data.u64 == WAKE_TAG) {
				drain_commands(r);
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			struct mmsg_port *p;

			if (events[i].data.u64 == WAKE_TAG)
				continue;
			p = port_lookup(r, (dp_port_id)events[i].data.u64);
			if (p)
				drain_port(r, p);
		}
		dp_count(&r->counters.batches, 1);
	}
	return NULL;
}

int dp_mmsg_relay_new(const struct dp_limits *limits, dp_handler_fn handler,
		      struct dp_mmsg_relay **ret_relay)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_TAG};
	struct dp_limits l;
	struct dp_mmsg_relay *r;
	int err;

	if (!handler)
		return -EINVAL;
	err = dp_limits_resolve(limits, &l);
	if (err < 0)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->handler = handler;
	r->max_ports = l.max_ports;
	r->buf_size = l.buf_size;
	r->cpu = l.pin_cpu ? (int)l.cpu : -1;
	r->ports = calloc(l.max_ports, sizeof(*r->ports));
	r->bufs = aligned_alloc(64, (size_t)DP_MMSG_BATCH * l.buf_size);
	if (!r->ports || !r->bufs) {
		err = -ENOMEM;
		goto free_relay;
	}
	for (unsigned i = 0; i < l.max_ports; i++)
		r->ports[i].fd = -1;
	for (unsigned i = 0; i < DP_MMSG_BATCH; i++) {
		r->rx_iov[i] = (struct iovec){.iov_base = packet_addr(r, i),
					      .iov_len = l.buf_size - DP_RX_HEADROOM};
		r->rx[i].msg_hdr = (struct msghdr){
		    .msg_name = &r->rx_name[i], .msg_iov = &r->rx_iov[i], .msg_iovlen = 1};
	}
	err = dp_handoff_init(&r->handoff, l.max_ports);
	if (err < 0)
		goto free_relay;
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epoll_fd < 0) {
		err = -errno;
		goto fini_handoff;
	}
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->handoff.wake_fd, &ev) < 0) {
		err = -errno;
		goto close_epoll;
	}
	*ret_relay = r;
	return 0;

close_epoll:
	close(r->epoll_fd);
fini_handoff:
	dp_handoff_fini(&r->handoff);
free_relay:
	free(r->ports);
	free(r->bufs);
	free(r);
	return err;
}

int dp_mmsg_relay_start(struct dp_mmsg_relay *r)
{
	int err;

	if (r->running)
		return -EALREADY;
	atomic_store(&r->stop, false);
	/* Ports added before start are waiting in the queue. */
	dp_handoff_wake(&r->handoff);
	err = -pthread_create(&r->thread, NULL, relay_thread, r);
	if (err < 0)
		return err;
	r->running = true;
	return 0;
}

void dp_mmsg_relay_stop(struct dp_mmsg_relay *r)
{
	if (!r || !r->running)
		return;
	atomic_store(&r->stop, true);
	dp_handoff_wake(&r->handoff);
	pthread_join(r->thread, NULL);
	r->running = false;
}

void dp_mmsg_relay_free(struct dp_mmsg_relay *r)
{
	struct dp_cmd cmds[CMD_BATCH];
	unsigned n;

	if (!r)
		return;
	dp_mmsg_relay_stop(r);
	while ((n = dp_handoff_take(&r->handoff, cmds, CMD_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (cmds[i].kind == DP_CMD_ADD)
				cmd_add(r, &cmds[i]);
			else
				cmd_remove(r, &cmds[i]);
		}
	}
	for (unsigned slot = 0; slot < r->max_ports; slot++)
		if (r->ports[slot].fd >= 0)
			close(r->ports[slot].fd);
	close(r->epoll_fd);
	dp_handoff_fini(&r->handoff);
	free(r->ports);
	free(r->bufs);
	free(r);
}

int dp_mmsg_relay_add_port(struct dp_mmsg_relay *r, int fd, void *port_ctx, dp_port_id *ret_port)
{
	return dp_handoff_add(&r->handoff, fd, port_ctx, ret_port);
}

int dp_mmsg_relay_remove_port(struct dp_mmsg_relay *r, dp_port_id port, dp_removed_fn removed,
			      void *arg)
{
	return dp_handoff_remove(&r->handoff, port, removed, arg);
}

const struct dp_counters *dp_mmsg_relay_counters(const struct dp_mmsg_relay *r)
{
	return &r->counters;
}

uint64_t dp_mmsg_relay_thread_cpu_ns(const struct dp_mmsg_relay *r)
{
	clockid_t clock;
	struct timespec ts;

	if (!r->running || pthread_getcpuclockid(r->thread, &clock) != 0 ||
	    clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
