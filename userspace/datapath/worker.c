/* SPDX-License-Identifier: MIT */
/*
 * The io_uring worker: one ring, one thread, many UDP sockets in registered file slots. Each socket
 * has one multishot recvmsg selecting buffers from the worker's provided-buffer ring; a received
 * buffer goes to the handler and then out as a sendmsg on the output socket, and comes back to the
 * ring when that send completes, or at once on every drop and error path. CQEs are reaped in
 * batches; a batch ends with one buffer-ring publish and one submit. Modelled on liburing's
 * examples/io_uring-udp.c.
 */
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <liburing.h>

#include "datapath/worker_internal.h"
#include "stats/stats_snapshot.h"

_Static_assert(DP_PROC_HIST_BUCKETS == STATS_HIST_BUCKETS, "one histogram layout");

unsigned dp_worker_default_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned)n : 1;
}

static uint8_t *buf_addr(struct dp_worker *w, unsigned bid)
{
	return w->bufs + (size_t)bid * w->buf_size;
}

static void recycle_buffer(struct dp_worker *w, unsigned bid)
{
	io_uring_buf_ring_add(w->buf_ring, buf_addr(w, bid), w->buf_size, (unsigned short)bid,
			      w->buf_mask, (int)w->recycle_pending++);
	w->bufs_held--;
}

/* Make the recycled buffers visible to the kernel: once per batch. */
static void publish_buffers(struct dp_worker *w)
{
	if (w->recycle_pending == 0)
		return;
	io_uring_buf_ring_advance(w->buf_ring, (int)w->recycle_pending);
	w->recycle_pending = 0;
}

struct io_uring_sqe *dp_get_sqe(struct dp_worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		/* SQ full mid-batch: flush it and carry on. */
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
	}
	return sqe;
}

static void arm_recv(struct dp_worker *w, unsigned slot)
{
	struct port *p = &w->ports[slot];
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe) {
		/* Cannot happen after a flush; retry with the starved ports after this batch. */
		p->starved = true;
		w->n_starved++;
		return;
	}
	io_uring_prep_recvmsg_multishot(sqe, (int)slot, &w->recv_msg, MSG_TRUNC);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BUF_GROUP;
	io_uring_sqe_set_data64(sqe, UD(OP_RECV, p->gen, slot));
	p->armed = true;
}

static void arm_wake(struct dp_worker *w)
{
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, w->handoff.wake_fd, &w->wake_value, sizeof(w->wake_value), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_WAKE, 0, 0));
}

static void finish_remove(struct dp_worker *w, unsigned slot)
{
	struct port *p = &w->ports[slot];
	dp_removed_fn removed = p->removed;
	void *ctx = p->ctx, *arg = p->removed_arg;

	*p = (struct port){.gen = p->gen};
	dp_handoff_release(&w->handoff, slot);
	if (removed)
		removed(ctx, arg);
}

/* Queue the close of a port's file slot; the slot is released when the close completes. */
static void close_port(struct dp_worker *w, unsigned slot)
{
	struct port *p = &w->ports[slot];
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	p->state = PORT_CLOSING;
	if (!sqe) {
		io_uring_register_files_update(&w->ring, slot, &(int){-1}, 1);
		finish_remove(w, slot);
		return;
	}
	io_uring_prep_close_direct(sqe, slot);
	io_uring_sqe_set_data64(sqe, UD(OP_CLOSE, p->gen, slot));
}

static void cmd_add(struct dp_worker *w, const struct dp_cmd *cmd)
{
	unsigned slot = DP_PORT_SLOT(cmd->port);
	struct port *p = &w->ports[slot];
	int r;

	*p = (struct port){.ctx = cmd->port_ctx, .gen = DP_PORT_GEN(cmd->port)};
	r = io_uring_register_files_update(&w->ring, slot, (int *)&cmd->fd, 1);
	if (r == 1)
		dp_xsk_port_added(w, slot, cmd->fd);
	/* The registered slot holds its own reference to the socket. */
	close(cmd->fd);
	if (r != 1) {
		p->state = PORT_FAILED;
		dp_count(&w->counters.recv_errors, 1);
		return;
	}
	p->state = PORT_ACTIVE;
	arm_recv(w, slot);
}

static void cmd_remove(struct dp_worker *w, const struct dp_cmd *cmd)
{
	unsigned slot = DP_PORT_SLOT(cmd->port);
	struct port *p = &w->ports[slot];
	struct io_uring_sqe *sqe;

	p->removed = cmd->removed;
	p->removed_arg = cmd->removed_arg;
	if (p->state == PORT_FAILED) {
		finish_remove(w, slot);
		return;
	}
	if (!p->armed) {
		if (p->starved) {
			p->starved = false;
			w->n_starved--;
		}
		close_port(w, slot);
		return;
	}
	/* The receive's last CQE (without F_MORE) moves the port on to closing. */
	p->state = PORT_REMOVING;
	sqe = dp_get_sqe(w);
	if (!sqe)
		return;
	io_uring_prep_cancel64(sqe, UD(OP_RECV, p->gen, slot), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, p->gen, slot));
}

static void drain_commands(struct dp_worker *w)
{
	struct dp_cmd cmds[CMD_BATCH];
	unsigned n;

	while ((n = dp_handoff_take(&w->handoff, cmds, CMD_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (cmds[i].kind == DP_CMD_ADD)
				cmd_add(w, &cmds[i]);
			else
				cmd_remove(w, &cmds[i]);
		}
	}
}

/* The port a handle names, or NULL when the handle is out of range or of an older generation. */
static const struct port *port_of(const struct dp_worker *w, dp_port_id port)
{
	unsigned slot = DP_PORT_SLOT(port);

	if (slot >= w->max_ports || w->ports[slot].gen != DP_PORT_GEN(port))
		return NULL;
	return &w->ports[slot];
}

/* Is this port handle one the worker may send from right now? */
bool dp_port_can_send(const struct dp_worker *w, dp_port_id port)
{
	const struct port *p = port_of(w, port);

	return p && (p->state == PORT_ACTIVE || p->state == PORT_REMOVING);
}

bool dp_port_can_receive(const struct dp_worker *w, dp_port_id port)
{
	const struct port *p = port_of(w, port);

	return p && p->state != PORT_FREE && p->state != PORT_FAILED;
}

static void handle_packet(struct dp_worker *w, struct port *p, unsigned bid, int res)
{
	uint8_t *buf = buf_addr(w, bid);
	struct send_slot *s = &w->sends[bid];
	struct io_uring_recvmsg_out *out;
	struct io_uring_sqe *sqe;
	size_t cap = w->buf_size - DP_RX_HEADROOM;
	uint8_t *pkt;
	unsigned len;
	int verdict;

	out = io_uring_recvmsg_validate(buf, res, &w->recv_msg);
	if (!out || out->namelen > RX_NAME_SPACE) {
		dp_count(&w->counters.recv_errors, 1);
		goto recycle;
	}
	if (out->flags & MSG_TRUNC) {
		dp_count(&w->counters.truncated, 1);
		goto recycle;
	}
	pkt = io_uring_recvmsg_payload(out, &w->recv_msg);
	len = io_uring_recvmsg_payload_length(out, res, &w->recv_msg);
	dp_count(&w->counters.rx, 1);
	dp_count(&w->counters.rx_bytes, len);

	s->tx = (struct dp_tx){.src = io_uring_recvmsg_name(out),
			       .src_len = out->namelen,
			       .out_port = DP_PORT_INVALID};
	verdict = w->handler(p->ctx, pkt, len, cap, &s->tx);
	if (verdict != DP_SEND) {
		if (verdict < 0 || verdict >= DP_DROP_CODES)
			verdict = DP_DROP_CODES - 1;
		dp_count(&w->counters.drops[verdict], 1);
		goto recycle;
	}
	if (s->tx.len > cap || !dp_port_can_send(w, s->tx.out_port) ||
	    s->tx.dst_len < sizeof(struct sockaddr_in) || s->tx.dst_len > sizeof(s->tx.dst)) {
		dp_count(&w->counters.bad_tx, 1);
		goto recycle;
	}
	sqe = dp_get_sqe(w);
	if (!sqe) {
		dp_count(&w->counters.send_errors, 1);
		goto recycle;
	}
	s->iov = (struct iovec){.iov_base = pkt, .iov_len = s->tx.len};
	s->msg = (struct msghdr){.msg_name = &s->tx.dst,
				 .msg_namelen = s->tx.dst_len,
				 .msg_iov = &s->iov,
				 .msg_iovlen = 1};
	io_uring_prep_sendmsg(sqe, (int)DP_PORT_SLOT(s->tx.out_port), &s->msg, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, UD(OP_SEND, 0, bid));
	return;

recycle:
	recycle_buffer(w, bid);
}

static void handle_recv(struct dp_worker *w, const struct io_uring_cqe *cqe)
{
	unsigned slot = UD_SLOT(cqe->user_data);
	struct port *p = &w->ports[slot];
	bool current = p->gen == UD_GEN(cqe->user_data) && p->state != PORT_FREE;

	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		w->bufs_held++;
		if (current && cqe->res > 0)
			handle_packet(w, p, bid, cqe->res);
		else
			recycle_buffer(w, bid);
	} else if (cqe->res == -ENOBUFS) {
		dp_count(&w->counters.enobufs, 1);
	} else if (cqe->res < 0 && cqe->res != -ECANCELED) {
		dp_count(&w->counters.recv_errors, 1);
	}

	if ((cqe->flags & IORING_CQE_F_MORE) || !current)
		return;
	p->armed = false;
	if (p->state == PORT_REMOVING) {
		close_port(w, slot);
	} else if (cqe->res == -ENOBUFS) {
		/* Re-armed after the batch has given buffers back, not into an empty ring. */
		p->starved = true;
		w->n_starved++;
	} else {
		arm_recv(w, slot);
	}
}

static void handle_send(struct dp_worker *w, const struct io_uring_cqe *cqe)
{
	unsigned bid = UD_SLOT(cqe->user_data);

	if (cqe->res < 0) {
		dp_count(&w->counters.send_errors, 1);
	} else {
		dp_count(&w->counters.tx, 1);
		dp_count(&w->counters.tx_bytes, (uint64_t)cqe->res);
	}
	recycle_buffer(w, bid);
}

static void handle_cqe(struct dp_worker *w, const struct io_uring_cqe *cqe)
{
	switch (UD_OP(cqe->user_data)) {
	case OP_RECV:
		handle_recv(w, cqe);
		break;
	case OP_SEND:
		handle_send(w, cqe);
		break;
	case OP_CLOSE:
		finish_remove(w, UD_SLOT(cqe->user_data));
		break;
	case OP_XSK_POLL:
	case OP_XSK_SEND:
		dp_xsk_handle_cqe(w, cqe);
		break;
	default: /* OP_WAKE: handled before the batch; OP_CANCEL: the receive's last CQE tells */
		break;
	}
}

static void rearm_starved(struct dp_worker *w)
{
	if (w->n_starved == 0 || w->bufs_held >= w->buf_count)
		return;
	for (unsigned slot = 0; slot < w->max_ports && w->n_starved > 0; slot++) {
		struct port *p = &w->ports[slot];

		if (!p->starved)
			continue;
		p->starved = false;
		w->n_starved--;
		arm_recv(w, slot);
	}
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * SINGLE_ISSUER: the task that enables the ring is its only submitter. liburing 2.3 declares
 * io_uring_enable_rings() but its shared library does not export it, hence the raw syscall.
 */
static int enable_ring(struct io_uring *ring)
{
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) <
	    0)
		return -errno;
	return 0;
}

uint64_t dp_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One batch's packets into the processing-time histogram: each took batch_ns / packets. */
static void record_batch(struct dp_worker *w, uint64_t batch_ns, uint64_t packets)
{
	unsigned bucket = stats_hist_bucket(batch_ns / packets);

	dp_count(&w->counters.proc_hist[bucket], packets);
	dp_count(&w->counters.proc_ns, batch_ns);
}

static void run_loop(struct dp_worker *w)
{
	struct io_uring_cqe *cqes[CQE_BATCH];

	bool xsk_busy = false;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		uint64_t rx_before, rx_after, t0 = 0;
		unsigned n;
		int r;

		/* AF_XDP work left over (a full batch, a deferred transmit): no sleep. */
		r = xsk_busy ? io_uring_submit(&w->ring) : io_uring_submit_and_wait(&w->ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY)
			break;
		n = io_uring_peek_batch_cqe(&w->ring, cqes, CQE_BATCH);
		/* Single writer: the thread's own counter. */
		rx_before = atomic_load_explicit(&w->counters.rx, memory_order_relaxed);
		if (n > 0 || w->xsk)
			t0 = dp_monotonic_ns();
		/*
		 * Commands before packets: a packet may only have been sent once the port it
		 * leaves from was queued. CQEs of ports removed here fail the generation check.
		 */
		for (unsigned i = 0; i < n; i++) {
			if (UD_OP(cqes[i]->user_data) == OP_WAKE) {
				drain_commands(w);
				arm_wake(w);
				break;
			}
		}
		for (unsigned i = 0; i < n; i++)
			handle_cqe(w, cqes[i]);
		io_uring_cq_advance(&w->ring, n);
		xsk_busy = dp_xsk_run(w);
		publish_buffers(w);
		rearm_starved(w);
		rx_after = atomic_load_explicit(&w->counters.rx, memory_order_relaxed);
		if (rx_after != rx_before)
			record_batch(w, dp_monotonic_ns() - t0, rx_after - rx_before);
		atomic_store_explicit(&w->counters.bufs_held, w->bufs_held, memory_order_relaxed);
		dp_count(&w->counters.batches, 1);
	}
}

static void *worker_thread(void *arg)
{
	struct dp_worker *w = arg;
	int r = 0;

	if (w->cpu >= 0)
		r = pin_to_cpu(w->cpu);
	if (r == 0 && w->rt_priority)
		r = -pthread_setschedparam(
		    pthread_self(), SCHED_FIFO,
		    &(struct sched_param){.sched_priority = (int)w->rt_priority});
	if (r == 0)
		r = enable_ring(&w->ring);
	w->start_error = r;
	/* Before the post: whoever sees the worker running sees its start time. */
	w->start_ns = dp_monotonic_ns();
	sem_post(&w->ready);
	if (r < 0)
		return NULL;

	/* Registered ring fds are per task; a failure only costs an fd lookup per enter. */
	(void)io_uring_register_ring_fd(&w->ring);
	drain_commands(w);
	arm_wake(w);
	dp_xsk_arm(w);
	run_loop(w);
	return NULL;
}

static int setup_ring(struct dp_worker *w, enum dp_ring_mode mode)
{
	struct io_uring_params params = {0};
	/* Room for a CQE per buffer out, one per send, and a few per port; never below the SQ. */
	unsigned cq = 2 * w->buf_count + 2 * w->max_ports + CQE_BATCH;
	int r;

	params.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
	if (cq < 2 * SQ_ENTRIES)
		cq = 2 * SQ_ENTRIES;
	params.cq_entries = cq > 65536 ? 65536 : cq;
	if (mode == DP_RING_DEFER_TASKRUN) {
		params.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		r = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &params);
		if (r == 0) {
			w->mode = DP_RING_DEFER_TASKRUN;
			return 0;
		}
		if (r != -EINVAL)
			return r;
		params =
		    (struct io_uring_params){.flags = params.flags & ~(IORING_SETUP_SINGLE_ISSUER |
								       IORING_SETUP_DEFER_TASKRUN),
					     .cq_entries = params.cq_entries};
	}
	params.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	r = io_uring_queue_init_params(SQ_ENTRIES, &w->ring, &params);
	if (r == 0)
		w->mode = DP_RING_COOP_TASKRUN;
	return r;
}

static int setup_buffers(struct dp_worker *w)
{
	struct io_uring_buf_reg reg = {0};
	void *mem;
	int r;

	w->buf_ring_bytes = (size_t)w->buf_count * sizeof(struct io_uring_buf);
	mem = mmap(NULL, w->buf_ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1,
		   0);
	if (mem == MAP_FAILED)
		return -errno;
	w->buf_ring = mem;
	w->bufs_bytes = (size_t)w->buf_count * w->buf_size;
	mem = mmap(NULL, w->bufs_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (mem == MAP_FAILED) {
		r = -errno;
		goto unmap_ring;
	}
	w->bufs = mem;

	io_uring_buf_ring_init(w->buf_ring);
	reg.ring_addr = (uint64_t)(uintptr_t)w->buf_ring;
	reg.ring_entries = w->buf_count;
	reg.bgid = BUF_GROUP;
	r = io_uring_register_buf_ring(&w->ring, &reg, 0);
	if (r < 0)
		goto unmap_bufs;
	w->buf_mask = io_uring_buf_ring_mask(w->buf_count);
	w->bufs_held = w->buf_count;
	for (unsigned bid = 0; bid < w->buf_count; bid++)
		recycle_buffer(w, bid);
	publish_buffers(w);
	return 0;

unmap_bufs:
	munmap(w->bufs, w->bufs_bytes);
unmap_ring:
	munmap(w->buf_ring, w->buf_ring_bytes);
	return r;
}

int dp_worker_new(const struct dp_limits *limits, dp_handler_fn handler,
		  struct dp_worker **ret_worker)
{
	struct dp_limits l;
	struct dp_worker *w;
	int r;

	if (!handler)
		return -EINVAL;
	r = dp_limits_resolve(limits, &l);
	if (r < 0)
		return r;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->handler = handler;
	w->max_ports = l.max_ports;
	w->buf_count = l.buf_count;
	w->buf_size = l.buf_size;
	w->cpu = l.pin_cpu ? (int)l.cpu : -1;
	w->rt_priority = l.rt_priority;
	w->recv_msg.msg_namelen = RX_NAME_SPACE;
	w->ports = calloc(l.max_ports, sizeof(*w->ports));
	w->sends = calloc(l.buf_count, sizeof(*w->sends));
	if (!w->ports || !w->sends) {
		r = -ENOMEM;
		goto free_worker;
	}
	r = dp_handoff_init(&w->handoff, l.max_ports);
	if (r < 0)
		goto free_worker;
	if (sem_init(&w->ready, 0, 0) < 0) {
		r = -errno;
		goto fini_handoff;
	}
	r = setup_ring(w, (enum dp_ring_mode)l.ring_mode);
	if (r < 0)
		goto destroy_sem;
	r = io_uring_register_files_sparse(&w->ring, l.max_ports);
	if (r < 0)
		goto exit_ring;
	r = setup_buffers(w);
	if (r < 0)
		goto exit_ring;
	*ret_worker = w;
	return 0;

exit_ring:
	io_uring_queue_exit(&w->ring);
destroy_sem:
	sem_destroy(&w->ready);
fini_handoff:
	dp_handoff_fini(&w->handoff);
free_worker:
	free(w->ports);
	free(w->sends);
	free(w);
	return r;
}

int dp_worker_start(struct dp_worker *w)
{
	int r;

	/* A SINGLE_ISSUER ring belongs to the first thread that runs it: one start per worker. */
	if (w->started)
		return -EALREADY;
	w->started = true;
	r = -pthread_create(&w->thread, NULL, worker_thread, w);
	if (r < 0)
		return r;
	while (sem_wait(&w->ready) < 0 && errno == EINTR)
		;
	if (w->start_error < 0) {
		pthread_join(w->thread, NULL);
		return w->start_error;
	}
	w->running = true;
	return 0;
}

void dp_worker_stop(struct dp_worker *w)
{
	if (!w || !w->running)
		return;
	atomic_store(&w->stop, true);
	dp_handoff_wake(&w->handoff);
	pthread_join(w->thread, NULL);
	w->running = false;
}

void dp_worker_free(struct dp_worker *w)
{
	struct dp_cmd cmds[CMD_BATCH];
	unsigned n;

	if (!w)
		return;
	dp_worker_stop(w);
	/* Cancels what is in flight and drops the registered sockets. */
	io_uring_queue_exit(&w->ring);
	dp_xsk_free(w);
	for (unsigned slot = 0; slot < w->max_ports; slot++) {
		struct port *p = &w->ports[slot];

		if ((p->state == PORT_REMOVING || p->state == PORT_CLOSING) && p->removed)
			p->removed(p->ctx, p->removed_arg);
	}
	while ((n = dp_handoff_take(&w->handoff, cmds, CMD_BATCH)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (cmds[i].kind == DP_CMD_ADD)
				close(cmds[i].fd);
			else if (cmds[i].removed)
				cmds[i].removed(cmds[i].port_ctx, cmds[i].removed_arg);
		}
	}
	munmap(w->bufs, w->bufs_bytes);
	munmap(w->buf_ring, w->buf_ring_bytes);
	sem_destroy(&w->ready);
	dp_handoff_fini(&w->handoff);
	free(w->ports);
	free(w->sends);
	free(w);
}

int dp_worker_add_port(struct dp_worker *w, int fd, void *port_ctx, dp_port_id *ret_port)
{
	return dp_handoff_add(&w->handoff, fd, port_ctx, ret_port);
}

int dp_worker_remove_port(struct dp_worker *w, dp_port_id port, dp_removed_fn removed, void *arg)
{
	return dp_handoff_remove(&w->handoff, port, removed, arg);
}

const struct dp_counters *dp_worker_counters(const struct dp_worker *w)
{
	return &w->counters;
}

uint64_t dp_worker_thread_cpu_ns(const struct dp_worker *w)
{
	clockid_t clock;
	struct timespec ts;

	if (!w->running || pthread_getcpuclockid(w->thread, &clock) != 0 ||
	    clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t dp_worker_wall_ns(const struct dp_worker *w)
{
	if (!w->running || w->start_ns == 0)
		return 0;
	return dp_monotonic_ns() - w->start_ns;
}

enum dp_ring_mode dp_worker_ring_mode(const struct dp_worker *w)
{
	return w->mode;
}
