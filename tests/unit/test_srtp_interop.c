// SPDX-License-Identifier: MIT
/*
 * Round trips between sluice (both engines) and independently created raw libsrtp2 sessions (the
 * libsrtp2 API called directly here), for every suite, both directions, RTP and RTCP, with and
 * without a 1-byte MKI, including a sequence number wrap.
 */
#include <stdbool.h>

#include "test_srtp_util.h"

#define PACKETS 300

static bool raw_rtcp_mki_bug(enum sluice_srtp_suite suite)
{
	return suite == SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32 ||
	       suite == SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32;
}

/* The bug itself, so that a fixed libsrtp2 shows up here. */
static void test_libsrtp_rtcp_mki_bug(void **state)
{
	struct sluice_srtp_mki mki = {.len = 1, .id = {0x01}};
	uint8_t key[16] = {1}, salt[14] = {2}, buf[128];
	srtp_t out = raw_libsrtp_new(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32, 0, key, salt, &mki);
	srtp_t in = raw_libsrtp_new(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32, 1, key, salt, &mki);
	int len = (int)make_rtcp(buf, 0x1234, 7, 16);

	assert_int_equal(srtp_protect_rtcp_mki(out, buf, &len, 1, 0), 0);
	assert_int_equal(srtp_unprotect_rtcp_mki(in, buf, &len, 1), srtp_err_status_bad_mki);
	srtp_dealloc(out);
	srtp_dealloc(in);
}

static void one_way(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite,
		    const struct sluice_srtp_mki *mki, uint64_t seed)
{
	uint8_t key[32], salt[14], buf[1600], plain[1600];
	struct sluice_srtp_ctx *s_out, *s_in;
	srtp_t r_in, r_out;
	uint32_t ssrc;
	uint16_t seq;

	prng_fill(&seed, key, sizeof(key));
	prng_fill(&seed, salt, sizeof(salt));
	ssrc = (uint32_t)prng_next(&seed);
	seq = 65535 - PACKETS / 2; /* cross the 16-bit wrap */
	s_out = ctx_new_or_fail(engine, suite, SLUICE_SRTP_OUTBOUND, key, salt, mki);
	s_in = ctx_new_or_fail(engine, suite, SLUICE_SRTP_INBOUND, key, salt, mki);
	r_in = raw_libsrtp_new(suite, 1, key, salt, mki);
	r_out = raw_libsrtp_new(suite, 0, key, salt, mki);

	for (int i = 0; i < PACKETS; i++, seq++) {
		size_t plen = prng_next(&seed) % 1200, len, plain_len;
		int ilen;

		/* sluice protects, libsrtp2 unprotects */
		plain_len = len = make_rtp(plain, seq, ssrc, (uint8_t)i, plen);
		memcpy(buf, plain, len);
		assert_int_equal(sluice_srtp_protect_rtp(s_out, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, plain_len + sluice_srtp_overhead(s_out, 0));
		ilen = (int)len;
		assert_int_equal(srtp_unprotect_mki(r_in, buf, &ilen, mki != NULL), 0);
		assert_int_equal(ilen, plain_len);
		assert_memory_equal(buf, plain, plain_len);

		/* libsrtp2 protects, sluice unprotects */
		memcpy(buf, plain, plain_len);
		ilen = (int)plain_len;
		assert_int_equal(srtp_protect_mki(r_out, buf, &ilen, mki != NULL, 0), 0);
		len = (size_t)ilen;
		assert_int_equal(sluice_srtp_unprotect_rtp(s_in, buf, &len), 0);
		assert_int_equal(len, plain_len);
		assert_memory_equal(buf, plain, plain_len);

		if (i % 10)
			continue;
		plain_len = len = make_rtcp(plain, ssrc, (uint8_t)i, 4 * (prng_next(&seed) % 64));
		memcpy(buf, plain, len);
		assert_int_equal(sluice_srtp_protect_rtcp(s_out, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, plain_len + sluice_srtp_overhead(s_out, 1));
		ilen = (int)len;
		if (mki && raw_rtcp_mki_bug(suite)) {
			/* libsrtp2 2.5 seeks the SRTCP MKI with the RTP tag length: strip it */
			memmove(buf + len - 10 - mki->len, buf + len - 10, 10);
			ilen -= mki->len;
			assert_int_equal(srtp_unprotect_rtcp_mki(r_in, buf, &ilen, 0), 0);
		} else {
			assert_int_equal(srtp_unprotect_rtcp_mki(r_in, buf, &ilen, mki != NULL), 0);
		}
		assert_int_equal(ilen, plain_len);
		assert_memory_equal(buf, plain, plain_len);

		memcpy(buf, plain, plain_len);
		ilen = (int)plain_len;
		assert_int_equal(srtp_protect_rtcp_mki(r_out, buf, &ilen, mki != NULL, 0), 0);
		len = (size_t)ilen;
		assert_int_equal(sluice_srtp_unprotect_rtcp(s_in, buf, &len), 0);
		assert_int_equal(len, plain_len);
		assert_memory_equal(buf, plain, plain_len);
	}
	uint32_t roc = 0;

	assert_int_equal(sluice_srtp_get_roc(s_in, ssrc, &roc), 0);
	assert_int_equal(roc, 1);
	sluice_srtp_ctx_free(s_out);
	sluice_srtp_ctx_free(s_in);
	srtp_dealloc(r_in);
	srtp_dealloc(r_out);
}

static void all_suites(enum sluice_srtp_engine engine, const struct sluice_srtp_mki *mki)
{
	for (unsigned int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++)
		one_way(engine, s, mki, 0x5eed0000 + s);
}

static void test_openssl_vs_libsrtp(void **state)
{
	all_suites(SLUICE_SRTP_OPENSSL, NULL);
}

static void test_libsrtp_engine_vs_libsrtp(void **state)
{
	all_suites(SLUICE_SRTP_LIBSRTP, NULL);
}

static void test_openssl_vs_libsrtp_mki(void **state)
{
	struct sluice_srtp_mki mki1 = {.len = 1, .id = {0x01}};
	struct sluice_srtp_mki mki4 = {.len = 4, .id = {0xde, 0xad, 0xbe, 0xef}};

	all_suites(SLUICE_SRTP_OPENSSL, &mki1);
	all_suites(SLUICE_SRTP_OPENSSL, &mki4);
}

static void test_libsrtp_engine_vs_libsrtp_mki(void **state)
{
	struct sluice_srtp_mki mki1 = {.len = 1, .id = {0x01}};

	all_suites(SLUICE_SRTP_LIBSRTP, &mki1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libsrtp_rtcp_mki_bug),
	    cmocka_unit_test(test_openssl_vs_libsrtp),
	    cmocka_unit_test(test_libsrtp_engine_vs_libsrtp),
	    cmocka_unit_test(test_openssl_vs_libsrtp_mki),
	    cmocka_unit_test(test_libsrtp_engine_vs_libsrtp_mki),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
