// SPDX-License-Identifier: MIT
/*
 * The counter replies: `session show` (per leg and stream: the live map entry, XDP's counters,
 * what the media socket received, RFC 3550 loss and jitter) and `stats` (the program's global
 * verdict and drop counters, sessions, userspace receive count).
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "daemon/commands.h"

static const char *const drop_names[SLUICE_DROP_MAX] = {
    [SLUICE_DROP_NONE] = "none",
    [SLUICE_DROP_NO_SESSION] = "no_session",
    [SLUICE_DROP_SRC_NOT_LATCHED] = "src_not_latched",
    [SLUICE_DROP_UDP_LENGTH] = "udp_length",
    [SLUICE_DROP_RTP_TRUNCATED] = "rtp_truncated",
    [SLUICE_DROP_RTP_VERSION] = "rtp_version",
    [SLUICE_DROP_RTCP_MALFORMED] = "rtcp_malformed",
    [SLUICE_DROP_PEER_UNKNOWN] = "peer_unknown",
    [SLUICE_DROP_NO_ROUTE] = "no_route",
};

static const char *const verdict_names[SLUICE_V_MAX] = {
    [SLUICE_V_FORWARD] = "forward",
    [SLUICE_V_USERSPACE] = "userspace",
    [SLUICE_V_DROP] = "drop",
    [SLUICE_V_PASS] = "pass",
};

const char *commands_drop_name(unsigned reason)
{
	return reason < SLUICE_DROP_MAX && drop_names[reason] ? drop_names[reason] : "unknown";
}

static void drops_object(struct json *reply, const __u64 drops[SLUICE_DROP_MAX])
{
	json_key(reply, "drops");
	json_object_begin(reply);
	for (unsigned d = SLUICE_DROP_NONE + 1; d < SLUICE_DROP_MAX; d++)
		json_kv_uint(reply, commands_drop_name(d), drops[d]);
	json_object_end(reply);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* RFC 3550 A.3: expected = extended max - base + 1; lost may be negative (duplicates). */
static void rtp_object(struct json *reply, const struct sluice_rtp_quality *q, uint32_t clock_rate)
{
	uint64_t expected = q->initialized ? (uint64_t)q->cycles + q->max_seq - q->base_seq + 1 : 0;

	json_key(reply, "rtp");
	json_object_begin(reply);
	json_kv_uint(reply, "ssrc", q->ssrc);
	json_kv_uint(reply, "received", q->received);
	json_kv_uint(reply, "expected", expected);
	json_key(reply, "lost");
	json_int(reply, (int64_t)expected - (int64_t)q->received);
	json_kv_uint(reply, "jitter", q->jitter / 16);
	json_key(reply, "jitter_ms");
	if (clock_rate)
		json_double(reply, (double)q->jitter / 16.0 / clock_rate * 1000.0, 3);
	else
		json_null(reply);
	json_object_end(reply);
}

/* A map address and port as "ADDR:PORT"; key NULL for an array item or after json_key(). */
static void kv_mapped(struct json *reply, const char *key, const __u8 addr[16], __be16 port)
{
	char buf[ENDPOINT_STR_MAX];
	struct endpoint ep;

	endpoint_from_mapped(addr, ntohs(port), &ep);
	if (key)
		json_key(reply, key);
	json_string(reply, endpoint_format(&ep, buf, sizeof(buf)));
}

static void stream_counters(struct commands_ctx *ctx, const struct session_stream *st,
			    struct json *reply)
{
	struct sluice_stream_stats stats = {0};
	uint64_t rx_packets = 0, rx_bytes = 0, now = monotonic_ns();

	session_maps_read_stats(ctx->maps, &st->key, &stats);
	json_kv_uint(reply, "packets", stats.packets);
	json_kv_uint(reply, "bytes", stats.bytes);
	json_key(reply, "last_seen_ms");
	if (stats.last_seen_ns && stats.last_seen_ns <= now)
		json_uint(reply, (now - stats.last_seen_ns) / 1000000);
	else
		json_null(reply);
	drops_object(reply, stats.drops);
	if (st->media)
		media_socket_counters(st->media, &rx_packets, &rx_bytes);
	json_key(reply, "userspace_rx");
	json_object_begin(reply);
	json_kv_uint(reply, "packets", rx_packets);
	json_kv_uint(reply, "bytes", rx_bytes);
	json_object_end(reply);
}

static void stream_object(struct commands_ctx *ctx, const struct session_stream *st,
			  struct json *reply)
{
	struct sluice_stream now = st->value;
	struct sluice_rtp_quality q = {0};

	session_maps_read_stream(ctx->maps, &st->key, &now);
	json_object_begin(reply);
	json_kv_string(reply, "kind", session_kind_name((enum sluice_kind)now.kind));
	kv_mapped(reply, "local", st->key.addr, st->key.port);
	json_key(reply, "remote");
	if (now.flags & SLUICE_F_LATCHED)
		kv_mapped(reply, NULL, now.remote_addr, now.remote_port);
	else
		json_null(reply);
	json_kv_bool(reply, "latched", now.flags & SLUICE_F_LATCHED);
	json_kv_string(reply, "action", session_action_name((enum sluice_action)now.action));
	stream_counters(ctx, st, reply);
	if (now.kind != SLUICE_KIND_RTCP && session_maps_read_rtp(ctx->maps, &st->key, &q) == 0)
		rtp_object(reply, &q, now.clock_rate);
	json_object_end(reply);
}

static void leg_object(struct commands_ctx *ctx, const struct session *s, enum sluice_leg leg,
		       struct json *reply)
{
	const struct session_leg *l = &s->legs[leg];
	char buf[ENDPOINT_STR_MAX];

	json_object_begin(reply);
	json_kv_string(reply, "leg", session_leg_name(leg));
	json_kv_string(reply, "local", endpoint_format(&l->local, buf, sizeof(buf)));
	json_key(reply, "signalled_remote");
	if (l->has_remote)
		json_string(reply, endpoint_format(&l->remote, buf, sizeof(buf)));
	else
		json_null(reply);
	json_kv_bool(reply, "strict_source", l->strict_source);
	json_kv_uint(reply, "clock_rate", l->clock_rate);
	json_kv_string(reply, "action", session_action_name(l->action));
	json_key(reply, "streams");
	json_array_begin(reply);
	for (unsigned i = 0; i < s->n_streams; i++)
		if (s->streams[i].value.leg == leg)
			stream_object(ctx, &s->streams[i], reply);
	json_array_end(reply);
	json_object_end(reply);
}

void commands_session_show(struct commands_ctx *ctx, uint32_t id, struct json *reply)
{
	const struct session *s = session_table_get(ctx->table, id);

	if (!s) {
		commands_reply_error(reply, "no session %u", id);
		return;
	}
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_key(reply, "session");
	json_object_begin(reply);
	json_kv_uint(reply, "id", s->id);
	json_kv_bool(reply, "rtcp_mux", s->rtcp_mux);
	json_key(reply, "legs");
	json_array_begin(reply);
	leg_object(ctx, s, SLUICE_LEG_INTERNAL, reply);
	leg_object(ctx, s, SLUICE_LEG_GATEWAY, reply);
	json_array_end(reply);
	json_object_end(reply);
	json_object_end(reply);
}

void commands_stats(struct commands_ctx *ctx, struct json *reply)
{
	struct sluice_global_stats g;
	int r;

	r = session_maps_read_global(ctx->maps, &g);
	if (r < 0) {
		commands_reply_error(reply, "cannot read sluice_global_stats: %s", strerror(-r));
		return;
	}
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_key(reply, "verdicts");
	json_object_begin(reply);
	for (unsigned v = 0; v < SLUICE_V_MAX; v++) {
		json_key(reply, verdict_names[v]);
		json_object_begin(reply);
		json_kv_uint(reply, "packets", g.verdict_packets[v]);
		json_kv_uint(reply, "bytes", g.verdict_bytes[v]);
		json_object_end(reply);
	}
	json_object_end(reply);
	drops_object(reply, g.drops);
	json_kv_uint(reply, "fib_no_neigh", g.fib_no_neigh);
	json_key(reply, "sessions");
	json_object_begin(reply);
	json_kv_uint(reply, "active", session_table_count(ctx->table));
	json_kv_uint(reply, "total", session_table_total(ctx->table));
	json_kv_uint(reply, "max", ctx->config->max_sessions);
	json_object_end(reply);
	json_kv_uint(reply, "userspace_rx_packets", media_sockets_rx_packets(ctx->media));
	json_object_end(reply);
}
