// SPDX-License-Identifier: MIT
/*
 * The SRTP hop's per-packet handler (userspace/datapath/relay_handler.c), called directly as the
 * worker would: SRTP in -> plain out and back, verdicts by drop reason with the per-stream
 * counters, strict source and latching on the first authenticated packet only (an SRTP stream's
 * latch written back to the maps once), no state change on rejected packets, peer unknown, RTCP on
 * a muxed port, a missing rx key, and a rekey handed over through relay_crypto_replace. The far
 * ends use the libsrtp2 engine, the relay OpenSSL.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datapath/relay_handler.h"

#define SUITE	 SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80
#define KEY_LEN	 16
#define SALT_LEN 14
#define CAP	 1500

static const uint8_t caller_key[30] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
				       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
static const uint8_t relay_key[30] = {31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,
				      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60};
static const uint8_t other_key[30] = {99};

static struct sluice_srtp_ctx *ctx(enum sluice_srtp_engine engine, enum sluice_srtp_direction dir,
				   const uint8_t key[30])
{
	struct sluice_srtp_ctx *c;

	assert_int_equal(sluice_srtp_ctx_new(engine, SUITE, dir, key, KEY_LEN, key + KEY_LEN,
					     SALT_LEN, NULL, &c),
			 0);
	return c;
}

static void sin_of(const char *addr, uint16_t port, struct sockaddr_in *ret)
{
	*ret = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &ret->sin_addr);
}

/* Stream i's map value: leg, kind, optional signalled remote; SLUICE_F_SRTP on an SRTP leg. */
static void set_stream(struct relay_session *rs, unsigned i, enum sluice_leg leg,
		       enum sluice_kind kind, const char *remote, uint16_t port)
{
	struct sluice_stream_key key = {.port = htons((uint16_t)(30000 + i))};
	struct sluice_stream value = {.leg = leg, .kind = kind, .action = SLUICE_ACT_USERSPACE};

	if (rs->legs[leg].srtp)
		value.flags |= SLUICE_F_SRTP;
	if (remote) {
		struct in_addr a;

		inet_pton(AF_INET, remote, &a);
		value.remote_addr[10] = value.remote_addr[11] = 0xff;
		memcpy(value.remote_addr + 12, &a, 4);
		value.remote_port = htons(port);
		value.flags |= SLUICE_F_LATCHED;
	}
	relay_session_set_stream(rs, i, &key, &value, true);
	atomic_store(&rs->streams[i].port, 100 + i);
}

/* An internal-SRTP / gateway-plain session; the caller's remote signalled unless latch. */
static struct relay_session *srtp_session(bool signalled, bool gateway_known, bool rx_key)
{
	struct relay_session *rs;

	assert_int_equal(relay_session_new(7, false, &rs), 0);
	assert_int_equal(
	    relay_session_set_srtp(
		rs, SLUICE_LEG_INTERNAL, SUITE,
		rx_key ? ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_INBOUND, caller_key) : NULL,
		ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_OUTBOUND, relay_key)),
	    0);
	set_stream(rs, 0, SLUICE_LEG_INTERNAL, SLUICE_KIND_RTP, signalled ? "198.18.1.2" : NULL,
		   20000);
	set_stream(rs, 1, SLUICE_LEG_INTERNAL, SLUICE_KIND_RTCP, signalled ? "198.18.1.2" : NULL,
		   20001);
	set_stream(rs, 2, SLUICE_LEG_GATEWAY, SLUICE_KIND_RTP, gateway_known ? "198.18.2.2" : NULL,
		   40000);
	set_stream(rs, 3, SLUICE_LEG_GATEWAY, SLUICE_KIND_RTCP, gateway_known ? "198.18.2.2" : NULL,
		   40001);
	relay_session_link(rs, 4, false);
	return rs;
}

static size_t rtp_packet(uint8_t *buf, uint16_t seq)
{
	memset(buf, 0, CAP);
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[8] = 0xca;
	buf[11] = 0x01;
	for (int i = 12; i < 172; i++)
		buf[i] = (uint8_t)(i * 7 + seq);
	return 172;
}

/* Protects packet seq with the caller's key into buf; returns its length. */
static size_t caller_packet(struct sluice_srtp_ctx *tx, uint8_t *buf, uint16_t seq)
{
	size_t len = rtp_packet(buf, seq);

	assert_int_equal(sluice_srtp_protect_rtp(tx, buf, &len, CAP), 0);
	return len;
}

static int handle(struct relay_session *rs, unsigned stream, uint8_t *buf, size_t len,
		  const struct sockaddr_in *src, struct dp_tx *tx)
{
	*tx = (struct dp_tx){.src = (const struct sockaddr *)src,
			     .src_len = sizeof(*src),
			     .out_port = DP_PORT_INVALID};
	return relay_handle_packet(&rs->streams[stream], buf, len, CAP, tx);
}

static uint64_t drops(struct relay_session *rs, unsigned stream, enum relay_drop reason)
{
	struct relay_counters_snapshot c;

	relay_counters_read(&rs->streams[stream].counters, &c);
	return c.drops[reason];
}

static void srtp_to_plain_and_back(void **state)
{
	struct relay_session *rs = srtp_session(true, true, true);
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sluice_srtp_ctx *rx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_INBOUND, relay_key);
	uint8_t buf[CAP], plain[CAP];
	struct sockaddr_in caller, gw;
	struct relay_counters_snapshot c;
	struct dp_tx out;
	size_t len;

	sin_of("198.18.1.2", 20000, &caller);
	sin_of("198.18.2.2", 40000, &gw);
	len = caller_packet(tx, buf, 1000);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	assert_int_equal(out.len, rtp_packet(plain, 1000));
	assert_memory_equal(buf, plain, out.len);
	assert_int_equal(out.out_port, 102);
	assert_int_equal(out.dst.in.sin_port, htons(40000));

	/* Plain from the gateway leaves protected with the relay's key toward the caller. */
	len = rtp_packet(buf, 5);
	assert_int_equal(handle(rs, 2, buf, len, &gw, &out), DP_SEND);
	assert_int_equal(out.out_port, 100);
	assert_int_equal(out.dst.in.sin_port, htons(20000));
	len = out.len;
	assert_int_equal(sluice_srtp_unprotect_rtp(rx, buf, &len), 0);
	assert_memory_equal(buf, plain, 0); /* decrypted */
	assert_int_equal(len, rtp_packet(plain, 5));
	assert_memory_equal(buf, plain, len);

	relay_counters_read(&rs->streams[0].counters, &c);
	assert_int_equal(c.rx, 1);
	assert_int_equal(c.tx, 1);
	relay_counters_read(&rs->streams[2].counters, &c);
	assert_int_equal(c.rx, 1);
	assert_int_equal(c.tx, 1);
	sluice_srtp_ctx_free(tx);
	sluice_srtp_ctx_free(rx);
	relay_session_unref(rs);
}

static void rejects_change_nothing(void **state)
{
	struct relay_session *rs = srtp_session(true, true, true);
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sluice_srtp_ctx *wrong = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, other_key);
	uint8_t buf[CAP], copy[CAP];
	struct sockaddr_in caller, stranger;
	struct dp_tx out;
	size_t len;

	sin_of("198.18.1.2", 20000, &caller);
	sin_of("198.18.1.3", 20000, &stranger);
	len = caller_packet(tx, buf, 10);
	memcpy(copy, buf, len);

	/* From a stranger, a bit flipped in the payload, a flip in the tag: nothing happens. */
	assert_int_equal(handle(rs, 0, buf, len, &stranger, &out), RELAY_DROP_SRC_NOT_LATCHED);
	memcpy(buf, copy, len);
	buf[20] ^= 1;
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_AUTH);
	memcpy(buf, copy, len);
	buf[len - 1] ^= 0x80;
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_AUTH);
	/* ... so the genuine packet still passes, once. */
	memcpy(buf, copy, len);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	memcpy(buf, copy, len);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_REPLAY_DUPLICATE);
	/* Far behind the window after 200 more. */
	for (uint16_t seq = 11; seq < 211; seq++) {
		len = caller_packet(tx, buf, seq);
		assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	}
	len = 172 + 10;
	memcpy(buf, copy, len);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_REPLAY_OLD);
	/* Another key; a packet too short for its tag. */
	len = caller_packet(wrong, buf, 300);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_AUTH);
	assert_int_equal(handle(rs, 0, buf, 16, &caller, &out), RELAY_DROP_SRTP_MALFORMED);

	assert_int_equal(drops(rs, 0, RELAY_DROP_SRC_NOT_LATCHED), 1);
	assert_int_equal(drops(rs, 0, RELAY_DROP_SRTP_AUTH), 3);
	assert_int_equal(drops(rs, 0, RELAY_DROP_SRTP_REPLAY_DUPLICATE), 1);
	assert_int_equal(drops(rs, 0, RELAY_DROP_SRTP_REPLAY_OLD), 1);
	assert_int_equal(drops(rs, 0, RELAY_DROP_SRTP_MALFORMED), 1);
	sluice_srtp_ctx_free(tx);
	sluice_srtp_ctx_free(wrong);
	relay_session_unref(rs);
}

static void latches_on_first_authenticated(void **state)
{
	struct relay_session *rs = srtp_session(false, true, true);
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sluice_srtp_ctx *wrong = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, other_key);
	struct sockaddr_in caller, attacker;
	struct endpoint remote;
	uint8_t buf[CAP];
	struct dp_tx out;
	size_t len;

	sin_of("198.18.1.2", 20000, &caller);
	sin_of("198.18.1.66", 20666, &attacker);
	assert_false(relay_stream_remote(&rs->streams[0], &remote));
	len = caller_packet(wrong, buf, 1);
	assert_int_equal(handle(rs, 0, buf, len, &attacker, &out), RELAY_DROP_SRTP_AUTH);
	assert_false(relay_stream_remote(&rs->streams[0], &remote));
	len = caller_packet(tx, buf, 1);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	assert_true(relay_stream_remote(&rs->streams[0], &remote));
	assert_int_equal(remote.port, 20000);
	len = caller_packet(tx, buf, 2);
	assert_int_equal(handle(rs, 0, buf, len, &attacker, &out), RELAY_DROP_SRC_NOT_LATCHED);
	sluice_srtp_ctx_free(tx);
	sluice_srtp_ctx_free(wrong);
	relay_session_unref(rs);
}

/* A relay_store_latch_fn that records its calls. */
struct stored_latch {
	unsigned calls;
	struct sluice_stream_key key;
	struct sockaddr_in src;
};

static void store_latch(void *arg, const struct sluice_stream_key *key, const struct sockaddr *src,
			socklen_t src_len)
{
	struct stored_latch *stored = arg;

	stored->calls++;
	stored->key = *key;
	assert_int_equal(src_len, sizeof(stored->src));
	memcpy(&stored->src, src, sizeof(stored->src));
}

/* Unprotects a copy of packet with the relay's rx context, as if it had been relayed before. */
static void seen_before(struct relay_session *rs, const uint8_t *packet, size_t len)
{
	uint8_t copy[CAP];

	memcpy(copy, packet, len);
	assert_int_equal(sluice_srtp_unprotect_rtp(rs->legs[SLUICE_LEG_INTERNAL].rx.active, copy,
						   &len),
			 0);
}

/*
 * The SRTP stream's latch goes to the maps once, from the first authenticated packet; no rejected
 * packet (wrong key, altered, replayed, malformed) gets there, nor the plain leg's latch (XDP
 * makes that one), nor a signalled remote.
 */
static void srtp_latch_stored_once(void **state)
{
	struct relay_session *rs = srtp_session(false, false, true);
	struct relay_session *signalled = srtp_session(true, true, true);
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sluice_srtp_ctx *wrong = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, other_key);
	struct stored_latch stored = {0}, stored_signalled = {0};
	uint8_t buf[CAP], old[CAP], dup[CAP];
	struct sockaddr_in caller, attacker, gw;
	size_t len, old_len, dup_len;
	struct endpoint remote;
	struct dp_tx out;

	rs->maps = (struct relay_maps){.store_latch = store_latch, .arg = &stored};
	signalled->maps = (struct relay_maps){.store_latch = store_latch, .arg = &stored_signalled};
	sin_of("198.18.1.2", 20000, &caller);
	sin_of("198.18.1.66", 20666, &attacker);
	sin_of("198.18.2.2", 40000, &gw);

	/* The plain gateway leg latches in the worker only. */
	len = rtp_packet(buf, 1);
	assert_int_equal(handle(rs, 2, buf, len, &gw, &out), RELAY_DROP_PEER_UNKNOWN);
	assert_true(relay_stream_remote(&rs->streams[2], &remote));
	assert_int_equal(stored.calls, 0);

	/* Seq 1 and 200 were accepted before: seq 1 is behind the window, seq 200 a duplicate. */
	old_len = caller_packet(tx, old, 1);
	dup_len = caller_packet(tx, dup, 200);
	seen_before(rs, old, old_len);
	seen_before(rs, dup, dup_len);
	len = caller_packet(wrong, buf, 201);
	assert_int_equal(handle(rs, 0, buf, len, &attacker, &out), RELAY_DROP_SRTP_AUTH);
	len = caller_packet(tx, buf, 202);
	buf[20] ^= 1;
	assert_int_equal(handle(rs, 0, buf, len, &attacker, &out), RELAY_DROP_SRTP_AUTH);
	assert_int_equal(handle(rs, 0, dup, dup_len, &attacker, &out),
			 RELAY_DROP_SRTP_REPLAY_DUPLICATE);
	assert_int_equal(handle(rs, 0, old, old_len, &attacker, &out), RELAY_DROP_SRTP_REPLAY_OLD);
	assert_int_equal(handle(rs, 0, buf, 16, &attacker, &out), RELAY_DROP_SRTP_MALFORMED);
	assert_int_equal(stored.calls, 0);
	assert_false(relay_stream_remote(&rs->streams[0], &remote));

	/* The caller's first authenticated packet: stored once, with its source and the key. */
	len = caller_packet(tx, buf, 203);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	assert_int_equal(stored.calls, 1);
	assert_memory_equal(&stored.key, &rs->streams[0].key, sizeof(stored.key));
	assert_int_equal(stored.src.sin_family, AF_INET);
	assert_int_equal(stored.src.sin_addr.s_addr, caller.sin_addr.s_addr);
	assert_int_equal(stored.src.sin_port, caller.sin_port);
	/* Not again: neither for the caller's next packets nor for one from elsewhere. */
	for (uint16_t seq = 204; seq < 210; seq++) {
		len = caller_packet(tx, buf, seq);
		assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	}
	len = caller_packet(tx, buf, 210);
	assert_int_equal(handle(rs, 0, buf, len, &attacker, &out), RELAY_DROP_SRC_NOT_LATCHED);
	assert_int_equal(stored.calls, 1);

	/* A signalled remote is in the map from the start: nothing to store. */
	len = caller_packet(tx, buf, 211);
	assert_int_equal(handle(signalled, 0, buf, len, &caller, &out), DP_SEND);
	assert_int_equal(stored_signalled.calls, 0);
	sluice_srtp_ctx_free(tx);
	sluice_srtp_ctx_free(wrong);
	relay_session_unref(rs);
	relay_session_unref(signalled);
}

static void peer_unknown_and_no_key(void **state)
{
	struct relay_session *rs = srtp_session(true, false, true);
	struct relay_session *nokey = srtp_session(true, true, false);
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sockaddr_in caller;
	uint8_t buf[CAP];
	struct dp_tx out;
	size_t len;

	sin_of("198.18.1.2", 20000, &caller);
	len = caller_packet(tx, buf, 1);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_PEER_UNKNOWN);
	len = caller_packet(tx, buf, 2);
	assert_int_equal(handle(nokey, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_NO_KEY);
	/* A peer without a socket yet is unknown too. */
	atomic_store(&nokey->streams[2].port, DP_PORT_INVALID);
	assert_int_equal(handle(nokey, 0, buf, len, &caller, &out), RELAY_DROP_PEER_UNKNOWN);
	sluice_srtp_ctx_free(tx);
	relay_session_unref(rs);
	relay_session_unref(nokey);
}

static void rtcp_on_a_muxed_port(void **state)
{
	struct sluice_srtp_ctx *tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sockaddr_in caller;
	struct relay_session *rs;
	uint8_t buf[CAP];
	struct dp_tx out;
	size_t len;

	assert_int_equal(relay_session_new(8, false, &rs), 0);
	assert_int_equal(
	    relay_session_set_srtp(rs, SLUICE_LEG_INTERNAL, SUITE,
				   ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_INBOUND, caller_key),
				   ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_OUTBOUND, relay_key)),
	    0);
	set_stream(rs, 0, SLUICE_LEG_INTERNAL, SLUICE_KIND_MUX, "198.18.1.2", 20000);
	set_stream(rs, 1, SLUICE_LEG_GATEWAY, SLUICE_KIND_MUX, "198.18.2.2", 40000);
	relay_session_link(rs, 2, true);
	sin_of("198.18.1.2", 20000, &caller);

	/* RTCP receiver report (PT 201), SRTCP-protected. */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = 201;
	buf[3] = 1;
	buf[4] = 0xca;
	len = 8;
	assert_int_equal(sluice_srtp_protect_rtcp(tx, buf, &len, CAP), 0);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	assert_int_equal(out.len, 8);
	assert_int_equal(out.out_port, 101);
	len = caller_packet(tx, buf, 3);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	sluice_srtp_ctx_free(tx);
	relay_session_unref(rs);
}

static void rekey_hands_over(void **state)
{
	struct relay_session *rs = srtp_session(true, true, true);
	struct sluice_srtp_ctx *old_tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, caller_key);
	struct sluice_srtp_ctx *new_tx = ctx(SLUICE_SRTP_LIBSRTP, SLUICE_SRTP_OUTBOUND, other_key);
	struct sockaddr_in caller;
	uint8_t buf[CAP];
	struct dp_tx out;
	size_t len;

	sin_of("198.18.1.2", 20000, &caller);
	len = caller_packet(old_tx, buf, 1);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	/* No worker runs: not taken over within the wait, but the next packet takes it. */
	assert_false(relay_crypto_replace(&rs->legs[SLUICE_LEG_INTERNAL].rx,
					  ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_INBOUND, other_key),
					  2));
	len = caller_packet(old_tx, buf, 2);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), RELAY_DROP_SRTP_AUTH);
	len = caller_packet(new_tx, buf, 3);
	assert_int_equal(handle(rs, 0, buf, len, &caller, &out), DP_SEND);
	/* A second replacement collects the retired context; the session frees the rest. */
	assert_false(relay_crypto_replace(&rs->legs[SLUICE_LEG_INTERNAL].rx,
					  ctx(SLUICE_SRTP_OPENSSL, SLUICE_SRTP_INBOUND, caller_key),
					  0));
	sluice_srtp_ctx_free(old_tx);
	sluice_srtp_ctx_free(new_tx);
	relay_session_unref(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(srtp_to_plain_and_back),
	    cmocka_unit_test(rejects_change_nothing),
	    cmocka_unit_test(latches_on_first_authenticated),
	    cmocka_unit_test(srtp_latch_stored_once),
	    cmocka_unit_test(peer_unknown_and_no_key),
	    cmocka_unit_test(rtcp_on_a_muxed_port),
	    cmocka_unit_test(rekey_hands_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
