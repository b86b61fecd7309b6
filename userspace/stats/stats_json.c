// SPDX-License-Identifier: MIT
/*
 * The JSON renderers: the global object (`stats`, `watch`), one session (`session <id>`) and the
 * session list (`sessions`). Member names are documented in docs/stats.md; label-like keys come
 * from the name tables of stats_snapshot.h.
 */
#include <errno.h>

#include "stats/stats_render.h"

/* {"name":value,...} over a table's named slots. */
static void counters_object(struct stats_json *j, const char *key, const struct stats_names *names,
			    const uint64_t *values, bool skip_zero)
{
	stats_json_key(j, key);
	stats_json_object_begin(j);
	for (unsigned i = 0; i < names->count; i++) {
		const char *name = stats_name(names, i);

		if (name && (!skip_zero || values[i]))
			stats_json_kv_uint(j, name, values[i]);
	}
	stats_json_object_end(j);
}

static void drops_object(struct stats_json *j, const uint64_t *xdp, const uint64_t *userspace,
			 bool skip_zero)
{
	stats_json_key(j, "drops");
	stats_json_object_begin(j);
	counters_object(j, stats_name(&stats_source_names, STATS_SOURCE_XDP), &stats_xdp_drop_names,
			xdp, skip_zero);
	counters_object(j, stats_name(&stats_source_names, STATS_SOURCE_USERSPACE),
			&stats_userspace_drop_names, userspace, skip_zero);
	stats_json_object_end(j);
}

static void control_object(struct stats_json *j, const struct stats_global *g)
{
	stats_json_key(j, "control_requests");
	stats_json_object_begin(j);
	for (unsigned c = 0; c < STATS_CTL_CMD_MAX; c++) {
		const char *name = stats_name(&stats_ctl_command_names, c);

		if (name)
			counters_object(j, name, &stats_ctl_result_names, g->control_requests[c],
					false);
	}
	stats_json_object_end(j);
}

static void workers_array(struct stats_json *j, const struct stats_global *g)
{
	unsigned n = g->n_workers < STATS_MAX_WORKERS ? g->n_workers : STATS_MAX_WORKERS;

	stats_json_key(j, "workers");
	stats_json_array_begin(j);
	for (unsigned w = 0; w < n; w++) {
		const struct stats_worker *wk = &g->workers[w];

		stats_json_object_begin(j);
		stats_json_kv_uint(j, "worker", w);
		stats_json_kv_uint(j, "busy_ns", wk->busy_ns);
		stats_json_kv_uint(j, "wall_ns", wk->wall_ns);
		stats_json_key(j, "utilization");
		if (wk->wall_ns)
			stats_json_double(j, (double)wk->busy_ns / (double)wk->wall_ns, 4);
		else
			stats_json_null(j);
		stats_json_kv_uint(j, "rx_packets", wk->rx_packets);
		stats_json_kv_uint(j, "tx_packets", wk->tx_packets);
		stats_json_kv_bool(j, "af_xdp", wk->af_xdp);
		stats_json_kv_uint(j, "af_xdp_rx_packets", wk->af_xdp_rx_packets);
		stats_json_kv_uint(j, "af_xdp_tx_packets", wk->af_xdp_tx_packets);
		stats_json_object_end(j);
	}
	stats_json_array_end(j);
}

static void af_xdp_object(struct stats_json *j, const struct stats_af_xdp *x)
{
	stats_json_key(j, "af_xdp");
	stats_json_object_begin(j);
	stats_json_kv_uint(j, "workers", x->workers);
	stats_json_kv_uint(j, "rx_packets", x->rx_packets);
	stats_json_kv_uint(j, "tx_packets", x->tx_packets);
	stats_json_kv_uint(j, "fallback_packets", x->fallback_packets);
	stats_json_kv_uint(j, "bad_frames", x->bad_frames);
	stats_json_key(j, "kernel");
	stats_json_object_begin(j);
	stats_json_kv_uint(j, "rx_dropped", x->kernel_rx_dropped);
	stats_json_kv_uint(j, "rx_ring_full", x->kernel_rx_ring_full);
	stats_json_kv_uint(j, "fill_ring_empty", x->kernel_fill_ring_empty);
	stats_json_kv_uint(j, "rx_invalid", x->kernel_rx_invalid);
	stats_json_kv_uint(j, "tx_invalid", x->kernel_tx_invalid);
	stats_json_object_end(j);
	stats_json_object_end(j);
}

/* Per-bucket counts (not cumulative); counts[i] is "at most bounds_ns[i]", the last "above". */
static void histogram_object(struct stats_json *j, const char *key, const struct stats_histogram *h)
{
	uint64_t count = 0;

	stats_json_key(j, key);
	stats_json_object_begin(j);
	for (unsigned i = 0; i < STATS_HIST_BUCKETS; i++)
		count += h->buckets[i];
	stats_json_kv_uint(j, "count", count);
	stats_json_kv_uint(j, "sum_ns", h->sum_ns);
	stats_json_key(j, "bounds_ns");
	stats_json_array_begin(j);
	for (unsigned i = 0; i < STATS_HIST_BOUNDED; i++)
		stats_json_uint(j, stats_hist_bound_ns(i));
	stats_json_array_end(j);
	stats_json_key(j, "counts");
	stats_json_array_begin(j);
	for (unsigned i = 0; i < STATS_HIST_BUCKETS; i++)
		stats_json_uint(j, h->buckets[i]);
	stats_json_array_end(j);
	stats_json_object_end(j);
}

static void rtp_object(struct stats_json *j, const struct stats_global *g)
{
	stats_json_key(j, "rtp");
	stats_json_object_begin(j);
	stats_json_kv_uint(j, "streams", g->rtp_streams);
	stats_json_kv_uint(j, "expected", g->rtp_expected);
	stats_json_kv_int(j, "lost", g->rtp_lost);
	stats_json_kv_double(j, "jitter_max_seconds", g->rtp_jitter_max_seconds, 6);
	stats_json_kv_double(
	    j, "jitter_mean_seconds",
	    g->rtp_streams ? g->rtp_jitter_sum_seconds / (double)g->rtp_streams : 0, 6);
	stats_json_object_end(j);
}

static void server_object(struct stats_json *j, const struct stats_server_counters *c)
{
	stats_json_key(j, "stats_server");
	stats_json_object_begin(j);
	stats_json_kv_uint(j, "clients", c->clients);
	stats_json_kv_uint(j, "accepted", c->accepted);
	stats_json_kv_uint(j, "refused", c->refused);
	stats_json_kv_uint(j, "slow_disconnects", c->slow_disconnects);
	stats_json_kv_uint(j, "requests", c->requests);
	stats_json_kv_uint(j, "request_errors", c->request_errors);
	stats_json_kv_uint(j, "provider_failures", c->provider_failures);
	stats_json_object_end(j);
}

int stats_render_global_json(const struct stats_global *g, struct stats_buf *out)
{
	struct stats_json j;

	stats_json_init(&j, out);
	stats_json_object_begin(&j);
	stats_json_kv_uint(&j, "time_unix_ms", g->time_unix_ms);
	stats_json_key(&j, "sessions");
	stats_json_object_begin(&j);
	stats_json_kv_uint(&j, "active", g->sessions_active);
	stats_json_kv_uint(&j, "total", g->sessions_total);
	stats_json_kv_uint(&j, "max", g->sessions_max);
	stats_json_object_end(&j);
	counters_object(&j, "packets", &stats_path_names, g->packets, false);
	counters_object(&j, "bytes", &stats_path_names, g->bytes, false);
	stats_json_kv_uint(&j, "xdp_pass_packets", g->xdp_pass_packets);
	stats_json_kv_uint(&j, "xdp_fib_no_neigh", g->xdp_fib_no_neigh);
	stats_json_kv_uint(&j, "xdp_xsk_redirects", g->xdp_xsk_redirects);
	drops_object(&j, g->xdp_drops, g->userspace_drops, false);
	counters_object(&j, "srtp_failures", &stats_srtp_failure_names, g->srtp_failures, false);
	control_object(&j, g);
	counters_object(&j, "tls_handshake_failures", &stats_tls_refusal_names,
			g->tls_handshake_failures, false);
	workers_array(&j, g);
	af_xdp_object(&j, &g->af_xdp);
	histogram_object(&j, "userspace_processing", &g->userspace_processing);
	rtp_object(&j, g);
	server_object(&j, &g->server);
	stats_json_object_end(&j);
	return stats_buf_status(out);
}

static void endpoint_value(struct stats_json *j, const struct endpoint *ep)
{
	char text[ENDPOINT_STR_MAX];

	stats_json_string(j, endpoint_format(ep, text, sizeof(text)));
}

static void stream_object(struct stats_json *j, const struct stats_stream *st)
{
	stats_json_object_begin(j);
	stats_json_kv_string(j, "leg", stats_leg_name(st->leg));
	stats_json_kv_string(j, "kind", stats_kind_name(st->kind));
	stats_json_kv_string(j, "path",
			     st->path == STATS_STREAM_USERSPACE ? "userspace" : "kernel");
	stats_json_key(j, "local");
	endpoint_value(j, &st->local);
	stats_json_key(j, "remote");
	if (st->has_remote)
		endpoint_value(j, &st->remote);
	else
		stats_json_null(j);
	stats_json_key(j, "suite");
	if (st->suite[0])
		stats_json_string(j, st->suite);
	else
		stats_json_null(j);
	stats_json_kv_uint(j, "packets", st->packets);
	stats_json_kv_uint(j, "bytes", st->bytes);
	drops_object(j, st->xdp_drops, st->userspace_drops, true);
	stats_json_key(j, "rtp");
	if (st->has_rtp) {
		stats_json_object_begin(j);
		stats_json_kv_uint(j, "expected", st->expected);
		stats_json_kv_int(j, "lost", st->lost);
		stats_json_kv_double(j, "jitter_seconds", st->jitter_seconds, 6);
		stats_json_object_end(j);
	} else {
		stats_json_null(j);
	}
	stats_json_key(j, "last_seen_age_seconds");
	if (st->seen)
		stats_json_double(j, st->last_seen_age_seconds, 3);
	else
		stats_json_null(j);
	stats_json_object_end(j);
}

static void session_object(struct stats_json *j, const struct stats_session *s)
{
	unsigned n =
	    s->n_streams < STATS_SESSION_MAX_STREAMS ? s->n_streams : STATS_SESSION_MAX_STREAMS;

	stats_json_object_begin(j);
	stats_json_kv_uint(j, "id", s->id);
	stats_json_key(j, "streams");
	stats_json_array_begin(j);
	for (unsigned i = 0; i < n; i++)
		stream_object(j, &s->streams[i]);
	stats_json_array_end(j);
	stats_json_object_end(j);
}

int stats_render_session_json(const struct stats_session *s, struct stats_buf *out)
{
	struct stats_json j;

	stats_json_init(&j, out);
	stats_json_object_begin(&j);
	stats_json_key(&j, "session");
	session_object(&j, s);
	stats_json_object_end(&j);
	return stats_buf_status(out);
}

struct list_walk {
	struct stats_json *json;
	uint64_t offset, limit;
	uint64_t seen, listed;
	bool truncated;
};

static int list_visit(void *arg, const struct stats_session *s)
{
	struct list_walk *walk = arg;

	if (walk->seen++ < walk->offset)
		return 0;
	if (walk->limit && walk->listed == walk->limit) {
		walk->truncated = true;
		return 1;
	}
	session_object(walk->json, s);
	walk->listed++;
	/* Stop early once the reply cannot fit anyway. */
	return stats_buf_status(walk->json->buf) < 0 ? 1 : 0;
}

int stats_render_sessions_json(const struct stats_provider *p, uint64_t offset, uint64_t limit,
			       struct stats_buf *out)
{
	struct stats_json j;
	struct list_walk walk = {.json = &j, .offset = offset, .limit = limit};
	int r;

	stats_json_init(&j, out);
	stats_json_object_begin(&j);
	stats_json_key(&j, "sessions");
	stats_json_array_begin(&j);
	r = p->foreach_session(p->opaque, list_visit, &walk);
	if (r < 0)
		return r;
	stats_json_array_end(&j);
	stats_json_kv_uint(&j, "count", walk.listed);
	stats_json_kv_bool(&j, "truncated", walk.truncated);
	stats_json_object_end(&j);
	return stats_buf_status(out);
}

int stats_render_error_json(const char *msg, struct stats_buf *out)
{
	struct stats_json j;

	stats_json_init(&j, out);
	stats_json_object_begin(&j);
	stats_json_kv_string(&j, "error", msg);
	stats_json_object_end(&j);
	return stats_buf_status(out);
}
