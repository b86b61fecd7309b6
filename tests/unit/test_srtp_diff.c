// SPDX-License-Identifier: MIT
/*
 * Differential test of the two engines: random suites, keys, SSRCs, MKIs, sequence numbers (often
 * around the 65535 -> 0 wrap, with duplicates, reordering and jumps past the replay window) and
 * payload sizes 0..1400. Protect must give bit-identical packets and identical errors; unprotect of
 * legitimate, bit-flipped, replayed and too-old packets must give identical verdicts and output.
 * Deterministic seed (SRTP_DIFF_SEED overrides), SRTP_DIFF_ITERS iterations (default 3000).
 */
#include <stdlib.h>

#include "test_srtp_util.h"

#define PKTS_PER_ITER 12
#define MAX_PKT	      1600

struct pair {
	struct sluice_srtp_ctx *ctx[2]; /* [0] OpenSSL, [1] libsrtp2 */
};

struct sent {
	uint8_t buf[MAX_PKT];
	size_t len;
	bool rtcp;
};

static uint64_t seed_from_env(void)
{
	const char *s = getenv("SRTP_DIFF_SEED");

	return s ? strtoull(s, NULL, 0) : UINT64_C(0x51ce5eed);
}

static void pair_new(struct pair *p, enum sluice_srtp_suite suite, enum sluice_srtp_direction dir,
		     const uint8_t *key, const uint8_t *salt, const struct sluice_srtp_mki *mki)
{
	for (int e = 0; e < 2; e++)
		p->ctx[e] = ctx_new_or_fail(test_engines[e], suite, dir, key, salt, mki);
}

static void pair_free(struct pair *p)
{
	for (int e = 0; e < 2; e++)
		sluice_srtp_ctx_free(p->ctx[e]);
}

/* Protects with both engines; returns the shared result and leaves the packet in *out. */
static int protect_both(struct pair *p, bool rtcp, const uint8_t *plain, size_t plain_len,
			struct sent *out)
{
	uint8_t buf[2][MAX_PKT];
	size_t len[2];
	int r[2];

	for (int e = 0; e < 2; e++) {
		memcpy(buf[e], plain, plain_len);
		len[e] = plain_len;
		r[e] = rtcp ? sluice_srtp_protect_rtcp(p->ctx[e], buf[e], &len[e], MAX_PKT)
			    : sluice_srtp_protect_rtp(p->ctx[e], buf[e], &len[e], MAX_PKT);
	}
	assert_int_equal(r[0], r[1]);
	if (r[0] == 0) {
		assert_int_equal(len[0], len[1]);
		assert_memory_equal(buf[0], buf[1], len[0]);
		memcpy(out->buf, buf[0], len[0]);
		out->len = len[0];
		out->rtcp = rtcp;
	}
	return r[0];
}

static int unprotect_both(struct pair *p, const struct sent *pkt, unsigned int *verdicts)
{
	uint8_t buf[2][MAX_PKT];
	size_t len[2];
	int r[2];

	for (int e = 0; e < 2; e++) {
		memcpy(buf[e], pkt->buf, pkt->len);
		len[e] = pkt->len;
		r[e] = pkt->rtcp ? sluice_srtp_unprotect_rtcp(p->ctx[e], buf[e], &len[e])
				 : sluice_srtp_unprotect_rtp(p->ctx[e], buf[e], &len[e]);
	}
	if (r[0] != r[1])
		print_error("engines disagree: openssl %s, libsrtp2 %s\n",
			    sluice_srtp_verdict_name(r[0]), sluice_srtp_verdict_name(r[1]));
	assert_int_equal(r[0], r[1]);
	if (r[0] == 0) {
		assert_int_equal(len[0], len[1]);
		assert_memory_equal(buf[0], buf[1], len[0]);
	}
	verdicts[-r[0] < 256 ? -r[0] : 255]++;
	return r[0];
}

static void one_iteration(uint64_t *rng, unsigned int *verdicts)
{
	enum sluice_srtp_suite suite = prng_next(rng) % _SLUICE_SRTP_SUITE_MAX;
	uint8_t key[32], salt[14], plain[MAX_PKT];
	struct sluice_srtp_mki mki = {0};
	static struct sent sent[PKTS_PER_ITER * 2];
	unsigned int n_sent = 0;
	struct pair out, in;
	uint32_t ssrc = (uint32_t)prng_next(rng);
	uint16_t seq;

	prng_fill(rng, key, sizeof(key));
	prng_fill(rng, salt, sizeof(salt));
	if (prng_next(rng) % 4 == 0) {
		mki.len = 1 + prng_next(rng) % SLUICE_SRTP_MAX_MKI_LEN;
		prng_fill(rng, mki.id, mki.len);
	}
	seq =
	    prng_next(rng) % 2 ? (uint16_t)(65535 - prng_next(rng) % 8) : (uint16_t)prng_next(rng);
	pair_new(&out, suite, SLUICE_SRTP_OUTBOUND, key, salt, &mki);
	pair_new(&in, suite, SLUICE_SRTP_INBOUND, key, salt, &mki);

	for (int i = 0; i < PKTS_PER_ITER; i++) {
		uint64_t step = prng_next(rng) % 100;
		size_t plen = prng_next(rng) % 1401, len;
		bool rtcp = prng_next(rng) % 5 == 0;

		if (step < 70)
			seq += 1;
		else if (step < 80)
			seq += 2 + step % 4;
		else if (step < 85)
			; /* same sequence number again: protect refuses (no repeat tx) */
		else if (step < 92)
			seq -= 1 + step % 3;
		else
			seq += 130 + prng_next(rng) % 300; /* past the window */
		if (rtcp)
			len = make_rtcp(plain, ssrc, (uint8_t)i, 4 * (plen / 4));
		else
			len = make_rtp(plain, seq, ssrc, (uint8_t)i, plen);
		if (protect_both(&out, rtcp, plain, len, &sent[n_sent]) == 0)
			n_sent++;
	}

	for (unsigned int i = 0; i < n_sent; i++) {
		struct sent pkt = sent[i];
		uint64_t action = prng_next(rng) % 100;

		if (action < 25) { /* a flipped bit anywhere */
			size_t bit = prng_next(rng) % (pkt.len * 8);

			pkt.buf[bit / 8] ^= 1u << (bit % 8);
			unprotect_both(&in, &pkt, verdicts);
		} else if (action < 30) { /* truncated */
			pkt.len = prng_next(rng) % pkt.len;
			unprotect_both(&in, &pkt, verdicts);
		}
		unprotect_both(&in, &sent[i], verdicts);
		if (action % 7 == 0) /* replay of this one or an earlier one */
			unprotect_both(&in, &sent[prng_next(rng) % (i + 1)], verdicts);
	}
	pair_free(&out);
	pair_free(&in);
}

static void test_engines_agree(void **state)
{
	const char *iters_env = getenv("SRTP_DIFF_ITERS");
	unsigned int iters = iters_env ? (unsigned int)strtoul(iters_env, NULL, 0) : 3000;
	unsigned int verdicts[256] = {0};
	uint64_t rng = seed_from_env();

	for (unsigned int i = 0; i < iters; i++)
		one_iteration(&rng, verdicts);

	print_message("ok %u, auth-fail %u, duplicate %u, old %u, malformed %u, no-key %u\n",
		      verdicts[0], verdicts[SLUICE_SRTP_AUTH_FAIL],
		      verdicts[SLUICE_SRTP_REPLAY_DUPLICATE], verdicts[SLUICE_SRTP_REPLAY_OLD],
		      verdicts[SLUICE_SRTP_MALFORMED], verdicts[SLUICE_SRTP_NO_KEY]);
	/* every verdict class must actually have been exercised */
	assert_true(verdicts[0] > 0 && verdicts[SLUICE_SRTP_AUTH_FAIL] > 0);
	assert_true(verdicts[SLUICE_SRTP_REPLAY_DUPLICATE] > 0 &&
		    verdicts[SLUICE_SRTP_REPLAY_OLD] > 0);
	assert_true(verdicts[SLUICE_SRTP_MALFORMED] > 0 && verdicts[SLUICE_SRTP_NO_KEY] > 0);
}

/*
 * Every payload length 0..1100, RTP and SRTCP, every suite: crosses the OpenSSL engine's switch
 * from the AES-ECB keystream to AES-CTR (512 octets) and every partial-block tail on both sides.
 */
static void test_every_payload_length(void **state)
{
	uint8_t key[32], salt[14], plain[MAX_PKT];
	unsigned int verdicts[256] = {0};
	uint64_t rng = seed_from_env() ^ 0x1e57;

	for (int suite = 0; suite < _SLUICE_SRTP_SUITE_MAX; suite++) {
		struct pair out, in;
		struct sent pkt;

		prng_fill(&rng, key, sizeof(key));
		prng_fill(&rng, salt, sizeof(salt));
		pair_new(&out, suite, SLUICE_SRTP_OUTBOUND, key, salt, NULL);
		pair_new(&in, suite, SLUICE_SRTP_INBOUND, key, salt, NULL);
		for (size_t plen = 0; plen <= 1100; plen++) {
			size_t len =
			    make_rtp(plain, (uint16_t)(65000 + plen), 0x1234, (uint8_t)plen, plen);

			assert_int_equal(protect_both(&out, false, plain, len, &pkt), 0);
			assert_int_equal(unprotect_both(&in, &pkt, verdicts), 0);
			if (plen % 4)
				continue;
			len = make_rtcp(plain, 0x1234, (uint8_t)plen, plen);
			assert_int_equal(protect_both(&out, true, plain, len, &pkt), 0);
			assert_int_equal(unprotect_both(&in, &pkt, verdicts), 0);
		}
		pair_free(&out);
		pair_free(&in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_engines_agree),
	    cmocka_unit_test(test_every_payload_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
