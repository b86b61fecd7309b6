// SPDX-License-Identifier: MIT
/*
 * The per-packet work of the SRTP hop (see relay_handler.h) and the life cycle of the state it
 * runs on. Order per packet: the peer's socket must exist, the source must be the leg's remote
 * (strict source), the packet must authenticate and decrypt with the receiving leg's rx context;
 * only then may it latch the leg's remote, and an SRTP stream's latch is written back to its map
 * entry (XDP does not latch those). A packet rejected at any step changes no state: the SRTP
 * layer guarantees it for its contexts, and latching comes after authentication.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "datapath/relay_handler.h"

static const char *const drop_names[RELAY_DROP_MAX] = {
    [RELAY_DROP_NONE] = "none",
    [RELAY_DROP_SRTP_AUTH] = "srtp_auth",
    [RELAY_DROP_SRTP_REPLAY_DUPLICATE] = "srtp_replay_duplicate",
    [RELAY_DROP_SRTP_REPLAY_OLD] = "srtp_replay_old",
    [RELAY_DROP_SRTP_MALFORMED] = "srtp_malformed",
    [RELAY_DROP_SRTP_NO_KEY] = "srtp_no_key",
    [RELAY_DROP_SRC_NOT_LATCHED] = "src_not_latched",
    [RELAY_DROP_PEER_UNKNOWN] = "peer_unknown",
    [RELAY_DROP_SEND_ERROR] = "send_error",
};

const char *relay_drop_name(unsigned reason)
{
	return reason < RELAY_DROP_MAX && drop_names[reason] ? drop_names[reason] : "unknown";
}

/* Single-writer counter update: a plain add published with a relaxed store. */
static inline void count(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

int relay_session_new(uint32_t id, bool forward, struct relay_session **ret)
{
	struct relay_session *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	rs->id = id;
	rs->forward = forward;
	for (unsigned i = 0; i < 4; i++) {
		rs->streams[i].session = rs;
		atomic_init(&rs->streams[i].port, DP_PORT_INVALID);
	}
	atomic_init(&rs->refs, 1);
	*ret = rs;
	return 0;
}

void relay_session_ref(struct relay_session *rs)
{
	atomic_fetch_add_explicit(&rs->refs, 1, memory_order_relaxed);
}

static void crypto_free(struct relay_crypto *c)
{
	sluice_srtp_ctx_free(c->active);
	sluice_srtp_ctx_free(atomic_exchange(&c->pending, NULL));
	sluice_srtp_ctx_free(atomic_exchange(&c->retired, NULL));
	c->active = NULL;
}

void relay_session_unref(struct relay_session *rs)
{
	if (!rs || atomic_fetch_sub_explicit(&rs->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (unsigned leg = 0; leg < 2; leg++) {
		crypto_free(&rs->legs[leg].rx);
		crypto_free(&rs->legs[leg].tx);
	}
	explicit_bzero(rs, sizeof(*rs));
	free(rs);
}

int relay_session_set_srtp(struct relay_session *rs, enum sluice_leg leg,
			   enum sluice_srtp_suite suite, struct sluice_srtp_ctx *rx,
			   struct sluice_srtp_ctx *tx)
{
	struct relay_leg *l = &rs->legs[leg];

	/* Without an rx key (not signalled yet) the leg's packets are dropped as srtp_no_key. */
	if (!tx || l->srtp) {
		sluice_srtp_ctx_free(rx);
		sluice_srtp_ctx_free(tx);
		return -EINVAL;
	}
	l->srtp = true;
	l->suite = suite;
	l->rx.active = rx;
	l->tx.active = tx;
	return 0;
}

static socklen_t mapped_to_sockaddr(const uint8_t addr[16], __be16 port, union dp_sockaddr *ret)
{
	struct sockaddr_storage ss;
	struct endpoint ep;
	socklen_t len;

	endpoint_from_mapped(addr, ntohs(port), &ep);
	len = endpoint_to_sockaddr(&ep, &ss);
	memcpy(ret, &ss, len);
	return len;
}

void relay_session_set_stream(struct relay_session *rs, unsigned i,
			      const struct sluice_stream_key *key,
			      const struct sluice_stream *value, bool strict_source)
{
	struct relay_stream *st = &rs->streams[i];

	st->leg = (enum sluice_leg)value->leg;
	st->kind = (enum sluice_kind)value->kind;
	st->strict_source = strict_source;
	st->latch_to_map = value->flags & SLUICE_F_SRTP;
	st->key = *key;
	if (value->flags & SLUICE_F_LATCHED) {
		st->remote_len =
		    mapped_to_sockaddr(value->remote_addr, value->remote_port, &st->remote);
		atomic_store_explicit(&st->latched, true, memory_order_release);
	}
}

void relay_session_link(struct relay_session *rs, unsigned n_streams, bool rtcp_mux)
{
	unsigned components = rtcp_mux ? 1 : 2;

	rs->n_streams = n_streams;
	for (unsigned c = 0; c < components; c++) {
		struct relay_stream *in = &rs->streams[rtcp_mux ? 0 : c];
		struct relay_stream *gw = &rs->streams[rtcp_mux ? 1 : 2 + c];

		in->peer = gw;
		gw->peer = in;
	}
}

static bool same_source(const struct relay_stream *st, const struct sockaddr *src,
			socklen_t src_len)
{
	if (src->sa_family != st->remote.sa.sa_family)
		return false;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src;

		return src_len >= sizeof(*a) && a->sin_port == st->remote.in.sin_port &&
		       a->sin_addr.s_addr == st->remote.in.sin_addr.s_addr;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src;

		return src_len >= sizeof(*a) && a->sin6_port == st->remote.in6.sin6_port &&
		       memcmp(&a->sin6_addr, &st->remote.in6.sin6_addr, 16) == 0;
	}
	return false;
}

/* Worker side: the first packet that passed every check becomes the stream's remote. */
static bool latch(struct relay_stream *st, const struct sockaddr *src, socklen_t src_len)
{
	if (src_len > sizeof(st->remote))
		return false;
	memcpy(&st->remote, src, src_len);
	st->remote_len = src_len;
	atomic_store_explicit(&st->latched, true, memory_order_release);
	return true;
}

/*
 * XDP does not latch SRTP streams: the worker's latch goes into the stream's map entry, once, so
 * that XDP can route the other leg's packets toward it (AF_XDP) from now on.
 */
static void store_latch(struct relay_session *rs, const struct relay_stream *st)
{
	if (st->latch_to_map && rs->maps.store_latch)
		rs->maps.store_latch(rs->maps.arg, &st->key, &st->remote.sa, st->remote_len);
}

/* Worker side: the context to use now, after taking over a pending replacement. */
static struct sluice_srtp_ctx *crypto_current(struct relay_crypto *c)
{
	struct sluice_srtp_ctx *next;

	/* The control side collects what was retired before the next one is taken over. */
	if (__builtin_expect(atomic_load_explicit(&c->pending, memory_order_relaxed) != NULL, 0) &&
	    atomic_load_explicit(&c->retired, memory_order_acquire) == NULL) {
		next = atomic_exchange_explicit(&c->pending, NULL, memory_order_acq_rel);
		if (next) {
			atomic_store_explicit(&c->retired, c->active, memory_order_release);
			c->active = next;
		}
	}
	return c->active;
}

static enum relay_drop srtp_drop_reason(int r)
{
	switch (-r) {
	case SLUICE_SRTP_AUTH_FAIL:
		return RELAY_DROP_SRTP_AUTH;
	case SLUICE_SRTP_REPLAY_DUPLICATE:
		return RELAY_DROP_SRTP_REPLAY_DUPLICATE;
	case SLUICE_SRTP_REPLAY_OLD:
		return RELAY_DROP_SRTP_REPLAY_OLD;
	case SLUICE_SRTP_NO_KEY:
	case EKEYEXPIRED:
		return RELAY_DROP_SRTP_NO_KEY;
	case SLUICE_SRTP_MALFORMED:
	case EINVAL:
		return RELAY_DROP_SRTP_MALFORMED;
	default:
		return RELAY_DROP_SEND_ERROR;
	}
}

static bool is_rtcp(const struct relay_stream *st, const uint8_t *pkt, size_t len)
{
	if (st->kind == SLUICE_KIND_RTCP)
		return true;
	/* RFC 5761 section 4: on a muxed port, payload types 192..223 are RTCP. */
	return st->kind == SLUICE_KIND_MUX && len >= 2 && pkt[1] >= SLUICE_RTCP_PT_MIN &&
	       pkt[1] <= SLUICE_RTCP_PT_MAX;
}

/* The peer's remote: known to the worker, or (forward sessions) XDP's latch in the maps. */
static bool peer_remote_known(struct relay_session *rs, struct relay_stream *peer)
{
	union dp_sockaddr addr;
	socklen_t len;

	if (atomic_load_explicit(&peer->latched, memory_order_relaxed))
		return true;
	if (!rs->forward || !rs->maps.lookup ||
	    !rs->maps.lookup(rs->maps.arg, &peer->key, &addr, &len))
		return false;
	/* XDP never moves a latch, so the worker may keep it. */
	latch(peer, &addr.sa, len);
	return true;
}

static int drop(struct relay_stream *st, enum relay_drop reason)
{
	count(&st->counters.drops[reason], 1);
	return (int)reason;
}

int relay_handle_packet(void *port_ctx, uint8_t *pkt, size_t len, size_t cap, struct dp_tx *ret_tx)
{
	struct relay_stream *st = port_ctx, *peer = st->peer;
	struct relay_session *rs = st->session;
	bool rtcp = is_rtcp(st, pkt, len), latched;
	dp_port_id out_port;
	int r;

	count(&st->counters.rx, 1);
	count(&st->counters.rx_bytes, len);
	out_port = peer ? atomic_load_explicit(&peer->port, memory_order_acquire) : DP_PORT_INVALID;
	if (out_port == DP_PORT_INVALID)
		return drop(st, RELAY_DROP_PEER_UNKNOWN);

	if (!rs->forward) {
		struct relay_leg *leg = &rs->legs[st->leg];

		latched = atomic_load_explicit(&st->latched, memory_order_relaxed);
		if (latched && st->strict_source && !same_source(st, ret_tx->src, ret_tx->src_len))
			return drop(st, RELAY_DROP_SRC_NOT_LATCHED);
		if (leg->srtp) {
			struct sluice_srtp_ctx *ctx = crypto_current(&leg->rx);

			if (!ctx)
				return drop(st, RELAY_DROP_SRTP_NO_KEY);
			r = rtcp ? sluice_srtp_unprotect_rtcp(ctx, pkt, &len)
				 : sluice_srtp_unprotect_rtp(ctx, pkt, &len);
			if (r < 0)
				return drop(st, srtp_drop_reason(r));
		}
		if (!latched && latch(st, ret_tx->src, ret_tx->src_len))
			store_latch(rs, st);
	}

	if (!peer_remote_known(rs, peer))
		return drop(st, RELAY_DROP_PEER_UNKNOWN);
	if (rs->legs[peer->leg].srtp) {
		struct sluice_srtp_ctx *ctx = crypto_current(&rs->legs[peer->leg].tx);

		if (!ctx)
			return drop(st, RELAY_DROP_SRTP_NO_KEY);
		r = rtcp ? sluice_srtp_protect_rtcp(ctx, pkt, &len, cap)
			 : sluice_srtp_protect_rtp(ctx, pkt, &len, cap);
		if (r < 0)
			return drop(st, srtp_drop_reason(r));
	}
	ret_tx->out_port = out_port;
	ret_tx->len = (uint32_t)len;
	ret_tx->dst_len = peer->remote_len;
	memcpy(&ret_tx->dst, &peer->remote, peer->remote_len);
	count(&peer->counters.tx, 1);
	count(&peer->counters.tx_bytes, len);
	return DP_SEND;
}

void relay_port_removed(void *port_ctx, void *arg)
{
	struct relay_stream *st = port_ctx;
	struct relay_session *rs = st->session;

	atomic_store_explicit(&st->port, DP_PORT_INVALID, memory_order_relaxed);
	atomic_fetch_sub_explicit(&rs->ports, 1, memory_order_acq_rel);
	relay_session_unref(rs);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void collect_retired(struct relay_crypto *c)
{
	sluice_srtp_ctx_free(atomic_exchange_explicit(&c->retired, NULL, memory_order_acq_rel));
}

bool relay_crypto_replace(struct relay_crypto *c, struct sluice_srtp_ctx *ctx, unsigned wait_ms)
{
	collect_retired(c);
	/* A replacement the worker never took (no packet since) is simply superseded. */
	sluice_srtp_ctx_free(atomic_exchange_explicit(&c->pending, ctx, memory_order_acq_rel));
	for (unsigned waited = 0;; waited++) {
		collect_retired(c);
		if (atomic_load_explicit(&c->pending, memory_order_acquire) == NULL) {
			collect_retired(c);
			return true;
		}
		if (waited >= wait_ms)
			return false;
		sleep_ms(1);
	}
}

void relay_counters_read(const struct relay_counters *c, struct relay_counters_snapshot *ret)
{
	ret->rx = atomic_load_explicit(&c->rx, memory_order_relaxed);
	ret->rx_bytes = atomic_load_explicit(&c->rx_bytes, memory_order_relaxed);
	ret->tx = atomic_load_explicit(&c->tx, memory_order_relaxed);
	ret->tx_bytes = atomic_load_explicit(&c->tx_bytes, memory_order_relaxed);
	for (unsigned i = 0; i < RELAY_DROP_MAX; i++)
		ret->drops[i] = atomic_load_explicit(&c->drops[i], memory_order_relaxed);
}

bool relay_stream_remote(const struct relay_stream *st, struct endpoint *ret)
{
	if (!atomic_load_explicit(&st->latched, memory_order_acquire))
		return false;
	return endpoint_from_sockaddr(&st->remote.sa, st->remote_len, ret) == 0;
}
