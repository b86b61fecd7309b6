// SPDX-License-Identifier: MIT
/*
 * The media sockets and their reader thread (epoll). The thread only drains and counts. A
 * closed socket is unregistered from epoll at once but freed by the reader thread after the
 * batch of events it is working on, so no event can point to freed memory.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "datapath/media_sockets.h"

#define MAX_EVENTS	   64
#define MAX_READS_PER_WAKE 64
#define RX_BUFFER_SIZE	   2048

struct media_socket {
	int fd;
	bool closed; /* under media_sockets.lock */
	/* open: the open list; closed: waiting to be freed by the reader */
	struct media_socket *prev, *next;
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes;
};

struct media_sockets {
	int epoll_fd;
	int wake_fd; /* eventfd: stop request or freed sockets to collect */
	pthread_t thread;
	bool started;
	_Atomic bool stopping;
	pthread_mutex_t lock;
	struct media_socket *open;   /* every open socket */
	struct media_socket *closed; /* freed by the reader thread */
	_Atomic uint64_t rx_packets;
};

int media_sockets_new(struct media_sockets **ret)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	struct media_sockets *m;
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epoll_fd < 0) {
		r = -errno;
		goto free_sockets;
	}
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0) {
		r = -errno;
		goto close_epoll;
	}
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->wake_fd, &ev) < 0) {
		r = -errno;
		goto close_wake;
	}
	*ret = m;
	return 0;

close_wake:
	close(m->wake_fd);
close_epoll:
	close(m->epoll_fd);
free_sockets:
	pthread_mutex_destroy(&m->lock);
	free(m);
	return r;
}

static void wake_reader(struct media_sockets *m)
{
	uint64_t one = 1;

	(void)!write(m->wake_fd, &one, sizeof(one));
}

static void collect_closed(struct media_sockets *m)
{
	while (m->closed) {
		struct media_socket *s = m->closed;

		m->closed = s->next;
		free(s);
	}
}

static void drain_socket(struct media_sockets *m, struct media_socket *s)
{
	static __thread char buf[RX_BUFFER_SIZE];

	for (int i = 0; i < MAX_READS_PER_WAKE; i++) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0)
			return; /* EAGAIN, or an error the next wake-up reports again */
		atomic_fetch_add_explicit(&s->packets, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->bytes, (uint64_t)n, memory_order_relaxed);
		atomic_fetch_add_explicit(&m->rx_packets, 1, memory_order_relaxed);
	}
}

static void *reader_thread(void *arg)
{
	struct media_sockets *m = arg;
	struct epoll_event events[MAX_EVENTS];

	while (!atomic_load(&m->stopping)) {
		int n = epoll_wait(m->epoll_fd, events, MAX_EVENTS, -1);
		uint64_t drained;

		if (n < 0)
			continue; /* EINTR */
		pthread_mutex_lock(&m->lock);
		for (int i = 0; i < n; i++) {
			struct media_socket *s = events[i].data.ptr;

			if (!s)
				(void)!read(m->wake_fd, &drained, sizeof(drained));
			else if (!s->closed)
				drain_socket(m, s);
		}
		collect_closed(m);
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

int media_sockets_start(struct media_sockets *m)
{
	int r;

	if (m->started)
		return -EALREADY;
	r = -pthread_create(&m->thread, NULL, reader_thread, m);
	if (r < 0)
		return r;
	m->started = true;
	return 0;
}

static int bind_socket(const struct endpoint *local, int *ret_fd)
{
	struct sockaddr_storage ss;
	socklen_t len = endpoint_to_sockaddr(local, &ss);
	int fd, one = 1, r;

	fd = socket(local->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (local->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		r = -errno;
		goto close_fd;
	}
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
	struct epoll_event ev = {.events = EPOLLIN};
	struct media_socket *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = bind_socket(local, &s->fd);
	if (r < 0)
		goto free_socket;
	pthread_mutex_lock(&m->lock);
	s->next = m->open;
	if (m->open)
		m->open->prev = s;
	m->open = s;
	pthread_mutex_unlock(&m->lock);
	ev.data.ptr = s;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		r = -errno;
		media_socket_close(m, s);
		return r;
	}
	*ret = s;
	return 0;

free_socket:
	free(s);
	return r;
}

void media_socket_close(struct media_sockets *m, struct media_socket *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&m->lock);
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	s->closed = true;
	if (s->prev)
		s->prev->next = s->next;
	else
		m->open = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = NULL;
	s->next = m->closed;
	m->closed = s;
	if (!m->started)
		collect_closed(m);
	pthread_mutex_unlock(&m->lock);
	if (m->started)
		wake_reader(m);
}

void media_socket_counters(const struct media_socket *s, uint64_t *ret_packets, uint64_t *ret_bytes)
{
	*ret_packets = atomic_load_explicit(&s->packets, memory_order_relaxed);
	*ret_bytes = atomic_load_explicit(&s->bytes, memory_order_relaxed);
}

uint64_t media_sockets_rx_packets(const struct media_sockets *m)
{
	return atomic_load_explicit(&m->rx_packets, memory_order_relaxed);
}

struct media_sockets *media_sockets_free(struct media_sockets *m)
{
	if (!m)
		return NULL;
	if (m->started) {
		atomic_store(&m->stopping, true);
		wake_reader(m);
		pthread_join(m->thread, NULL);
		m->started = false;
	}
	while (m->open)
		media_socket_close(m, m->open);
	collect_closed(m);
	close(m->wake_fd);
	close(m->epoll_fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return NULL;
}
