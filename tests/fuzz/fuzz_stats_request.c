// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the stats socket's requests (userspace/stats/stats_requests.c) against a
 * stats server (its listener unused) and the fake provider of the unit tests. The first byte picks
 * the protocol: even, the UNIX line protocol (the rest split at newlines as the server splits
 * it: lines with a NUL or longer than STATS_REQUEST_MAX are refused there, never handed on);
 * odd, one HTTP request head. Each input gets a fresh client on one end of a socketpair; the
 * replies are read back and must end with a newline (line protocol) or be an HTTP response.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../unit/test_stats_fake.h"
#include "stats/stats_server_internal.h"

static struct stats_server *server;
static struct fake_provider fake = {.n_sessions = 3};

static struct stats_server *get_server(void)
{
	/* The server wants a listener: an ephemeral loopback port that nobody connects to. */
	struct stats_server_config cfg = {
	    .http_listen = "127.0.0.1:0", .max_clients = 1, .watch_min_ms = 100};
	struct stats_provider p;

	if (server)
		return server;
	p = fake_provider(&fake);
	if (stats_server_new(&cfg, &p, &server) < 0)
		abort();
	return server;
}

/* A client in slot 0 on one end of a socketpair; the other end is returned. */
static struct stats_client *open_client(struct stats_server *s, bool http, int *ret_peer)
{
	struct stats_client *c = &s->clients[0];
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	memset(c, 0, sizeof(*c));
	c->fd = sv[0];
	c->http = http;
	c->events = EPOLLIN;
	if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		abort();
	s->n_clients = 1;
	*ret_peer = sv[1];
	return c;
}

/* Reads what the client was sent; returns its last byte (0 if nothing) and the first bytes. */
static int drain(int peer, char *head, size_t head_len, size_t *ret_total)
{
	char buf[65536];
	int last = 0;
	ssize_t n;

	*ret_total = 0;
	while ((n = read(peer, buf, sizeof(buf))) > 0) {
		if (*ret_total < head_len) {
			size_t take =
			    head_len - *ret_total < (size_t)n ? head_len - *ret_total : (size_t)n;
			memcpy(head + *ret_total, buf, take);
		}
		*ret_total += (size_t)n;
		last = (unsigned char)buf[n - 1];
	}
	return last;
}

static void handle_lines(struct stats_server *s, struct stats_client *c, const char *data,
			 size_t size)
{
	char line[STATS_REQUEST_MAX];
	size_t start = 0;

	while (start < size && c->fd >= 0) {
		const char *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;

		if (len < STATS_REQUEST_MAX && !memchr(data + start, '\0', len)) {
			memcpy(line, data + start, len);
			line[len] = '\0';
			stats_handle_line(s, c, line);
		}
		start += len + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stats_server *s = get_server();
	struct stats_client *c;
	char head[16] = "";
	size_t total;
	int peer, last;
	bool http;

	if (size < 1)
		return 0;
	http = data[0] & 1;
	data++;
	size--;
	c = open_client(s, http, &peer);
	if (http) {
		size = size < STATS_HTTP_REQUEST_MAX ? size : STATS_HTTP_REQUEST_MAX;
		memcpy(c->in, data, size);
		c->in_len = size;
		stats_handle_http(s, c);
	} else {
		handle_lines(s, c, (const char *)data, size);
	}
	last = drain(peer, head, sizeof(head), &total);
	if (total && !http && last != '\n')
		abort();
	if (total && http && memcmp(head, "HTTP/1.1 ", 9) != 0)
		abort();
	stats_client_close(s, c);
	close(peer);
	return 0;
}
