// SPDX-License-Identifier: MIT
/*
 * The counter replies: `session show` (per leg and stream: the live map entry, XDP's counters,
 * what the stream's worker received, sent and dropped, RFC 3550 loss and jitter, the legs' SRTP
 * suites but never their keys) and `stats` (the program's global verdict and drop counters,
 * sessions, the workers' totals and drops by reason).
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "daemon/commands.h"
#include "stats/stats_snapshot.h"

static const char *const verdict_names[SLUICE_V_MAX] = {
    [SLUICE_V_FORWARD] = "forward",
    [SLUICE_V_USERSPACE] = "userspace",
    [SLUICE_V_DROP] = "drop",
    [SLUICE_V_PASS] = "pass",
};

const char *commands_drop_name(unsigned reason)
{
	const char *name = stats_name(&stats_xdp_drop_names, reason);

	return name ? name : "unknown";
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

bool commands_stream_remote(struct commands_ctx *ctx, const struct session *s, unsigned index,
			    struct endpoint *ret)
{
	const struct session_stream *st = &s->streams[index];
	const struct relay_session *rs = s->relay;
	struct sluice_stream now;

	if (st->value.action == SLUICE_ACT_USERSPACE && rs)
		return relay_stream_remote(&rs->streams[index], ret);
	if (session_maps_read_stream(ctx->maps, &st->key, &now) < 0 ||
	    !(now.flags & SLUICE_F_LATCHED))
		return false;
	endpoint_from_mapped(now.remote_addr, ntohs(now.remote_port), ret);
	return true;
}

static void relay_drops_object(struct json *reply, const uint64_t drops[RELAY_DROP_MAX])
{
	json_key(reply, "drops");
	json_object_begin(reply);
	for (unsigned d = RELAY_DROP_NONE + 1; d < RELAY_DROP_MAX; d++)
		json_kv_uint(reply, relay_drop_name(d), drops[d]);
	json_object_end(reply);
}

/* What the stream's worker did: received on its socket, sent from it, dropped by reason. */
static void userspace_object(struct json *reply, const struct relay_counters_snapshot *c)
{
	json_key(reply, "userspace");
	json_object_begin(reply);
	json_kv_uint(reply, "rx", c->rx);
	json_kv_uint(reply, "rx_bytes", c->rx_bytes);
	json_kv_uint(reply, "tx", c->tx);
	json_kv_uint(reply, "tx_bytes", c->tx_bytes);
	relay_drops_object(reply, c->drops);
	json_object_end(reply);
}

static void stream_counters(struct commands_ctx *ctx, const struct session *s, unsigned index,
			    struct json *reply)
{
	const struct session_stream *st = &s->streams[index];
	const struct relay_session *rs = s->relay;
	struct relay_counters_snapshot us = {0};
	struct sluice_stream_stats stats = {0};
	uint64_t now = monotonic_ns();

	session_maps_read_stats(ctx->maps, &st->key, &stats);
	json_kv_uint(reply, "packets", stats.packets);
	json_kv_uint(reply, "bytes", stats.bytes);
	json_key(reply, "last_seen_ms");
	if (stats.last_seen_ns && stats.last_seen_ns <= now)
		json_uint(reply, (now - stats.last_seen_ns) / 1000000);
	else
		json_null(reply);
	drops_object(reply, stats.drops);
	if (rs)
		relay_counters_read(&rs->streams[index].counters, &us);
	json_key(reply, "userspace_rx");
	json_object_begin(reply);
	json_kv_uint(reply, "packets", us.rx);
	json_kv_uint(reply, "bytes", us.rx_bytes);
	json_object_end(reply);
	userspace_object(reply, &us);
}

static void stream_object(struct commands_ctx *ctx, const struct session *s, unsigned index,
			  struct json *reply)
{
	const struct session_stream *st = &s->streams[index];
	struct sluice_stream now = st->value;
	struct sluice_rtp_quality q = {0};
	char buf[ENDPOINT_STR_MAX];
	struct endpoint remote;
	bool latched;

	session_maps_read_stream(ctx->maps, &st->key, &now);
	latched = commands_stream_remote(ctx, s, index, &remote);
	json_object_begin(reply);
	json_kv_string(reply, "kind", session_kind_name((enum sluice_kind)now.kind));
	kv_mapped(reply, "local", st->key.addr, st->key.port);
	json_key(reply, "remote");
	if (latched)
		json_string(reply, endpoint_format(&remote, buf, sizeof(buf)));
	else
		json_null(reply);
	json_kv_bool(reply, "latched", latched);
	json_kv_string(reply, "action", session_action_name((enum sluice_action)now.action));
	stream_counters(ctx, s, index, reply);
	if (now.kind != SLUICE_KIND_RTCP && session_maps_read_rtp(ctx->maps, &st->key, &q) == 0)
		rtp_object(reply, &q, now.clock_rate);
	json_object_end(reply);
}

static void leg_object(struct commands_ctx *ctx, const struct session *s, enum sluice_leg leg,
		       struct json *reply)
{
	const struct session_leg *l = &s->legs[leg];
	const struct relay_session *rs = s->relay;
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
	json_key(reply, "srtp");
	if (rs && rs->legs[leg].srtp) {
		json_object_begin(reply);
		json_kv_string(reply, "suite", sluice_srtp_suite_name(rs->legs[leg].suite));
		json_object_end(reply);
	} else {
		json_null(reply);
	}
	json_key(reply, "streams");
	json_array_begin(reply);
	for (unsigned i = 0; i < s->n_streams; i++)
		if (s->streams[i].value.leg == leg)
			stream_object(ctx, s, i, reply);
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
	struct media_counters us;
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
	json_kv_uint(reply, "xsk_redirects", g.xsk_redirects);
	json_key(reply, "sessions");
	json_object_begin(reply);
	json_kv_uint(reply, "active", session_table_count(ctx->table));
	json_kv_uint(reply, "total", session_table_total(ctx->table));
	json_kv_uint(reply, "max", ctx->config->max_sessions);
	json_object_end(reply);
	media_sockets_counters(ctx->media, &us);
	json_kv_uint(reply, "userspace_rx_packets", us.rx);
	json_key(reply, "userspace");
	json_object_begin(reply);
	json_kv_uint(reply, "workers", media_sockets_workers(ctx->media));
	json_kv_uint(reply, "rx", us.rx);
	json_kv_uint(reply, "rx_bytes", us.rx_bytes);
	json_kv_uint(reply, "tx", us.tx);
	json_kv_uint(reply, "tx_bytes", us.tx_bytes);
	relay_drops_object(reply, us.drops);
	json_kv_uint(reply, "enobufs", us.enobufs);
	json_kv_uint(reply, "send_errors", us.send_errors);
	json_kv_uint(reply, "truncated", us.truncated);
	json_kv_uint(reply, "recv_errors", us.recv_errors);
	json_key(reply, "af_xdp");
	json_object_begin(reply);
	json_kv_uint(reply, "workers", us.xsk_workers);
	json_kv_uint(reply, "rx", us.xsk_rx);
	json_kv_uint(reply, "tx", us.xsk_tx);
	json_kv_uint(reply, "fallback", us.xsk_fallback);
	json_kv_uint(reply, "bad", us.xsk_bad);
	json_kv_uint(reply, "kernel_rx_dropped", us.xsk_kernel.rx_dropped);
	json_kv_uint(reply, "kernel_rx_ring_full", us.xsk_kernel.rx_ring_full);
	json_kv_uint(reply, "kernel_fill_ring_empty", us.xsk_kernel.fill_ring_empty);
	json_kv_uint(reply, "kernel_rx_invalid", us.xsk_kernel.rx_invalid);
	json_kv_uint(reply, "kernel_tx_invalid", us.xsk_kernel.tx_invalid);
	json_object_end(reply);
	json_object_end(reply);
	json_object_end(reply);
}
