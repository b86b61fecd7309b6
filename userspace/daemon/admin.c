// SPDX-License-Identifier: MIT
/*
 * The admin socket server: accepting, reading one line, replying, closing; see admin.h. All
 * sockets are non-blocking and every connection has a slot, a request size cap and a deadline,
 * so a stuck or hostile client cannot hold the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/admin.h"

#define LISTEN_SLOT UINT32_MAX

struct admin_client {
	int fd; /* -1: free slot */
	char request[ADMIN_MAX_REQUEST + 1];
	size_t request_len;
	struct json reply;
	size_t reply_sent;
	bool replying;
	bool draining; /* reply sent and write side shut: discard input until the client's EOF */
	uint64_t deadline_ms;
};

struct admin {
	int listen_fd;
	int epoll_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	admin_handler_fn handler;
	void *userdata;
	struct admin_client clients[ADMIN_MAX_CLIENTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int make_address(const char *path, struct sockaddr_un *ret)
{
	if (strlen(path) >= sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	snprintf(ret->sun_path, sizeof(ret->sun_path), "%s", path);
	return 0;
}

int admin_check_not_running(const char *path)
{
	struct sockaddr_un sun;
	int fd, r;

	r = make_address(path, &sun);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? -EADDRINUSE : 0;
	close(fd);
	if (r == 0 && unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

/* Create the parent directory (0755) if missing; one level is enough for /run/sluice. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int listen_on(const char *path, int *ret_fd)
{
	struct sockaddr_un sun;
	mode_t old_umask;
	int fd, r;

	r = make_address(path, &sun);
	if (r < 0)
		return r;
	r = make_parent(path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	old_umask = umask(0177); /* the socket is born 0600 */
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	umask(old_umask);
	if (r < 0)
		goto close_fd;
	if (chmod(path, 0600) < 0 || listen(fd, ADMIN_MAX_CLIENTS) < 0) {
		r = -errno;
		goto unlink_path;
	}
	*ret_fd = fd;
	return 0;

unlink_path:
	unlink(path);
close_fd:
	close(fd);
	return r;
}

int admin_new(const char *path, admin_handler_fn handler, void *userdata, struct admin **ret)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = LISTEN_SLOT};
	struct admin *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (unsigned i = 0; i < ADMIN_MAX_CLIENTS; i++)
		a->clients[i].fd = -1;
	a->handler = handler;
	a->userdata = userdata;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epoll_fd < 0) {
		r = -errno;
		goto free_admin;
	}
	r = listen_on(path, &a->listen_fd);
	if (r < 0)
		goto close_epoll;
	if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->listen_fd, &ev) < 0) {
		r = -errno;
		goto close_listen;
	}
	*ret = a;
	return 0;

close_listen:
	close(a->listen_fd);
	unlink(path);
close_epoll:
	close(a->epoll_fd);
free_admin:
	free(a);
	return r;
}

static void client_close(struct admin *a, struct admin_client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(a->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	json_done(&c->reply);
	c->fd = -1;
}

struct admin *admin_free(struct admin *a)
{
	if (!a)
		return NULL;
	for (unsigned i = 0; i < ADMIN_MAX_CLIENTS; i++)
		client_close(a, &a->clients[i]);
	close(a->listen_fd);
	unlink(a->path);
	close(a->epoll_fd);
	free(a);
	return NULL;
}

int admin_fd(const struct admin *a)
{
	return a->epoll_fd;
}

static void reply_error(struct json *reply, const char *message)
{
	json_reset(reply);
	json_object_begin(reply);
	json_kv_string(reply, "result", "error");
	json_kv_string(reply, "error", message);
	json_object_end(reply);
}

/*
 * Closing with unread input would reset the connection and could destroy the reply in flight
 * (a request that was too long): shut the write side and wait for the client's EOF instead.
 */
static void client_drain(struct admin *a, struct admin_client *c)
{
	char discard[512];
	ssize_t n;

	while ((n = recv(c->fd, discard, sizeof(discard), MSG_DONTWAIT)) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		client_close(a, c);
}

/* Send what is left of the reply; then drain. Close on error. */
static void client_write(struct admin *a, struct admin_client *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - a->clients)};

	while (c->reply_sent < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.buf + c->reply_sent, c->reply.len - c->reply_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			client_close(a, c);
			return;
		}
		c->reply_sent += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	c->draining = true;
	epoll_ctl(a->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
	client_drain(a, c);
}

static void client_answer(struct admin *a, struct admin_client *c, const char *error)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)(c - a->clients)};

	json_init(&c->reply);
	if (error)
		reply_error(&c->reply, error);
	else
		a->handler(a->userdata, c->request, &c->reply);
	/* The request may have carried SRTP keys. */
	explicit_bzero(c->request, sizeof(c->request));
	if (json_finish(&c->reply) < 0) {
		client_close(a, c);
		return;
	}
	c->replying = true;
	epoll_ctl(a->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
	client_write(a, c);
}

/* Read until a full line; answer it. A request without '\n' before EOF counts as a line. */
static void client_read(struct admin *a, struct admin_client *c)
{
	for (;;) {
		size_t room = ADMIN_MAX_REQUEST - c->request_len;
		ssize_t n = recv(c->fd, c->request + c->request_len, room, MSG_DONTWAIT);
		char *newline;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0 || (n == 0 && c->request_len == 0)) {
			client_close(a, c);
			return;
		}
		c->request_len += (size_t)n;
		c->request[c->request_len] = '\0';
		newline = memchr(c->request, '\n', c->request_len);
		if (newline || n == 0) {
			if (newline)
				*newline = '\0';
			c->request[strcspn(c->request, "\r")] = '\0';
			client_answer(a, c, NULL);
			return;
		}
		if (c->request_len == ADMIN_MAX_REQUEST) {
			client_answer(a, c, "request too long");
			return;
		}
	}
}

static void accept_clients(struct admin *a)
{
	for (;;) {
		int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct admin_client *c = NULL;
		struct epoll_event ev = {.events = EPOLLIN};

		if (fd < 0)
			return;
		for (unsigned i = 0; i < ADMIN_MAX_CLIENTS && !c; i++)
			if (a->clients[i].fd < 0)
				c = &a->clients[i];
		if (!c) {
			static const char busy[] =
			    "{\"result\":\"error\",\"error\":\"too many clients\"}\n";

			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		ev.data.u32 = (uint32_t)(c - a->clients);
		if (epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		*c = (struct admin_client){.fd = fd,
					   .deadline_ms = now_ms() + ADMIN_CLIENT_TIMEOUT_MS};
	}
}

void admin_process(struct admin *a)
{
	struct epoll_event events[ADMIN_MAX_CLIENTS + 1];
	uint64_t now;
	int n;

	n = epoll_wait(a->epoll_fd, events, ADMIN_MAX_CLIENTS + 1, 0);
	for (int i = 0; i < n; i++) {
		struct admin_client *c;

		if (events[i].data.u32 == LISTEN_SLOT) {
			accept_clients(a);
			continue;
		}
		c = &a->clients[events[i].data.u32];
		if (c->fd < 0)
			continue;
		if (c->draining)
			client_drain(a, c);
		else if (c->replying)
			client_write(a, c);
		else
			client_read(a, c);
	}
	now = now_ms();
	for (unsigned i = 0; i < ADMIN_MAX_CLIENTS; i++)
		if (a->clients[i].fd >= 0 && now > a->clients[i].deadline_ms)
			client_close(a, &a->clients[i]);
}
