// SPDX-License-Identifier: MIT
/*
 * The Prometheus renderer: text exposition format 0.0.4. Every family is `sluice_*` with its unit
 * in the name (_total, _bytes_total, _seconds), a HELP and a TYPE line, and all its samples
 * together. Per-session families are written in one pass over the provider's sessions into one
 * buffer per family, then appended in order. docs/stats.md lists the metrics.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats/stats_render.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

int stats_per_session_from_string(const char *s, enum stats_per_session *ret)
{
	if (!strcmp(s, "auto"))
		*ret = STATS_PER_SESSION_AUTO;
	else if (!strcmp(s, "yes"))
		*ret = STATS_PER_SESSION_YES;
	else if (!strcmp(s, "no"))
		*ret = STATS_PER_SESSION_NO;
	else
		return -EINVAL;
	return 0;
}

const char *stats_per_session_to_string(enum stats_per_session mode)
{
	switch (mode) {
	case STATS_PER_SESSION_YES:
		return "yes";
	case STATS_PER_SESSION_NO:
		return "no";
	case STATS_PER_SESSION_AUTO:
		break;
	}
	return "auto";
}

bool stats_per_session_enabled(enum stats_per_session mode, unsigned auto_max,
			       uint64_t sessions_active)
{
	if (mode != STATS_PER_SESSION_AUTO)
		return mode == STATS_PER_SESSION_YES;
	return sessions_active <= (auto_max ? auto_max : STATS_PER_SESSION_AUTO_MAX);
}

/* ---- samples ---- */

static void family(struct stats_buf *b, const char *name, const char *type, const char *help)
{
	stats_buf_printf(b, "# HELP %s ", name);
	stats_buf_prom_help(b, help);
	stats_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* One sample being written: name{label="value",...} value */
struct sample {
	struct stats_buf *b;
	bool labelled;
};

static struct sample sample_begin(struct stats_buf *b, const char *name)
{
	stats_buf_puts(b, name);
	return (struct sample){.b = b};
}

static void label(struct sample *s, const char *key, const char *value)
{
	stats_buf_puts(s->b, s->labelled ? "," : "{");
	s->labelled = true;
	stats_buf_printf(s->b, "%s=\"", key);
	stats_buf_prom_label_value(s->b, value);
	stats_buf_puts(s->b, "\"");
}

static void label_uint(struct sample *s, const char *key, uint64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	label(s, key, text);
}

static void end_labels(struct sample *s)
{
	stats_buf_puts(s->b, s->labelled ? "} " : " ");
}

static void sample_end_uint(struct sample *s, uint64_t v)
{
	end_labels(s);
	stats_buf_printf(s->b, "%" PRIu64 "\n", v);
}

static void sample_end_int(struct sample *s, int64_t v)
{
	end_labels(s);
	stats_buf_printf(s->b, "%" PRId64 "\n", v);
}

static void sample_end_double(struct sample *s, double v)
{
	end_labels(s);
	stats_buf_prom_double(s->b, v);
	stats_buf_puts(s->b, "\n");
}

static void scalar(struct stats_buf *b, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	struct sample s;

	family(b, name, type, help);
	s = sample_begin(b, name);
	sample_end_uint(&s, v);
}

static void scalar_double(struct stats_buf *b, const char *name, const char *help, double v)
{
	struct sample s;

	family(b, name, "gauge", help);
	s = sample_begin(b, name);
	sample_end_double(&s, v);
}

/* One sample per named slot of a table, labelled key="name". */
static void by_name(struct stats_buf *b, const char *name, const char *key,
		    const struct stats_names *names, const uint64_t *values)
{
	for (unsigned i = 0; i < names->count; i++) {
		struct sample s;

		if (!stats_name(names, i))
			continue;
		s = sample_begin(b, name);
		label(&s, key, stats_name(names, i));
		sample_end_uint(&s, values[i]);
	}
}

/* ---- global families ---- */

static void traffic(struct stats_buf *b, const struct stats_global *g)
{
	family(b, "sluice_packets_total", "counter",
	       "Packets by where they ended: forwarded in XDP, relayed by userspace, dropped.");
	by_name(b, "sluice_packets_total", "path", &stats_path_names, g->packets);
	family(b, "sluice_bytes_total", "counter", "Bytes of the packets of sluice_packets_total.");
	by_name(b, "sluice_bytes_total", "path", &stats_path_names, g->bytes);
	scalar(b, "sluice_xdp_pass_packets_total", "counter",
	       "UDP/IP packets XDP passed to the stack because they are not media.",
	       g->xdp_pass_packets);
	scalar(b, "sluice_xdp_fib_no_neigh_total", "counter",
	       "Forward packets handed to the kernel because the next hop's MAC was unknown.",
	       g->xdp_fib_no_neigh);
	scalar(b, "sluice_xdp_xsk_redirects_total", "counter",
	       "Userspace packets XDP redirected to a worker's AF_XDP socket instead of the UDP "
	       "stack.",
	       g->xdp_xsk_redirects);

	family(b, "sluice_dropped_packets_total", "counter",
	       "Packets dropped, by who dropped them (xdp, userspace) and why.");
	for (unsigned src = 0; src < STATS_SOURCE__MAX; src++) {
		const struct stats_names *names = stats_drop_names(src);
		const uint64_t *values =
		    src == STATS_SOURCE_XDP ? g->xdp_drops : g->userspace_drops;

		for (unsigned r = 0; r < names->count; r++) {
			struct sample s;

			if (!stats_name(names, r))
				continue;
			s = sample_begin(b, "sluice_dropped_packets_total");
			label(&s, "source", stats_name(&stats_source_names, src));
			label(&s, "reason", stats_name(names, r));
			sample_end_uint(&s, values[r]);
		}
	}
	family(b, "sluice_srtp_unprotect_failures_total", "counter",
	       "SRTP and SRTCP packets that failed authentication or the replay check.");
	by_name(b, "sluice_srtp_unprotect_failures_total", "reason", &stats_srtp_failure_names,
		g->srtp_failures);
}

static void control(struct stats_buf *b, const struct stats_global *g)
{
	family(b, "sluice_control_requests_total", "counter",
	       "Control (ng) requests by command and result.");
	for (unsigned c = 0; c < STATS_CTL_CMD_MAX; c++) {
		for (unsigned r = 0; r < STATS_CTL_RESULT__MAX; r++) {
			struct sample s;

			if (!stats_name(&stats_ctl_command_names, c))
				continue;
			s = sample_begin(b, "sluice_control_requests_total");
			label(&s, "command", stats_name(&stats_ctl_command_names, c));
			label(&s, "result", stats_name(&stats_ctl_result_names, r));
			sample_end_uint(&s, g->control_requests[c][r]);
		}
	}
	family(b, "sluice_tls_handshake_failures_total", "counter",
	       "Control connections refused during the TLS handshake, by reason.");
	by_name(b, "sluice_tls_handshake_failures_total", "reason", &stats_tls_refusal_names,
		g->tls_handshake_failures);
}

static void worker_family(struct stats_buf *b, const struct stats_global *g, const char *name,
			  const char *help, size_t offset, double scale)
{
	unsigned n = g->n_workers < STATS_MAX_WORKERS ? g->n_workers : STATS_MAX_WORKERS;

	family(b, name, "counter", help);
	for (unsigned w = 0; w < n; w++) {
		uint64_t v;
		struct sample s = sample_begin(b, name);

		memcpy(&v, (const char *)&g->workers[w] + offset, sizeof(v));
		label_uint(&s, "worker", w);
		sample_end_double(&s, (double)v * scale);
	}
}

static void workers(struct stats_buf *b, const struct stats_global *g)
{
	unsigned n = g->n_workers < STATS_MAX_WORKERS ? g->n_workers : STATS_MAX_WORKERS;

	worker_family(
	    b, g, "sluice_worker_busy_seconds_total",
	    "CPU time of the io_uring worker thread; utilisation = rate(busy) / rate(wall).",
	    offsetof(struct stats_worker, busy_ns), 1e-9);
	worker_family(b, g, "sluice_worker_wall_seconds_total",
		      "Wall-clock time the io_uring worker has been running.",
		      offsetof(struct stats_worker, wall_ns), 1e-9);
	family(b, "sluice_worker_packets_total", "counter",
	       "Packets an io_uring worker received (rx) and sent (tx).");
	for (unsigned w = 0; w < n; w++) {
		struct sample s = sample_begin(b, "sluice_worker_packets_total");

		label_uint(&s, "worker", w);
		label(&s, "direction", "rx");
		sample_end_uint(&s, g->workers[w].rx_packets);
		s = sample_begin(b, "sluice_worker_packets_total");
		label_uint(&s, "worker", w);
		label(&s, "direction", "tx");
		sample_end_uint(&s, g->workers[w].tx_packets);
	}
	family(b, "sluice_worker_af_xdp", "gauge",
	       "1 when the io_uring worker owns AF_XDP sockets, else 0.");
	for (unsigned w = 0; w < n; w++) {
		struct sample s = sample_begin(b, "sluice_worker_af_xdp");

		label_uint(&s, "worker", w);
		sample_end_uint(&s, g->workers[w].af_xdp);
	}
	family(b, "sluice_worker_af_xdp_packets_total", "counter",
	       "Packets a worker received on its AF_XDP sockets (rx) and sent from one (tx).");
	for (unsigned w = 0; w < n; w++) {
		struct sample s = sample_begin(b, "sluice_worker_af_xdp_packets_total");

		label_uint(&s, "worker", w);
		label(&s, "direction", "rx");
		sample_end_uint(&s, g->workers[w].af_xdp_rx_packets);
		s = sample_begin(b, "sluice_worker_af_xdp_packets_total");
		label_uint(&s, "worker", w);
		label(&s, "direction", "tx");
		sample_end_uint(&s, g->workers[w].af_xdp_tx_packets);
	}
}

/* The workers' AF_XDP sockets, summed; the kernel's counters are separate families (overlap). */
static void af_xdp(struct stats_buf *b, const struct stats_af_xdp *x)
{
	struct sample s;

	scalar(b, "sluice_af_xdp_workers", "gauge", "io_uring workers that own AF_XDP sockets.",
	       x->workers);
	family(b, "sluice_af_xdp_packets_total", "counter",
	       "Packets the workers received on AF_XDP sockets (rx) and sent from one (tx).");
	s = sample_begin(b, "sluice_af_xdp_packets_total");
	label(&s, "direction", "rx");
	sample_end_uint(&s, x->rx_packets);
	s = sample_begin(b, "sluice_af_xdp_packets_total");
	label(&s, "direction", "tx");
	sample_end_uint(&s, x->tx_packets);
	scalar(
	    b, "sluice_af_xdp_fallback_packets_total", "counter",
	    "Packets received on AF_XDP that the workers sent from the port's UDP socket instead.",
	    x->fallback_packets);
	scalar(b, "sluice_af_xdp_bad_frames_total", "counter",
	       "AF_XDP frames without a valid header or for a port now gone.", x->bad_frames);
	scalar(
	    b, "sluice_af_xdp_kernel_rx_dropped_packets_total", "counter",
	    "Packets the kernel dropped before the AF_XDP RX ring: too big for a frame or no fill "
	    "buffer (XDP_STATISTICS rx_dropped).",
	    x->kernel_rx_dropped);
	scalar(b, "sluice_af_xdp_kernel_rx_ring_full_packets_total", "counter",
	       "Packets the kernel dropped because an AF_XDP RX ring was full (XDP_STATISTICS "
	       "rx_ring_full).",
	       x->kernel_rx_ring_full);
	scalar(b, "sluice_af_xdp_kernel_fill_ring_empty_total", "counter",
	       "Times the kernel found an AF_XDP fill ring empty (XDP_STATISTICS "
	       "rx_fill_ring_empty_descs).",
	       x->kernel_fill_ring_empty);
	scalar(b, "sluice_af_xdp_kernel_rx_invalid_descriptors_total", "counter",
	       "Invalid AF_XDP RX descriptors (XDP_STATISTICS rx_invalid_descs).",
	       x->kernel_rx_invalid);
	scalar(b, "sluice_af_xdp_kernel_tx_invalid_descriptors_total", "counter",
	       "Invalid AF_XDP TX descriptors the workers submitted (XDP_STATISTICS "
	       "tx_invalid_descs).",
	       x->kernel_tx_invalid);
}

static void histogram(struct stats_buf *b, const char *name, const char *help,
		      const struct stats_histogram *h)
{
	char series[96];
	uint64_t cumulative = 0;

	family(b, name, "histogram", help);
	snprintf(series, sizeof(series), "%s_bucket", name);
	for (unsigned i = 0; i < STATS_HIST_BUCKETS; i++) {
		struct sample s = sample_begin(b, series);
		char le[32];

		cumulative += h->buckets[i];
		if (i < STATS_HIST_BOUNDED)
			snprintf(le, sizeof(le), "%.9g", (double)stats_hist_bound_ns(i) * 1e-9);
		else
			snprintf(le, sizeof(le), "+Inf");
		label(&s, "le", le);
		sample_end_uint(&s, cumulative);
	}
	stats_buf_printf(b, "%s_sum ", name);
	stats_buf_prom_double(b, (double)h->sum_ns * 1e-9);
	stats_buf_printf(b, "\n%s_count %" PRIu64 "\n", name, cumulative);
}

static void rtp(struct stats_buf *b, const struct stats_global *g)
{
	scalar(b, "sluice_rtp_streams", "gauge", "Live RTP streams with RFC 3550 receiver state.",
	       g->rtp_streams);
	scalar(b, "sluice_rtp_expected_packets", "gauge",
	       "RTP packets expected (RFC 3550 A.3), summed over the live streams.",
	       g->rtp_expected);
	family(b, "sluice_rtp_lost_packets", "gauge",
	       "RTP packets lost (RFC 3550 A.3; negative with duplicates), summed over the live "
	       "streams.");
	stats_buf_printf(b, "sluice_rtp_lost_packets %" PRId64 "\n", g->rtp_lost);
	scalar_double(b, "sluice_rtp_jitter_max_seconds",
		      "Largest interarrival jitter (RFC 3550 A.8) of the live streams.",
		      g->rtp_jitter_max_seconds);
	scalar_double(b, "sluice_rtp_jitter_mean_seconds",
		      "Mean interarrival jitter (RFC 3550 A.8) of the live streams.",
		      g->rtp_streams ? g->rtp_jitter_sum_seconds / (double)g->rtp_streams : 0);
}

static void server(struct stats_buf *b, const struct stats_server_counters *c, bool per_session)
{
	scalar(b, "sluice_stats_clients", "gauge",
	       "Clients connected to the stats socket and HTTP.", c->clients);
	scalar(b, "sluice_stats_clients_accepted_total", "counter", "Stats connections accepted.",
	       c->accepted);
	scalar(b, "sluice_stats_clients_refused_total", "counter",
	       "Stats connections refused at the client cap.", c->refused);
	scalar(b, "sluice_stats_slow_disconnects_total", "counter",
	       "Stats clients disconnected because they did not read their output.",
	       c->slow_disconnects);
	scalar(b, "sluice_stats_requests_total", "counter", "Stats requests served.", c->requests);
	scalar(b, "sluice_stats_request_errors_total", "counter",
	       "Stats requests answered with an error.", c->request_errors);
	scalar(b, "sluice_stats_provider_failures_total", "counter",
	       "Snapshots the daemon could not provide.", c->provider_failures);
	scalar(b, "sluice_stats_per_session_metrics", "gauge",
	       "1 when this exposition carries the sluice_session_* series.", per_session);
}

/* ---- per-session families ---- */

enum session_family {
	SF_INFO = 0,
	SF_PACKETS,
	SF_BYTES,
	SF_DROPS,
	SF_EXPECTED,
	SF_LOST,
	SF_JITTER,
	SF_AGE,
	SF__MAX,
};

static const struct {
	const char *name, *type, *help;
} session_families[SF__MAX] = {
    [SF_INFO] = {"sluice_session_stream_info", "gauge",
		 "A stream of a session: path, SRTP suite, local and remote address (value 1)."},
    [SF_PACKETS] = {"sluice_session_packets_total", "counter",
		    "Packets a stream accepted (forwarded or handed to userspace)."},
    [SF_BYTES] = {"sluice_session_bytes_total", "counter",
		  "UDP payload bytes of sluice_session_packets_total."},
    [SF_DROPS] = {"sluice_session_dropped_packets_total", "counter",
		  "Packets of a stream dropped, by source and reason (non-zero ones only)."},
    [SF_EXPECTED] = {"sluice_session_rtp_expected_packets", "gauge",
		     "RTP packets expected by the stream's receiver (RFC 3550 A.3)."},
    [SF_LOST] = {"sluice_session_rtp_lost_packets", "gauge",
		 "RTP packets lost by the stream's receiver (RFC 3550 A.3)."},
    [SF_JITTER] = {"sluice_session_jitter_seconds", "gauge",
		   "Interarrival jitter of the stream (RFC 3550 A.8)."},
    [SF_AGE] = {"sluice_session_last_seen_age_seconds", "gauge",
		"Seconds since the stream last accepted a packet."},
};

struct session_walk {
	struct stats_buf family[SF__MAX];
};

static struct sample stream_sample(struct stats_buf *b, enum session_family f, uint32_t id,
				   const struct stats_stream *st)
{
	struct sample s = sample_begin(b, session_families[f].name);

	label_uint(&s, "session", id);
	label(&s, "leg", stats_leg_name(st->leg));
	label(&s, "kind", stats_kind_name(st->kind));
	return s;
}

static void stream_drops(struct session_walk *walk, uint32_t id, const struct stats_stream *st)
{
	for (unsigned src = 0; src < STATS_SOURCE__MAX; src++) {
		const struct stats_names *names = stats_drop_names(src);
		const uint64_t *values =
		    src == STATS_SOURCE_XDP ? st->xdp_drops : st->userspace_drops;

		for (unsigned r = 0; r < names->count; r++) {
			struct sample s;

			if (!values[r] || !stats_name(names, r))
				continue;
			s = stream_sample(&walk->family[SF_DROPS], SF_DROPS, id, st);
			label(&s, "source", stats_name(&stats_source_names, src));
			label(&s, "reason", stats_name(names, r));
			sample_end_uint(&s, values[r]);
		}
	}
}

static void stream_series(struct session_walk *walk, uint32_t id, const struct stats_stream *st)
{
	char local[ENDPOINT_STR_MAX], remote[ENDPOINT_STR_MAX];
	struct sample s;

	s = stream_sample(&walk->family[SF_INFO], SF_INFO, id, st);
	label(&s, "path", st->path == STATS_STREAM_USERSPACE ? "userspace" : "kernel");
	label(&s, "suite", st->suite[0] ? st->suite : "none");
	label(&s, "local", endpoint_format(&st->local, local, sizeof(local)));
	label(&s, "remote",
	      st->has_remote ? endpoint_format(&st->remote, remote, sizeof(remote)) : "");
	sample_end_uint(&s, 1);
	s = stream_sample(&walk->family[SF_PACKETS], SF_PACKETS, id, st);
	sample_end_uint(&s, st->packets);
	s = stream_sample(&walk->family[SF_BYTES], SF_BYTES, id, st);
	sample_end_uint(&s, st->bytes);
	stream_drops(walk, id, st);
	if (st->has_rtp) {
		s = stream_sample(&walk->family[SF_EXPECTED], SF_EXPECTED, id, st);
		sample_end_uint(&s, st->expected);
		s = stream_sample(&walk->family[SF_LOST], SF_LOST, id, st);
		sample_end_int(&s, st->lost);
		s = stream_sample(&walk->family[SF_JITTER], SF_JITTER, id, st);
		sample_end_double(&s, st->jitter_seconds);
	}
	if (st->seen) {
		s = stream_sample(&walk->family[SF_AGE], SF_AGE, id, st);
		sample_end_double(&s, st->last_seen_age_seconds);
	}
}

static int session_visit(void *arg, const struct stats_session *session)
{
	struct session_walk *walk = arg;
	unsigned n = session->n_streams < STATS_SESSION_MAX_STREAMS ? session->n_streams
								    : STATS_SESSION_MAX_STREAMS;

	for (unsigned i = 0; i < n; i++)
		stream_series(walk, session->id, &session->streams[i]);
	for (unsigned f = 0; f < SF__MAX; f++)
		if (stats_buf_status(&walk->family[f]) < 0)
			return 1; /* over the cap already: stop the walk */
	return 0;
}

static int sessions(struct stats_buf *out, const struct stats_provider *p)
{
	struct session_walk walk;
	int r;

	for (unsigned f = 0; f < SF__MAX; f++)
		stats_buf_init(&walk.family[f], out->max);
	r = p->foreach_session(p->opaque, session_visit, &walk);
	for (unsigned f = 0; f < SF__MAX && r >= 0; f++) {
		if (!walk.family[f].len && stats_buf_status(&walk.family[f]) == 0)
			continue; /* no samples: leave the family out */
		family(out, session_families[f].name, session_families[f].type,
		       session_families[f].help);
		stats_buf_append_buf(out, &walk.family[f]);
	}
	for (unsigned f = 0; f < SF__MAX; f++)
		stats_buf_free(&walk.family[f]);
	return r;
}

int stats_render_metrics(const struct stats_global *g, const struct stats_provider *per_session,
			 struct stats_buf *out)
{
	struct sample s;
	int r;

	family(out, "sluice_build_info", "gauge", "The running sluice version (value 1).");
	s = sample_begin(out, "sluice_build_info");
	label(&s, "version", SLUICE_VERSION);
	sample_end_uint(&s, 1);
	scalar(out, "sluice_sessions_active", "gauge", "Sessions in the session table.",
	       g->sessions_active);
	scalar(out, "sluice_sessions_created_total", "counter", "Sessions created since start.",
	       g->sessions_total);
	scalar(out, "sluice_sessions_max", "gauge", "The configured cap on sessions.",
	       g->sessions_max);
	traffic(out, g);
	control(out, g);
	workers(out, g);
	af_xdp(out, &g->af_xdp);
	histogram(out, "sluice_userspace_processing_seconds",
		  "Time an io_uring worker spent on one packet (unprotect, protect, send setup).",
		  &g->userspace_processing);
	rtp(out, g);
	server(out, &g->server, per_session != NULL);
	if (per_session) {
		r = sessions(out, per_session);
		if (r < 0)
			return r;
	}
	return stats_buf_status(out);
}
