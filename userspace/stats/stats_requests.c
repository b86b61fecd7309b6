// SPDX-License-Identifier: MIT
/*
 * What a stats request means: the line protocol of the UNIX socket and HTTP GET /metrics, the
 * provider calls behind them and the short-lived cache of the global snapshot; see
 * stats_server.h for the protocol and stats_server.c for the sockets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats/stats_server_internal.h"

const char stats_unix_busy[] = "{\"error\":\"too many clients\"}\n";
const char stats_http_busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 17\r\nConnection: close\r\n\r\ntoo many clients\n";

static const char help_reply[] =
    "{\"commands\":[\"stats\",\"metrics\",\"sessions [OFFSET [LIMIT]]\",\"session ID\","
    "\"watch MS\",\"help\"]}\n";

void stats_reply_error(struct stats_server *s, struct stats_client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add_explicit(&s->request_errors, 1, memory_order_relaxed);
	stats_buf_reset(&s->reply);
	stats_render_error_json(msg, &s->reply);
	stats_client_queue_reply_line(s, c);
}

static uint64_t unix_time_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The global snapshot, fresh or at most snapshot_cache_ms old. Returns 0 or the provider's error.
 */
static int global_snapshot(struct stats_server *s)
{
	uint64_t now = stats_now_ms();
	int r;

	if (s->global_valid && now - s->global_at_ms < s->config.snapshot_cache_ms)
		return 0;
	s->global_valid = false;
	s->global_json_valid = false;
	memset(&s->global, 0, sizeof(s->global));
	r = s->provider.global(s->provider.opaque, &s->global);
	if (r < 0) {
		atomic_fetch_add_explicit(&s->provider_failures, 1, memory_order_relaxed);
		return r;
	}
	if (!s->global.time_unix_ms)
		s->global.time_unix_ms = unix_time_ms();
	stats_server_get_counters(s, &s->global.server);
	s->global_at_ms = now;
	s->global_valid = true;
	return 0;
}

/* Renders the global JSON into s->global_json (shared by every watcher of this tick). */
static int global_json(struct stats_server *s)
{
	int r = global_snapshot(s);

	if (r < 0 || s->global_json_valid)
		return r;
	stats_buf_reset(&s->global_json);
	r = stats_render_global_json(&s->global, &s->global_json);
	if (r < 0)
		return r;
	stats_buf_append(&s->global_json, "\n", 1);
	r = stats_buf_status(&s->global_json);
	s->global_json_valid = r == 0;
	return r;
}

static const char *failure(int r, char *buf, size_t len)
{
	if (r == -E2BIG)
		return "reply larger than reply_max";
	snprintf(buf, len, "snapshot unavailable: %s", strerror(-r));
	return buf;
}

static void reply_global(struct stats_server *s, struct stats_client *c)
{
	char text[128];
	int r = global_json(s);

	if (r < 0) {
		stats_reply_error(s, c, "%s", failure(r, text, sizeof(text)));
		return;
	}
	stats_client_queue(s, c, s->global_json.data, s->global_json.len);
}

void stats_watch_tick(struct stats_server *s, struct stats_client *c)
{
	reply_global(s, c);
}

/* The exposition text into s->reply. */
static int render_metrics(struct stats_server *s)
{
	const struct stats_provider *sessions = NULL;
	int r = global_snapshot(s);

	if (r < 0)
		return r;
	if (s->provider.foreach_session &&
	    stats_per_session_enabled(s->config.per_session_metrics, s->config.per_session_auto_max,
				      s->global.sessions_active))
		sessions = &s->provider;
	stats_buf_reset(&s->reply);
	r = stats_render_metrics(&s->global, sessions, &s->reply);
	if (r < 0 && r != -E2BIG && r != -ENOMEM)
		atomic_fetch_add_explicit(&s->provider_failures, 1, memory_order_relaxed);
	return r;
}

static void reply_metrics(struct stats_server *s, struct stats_client *c)
{
	char text[128];
	int r = render_metrics(s);

	if (r < 0) {
		stats_reply_error(s, c, "%s", failure(r, text, sizeof(text)));
		return;
	}
	/* The exposition never has an empty line: one ends the reply. */
	stats_buf_append(&s->reply, "\n", 1);
	stats_client_queue(s, c, s->reply.data, s->reply.len);
}

/* A decimal number of up to 19 digits, nothing else. */
static bool parse_u64(const char *text, uint64_t *ret)
{
	char *end;

	if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 19)
		return false;
	*ret = strtoull(text, &end, 10);
	return true;
}

static void reply_sessions(struct stats_server *s, struct stats_client *c, const char *offset_arg,
			   const char *limit_arg)
{
	uint64_t offset = 0, limit = 0;
	char text[128];
	int r;

	if ((offset_arg && !parse_u64(offset_arg, &offset)) ||
	    (limit_arg && !parse_u64(limit_arg, &limit))) {
		stats_reply_error(s, c, "usage: sessions [OFFSET [LIMIT]]");
		return;
	}
	if (!s->provider.foreach_session) {
		stats_reply_error(s, c, "sessions not available");
		return;
	}
	stats_buf_reset(&s->reply);
	r = stats_render_sessions_json(&s->provider, offset, limit, &s->reply);
	if (r < 0) {
		if (r != -E2BIG && r != -ENOMEM)
			atomic_fetch_add_explicit(&s->provider_failures, 1, memory_order_relaxed);
		stats_reply_error(s, c, "%s%s", failure(r, text, sizeof(text)),
				  r == -E2BIG ? "; ask with OFFSET and LIMIT" : "");
		return;
	}
	stats_client_queue_reply_line(s, c);
}

static void reply_session(struct stats_server *s, struct stats_client *c, const char *id_arg)
{
	struct stats_session session;
	uint64_t id;
	char text[128];
	int r;

	if (!parse_u64(id_arg, &id) || id > UINT32_MAX) {
		stats_reply_error(s, c, "usage: session ID");
		return;
	}
	if (!s->provider.session) {
		stats_reply_error(s, c, "sessions not available");
		return;
	}
	memset(&session, 0, sizeof(session));
	r = s->provider.session(s->provider.opaque, (uint32_t)id, &session);
	if (r == -ENOENT) {
		stats_reply_error(s, c, "no session %llu", (unsigned long long)id);
		return;
	}
	if (r < 0) {
		atomic_fetch_add_explicit(&s->provider_failures, 1, memory_order_relaxed);
		stats_reply_error(s, c, "%s", failure(r, text, sizeof(text)));
		return;
	}
	stats_buf_reset(&s->reply);
	r = stats_render_session_json(&session, &s->reply);
	if (r < 0) {
		stats_reply_error(s, c, "%s", failure(r, text, sizeof(text)));
		return;
	}
	stats_client_queue_reply_line(s, c);
}

static void start_watch(struct stats_server *s, struct stats_client *c, const char *ms_arg)
{
	uint64_t ms;

	if (!parse_u64(ms_arg, &ms) ||
	    (ms && (ms < s->config.watch_min_ms || ms > STATS_WATCH_MAX_MS))) {
		stats_reply_error(s, c, "usage: watch MS (%u..%u, 0 stops)", s->config.watch_min_ms,
				  STATS_WATCH_MAX_MS);
		return;
	}
	c->watch_ms = ms;
	if (!ms)
		return;
	c->next_watch_ms = stats_now_ms() + ms;
	stats_watch_tick(s, c);
}

#define MAX_WORDS 4

void stats_handle_line(struct stats_server *s, struct stats_client *c, char *line)
{
	char *words[MAX_WORDS + 1] = {0}, *save = NULL;
	unsigned n = 0;

	if (strspn(line, " \t\r") == strlen(line))
		return; /* empty lines are ignored */
	atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
	for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS) {
			stats_reply_error(s, c, "too many arguments");
			return;
		}
		words[n++] = w;
	}
	if (!strcmp(words[0], "stats") && n == 1)
		reply_global(s, c);
	else if (!strcmp(words[0], "metrics") && n == 1)
		reply_metrics(s, c);
	else if (!strcmp(words[0], "sessions") && n <= 3)
		reply_sessions(s, c, words[1], words[2]);
	else if (!strcmp(words[0], "session") && n == 2)
		reply_session(s, c, words[1]);
	else if (!strcmp(words[0], "watch") && n == 2)
		start_watch(s, c, words[1]);
	else if (!strcmp(words[0], "help") && n == 1)
		stats_client_queue(s, c, help_reply, sizeof(help_reply) - 1);
	else
		stats_reply_error(s, c, "unknown request; try help");
}

/* ---- HTTP ---- */

static void http_respond(struct stats_server *s, struct stats_client *c, const char *status,
			 const char *extra_headers, const char *body, size_t body_len, bool head)
{
	char header[512];
	int n;

	n = snprintf(header, sizeof(header),
		     "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		     extra_headers, body_len);
	c->responded = true;
	c->deadline_ms = 0;
	stats_client_queue2(s, c, header, (size_t)n, body, head ? 0 : body_len);
}

static void http_error(struct stats_server *s, struct stats_client *c, const char *status,
		       const char *extra_headers, bool head)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	atomic_fetch_add_explicit(&s->request_errors, 1, memory_order_relaxed);
	http_respond(s, c, status, extra_headers, body, (size_t)n, head);
}

/* GET or HEAD of /metrics (a query string is ignored): the exposition. */
static void http_metrics(struct stats_server *s, struct stats_client *c, bool head)
{
	int r = render_metrics(s);

	if (r < 0) {
		http_error(s, c,
			   r == -E2BIG ? "500 Internal Server Error" : "503 Service Unavailable",
			   "Content-Type: text/plain\r\n", head);
		return;
	}
	http_respond(s, c, "200 OK", "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
		     s->reply.data, s->reply.len, head);
}

bool stats_handle_http(struct stats_server *s, struct stats_client *c)
{
	char method[16], target[256], version[16];
	bool head;

	c->in[c->in_len] = '\0';
	if (!strstr(c->in, "\r\n\r\n") && !strstr(c->in, "\n\n")) {
		if (c->in_len < STATS_HTTP_REQUEST_MAX)
			return false;
		atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
		http_error(s, c, "431 Request Header Fields Too Large", "", false);
		return true;
	}
	atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
	if (sscanf(c->in, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		http_error(s, c, "400 Bad Request", "", false);
		return true;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head)
		http_error(s, c, "405 Method Not Allowed", "Allow: GET, HEAD\r\n", false);
	else if (strcmp(target, "/metrics") && strncmp(target, "/metrics?", 9))
		http_error(s, c, "404 Not Found", "", head);
	else
		http_metrics(s, c, head);
	return true;
}
