/* SPDX-License-Identifier: MIT */
/*
 * The stats socket: a UNIX stream socket (and optionally an HTTP /metrics listener) served by its
 * own thread with an epoll loop. Many readers at once; each request is one line and gets one reply
 * (docs/stats.md):
 *
 *   stats                      global JSON object, one line
 *   metrics                    Prometheus text (format 0.0.4), then one empty line
 *   sessions [OFFSET [LIMIT]]  {"sessions":[...],"count":N,"truncated":bool}, one line
 *   session ID                 {"session":{...}}, one line
 *   watch MS                   the `stats` object now and every MS ms (MS >= watch_min_ms) until
 *                              the client leaves; `watch 0` stops
 *   help                       {"commands":[...]}
 *
 * Anything else gets {"error":"..."} and the connection keeps serving. Nothing a client does can
 * block the others: sockets are non-blocking; a client whose queued output exceeds
 * client_output_max, or whose output makes no progress for write_timeout_ms, is disconnected and
 * counted; connections over max_clients are refused with an error line (HTTP: 503) and counted.
 *
 * The snapshot comes from the daemon's stats_provider, called on this server's thread only. The
 * server never logs; stats_server_get_counters() says what happened.
 */
#ifndef SLUICE_STATS_SERVER_H
#define SLUICE_STATS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "stats/stats_render.h"
#include "stats/stats_snapshot.h"

#define STATS_DEFAULT_SOCKET_MODE	0660
#define STATS_DEFAULT_MAX_CLIENTS	16
#define STATS_DEFAULT_CLIENT_OUTPUT_MAX (1u << 20)
#define STATS_DEFAULT_REPLY_MAX		(16u << 20)
#define STATS_DEFAULT_WRITE_TIMEOUT_MS	10000
#define STATS_DEFAULT_HTTP_TIMEOUT_MS	10000
#define STATS_DEFAULT_WATCH_MIN_MS	100
#define STATS_DEFAULT_SNAPSHOT_CACHE_MS 10
#define STATS_DEFAULT_HTTP_LISTEN	"127.0.0.1:9464"
/* Longest request line of the UNIX protocol, and longest HTTP request head. */
#define STATS_REQUEST_MAX      256
#define STATS_HTTP_REQUEST_MAX 8192
#define STATS_WATCH_MAX_MS     3600000

/* Zero fields take the defaults above. */
struct stats_server_config {
	const char *socket_path;  /* UNIX socket; NULL: none */
	const char *socket_group; /* group of the socket (by name); NULL: the process's group */
	unsigned socket_mode;	  /* 0: 0660 */
	const char *http_listen;  /* "ADDR:PORT" for GET /metrics (port 0: ephemeral); NULL: none */
	unsigned max_clients;	  /* connected clients, UNIX and HTTP together */
	size_t client_output_max; /* output queued for one client beyond which it is dropped */
	size_t reply_max;	  /* largest single reply (rendered) */
	unsigned write_timeout_ms;  /* pending output without progress for this long: dropped */
	unsigned http_timeout_ms;   /* an HTTP request head must arrive within this */
	unsigned watch_min_ms;	    /* shortest `watch` interval */
	unsigned snapshot_cache_ms; /* a global snapshot is reused for this long */
	int client_sndbuf;	    /* SO_SNDBUF of accepted sockets; 0: the system's */
	enum stats_per_session per_session_metrics;
	unsigned per_session_auto_max; /* 0: STATS_PER_SESSION_AUTO_MAX */
};

struct stats_server;

/*
 * Creates the listeners (a stale UNIX socket file is replaced; a live one is -EADDRINUSE; the
 * group must exist: -ENOENT otherwise) without starting the thread. The provider is copied; its
 * global callback is required, the session ones may be NULL (those requests then fail).
 * Returns 0 or a negative errno.
 */
int stats_server_new(const struct stats_server_config *config,
		     const struct stats_provider *provider, struct stats_server **ret_server);
/* Starts the server's thread. Returns 0, -EALREADY, or a negative errno. */
int stats_server_start(struct stats_server *s);
/* Stops and joins the thread; clients are disconnected. Idempotent. */
void stats_server_stop(struct stats_server *s);
/* Stops, closes the listeners and removes the socket file. Accepts NULL. */
void stats_server_free(struct stats_server *s);

/* The HTTP listener's port (host order), 0 without one. */
uint16_t stats_server_http_port(const struct stats_server *s);
/* The server's counters, from any thread. */
void stats_server_get_counters(const struct stats_server *s, struct stats_server_counters *ret);

#endif
