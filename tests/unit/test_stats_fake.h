/* SPDX-License-Identifier: MIT */
/*
 * A fake stats provider for the stats tests: a fixed global snapshot (every field distinct, so a
 * golden output shows that each lands where it should) and n_sessions sessions of two legs.
 * Session 2's suite carries a quote, a backslash and a newline to exercise escaping.
 */
#ifndef SLUICE_TEST_STATS_FAKE_H
#define SLUICE_TEST_STATS_FAKE_H

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "stats/stats_snapshot.h"

struct fake_provider {
	unsigned n_sessions;
	_Atomic uint64_t global_calls;
	_Atomic uint64_t packets_bump; /* added to xdp_forward packets: a moving counter */
	_Atomic int fail;	       /* negative errno: global() fails */
};

static inline void fake_fill_global(struct stats_global *g, uint64_t bump)
{
	g->time_unix_ms = 1700000000123ull;
	g->sessions_active = 3;
	g->sessions_total = 41;
	g->sessions_max = 16384;
	g->packets[STATS_PATH_XDP_FORWARD] = 1000 + bump;
	g->packets[STATS_PATH_USERSPACE] = 200;
	g->packets[STATS_PATH_DROPPED] = 30;
	g->bytes[STATS_PATH_XDP_FORWARD] = 160000;
	g->bytes[STATS_PATH_USERSPACE] = 34000;
	g->bytes[STATS_PATH_DROPPED] = 4800;
	g->xdp_pass_packets = 77;
	g->xdp_fib_no_neigh = 5;
	g->xdp_xsk_redirects = 150;
	g->xdp_drops[SLUICE_DROP_NO_SESSION] = 11;
	g->xdp_drops[SLUICE_DROP_SRC_NOT_LATCHED] = 2;
	g->xdp_drops[SLUICE_DROP_NO_ROUTE] = 1;
	g->userspace_drops[STATS_US_DROP_SRTP_AUTH] = 7;
	g->userspace_drops[STATS_US_DROP_SRTP_REPLAY_DUPLICATE] = 4;
	g->userspace_drops[STATS_US_DROP_SRTP_REPLAY_OLD] = 3;
	g->userspace_drops[STATS_US_DROP_SEND_ERROR] = 2;
	g->srtp_failures[STATS_SRTP_FAIL_AUTH] = 7;
	g->srtp_failures[STATS_SRTP_FAIL_REPLAY_DUPLICATE] = 4;
	g->srtp_failures[STATS_SRTP_FAIL_REPLAY_OLD] = 3;
	g->control_requests[1][STATS_CTL_OK] = 50; /* ping */
	g->control_requests[2][STATS_CTL_OK] = 20; /* offer */
	g->control_requests[2][STATS_CTL_ERROR] = 2;
	g->tls_handshake_failures[0] = 6; /* no_client_cert */
	g->tls_handshake_failures[4] = 1; /* protocol_version */
	g->n_workers = 2;
	g->workers[0] = (struct stats_worker){.busy_ns = 250000000,
					      .wall_ns = 1000000000,
					      .rx_packets = 120,
					      .tx_packets = 110,
					      .af_xdp = true,
					      .af_xdp_rx_packets = 101,
					      .af_xdp_tx_packets = 97};
	g->workers[1] = (struct stats_worker){
	    .busy_ns = 500000000, .wall_ns = 1000000000, .rx_packets = 95, .tx_packets = 90};
	g->af_xdp = (struct stats_af_xdp){.workers = 1,
					  .rx_packets = 101,
					  .tx_packets = 97,
					  .fallback_packets = 3,
					  .bad_frames = 8,
					  .kernel_rx_dropped = 13,
					  .kernel_rx_ring_full = 14,
					  .kernel_fill_ring_empty = 15,
					  .kernel_rx_invalid = 16,
					  .kernel_tx_invalid = 17};
	g->userspace_processing.buckets[0] = 10;		 /* <= 128 ns */
	g->userspace_processing.buckets[3] = 100;		 /* <= 1024 ns */
	g->userspace_processing.buckets[4] = 80;		 /* <= 2048 ns */
	g->userspace_processing.buckets[STATS_HIST_BOUNDED] = 1; /* > 4.19 ms */
	g->userspace_processing.sum_ns = 300000 + 5000000;
	g->rtp_streams = 4;
	g->rtp_expected = 1000;
	g->rtp_lost = 12;
	g->rtp_jitter_max_seconds = 0.004;
	g->rtp_jitter_sum_seconds = 0.008;
}

static inline void fake_fill_session(struct stats_session *s, uint32_t id)
{
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->n_streams = 2;
	for (unsigned i = 0; i < 2; i++) {
		struct stats_stream *st = &s->streams[i];

		st->leg = i == 0 ? SLUICE_LEG_INTERNAL : SLUICE_LEG_GATEWAY;
		st->kind = SLUICE_KIND_MUX;
		st->path = i == 0 ? STATS_STREAM_USERSPACE : STATS_STREAM_KERNEL;
		endpoint_parse(i == 0 ? "198.18.1.1:30000" : "[2001:db8:2::1]:30002", false,
			       &st->local);
		st->has_remote = i == 0;
		if (st->has_remote)
			endpoint_parse("198.18.1.2:40000", false, &st->remote);
		if (i == 0)
			strcpy(st->suite, id == 2 ? "odd\"suite\\x\ny" : "AES_CM_128_HMAC_SHA1_80");
		st->packets = 100 * id + i;
		st->bytes = 16000 * id + i;
		st->xdp_drops[SLUICE_DROP_SRC_NOT_LATCHED] = i;
		st->userspace_drops[STATS_US_DROP_SRTP_AUTH] = i == 0 ? id : 0;
		st->has_rtp = true;
		st->expected = 100 * id;
		st->lost = i == 0 ? -1 : 2;
		st->jitter_seconds = 0.0015;
		st->seen = i == 0;
		st->last_seen_age_seconds = 0.25;
	}
}

static inline int fake_global(void *opaque, struct stats_global *ret)
{
	struct fake_provider *f = opaque;

	atomic_fetch_add(&f->global_calls, 1);
	if (f->fail)
		return f->fail;
	fake_fill_global(ret, atomic_load(&f->packets_bump));
	ret->sessions_active = f->n_sessions;
	return 0;
}

static inline int fake_foreach(void *opaque, stats_session_visit_fn visit, void *arg)
{
	struct fake_provider *f = opaque;
	struct stats_session s;

	for (uint32_t id = 1; id <= f->n_sessions; id++) {
		fake_fill_session(&s, id);
		if (visit(arg, &s))
			break;
	}
	return 0;
}

static inline int fake_session(void *opaque, uint32_t id, struct stats_session *ret)
{
	struct fake_provider *f = opaque;

	if (id == 0 || id > f->n_sessions)
		return -ENOENT;
	fake_fill_session(ret, id);
	return 0;
}

static inline struct stats_provider fake_provider(struct fake_provider *f)
{
	return (struct stats_provider){.opaque = f,
				       .global = fake_global,
				       .foreach_session = fake_foreach,
				       .session = fake_session};
}

#endif
