/* SPDX-License-Identifier: MIT */
/*
 * What stats_server.c (sockets, clients, the loop) and stats_requests.c (what a request means:
 * the line protocol and HTTP GET /metrics) share. Private to userspace/stats.
 */
#ifndef SLUICE_STATS_SERVER_INTERNAL_H
#define SLUICE_STATS_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "stats/stats_server.h"

struct stats_client {
	int fd; /* -1: free slot */
	bool http;
	bool read_closed; /* the peer shut its write side: no more requests */
	bool responded;	  /* HTTP: the response is queued; no more requests */
	bool draining;	  /* HTTP reply sent, write side shut: discard input until EOF */
	bool discarding;  /* skipping the rest of an over-long request line */
	char in[STATS_HTTP_REQUEST_MAX + 1];
	size_t in_len;
	struct stats_buf out; /* out.data[out_off..out.len) is still to be sent */
	size_t out_off;
	uint32_t events;	   /* what epoll watches for this fd */
	uint64_t watch_ms;	   /* 0: not watching */
	uint64_t next_watch_ms;	   /* monotonic */
	uint64_t last_progress_ms; /* last write progress, or when output became pending */
	uint64_t deadline_ms;	   /* HTTP: request head or drain deadline; 0: none */
};

struct stats_server {
	struct stats_server_config config; /* defaults filled in */
	struct stats_provider provider;
	char socket_path[108];
	gid_t socket_gid;
	bool has_gid;
	int unix_fd, http_fd, epoll_fd, wake_fd;
	uint16_t http_port;
	struct stats_client *clients; /* config.max_clients slots */
	unsigned n_clients;

	/* The global snapshot and its JSON, reused within snapshot_cache_ms. */
	struct stats_global global;
	uint64_t global_at_ms;
	bool global_valid;
	struct stats_buf global_json;
	bool global_json_valid;
	struct stats_buf reply; /* scratch: one rendered reply */

	pthread_t thread;
	bool started, stopped;

	_Atomic uint64_t accepted, refused, slow_disconnects, requests, request_errors,
	    provider_failures, clients_now;
};

uint64_t stats_now_ms(void);

/* Queue bytes for a client; false when the client was disconnected (slow) instead. */
bool stats_client_queue(struct stats_server *s, struct stats_client *c, const char *data,
			size_t len);
/* The same with two parts, sent as one (an HTTP head and its body). */
bool stats_client_queue2(struct stats_server *s, struct stats_client *c, const char *data,
			 size_t len, const char *more, size_t more_len);
/* Queue s->reply followed by a newline (JSON replies). */
bool stats_client_queue_reply_line(struct stats_server *s, struct stats_client *c);
void stats_client_close(struct stats_server *s, struct stats_client *c);

/* One complete line of the UNIX protocol (without its newline). */
void stats_handle_line(struct stats_server *s, struct stats_client *c, char *line);
/* An error reply line, counted in request_errors. */
void stats_reply_error(struct stats_server *s, struct stats_client *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A watch tick: the global object as one line. */
void stats_watch_tick(struct stats_server *s, struct stats_client *c);
/*
 * An HTTP client's input so far: answers once the request head is complete. Returns true when
 * a response was queued (the client then drains), false when more input is needed.
 */
bool stats_handle_http(struct stats_server *s, struct stats_client *c);
/* The 503 a refused HTTP client gets, and the error line a refused UNIX client gets. */
extern const char stats_http_busy[];
extern const char stats_unix_busy[];

#endif
