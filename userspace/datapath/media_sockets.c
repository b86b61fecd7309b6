// SPDX-License-Identifier: MIT
/*
 * The media sockets and the pool of io_uring workers that own them (see media_sockets.h). A
 * socket is bound by the control thread when its session is installed and handed to the
 * session's worker on attach; from then on only the worker closes it. Detach waits for the
 * worker's removed-callbacks, after which the ports are free again and the handler will never
 * touch the session's state.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "datapath/media_sockets.h"

/* How long detach waits for a worker to close a session's sockets. */
#define DETACH_WAIT_MS 2000

struct media_socket {
	int fd; /* -1 once handed to a worker */
};

struct media_sockets {
	unsigned n_workers;
	struct dp_worker **workers;
	struct relay_maps maps;
};

int media_sockets_new(const struct media_sockets_opts *opts, const struct relay_maps *maps,
		      struct media_sockets **ret)
{
	unsigned n_workers = opts->n_workers;
	struct media_sockets *m;
	int r;

	if (n_workers == 0)
		n_workers = dp_worker_default_count();
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->workers = calloc(n_workers, sizeof(*m->workers));
	if (!m->workers) {
		free(m);
		return -ENOMEM;
	}
	if (maps)
		m->maps = *maps;
	for (; m->n_workers < n_workers; m->n_workers++) {
		struct dp_limits limits = {.max_ports = opts->max_ports,
					   .rt_priority = opts->rt_priority};

		if (opts->cpus && opts->n_cpus) {
			limits.pin_cpu = true;
			limits.cpu = opts->cpus[m->n_workers % opts->n_cpus];
		}
		r = dp_worker_new(&limits, relay_handle_packet, &m->workers[m->n_workers]);
		if (r < 0) {
			media_sockets_free(m);
			return r;
		}
	}
	*ret = m;
	return 0;
}

int media_sockets_start(struct media_sockets *m)
{
	for (unsigned i = 0; i < m->n_workers; i++) {
		int r = dp_worker_start(m->workers[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

struct media_sockets *media_sockets_free(struct media_sockets *m)
{
	if (!m)
		return NULL;
	for (unsigned i = 0; i < m->n_workers; i++)
		dp_worker_free(m->workers[i]);
	free(m->workers);
	free(m);
	return NULL;
}

unsigned media_sockets_workers(const struct media_sockets *m)
{
	return m->n_workers;
}

static int bind_socket(const struct endpoint *local, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = endpoint_to_sockaddr(local, &ss);
	int fd, one = 1, rcvbuf = 1 << 20, r;

	fd = socket(local->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (local->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		r = -errno;
		goto close_fd;
	}
	/* Bursts wait here while the worker is busy; capped by net.core.rmem_max. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		r = -errno;
		goto close_fd;
	}
	*ret_fd = fd;
	return 0;

close_fd:
	close(fd);
	return r;
}

int media_socket_open(struct media_sockets *m, const struct endpoint *local,
		      struct media_socket **ret)
{
	struct media_socket *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = bind_socket(local, &s->fd);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void media_socket_close(struct media_sockets *m, struct media_socket *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static struct dp_worker *worker_of(const struct media_sockets *m, const struct relay_session *rs)
{
	return m->workers[rs->worker];
}

static void sleep_100us(void)
{
	struct timespec ts = {.tv_nsec = 100000};

	nanosleep(&ts, NULL);
}

/* Waits until the worker has run every removed-callback of rs's ports. */
static void wait_removed(const struct relay_session *rs)
{
	for (unsigned i = 0; i < DETACH_WAIT_MS * 10; i++) {
		if (atomic_load_explicit(&rs->ports, memory_order_acquire) == 0)
			return;
		sleep_100us();
	}
}

static void remove_ports(struct media_sockets *m, struct relay_session *rs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct relay_stream *st = &rs->streams[i];
		dp_port_id port = atomic_load(&st->port);

		if (port == DP_PORT_INVALID)
			continue;
		/* The queue holds one ADD and one REMOVE per slot: -EAGAIN cannot happen. */
		if (dp_worker_remove_port(worker_of(m, rs), port, relay_port_removed, NULL) < 0)
			continue;
	}
	wait_removed(rs);
}

int media_sockets_attach(struct media_sockets *m, struct relay_session *rs,
			 struct media_socket *const socks[], unsigned n)
{
	rs->worker = rs->id % m->n_workers;
	rs->maps = m->maps;
	for (unsigned i = 0; i < n; i++) {
		struct relay_stream *st = &rs->streams[i];
		dp_port_id port;
		int fd = socks[i]->fd, r;

		/* The worker owns the socket from here on, also when this fails. */
		socks[i]->fd = -1;
		relay_session_ref(rs);
		atomic_fetch_add_explicit(&rs->ports, 1, memory_order_relaxed);
		r = dp_worker_add_port(worker_of(m, rs), fd, st, &port);
		if (r < 0) {
			atomic_fetch_sub_explicit(&rs->ports, 1, memory_order_relaxed);
			relay_session_unref(rs);
			remove_ports(m, rs, i);
			return r;
		}
		atomic_store_explicit(&st->port, port, memory_order_release);
	}
	return 0;
}

void media_sockets_detach(struct media_sockets *m, struct relay_session *rs)
{
	remove_ports(m, rs, rs->n_streams);
}

int media_sockets_enable_xsk(struct media_sockets *m, unsigned i, const struct dp_xsk_opts *opts,
			     int ret_fds[], char *error, size_t error_len)
{
	if (i >= m->n_workers)
		return -EINVAL;
	return dp_worker_enable_xsk(m->workers[i], opts, ret_fds, error, error_len);
}

bool media_sockets_session_xsk(const struct media_sockets *m, const struct relay_session *rs)
{
	return dp_worker_has_xsk(worker_of(m, rs));
}

void media_sockets_counters(const struct media_sockets *m, struct media_counters *ret)
{
	*ret = (struct media_counters){0};
	for (unsigned i = 0; i < m->n_workers; i++) {
		struct dp_counters_snapshot c;

		dp_counters_read(dp_worker_counters(m->workers[i]), &c);
		ret->rx += c.rx;
		ret->rx_bytes += c.rx_bytes;
		ret->tx += c.tx;
		ret->tx_bytes += c.tx_bytes;
		for (unsigned d = 1; d < RELAY_DROP_MAX; d++)
			ret->drops[d] += c.drops[d];
		ret->enobufs += c.enobufs;
		ret->send_errors += c.send_errors + c.bad_tx;
		ret->truncated += c.truncated;
		ret->recv_errors += c.recv_errors;
		ret->xsk_rx += c.xsk_rx;
		ret->xsk_tx += c.xsk_tx;
		ret->xsk_fallback += c.xsk_fallback;
		ret->xsk_bad += c.xsk_bad;
		if (dp_worker_has_xsk(m->workers[i])) {
			struct dp_xsk_kstats k;

			ret->xsk_workers++;
			dp_worker_xsk_kstats(m->workers[i], &k);
			ret->xsk_kernel.rx_dropped += k.rx_dropped;
			ret->xsk_kernel.rx_invalid += k.rx_invalid;
			ret->xsk_kernel.tx_invalid += k.tx_invalid;
			ret->xsk_kernel.rx_ring_full += k.rx_ring_full;
			ret->xsk_kernel.fill_ring_empty += k.fill_ring_empty;
		}
	}
}

void media_sockets_worker_stats(const struct media_sockets *m, unsigned i,
				struct media_worker_stats *ret)
{
	const struct dp_worker *w = m->workers[i];

	dp_counters_read(dp_worker_counters(w), &ret->counters);
	ret->busy_ns = dp_worker_thread_cpu_ns(w);
	ret->wall_ns = dp_worker_wall_ns(w);
	ret->has_xsk = dp_worker_has_xsk(w);
}
