// SPDX-License-Identifier: MIT
/*
 * The stats server's sockets and loop: listeners, client slots, non-blocking output with a cap
 * per client, watch timers and deadlines; see stats_server.h. What requests mean lives in
 * stats_requests.c.
 */
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "stats/stats_server_internal.h"

/* epoll tokens above any client slot. */
#define TOKEN_UNIX ((uint64_t)1 << 32)
#define TOKEN_HTTP ((uint64_t)2 << 32)
#define TOKEN_WAKE ((uint64_t)3 << 32)

#define ACCEPTS_PER_WAKEUP 64
#define EVENTS_PER_WAIT	   32
#define MAX_WAIT_MS	   1000

uint64_t stats_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fill_defaults(struct stats_server_config *c)
{
	if (!c->socket_mode)
		c->socket_mode = STATS_DEFAULT_SOCKET_MODE;
	if (!c->max_clients)
		c->max_clients = STATS_DEFAULT_MAX_CLIENTS;
	if (!c->client_output_max)
		c->client_output_max = STATS_DEFAULT_CLIENT_OUTPUT_MAX;
	if (!c->reply_max)
		c->reply_max = STATS_DEFAULT_REPLY_MAX;
	if (!c->write_timeout_ms)
		c->write_timeout_ms = STATS_DEFAULT_WRITE_TIMEOUT_MS;
	if (!c->http_timeout_ms)
		c->http_timeout_ms = STATS_DEFAULT_HTTP_TIMEOUT_MS;
	if (!c->watch_min_ms)
		c->watch_min_ms = STATS_DEFAULT_WATCH_MIN_MS;
	if (!c->snapshot_cache_ms)
		c->snapshot_cache_ms = STATS_DEFAULT_SNAPSHOT_CACHE_MS;
	if (!c->per_session_auto_max)
		c->per_session_auto_max = STATS_PER_SESSION_AUTO_MAX;
}

static int epoll_set(struct stats_server *s, int op, int fd, uint32_t events, uint64_t token)
{
	struct epoll_event ev = {.events = events, .data.u64 = token};

	return epoll_ctl(s->epoll_fd, op, fd, &ev) < 0 ? -errno : 0;
}

static int resolve_group(const char *name, gid_t *ret)
{
	char buf[4096];
	struct group grp, *found = NULL;
	int r;

	r = getgrnam_r(name, &grp, buf, sizeof(buf), &found);
	if (r)
		return -r;
	if (!found)
		return -ENOENT;
	*ret = found->gr_gid;
	return 0;
}

/* A live server on path is -EADDRINUSE; a stale socket file is removed. */
static int replace_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ? -EADDRINUSE : 0;
	close(fd);
	if (r == 0 && unlink(sun->sun_path) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

static int listen_unix(struct stats_server *s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int r;

	if (strlen(s->config.socket_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->config.socket_path);
	r = replace_stale(&sun);
	if (r < 0)
		return r;
	s->unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->unix_fd < 0)
		return -errno;
	if (bind(s->unix_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	snprintf(s->socket_path, sizeof(s->socket_path), "%s", sun.sun_path);
	/* Between bind and chmod the file has the umask's mode; the data is read-only counters. */
	if (chmod(sun.sun_path, s->config.socket_mode) < 0)
		return -errno;
	if (s->has_gid && chown(sun.sun_path, (uid_t)-1, s->socket_gid) < 0)
		return -errno;
	if (listen(s->unix_fd, 64) < 0)
		return -errno;
	return epoll_set(s, EPOLL_CTL_ADD, s->unix_fd, EPOLLIN, TOKEN_UNIX);
}

static int listen_http(struct stats_server *s)
{
	struct sockaddr_storage ss;
	struct endpoint ep;
	socklen_t len;
	int one = 1, r;

	r = endpoint_parse(s->config.http_listen, false, &ep);
	if (r < 0)
		return r;
	len = endpoint_to_sockaddr(&ep, &ss);
	s->http_fd = socket(ep.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->http_fd < 0)
		return -errno;
	if (setsockopt(s->http_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(s->http_fd, (struct sockaddr *)&ss, len) < 0 || listen(s->http_fd, 64) < 0)
		return -errno;
	len = sizeof(ss);
	if (getsockname(s->http_fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	r = endpoint_from_sockaddr((struct sockaddr *)&ss, len, &ep);
	if (r < 0)
		return r;
	s->http_port = ep.port;
	return epoll_set(s, EPOLL_CTL_ADD, s->http_fd, EPOLLIN, TOKEN_HTTP);
}

int stats_server_new(const struct stats_server_config *config,
		     const struct stats_provider *provider, struct stats_server **ret_server)
{
	struct stats_server *s;
	int r;

	if (!provider || !provider->global || (!config->socket_path && !config->http_listen))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->config = *config;
	fill_defaults(&s->config);
	s->provider = *provider;
	s->unix_fd = s->http_fd = s->wake_fd = -1;
	stats_buf_init(&s->global_json, s->config.reply_max);
	stats_buf_init(&s->reply, s->config.reply_max);
	s->clients = calloc(s->config.max_clients, sizeof(*s->clients));
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!s->clients || s->epoll_fd < 0 || s->wake_fd < 0) {
		r = s->clients ? -errno : -ENOMEM;
		goto fail;
	}
	for (unsigned i = 0; i < s->config.max_clients; i++)
		s->clients[i].fd = -1;
	r = epoll_set(s, EPOLL_CTL_ADD, s->wake_fd, EPOLLIN, TOKEN_WAKE);
	if (r < 0)
		goto fail;
	if (s->config.socket_group) {
		r = resolve_group(s->config.socket_group, &s->socket_gid);
		if (r < 0)
			goto fail;
		s->has_gid = true;
	}
	if (s->config.socket_path) {
		r = listen_unix(s);
		if (r < 0)
			goto fail;
	}
	if (s->config.http_listen) {
		r = listen_http(s);
		if (r < 0)
			goto fail;
	}
	*ret_server = s;
	return 0;
fail:
	stats_server_free(s);
	return r;
}

/* ---- clients ---- */

void stats_client_close(struct stats_server *s, struct stats_client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd); /* also leaves the epoll set */
	stats_buf_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->n_clients--;
	atomic_store_explicit(&s->clients_now, s->n_clients, memory_order_relaxed);
}

static void slow_disconnect(struct stats_server *s, struct stats_client *c)
{
	atomic_fetch_add_explicit(&s->slow_disconnects, 1, memory_order_relaxed);
	stats_client_close(s, c);
}

static size_t pending(const struct stats_client *c)
{
	return c->out.len - c->out_off;
}

/* Watch for writability exactly while output is pending; for input unless the peer is done. */
static void update_events(struct stats_server *s, struct stats_client *c)
{
	uint32_t events = pending(c) ? EPOLLOUT : 0;

	if (!c->read_closed)
		events |= EPOLLIN;
	if (events != c->events && epoll_set(s, EPOLL_CTL_MOD, c->fd, events, c - s->clients) == 0)
		c->events = events;
}

/* Sends what it can. Returns false when the client is gone (closed here). */
static bool flush(struct stats_server *s, struct stats_client *c)
{
	while (pending(c)) {
		ssize_t n =
		    send(c->fd, c->out.data + c->out_off, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			stats_client_close(s, c); /* EPIPE, ECONNRESET: the client left */
			return false;
		}
		c->out_off += (size_t)n;
		c->last_progress_ms = stats_now_ms();
	}
	if (!pending(c)) {
		stats_buf_reset(&c->out);
		c->out_off = 0;
		if (c->read_closed && !c->watch_ms && (!c->http || c->responded)) {
			stats_client_close(s, c); /* all answered, and the peer will ask no more */
			return false;
		}
		if (c->http && c->responded && !c->draining) {
			/* Response sent: half-close and read until the client's EOF (no RST). */
			shutdown(c->fd, SHUT_WR);
			c->draining = true;
			c->deadline_ms = stats_now_ms() + s->config.http_timeout_ms;
		}
	}
	update_events(s, c);
	return true;
}

bool stats_client_queue(struct stats_server *s, struct stats_client *c, const char *data,
			size_t len)
{
	return stats_client_queue2(s, c, data, len, NULL, 0);
}

bool stats_client_queue2(struct stats_server *s, struct stats_client *c, const char *data,
			 size_t len, const char *more, size_t more_len)
{
	if (pending(c) > s->config.client_output_max) {
		slow_disconnect(s, c);
		return false;
	}
	if (c->out_off) {
		memmove(c->out.data, c->out.data + c->out_off, pending(c));
		c->out.len -= c->out_off;
		c->out_off = 0;
	}
	if (!pending(c))
		c->last_progress_ms = stats_now_ms();
	stats_buf_append(&c->out, data, len);
	if (more_len)
		stats_buf_append(&c->out, more, more_len);
	if (stats_buf_status(&c->out) < 0) {
		slow_disconnect(s, c);
		return false;
	}
	return flush(s, c);
}

bool stats_client_queue_reply_line(struct stats_server *s, struct stats_client *c)
{
	stats_buf_append(&s->reply, "\n", 1);
	return stats_client_queue(s, c, s->reply.data, s->reply.len);
}

static void accept_clients(struct stats_server *s, int listen_fd, bool http)
{
	for (unsigned i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct stats_client *c = NULL;

		if (fd < 0)
			return; /* EAGAIN, or EMFILE & co: the next wake-up retries */
		for (unsigned k = 0; k < s->config.max_clients && !c; k++)
			if (s->clients[k].fd < 0)
				c = &s->clients[k];
		if (!c) {
			const char *busy = http ? stats_http_busy : stats_unix_busy;

			/* Best effort: a fresh socket's buffer takes this short message. */
			(void)!send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
			continue;
		}
		if (s->config.client_sndbuf > 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s->config.client_sndbuf,
				   sizeof(s->config.client_sndbuf));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->http = http;
		stats_buf_init(&c->out, s->config.client_output_max + s->config.reply_max + 1);
		if (http)
			c->deadline_ms = stats_now_ms() + s->config.http_timeout_ms;
		if (epoll_set(s, EPOLL_CTL_ADD, fd, EPOLLIN, c - s->clients) < 0) {
			close(fd);
			c->fd = -1;
			continue;
		}
		c->events = EPOLLIN;
		s->n_clients++;
		atomic_store_explicit(&s->clients_now, s->n_clients, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->accepted, 1, memory_order_relaxed);
	}
}

/* Complete lines of the UNIX protocol; an over-long one is answered with an error and skipped. */
static void handle_lines(struct stats_server *s, struct stats_client *c)
{
	size_t start = 0;
	int fd = c->fd;

	for (size_t i = 0; i < c->in_len && c->fd == fd; i++) {
		if (c->in[i] != '\n')
			continue;
		c->in[i] = '\0';
		if (!c->discarding && memchr(c->in + start, '\0', i - start)) {
			/* A NUL would cut the line short (or make it look empty): refused whole. */
			atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
			stats_reply_error(s, c, "request contains a NUL byte");
		} else if (!c->discarding) {
			stats_handle_line(s, c, c->in + start);
		}
		c->discarding = false;
		start = i + 1;
	}
	if (c->fd != fd)
		return; /* disconnected while answering */
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len >= STATS_REQUEST_MAX) {
		if (!c->discarding) {
			atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
			stats_reply_error(s, c, "request longer than %d bytes", STATS_REQUEST_MAX);
		}
		if (c->fd != fd)
			return;
		c->discarding = true;
		c->in_len = 0;
	}
}

static void client_readable(struct stats_server *s, struct stats_client *c)
{
	size_t room = (c->http ? STATS_HTTP_REQUEST_MAX : STATS_REQUEST_MAX) - c->in_len;
	ssize_t n;

	if (c->draining || c->responded) {
		char sink[512];

		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
			return;
		if (c->draining) {
			stats_client_close(s, c);
			return;
		}
		c->read_closed = true; /* the response is still going out */
		update_events(s, c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			stats_client_close(s, c);
		return;
	}
	if (n == 0) {
		/* The peer is done sending; keep serving a watch or pending output. */
		c->read_closed = true;
		if (!c->watch_ms && !pending(c))
			stats_client_close(s, c);
		else
			update_events(s, c);
		return;
	}
	c->in_len += (size_t)n;
	if (c->http)
		stats_handle_http(s, c);
	else
		handle_lines(s, c);
}

static void client_event(struct stats_server *s, struct stats_client *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		stats_client_close(s, c);
		return;
	}
	if ((events & EPOLLOUT) && !flush(s, c))
		return;
	if (events & EPOLLIN)
		client_readable(s, c);
}

/* ---- timers ---- */

static uint64_t next_deadline(const struct stats_server *s, uint64_t now)
{
	uint64_t next = now + MAX_WAIT_MS;

	for (unsigned i = 0; i < s->config.max_clients; i++) {
		const struct stats_client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		if (c->watch_ms && c->next_watch_ms < next)
			next = c->next_watch_ms;
		if (c->deadline_ms && c->deadline_ms < next)
			next = c->deadline_ms;
		if (pending(c) && c->last_progress_ms + s->config.write_timeout_ms < next)
			next = c->last_progress_ms + s->config.write_timeout_ms;
	}
	return next;
}

static void run_timers(struct stats_server *s)
{
	uint64_t now = stats_now_ms();

	for (unsigned i = 0; i < s->config.max_clients; i++) {
		struct stats_client *c = &s->clients[i];

		if (c->fd >= 0 && pending(c) &&
		    now >= c->last_progress_ms + s->config.write_timeout_ms)
			slow_disconnect(s, c);
		if (c->fd >= 0 && c->deadline_ms && now >= c->deadline_ms)
			stats_client_close(s, c);
		if (c->fd >= 0 && c->watch_ms && now >= c->next_watch_ms) {
			c->next_watch_ms += c->watch_ms;
			if (c->next_watch_ms <= now) /* late: no burst to catch up */
				c->next_watch_ms = now + c->watch_ms;
			stats_watch_tick(s, c);
		}
	}
}

static void *server_thread(void *arg)
{
	struct stats_server *s = arg;
	struct epoll_event events[EVENTS_PER_WAIT];

	for (;;) {
		uint64_t now = stats_now_ms(), next = next_deadline(s, now);
		int n = epoll_wait(s->epoll_fd, events, EVENTS_PER_WAIT,
				   next > now ? (int)(next - now) : 0);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t token = events[i].data.u64;

			if (token == TOKEN_WAKE)
				return NULL;
			if (token == TOKEN_UNIX)
				accept_clients(s, s->unix_fd, false);
			else if (token == TOKEN_HTTP)
				accept_clients(s, s->http_fd, true);
			else if (token < s->config.max_clients && s->clients[token].fd >= 0)
				client_event(s, &s->clients[token], events[i].events);
		}
		run_timers(s);
	}
	return NULL;
}

int stats_server_start(struct stats_server *s)
{
	int r;

	if (s->started)
		return -EALREADY;
	r = pthread_create(&s->thread, NULL, server_thread, s);
	if (r)
		return -r;
	s->started = true;
	return 0;
}

void stats_server_stop(struct stats_server *s)
{
	uint64_t one = 1;

	if (!s || !s->started || s->stopped)
		return;
	(void)!write(s->wake_fd, &one, sizeof(one));
	pthread_join(s->thread, NULL);
	s->stopped = true;
	for (unsigned i = 0; i < s->config.max_clients; i++)
		stats_client_close(s, &s->clients[i]);
}

void stats_server_free(struct stats_server *s)
{
	if (!s)
		return;
	stats_server_stop(s);
	if (s->clients)
		for (unsigned i = 0; i < s->config.max_clients; i++)
			stats_client_close(s, &s->clients[i]);
	if (s->unix_fd >= 0) {
		close(s->unix_fd);
		if (s->socket_path[0])
			unlink(s->socket_path);
	}
	if (s->http_fd >= 0)
		close(s->http_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	stats_buf_free(&s->global_json);
	stats_buf_free(&s->reply);
	free(s->clients);
	free(s);
}

uint16_t stats_server_http_port(const struct stats_server *s)
{
	return s->http_port;
}

void stats_server_get_counters(const struct stats_server *s, struct stats_server_counters *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->clients = atomic_load_explicit(&s->clients_now, memory_order_relaxed);
	ret->accepted = atomic_load_explicit(&s->accepted, memory_order_relaxed);
	ret->refused = atomic_load_explicit(&s->refused, memory_order_relaxed);
	ret->slow_disconnects = atomic_load_explicit(&s->slow_disconnects, memory_order_relaxed);
	ret->requests = atomic_load_explicit(&s->requests, memory_order_relaxed);
	ret->request_errors = atomic_load_explicit(&s->request_errors, memory_order_relaxed);
	ret->provider_failures = atomic_load_explicit(&s->provider_failures, memory_order_relaxed);
}
