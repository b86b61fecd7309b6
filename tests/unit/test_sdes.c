// SPDX-License-Identifier: MIT
/*
 * Unit tests for SDES a=crypto lines: parse/format round trips for every suite, RFC 4568's own
 * example, lifetimes and MKIs, every error reason, session parameters, and the choice of an answer
 * suite under policy.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "control/sdes.h"

static void fill(struct sdes_crypto *c, uint32_t tag, enum sluice_srtp_suite suite)
{
	memset(c, 0, sizeof(*c));
	c->tag = tag;
	c->suite = suite;
	for (size_t i = 0; i < sizeof(c->key); i++)
		c->key[i] = (uint8_t)(0xa0 + i * 7 + suite);
	for (size_t i = 0; i < sizeof(c->salt); i++)
		c->salt[i] = (uint8_t)(0x11 * i + suite);
}

static void check_roundtrip(const struct sdes_crypto *in)
{
	size_t key_len = sluice_srtp_suite_key_len(in->suite);
	size_t salt_len = sluice_srtp_suite_salt_len(in->suite);
	struct sdes_crypto out;
	char line[SDES_LINE_MAX];
	const char *reason = NULL;
	size_t len;

	assert_int_equal(sdes_format(in, line, sizeof(line), &len), 0);
	assert_int_equal(strlen(line), len);
	assert_int_equal(sdes_parse(line, len, &out, &reason), 0);
	assert_int_equal(out.tag, in->tag);
	assert_int_equal(out.suite, in->suite);
	assert_memory_equal(out.key, in->key, key_len);
	assert_memory_equal(out.salt, in->salt, salt_len);
	assert_int_equal(out.lifetime, in->lifetime);
	assert_int_equal(out.mki.len, in->mki.len);
	assert_memory_equal(out.mki.id, in->mki.id, in->mki.len);
	sdes_crypto_clear(&out);
}

static void test_roundtrip_all_suites(void **state)
{
	for (unsigned int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++) {
		struct sdes_crypto c;

		fill(&c, s + 1, s);
		check_roundtrip(&c);
		c.lifetime = UINT64_C(1) << 31;
		check_roundtrip(&c);
		c.lifetime = 1; /* written as "1", not "2^0" (which is refused) */
		check_roundtrip(&c);
		c.lifetime = 1000000;
		c.mki = (struct sluice_srtp_mki){.len = 4, .id = {0, 0, 1, 2}};
		check_roundtrip(&c);
		c.lifetime = 0;
		c.mki = (struct sluice_srtp_mki){.len = 1, .id = {0xff}};
		check_roundtrip(&c);
		c.tag = SDES_MAX_TAG;
		check_roundtrip(&c);
	}
}

static void test_format_text(void **state)
{
	struct sdes_crypto c;
	char line[SDES_LINE_MAX];
	size_t len;

	fill(&c, 7, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);
	memset(c.key, 0, 16);
	memset(c.salt, 0, 14);
	c.lifetime = UINT64_C(1) << 20;
	c.mki = (struct sluice_srtp_mki){.len = 2, .id = {1, 0}};
	assert_int_equal(sdes_format(&c, line, sizeof(line), &len), 0);
	assert_string_equal(line, "7 AES_CM_128_HMAC_SHA1_80 "
				  "inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|2^20|256:2");
	/* every GCM key length has padding */
	fill(&c, 1, SLUICE_SRTP_AEAD_AES_128_GCM);
	assert_int_equal(sdes_format(&c, line, sizeof(line), &len), 0);
	assert_string_equal(line + len - 2, "==");
	for (size_t cap = 0; cap <= len; cap++)
		assert_int_equal(sdes_format(&c, line, cap, &len), -ENOSPC);
	c.tag = SDES_MAX_TAG + 1;
	assert_int_equal(sdes_format(&c, line, sizeof(line), &len), -EINVAL);
	c.tag = 1;
	c.mki.len = 5;
	assert_int_equal(sdes_format(&c, line, sizeof(line), &len), -EINVAL);
}

static void test_rfc4568_example(void **state)
{
	const char *line = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
			   "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
	struct sdes_crypto c;
	const char *reason;

	assert_int_equal(sdes_parse(line, strlen(line), &c, &reason), 0);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.suite, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(c.lifetime, 1 << 20);
	assert_int_equal(c.mki.len, 4);
	assert_memory_equal(c.mki.id, "\0\0\0\1", 4);
	assert_int_equal(c.key[0], 0x3d); /* 'PS1u' = 3d 2d 6e */
	assert_int_equal(c.key[1], 0x2d);
	assert_int_equal(c.key[2], 0x6e);
	sdes_crypto_clear(&c);
	for (size_t i = 0; i < sizeof(c); i++)
		assert_int_equal(((uint8_t *)&c)[i], 0);
}

static void expect(const char *line, int want, const char *want_reason)
{
	struct sdes_crypto c = {.tag = 4242};
	const char *reason = NULL;

	assert_int_equal(sdes_parse(line, strlen(line), &c, &reason), want);
	if (want < 0) {
		assert_string_equal(reason, want_reason);
		assert_int_equal(c.tag, 4242); /* untouched */
	}
}

#define KEY30 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"

static void test_errors(void **state)
{
	expect("", -EBADMSG, "invalid crypto tag");
	expect("x AES_CM_128_HMAC_SHA1_80 inline:" KEY30, -EBADMSG, "invalid crypto tag");
	expect("1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY30, -EBADMSG, "invalid crypto tag");
	expect("1", -EBADMSG, "missing crypto suite");
	expect("1 F8_128_HMAC_SHA1_80 inline:" KEY30, -ENOTSUP, "unknown crypto suite");
	expect("1 AES_CM_128_HMAC_SHA1_80", -EBADMSG, "missing key parameters");
	expect("1 AES_CM_128_HMAC_SHA1_80 uri:" KEY30, -EBADMSG, "key method is not inline");
	/* 30 bytes is wrong for every other suite */
	expect("1 AES_256_CM_HMAC_SHA1_80 inline:" KEY30, -EBADMSG, "wrong key length for suite");
	expect("1 AEAD_AES_128_GCM inline:" KEY30, -EBADMSG, "wrong key length for suite");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "AAAA", -EBADMSG,
	       "wrong key length for suite");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",
	       -EBADMSG, "bad base64 in key");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFC=nVmcjkpPywjNWhcYD0mXXtxaVBR",
	       -EBADMSG, "bad base64 in key");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "=", -EBADMSG, "bad base64 padding");
	/* GCM-128: 28 bytes, 38 characters + "==" */
	expect("1 AEAD_AES_128_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", 0, NULL);
	expect("1 AEAD_AES_128_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0, NULL);
	expect("1 AEAD_AES_128_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", -EBADMSG,
	       "bad base64 padding");
	expect("1 AEAD_AES_128_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB==", -EBADMSG,
	       "bad base64 in key"); /* non-zero unused bits */
	/* several keys: refused, so that the answerer picks another line */
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^20|1:4;inline:" KEY30 "|2^20|2:4",
	       -ENOTSUP, "multiple keys not supported");
}

static void test_lifetime_and_mki(void **state)
{
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^48", 0, NULL);
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^49", -ENOTSUP,
	       "key lifetime too large");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^0", -EBADMSG, "invalid key lifetime");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^x", -EBADMSG, "invalid key lifetime");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|", -EBADMSG, "invalid key lifetime");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1000", 0, NULL);
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|281474976710657", -ENOTSUP,
	       "key lifetime too large");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:1", 0, NULL); /* MKI, no lifetime */
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:0", -EBADMSG, "invalid MKI length");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:129", -EBADMSG, "invalid MKI length");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:5", -ENOTSUP,
	       "MKI longer than 4 bytes not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|256:1", -EBADMSG,
	       "MKI value does not fit its length");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|4294967295:4", 0, NULL);
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|x:4", -EBADMSG, "invalid MKI");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|1:4|2^20", -EBADMSG,
	       "unexpected field after MKI");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 "|2^20|2^20", -EBADMSG, "invalid MKI");
}

static void test_session_params(void **state)
{
	struct sdes_crypto c;
	const char *reason, *line = "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " WSH=128 -FUTURE";

	assert_int_equal(sdes_parse(line, strlen(line), &c, &reason), 0);
	assert_int_equal(c.window_size_hint, 128);
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " UNENCRYPTED_SRTP", -ENOTSUP,
	       "unencrypted or unauthenticated SRTP not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " UNENCRYPTED_SRTCP", -ENOTSUP,
	       "unencrypted or unauthenticated SRTP not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " UNAUTHENTICATED_SRTP", -ENOTSUP,
	       "unencrypted or unauthenticated SRTP not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " KDR=1", -ENOTSUP,
	       "key derivation rate not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " KDR=99", -EBADMSG, "invalid KDR");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " WSH=10", -EBADMSG, "invalid WSH");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " FEC_ORDER=FEC_SRTP", 0, NULL);
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " FEC_KEY=inline:" KEY30, -ENOTSUP,
	       "FEC_KEY not supported");
	expect("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY30 " SOMETHING", -ENOTSUP,
	       "unknown session parameter");
	expect("crypto:1  AES_CM_128_HMAC_SHA1_80\tinline:" KEY30 " ", 0, NULL);
}

static bool no_32bit_tags(enum sluice_srtp_suite suite, void *userdata)
{
	(*(int *)userdata)++;
	return suite != SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32 &&
	       suite != SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32;
}

static void test_choose(void **state)
{
	struct sdes_crypto offers[4];
	size_t index = 99;
	int calls = 0;

	fill(&offers[0], 1, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);
	fill(&offers[1], 2, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32);
	fill(&offers[2], 3, SLUICE_SRTP_AEAD_AES_256_GCM);
	fill(&offers[3], 4, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);

	assert_int_equal(sdes_choose(offers, 4, SDES_ALL_SUITES, NULL, NULL, &index), 0);
	assert_int_equal(index, 2);
	/* SDES-no-AEAD_AES_256_GCM: the first AES_CM_128_HMAC_SHA1_80 */
	assert_int_equal(
	    sdes_choose(
		offers, 4,
		sdes_policy_mask(SDES_ALL_SUITES, SDES_SUITE_BIT(SLUICE_SRTP_AEAD_AES_256_GCM), 0),
		NULL, NULL, &index),
	    0);
	assert_int_equal(index, 0);
	/* SDES-only-AES_CM_128_HMAC_SHA1_32 */
	assert_int_equal(
	    sdes_choose(offers, 4,
			sdes_policy_mask(SDES_ALL_SUITES, 0,
					 SDES_SUITE_BIT(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32)),
			NULL, NULL, &index),
	    0);
	assert_int_equal(index, 1);
	/* only a suite nobody offered */
	index = 99;
	assert_int_equal(
	    sdes_choose(offers, 4,
			sdes_policy_mask(SDES_ALL_SUITES, 0,
					 SDES_SUITE_BIT(SLUICE_SRTP_AES_256_CM_HMAC_SHA1_80)),
			NULL, NULL, &index),
	    -ENOENT);
	assert_int_equal(index, 99);
	/* a filter callback: only the 32-bit offer remains and it is filtered out */
	assert_int_equal(sdes_choose(&offers[1], 1, SDES_ALL_SUITES, no_32bit_tags, &calls, &index),
			 -ENOENT);
	assert_true(calls > 0);
	assert_int_equal(sdes_choose(offers, 4, 0, NULL, NULL, &index), -ENOENT);
	assert_int_equal(sdes_choose(NULL, 0, SDES_ALL_SUITES, NULL, NULL, &index), -ENOENT);
	/* preference order is strongest first */
	assert_int_equal(sdes_suite_preference[0], SLUICE_SRTP_AEAD_AES_256_GCM);
	assert_int_equal(sdes_suite_preference[5], SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(sdes_policy_mask(SDES_ALL_SUITES, SDES_ALL_SUITES, 0), 0);
}

static void test_suite_names(void **state)
{
	enum sluice_srtp_suite s;

	assert_int_equal(sdes_suite_from_name("AEAD_AES_256_GCM", 16, &s), 0);
	assert_int_equal(s, SLUICE_SRTP_AEAD_AES_256_GCM);
	assert_int_equal(sdes_suite_from_name("AEAD_AES_256_GCMX", 16, &s), 0);
	assert_int_equal(sdes_suite_from_name("AEAD_AES_256_GC", 15, &s), -ENOENT);
	assert_int_equal(sdes_suite_from_name("aead_aes_256_gcm", 16, &s), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_all_suites),
	    cmocka_unit_test(test_format_text),
	    cmocka_unit_test(test_rfc4568_example),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_lifetime_and_mki),
	    cmocka_unit_test(test_session_params),
	    cmocka_unit_test(test_choose),
	    cmocka_unit_test(test_suite_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
