// SPDX-License-Identifier: MIT
/*
 * RFC 3711 receive rules through both engines: duplicate vs too-old, bit flips, rejected packets
 * change no state, 70,000 packets across a sequence wrap with reordering, MKI, SRTCP E flag and
 * index with its own replay window, rekey, malformed packets and API misuse.
 */
#include <stdlib.h>

#include "test_srtp_util.h"

#define SUITE_CM  SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80
#define SUITE_GCM SLUICE_SRTP_AEAD_AES_128_GCM
#define SSRC	  0x11223344u

struct rig {
	struct sluice_srtp_ctx *out, *in;
};

static const uint8_t key[32] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t salt[14] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
				 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad};

static struct rig rig_new(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite,
			  const struct sluice_srtp_mki *mki)
{
	struct rig r = {
	    .out = ctx_new_or_fail(engine, suite, SLUICE_SRTP_OUTBOUND, key, salt, mki),
	    .in = ctx_new_or_fail(engine, suite, SLUICE_SRTP_INBOUND, key, salt, mki),
	};
	return r;
}

static void rig_free(struct rig *r)
{
	sluice_srtp_ctx_free(r->out);
	sluice_srtp_ctx_free(r->in);
}

static size_t protect_rtp(struct rig *r, uint16_t seq, uint8_t *buf, size_t payload)
{
	size_t len = make_rtp(buf, seq, SSRC, (uint8_t)seq, payload);

	assert_int_equal(sluice_srtp_protect_rtp(r->out, buf, &len, 2048), 0);
	return len;
}

static int unprotect_copy(struct sluice_srtp_ctx *in, const uint8_t *pkt, size_t len, bool rtcp)
{
	uint8_t buf[2048];

	memcpy(buf, pkt, len);
	return rtcp ? sluice_srtp_unprotect_rtcp(in, buf, &len)
		    : sluice_srtp_unprotect_rtp(in, buf, &len);
}

static void duplicate_vs_old(enum sluice_srtp_engine engine)
{
	struct rig r = rig_new(engine, SUITE_CM, NULL);
	static uint8_t pkts[400][128];
	size_t lens[400];

	for (int i = 0; i < 400; i++)
		lens[i] = protect_rtp(&r, (uint16_t)(1000 + i), pkts[i], 40);
	/* receive 0..399 except 272 (= 399 - 127, the lowest index in the window) and 271 */
	for (int i = 0; i < 400; i++)
		if (i != 272 && i != 271)
			assert_int_equal(unprotect_copy(r.in, pkts[i], lens[i], false), 0);
	assert_int_equal(unprotect_copy(r.in, pkts[399], lens[399], false),
			 -SLUICE_SRTP_REPLAY_DUPLICATE);
	assert_int_equal(unprotect_copy(r.in, pkts[273], lens[273], false),
			 -SLUICE_SRTP_REPLAY_DUPLICATE);
	assert_int_equal(unprotect_copy(r.in, pkts[271], lens[271], false),
			 -SLUICE_SRTP_REPLAY_OLD);
	assert_int_equal(unprotect_copy(r.in, pkts[10], lens[10], false), -SLUICE_SRTP_REPLAY_OLD);
	assert_int_equal(unprotect_copy(r.in, pkts[272], lens[272], false), 0); /* window >= 128 */
	assert_int_equal(unprotect_copy(r.in, pkts[272], lens[272], false),
			 -SLUICE_SRTP_REPLAY_DUPLICATE);
	rig_free(&r);
}

static void test_duplicate_vs_old(void **state)
{
	duplicate_vs_old(SLUICE_SRTP_OPENSSL);
	duplicate_vs_old(SLUICE_SRTP_LIBSRTP);
}

/* Every bit of the authenticated portion and of the tag, RTP and RTCP, then state is intact. */
static void bit_flips(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite)
{
	struct sluice_srtp_mki mki = {.len = 1, .id = {0x42}};
	struct rig r = rig_new(engine, suite, &mki);
	uint8_t a[128], b[128], rtcp[128];
	size_t la, lb, lr;

	la = protect_rtp(&r, 7, a, 24);
	lb = protect_rtp(&r, 8, b, 24);
	assert_int_equal(unprotect_copy(r.in, a, la, false), 0);
	for (size_t bit = 0; bit < lb * 8; bit++) {
		uint8_t mki_at = sluice_srtp_suite_salt_len(suite) == 12 ? lb - 1 : lb - 11;
		int ret;

		if (bit / 8 == mki_at)
			continue; /* the MKI is not authenticated; a changed MKI is "no key" */
		b[bit / 8] ^= 1u << (bit % 8);
		ret = unprotect_copy(r.in, b, lb, false);
		b[bit / 8] ^= 1u << (bit % 8);
		if (bit < 16) /* version, CC, X, seq: framing or replay verdicts are fine too */
			assert_int_not_equal(ret, 0);
		else
			assert_int_equal(ret, -SLUICE_SRTP_AUTH_FAIL);
	}
	assert_int_equal(unprotect_copy(r.in, b, lb, false), 0);
	assert_int_equal(unprotect_copy(r.in, a, la, false), -SLUICE_SRTP_REPLAY_DUPLICATE);

	lr = make_rtcp(rtcp, SSRC, 0x55, 20);
	assert_int_equal(sluice_srtp_protect_rtcp(r.out, rtcp, &lr, sizeof(rtcp)), 0);
	for (size_t bit = 16; bit < lr * 8; bit++) {
		size_t mki_at = lr - 1 - (sluice_srtp_suite_salt_len(suite) == 12 ? 0 : 10);

		if (bit / 8 == mki_at)
			continue;
		rtcp[bit / 8] ^= 1u << (bit % 8);
		assert_int_equal(unprotect_copy(r.in, rtcp, lr, true), -SLUICE_SRTP_AUTH_FAIL);
		rtcp[bit / 8] ^= 1u << (bit % 8);
	}
	assert_int_equal(unprotect_copy(r.in, rtcp, lr, true), 0);
	assert_int_equal(unprotect_copy(r.in, rtcp, lr, true), -SLUICE_SRTP_REPLAY_DUPLICATE);
	rig_free(&r);
}

static void test_bit_flips(void **state)
{
	for (int e = 0; e < 2; e++) {
		bit_flips(test_engines[e], SUITE_CM);
		bit_flips(test_engines[e], SUITE_GCM);
	}
}

/* A forged packet that would move the ROC forward changes nothing. */
static void failed_packet_no_state(enum sluice_srtp_engine engine)
{
	struct rig r = rig_new(engine, SUITE_CM, NULL);
	uint8_t legit[128], forged[128], next[128];
	size_t ll, lf, ln;
	uint32_t roc = 99;

	ll = protect_rtp(&r, 65000, legit, 30);
	ln = protect_rtp(&r, 65001, next, 30);
	lf = protect_rtp(&r, 100, forged, 30); /* ROC 1 */
	assert_int_equal(unprotect_copy(r.in, legit, ll, false), 0);
	forged[lf - 1] ^= 0x01;
	assert_int_equal(unprotect_copy(r.in, forged, lf, false), -SLUICE_SRTP_AUTH_FAIL);
	assert_int_equal(sluice_srtp_get_roc(r.in, SSRC, &roc), 0);
	assert_int_equal(roc, 0);
	assert_int_equal(unprotect_copy(r.in, next, ln, false), 0);
	assert_int_equal(unprotect_copy(r.in, legit, ll, false), -SLUICE_SRTP_REPLAY_DUPLICATE);
	forged[lf - 1] ^= 0x01; /* the genuine ROC-1 packet is still acceptable */
	assert_int_equal(unprotect_copy(r.in, forged, lf, false), 0);
	assert_int_equal(sluice_srtp_get_roc(r.in, SSRC, &roc), 0);
	assert_int_equal(roc, 1);
	/* a forged packet from an unknown SSRC creates no stream */
	make_rtp(forged, 1, 0xdeadbeef, 0, 30);
	assert_int_equal(unprotect_copy(r.in, forged, 12 + 30 + 10, false), -SLUICE_SRTP_AUTH_FAIL);
	assert_int_equal(sluice_srtp_get_roc(r.in, 0xdeadbeef, &roc), -ENOENT);
	rig_free(&r);
}

static void test_failed_packet_changes_no_state(void **state)
{
	failed_packet_no_state(SLUICE_SRTP_OPENSSL);
	failed_packet_no_state(SLUICE_SRTP_LIBSRTP);
}

/* 70,000 packets from seq 30000 (wrap after 35,536), reordered in blocks near the wrap. */
static void wrap_70k(enum sluice_srtp_engine engine)
{
	enum { N = 70000, WRAP = 65536 - 30000 };
	struct rig r = rig_new(engine, SUITE_CM, NULL);
	static uint8_t pkts[N][12 + 8 + 10];
	static unsigned int order[N];
	uint64_t rng = 7;
	uint32_t roc = 0;

	for (unsigned int i = 0; i < N; i++) {
		protect_rtp(&r, (uint16_t)(30000 + i), pkts[i], 8);
		order[i] = i;
	}
	/* shuffle within blocks of 16 from 200 before to 200 after the wrap */
	for (unsigned int base = WRAP - 200; base < WRAP + 200; base += 16) {
		for (unsigned int i = 15; i > 0; i--) {
			unsigned int j = prng_next(&rng) % (i + 1), t = order[base + i];

			order[base + i] = order[base + j];
			order[base + j] = t;
		}
	}
	for (unsigned int i = 0; i < N; i++) {
		assert_int_equal(unprotect_copy(r.in, pkts[order[i]], sizeof(pkts[0]), false), 0);
		if (i % 97 == 0) /* accepted exactly once */
			assert_int_equal(
			    unprotect_copy(r.in, pkts[order[i]], sizeof(pkts[0]), false),
			    -SLUICE_SRTP_REPLAY_DUPLICATE);
	}
	assert_int_equal(sluice_srtp_get_roc(r.in, SSRC, &roc), 0);
	assert_int_equal(roc, 1);
	assert_int_equal(sluice_srtp_get_roc(r.out, SSRC, &roc), 0);
	assert_int_equal(roc, 1);
	rig_free(&r);
}

static void test_70k_across_wrap(void **state)
{
	wrap_70k(SLUICE_SRTP_OPENSSL);
	wrap_70k(SLUICE_SRTP_LIBSRTP);
}

static void mki(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite)
{
	struct sluice_srtp_mki one = {.len = 1, .id = {0x07}};
	struct sluice_srtp_mki other = {.len = 1, .id = {0x08}};
	struct sluice_srtp_ctx *wrong =
	    ctx_new_or_fail(engine, suite, SLUICE_SRTP_INBOUND, key, salt, &other);
	struct rig r = rig_new(engine, suite, &one);
	uint8_t a[128], c[128];
	size_t la, lc;

	la = protect_rtp(&r, 1, a, 20);
	assert_int_equal(la, 12 + 20 + sluice_srtp_overhead(r.out, 0));
	assert_int_equal(unprotect_copy(wrong, a, la, false), -SLUICE_SRTP_NO_KEY);
	assert_int_equal(unprotect_copy(r.in, a, la, false), 0);
	lc = make_rtcp(c, SSRC, 1, 8);
	assert_int_equal(sluice_srtp_protect_rtcp(r.out, c, &lc, sizeof(c)), 0);
	assert_int_equal(unprotect_copy(wrong, c, lc, true), -SLUICE_SRTP_NO_KEY);
	assert_int_equal(unprotect_copy(r.in, c, lc, true), 0);
	sluice_srtp_ctx_free(wrong);
	rig_free(&r);
}

static void test_mki(void **state)
{
	for (int e = 0; e < 2; e++)
		for (unsigned int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++)
			mki(test_engines[e], s);
}

static void srtcp_index(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite)
{
	struct rig r = rig_new(engine, suite, NULL);
	static uint8_t pkts[300][64];
	size_t lens[300], at;
	uint8_t rtp[128];
	size_t lrtp;

	for (unsigned int i = 0; i < 300; i++) {
		lens[i] = make_rtcp(pkts[i], SSRC, (uint8_t)i, 8);
		assert_int_equal(sluice_srtp_protect_rtcp(r.out, pkts[i], &lens[i], 64), 0);
		at = lens[i] - 4 - (sluice_srtp_suite_salt_len(suite) == 12 ? 0 : 10);
		assert_int_equal(load_be32_test(pkts[i] + at),
				 0x80000000u | (i + 1)); /* E, index 1.. */
	}
	/* RTP with the same numbers does not touch the SRTCP window */
	lrtp = protect_rtp(&r, 2, rtp, 10);
	assert_int_equal(unprotect_copy(r.in, rtp, lrtp, false), 0);
	assert_int_equal(unprotect_copy(r.in, pkts[2], lens[2], true), 0);
	assert_int_equal(unprotect_copy(r.in, pkts[0], lens[0], true), 0); /* reordered */
	assert_int_equal(unprotect_copy(r.in, pkts[2], lens[2], true),
			 -SLUICE_SRTP_REPLAY_DUPLICATE);
	assert_int_equal(unprotect_copy(r.in, pkts[299], lens[299], true), 0);
	assert_int_equal(unprotect_copy(r.in, pkts[1], lens[1], true), -SLUICE_SRTP_REPLAY_OLD);
	assert_int_equal(unprotect_copy(r.in, pkts[250], lens[250], true), 0);
	/* E flag cleared: refused (unencrypted SRTCP is not accepted by these suites) */
	at = lens[251] - 4 - (sluice_srtp_suite_salt_len(suite) == 12 ? 0 : 10);
	pkts[251][at] &= 0x7f;
	assert_int_equal(unprotect_copy(r.in, pkts[251], lens[251], true), -SLUICE_SRTP_AUTH_FAIL);
	pkts[251][at] |= 0x80;
	assert_int_equal(unprotect_copy(r.in, pkts[251], lens[251], true), 0);
	rig_free(&r);
}

static void test_srtcp_index(void **state)
{
	for (int e = 0; e < 2; e++) {
		srtcp_index(test_engines[e], SUITE_CM);
		srtcp_index(test_engines[e], SUITE_GCM);
	}
}

static void rekey(enum sluice_srtp_engine engine)
{
	struct rig r = rig_new(engine, SUITE_CM, NULL);
	struct sluice_srtp_ctx *other =
	    ctx_new_or_fail(engine, SUITE_CM, SLUICE_SRTP_INBOUND, key, salt, NULL);
	uint8_t key2[16] = {0xee}, a[128], b[128];
	size_t la, lb;

	la = protect_rtp(&r, 10, a, 20);
	assert_int_equal(unprotect_copy(r.in, a, la, false), 0);
	assert_int_equal(sluice_srtp_rekey(r.out, key2, 16, salt, 14, NULL), 0);
	lb = protect_rtp(&r, 11, b, 20);
	assert_int_equal(unprotect_copy(r.in, b, lb, false), -SLUICE_SRTP_AUTH_FAIL);
	assert_int_equal(sluice_srtp_rekey(r.in, key2, 16, salt, 14, NULL), 0);
	assert_int_equal(unprotect_copy(r.in, b, lb, false), 0);
	assert_int_equal(unprotect_copy(r.in, b, lb, false), -SLUICE_SRTP_REPLAY_DUPLICATE);
	/* a context with the old key (the other leg direction) is untouched */
	assert_int_equal(unprotect_copy(other, a, la, false), 0);
	assert_int_equal(sluice_srtp_rekey(r.in, key2, 32, salt, 14, NULL), -EINVAL);
	sluice_srtp_ctx_free(other);
	rig_free(&r);
}

static void test_rekey(void **state)
{
	rekey(SLUICE_SRTP_OPENSSL);
	rekey(SLUICE_SRTP_LIBSRTP);
}

static void malformed(enum sluice_srtp_engine engine)
{
	struct rig r = rig_new(engine, SUITE_CM, NULL);
	uint8_t a[128], t[128];
	size_t la, len;

	la = protect_rtp(&r, 5, a, 20);
	for (size_t n = 0; n < 12 + 10; n++)
		assert_int_equal(unprotect_copy(r.in, a, n, false), -SLUICE_SRTP_MALFORMED);
	memcpy(t, a, la);
	t[0] = 0x40; /* version 1 */
	assert_int_equal(unprotect_copy(r.in, t, la, false), -SLUICE_SRTP_MALFORMED);
	t[0] = 0x8f; /* 15 CSRCs: 72 octets of header in a 42-octet packet */
	assert_int_equal(unprotect_copy(r.in, t, la, false), -SLUICE_SRTP_MALFORMED);
	t[0] = 0x90; /* extension header with a length beyond the packet */
	t[14] = 0x00;
	t[15] = 0x40;
	assert_int_equal(unprotect_copy(r.in, t, la, false), -SLUICE_SRTP_MALFORMED);
	assert_int_equal(unprotect_copy(r.in, a, la, false), 0);
	/* RTCP too short, protect without room, wrong direction */
	assert_int_equal(unprotect_copy(r.in, a, 8 + 4 + 9, true), -SLUICE_SRTP_MALFORMED);
	len = make_rtp(t, 6, SSRC, 0, 20);
	assert_int_equal(sluice_srtp_protect_rtp(r.out, t, &len, len + 9), -ENOBUFS);
	assert_int_equal(len, 32);
	assert_int_equal(sluice_srtp_protect_rtp(r.in, t, &len, sizeof(t)), -EINVAL);
	assert_int_equal(sluice_srtp_unprotect_rtp(r.out, t, &len), -EINVAL);
	/* protecting the same sequence number twice is refused */
	assert_int_equal(sluice_srtp_protect_rtp(r.out, t, &len, sizeof(t)), 0);
	len = make_rtp(t, 6, SSRC, 0, 20);
	assert_int_equal(sluice_srtp_protect_rtp(r.out, t, &len, sizeof(t)), -EALREADY);
	rig_free(&r);
}

static void test_malformed(void **state)
{
	malformed(SLUICE_SRTP_OPENSSL);
	malformed(SLUICE_SRTP_LIBSRTP);
}

/* The OpenSSL engine caps SSRCs per context; a new SSRC past the cap is "no key". */
static void test_stream_cap(void **state)
{
	struct rig r = rig_new(SLUICE_SRTP_OPENSSL, SUITE_CM, NULL);
	struct sluice_srtp_ctx *in2 =
	    ctx_new_or_fail(SLUICE_SRTP_OPENSSL, SUITE_CM, SLUICE_SRTP_INBOUND, key, salt, NULL);
	uint8_t buf[128];
	size_t len;

	for (uint32_t s = 0; s <= SLUICE_SRTP_MAX_STREAMS; s++) {
		len = make_rtp(buf, 1, 1000 + s, 0, 10);
		if (s < SLUICE_SRTP_MAX_STREAMS) {
			assert_int_equal(sluice_srtp_protect_rtp(r.out, buf, &len, sizeof(buf)), 0);
			assert_int_equal(sluice_srtp_unprotect_rtp(r.in, buf, &len), 0);
		} else {
			assert_int_equal(sluice_srtp_protect_rtp(r.out, buf, &len, sizeof(buf)),
					 -ENOKEY);
		}
	}
	rig_free(&r);
	sluice_srtp_ctx_free(in2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duplicate_vs_old),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_failed_packet_changes_no_state),
	    cmocka_unit_test(test_70k_across_wrap),
	    cmocka_unit_test(test_mki),
	    cmocka_unit_test(test_srtcp_index),
	    cmocka_unit_test(test_rekey),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_stream_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
