// SPDX-License-Identifier: MIT
/*
 * The snapshot's name tables and the helpers that turn BPF map values and worker counters into
 * snapshot fields; see stats_snapshot.h.
 */
#include <string.h>

#include "stats/stats_snapshot.h"

#define NAMES(table)                                                                               \
	{                                                                                          \
		.names = (table), .count = sizeof(table) / sizeof((table)[0])                      \
	}

static const char *const path_names[STATS_PATH__MAX] = {
    [STATS_PATH_XDP_FORWARD] = "xdp_forward",
    [STATS_PATH_USERSPACE] = "userspace",
    [STATS_PATH_DROPPED] = "dropped",
};

static const char *const source_names[STATS_SOURCE__MAX] = {
    [STATS_SOURCE_XDP] = "xdp",
    [STATS_SOURCE_USERSPACE] = "userspace",
};

/* A new reason in relay.h must get a name here before it builds. */
_Static_assert(SLUICE_DROP_MAX == 9, "name the new sluice_drop_reason in xdp_drop_names");
static const char *const xdp_drop_names[STATS_XDP_DROP_MAX] = {
    [SLUICE_DROP_NONE] = NULL, /* not a drop */
    [SLUICE_DROP_NO_SESSION] = "no_session",
    [SLUICE_DROP_SRC_NOT_LATCHED] = "src_not_latched",
    [SLUICE_DROP_UDP_LENGTH] = "udp_length",
    [SLUICE_DROP_RTP_TRUNCATED] = "rtp_truncated",
    [SLUICE_DROP_RTP_VERSION] = "rtp_version",
    [SLUICE_DROP_RTCP_MALFORMED] = "rtcp_malformed",
    [SLUICE_DROP_PEER_UNKNOWN] = "peer_unknown",
    [SLUICE_DROP_NO_ROUTE] = "no_route",
};

static const char *const userspace_drop_names[STATS_US_DROP__MAX] = {
    [STATS_US_DROP_NONE] = NULL, /* not a drop */
    [STATS_US_DROP_SRTP_AUTH] = "srtp_auth",
    [STATS_US_DROP_SRTP_REPLAY_DUPLICATE] = "srtp_replay_duplicate",
    [STATS_US_DROP_SRTP_REPLAY_OLD] = "srtp_replay_old",
    [STATS_US_DROP_SRTP_MALFORMED] = "srtp_malformed",
    [STATS_US_DROP_SRTP_NO_KEY] = "srtp_no_key",
    [STATS_US_DROP_SRC_NOT_LATCHED] = "src_not_latched",
    [STATS_US_DROP_PEER_UNKNOWN] = "peer_unknown",
    [STATS_US_DROP_SEND_ERROR] = "send_error",
};

static const char *const srtp_failure_names[STATS_SRTP_FAIL__MAX] = {
    [STATS_SRTP_FAIL_AUTH] = "auth",
    [STATS_SRTP_FAIL_REPLAY_DUPLICATE] = "replay_duplicate",
    [STATS_SRTP_FAIL_REPLAY_OLD] = "replay_old",
};

/* Index = enum ng_command; tests/unit/test_stats_render.c checks it against ng_command_name(). */
static const char *const ctl_command_names[STATS_CTL_CMD_MAX] = {
    "unknown", "ping", "offer", "answer", "delete", "query", "list", "statistics",
};

static const char *const ctl_result_names[STATS_CTL_RESULT__MAX] = {
    [STATS_CTL_OK] = "ok",
    [STATS_CTL_ERROR] = "error",
};

/* Index = enum tls_refusal; checked against tls_refusal_to_string() by the same test. */
static const char *const tls_refusal_names[STATS_TLS_REFUSAL_MAX] = {
    "no_client_cert",	 "unknown_ca",	     "cert_expired", "bad_cert",
    "protocol_version",	 "no_shared_cipher", "not_tls",	     "subject_not_allowed",
    "handshake_timeout", "peer_aborted",     "other",
};

const struct stats_names stats_path_names = NAMES(path_names);
const struct stats_names stats_source_names = NAMES(source_names);
const struct stats_names stats_xdp_drop_names = NAMES(xdp_drop_names);
const struct stats_names stats_userspace_drop_names = NAMES(userspace_drop_names);
const struct stats_names stats_srtp_failure_names = NAMES(srtp_failure_names);
const struct stats_names stats_ctl_command_names = NAMES(ctl_command_names);
const struct stats_names stats_ctl_result_names = NAMES(ctl_result_names);
const struct stats_names stats_tls_refusal_names = NAMES(tls_refusal_names);

const struct stats_names *stats_drop_names(enum stats_drop_source source)
{
	return source == STATS_SOURCE_XDP ? &stats_xdp_drop_names : &stats_userspace_drop_names;
}

const char *stats_name(const struct stats_names *names, unsigned i)
{
	return i < names->count ? names->names[i] : NULL;
}

const char *stats_leg_name(unsigned leg)
{
	switch (leg) {
	case SLUICE_LEG_INTERNAL:
		return "internal";
	case SLUICE_LEG_GATEWAY:
		return "gateway";
	}
	return "unknown";
}

const char *stats_kind_name(unsigned kind)
{
	switch (kind) {
	case SLUICE_KIND_RTP:
		return "rtp";
	case SLUICE_KIND_RTCP:
		return "rtcp";
	case SLUICE_KIND_MUX:
		return "mux";
	}
	return "unknown";
}

uint64_t stats_hist_bound_ns(unsigned i)
{
	return i < STATS_HIST_BOUNDED ? 1ull << (STATS_HIST_SHIFT + i) : UINT64_MAX;
}

void stats_hist_add(struct stats_histogram *dst, const struct stats_histogram *src)
{
	for (unsigned i = 0; i < STATS_HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->sum_ns += src->sum_ns;
}

void stats_global_add_stream(struct stats_global *g, const struct stats_stream *st)
{
	if (!st->has_rtp)
		return;
	g->rtp_streams++;
	g->rtp_expected += st->expected;
	g->rtp_lost += st->lost;
	g->rtp_jitter_sum_seconds += st->jitter_seconds;
	if (st->jitter_seconds > g->rtp_jitter_max_seconds)
		g->rtp_jitter_max_seconds = st->jitter_seconds;
}

void stats_percpu_sum_u64(const void *values, size_t stride, unsigned n_cpus, size_t n_u64,
			  uint64_t *ret)
{
	const unsigned char *base = values;

	memset(ret, 0, n_u64 * sizeof(*ret));
	for (unsigned cpu = 0; cpu < n_cpus; cpu++) {
		const unsigned char *value = base + (size_t)cpu * stride;

		for (size_t i = 0; i < n_u64; i++) {
			uint64_t v;

			/* memcpy: the caller's buffer need not be aligned for uint64_t. */
			memcpy(&v, value + i * sizeof(v), sizeof(v));
			ret[i] += v;
		}
	}
}

_Static_assert(sizeof(struct sluice_global_stats) % sizeof(uint64_t) == 0,
	       "sluice_global_stats is all __u64 counters");
_Static_assert(sizeof(struct sluice_stream_stats) % sizeof(uint64_t) == 0,
	       "sluice_stream_stats is all __u64");

void stats_sum_global_percpu(const struct sluice_global_stats *percpu, unsigned n_cpus,
			     struct sluice_global_stats *ret)
{
	uint64_t sum[sizeof(*ret) / sizeof(uint64_t)];

	stats_percpu_sum_u64(percpu, sizeof(*percpu), n_cpus, sizeof(*ret) / sizeof(uint64_t), sum);
	memcpy(ret, sum, sizeof(*ret));
}

void stats_sum_stream_percpu(const struct sluice_stream_stats *percpu, unsigned n_cpus,
			     struct sluice_stream_stats *ret)
{
	uint64_t sum[sizeof(*ret) / sizeof(uint64_t)];
	uint64_t last_seen = 0;

	stats_percpu_sum_u64(percpu, sizeof(*percpu), n_cpus, sizeof(*ret) / sizeof(uint64_t), sum);
	memcpy(ret, sum, sizeof(*ret));
	/* A timestamp, not a counter: the latest CPU's. */
	for (unsigned cpu = 0; cpu < n_cpus; cpu++)
		if (percpu[cpu].last_seen_ns > last_seen)
			last_seen = percpu[cpu].last_seen_ns;
	ret->last_seen_ns = last_seen;
}

void stats_global_add_xdp(struct stats_global *g, const struct sluice_global_stats *sum)
{
	g->packets[STATS_PATH_XDP_FORWARD] += sum->verdict_packets[SLUICE_V_FORWARD];
	g->bytes[STATS_PATH_XDP_FORWARD] += sum->verdict_bytes[SLUICE_V_FORWARD];
	g->packets[STATS_PATH_DROPPED] += sum->verdict_packets[SLUICE_V_DROP];
	g->bytes[STATS_PATH_DROPPED] += sum->verdict_bytes[SLUICE_V_DROP];
	g->xdp_pass_packets += sum->verdict_packets[SLUICE_V_PASS];
	g->xdp_fib_no_neigh += sum->fib_no_neigh;
	g->xdp_xsk_redirects += sum->xsk_redirects;
	for (unsigned r = 0; r < STATS_XDP_DROP_MAX; r++)
		g->xdp_drops[r] += sum->drops[r];
}

void stats_stream_set_xdp(struct stats_stream *st, const struct sluice_stream_stats *sum,
			  uint64_t now_ns)
{
	st->packets = sum->packets;
	st->bytes = sum->bytes;
	memcpy(st->xdp_drops, sum->drops, sizeof(st->xdp_drops));
	st->seen = sum->last_seen_ns != 0;
	st->last_seen_age_seconds = 0;
	if (st->seen && now_ns > sum->last_seen_ns)
		st->last_seen_age_seconds = (double)(now_ns - sum->last_seen_ns) / 1e9;
}

void stats_stream_set_rtp(struct stats_stream *st, const struct sluice_rtp_quality *q,
			  uint32_t clock_rate)
{
	st->has_rtp = true;
	st->expected = 0;
	st->lost = 0;
	st->jitter_seconds = 0;
	if (!q->initialized)
		return;
	/* RFC 3550 A.3: expected = extended highest - base + 1; lost may go negative. */
	st->expected = (uint64_t)q->cycles + q->max_seq - q->base_seq + 1;
	st->lost = (int64_t)st->expected - (int64_t)q->received;
	/* A.8: the jitter is kept scaled by 16, in clock units. */
	if (clock_rate)
		st->jitter_seconds = (double)q->jitter / 16.0 / clock_rate;
}
