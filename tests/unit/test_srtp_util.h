/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the SRTP unit tests: hex parsing, packet builders, a deterministic PRNG and
 * raw libsrtp2 contexts made with the libsrtp2 API directly (not through sluice's wrapper).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "srtp/srtp.h"

static const enum sluice_srtp_engine test_engines[] = {SLUICE_SRTP_OPENSSL, SLUICE_SRTP_LIBSRTP};

static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = hex; *p;) {
		unsigned int byte;

		if (*p == ' ') {
			p++;
			continue;
		}
		assert_true(sscanf(p, "%2x", &byte) == 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)byte;
		p += 2;
	}
	return n;
}

static inline uint32_t load_be32_test(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* xorshift64*: deterministic, seedable. */
static inline uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static inline void prng_fill(uint64_t *state, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(prng_next(state) >> 32);
}

/* RTP: version 2, PT 0, given seq/ssrc, payload of payload_len bytes of fill. */
static inline size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, uint8_t fill,
			      size_t payload_len)
{
	buf[0] = 0x80;
	buf[1] = 0x00;
	buf[2] = seq >> 8;
	buf[3] = (uint8_t)seq;
	memset(buf + 4, 0x11, 4); /* timestamp */
	buf[8] = ssrc >> 24;
	buf[9] = ssrc >> 16;
	buf[10] = ssrc >> 8;
	buf[11] = (uint8_t)ssrc;
	memset(buf + 12, fill, payload_len);
	return 12 + payload_len;
}

/* RTCP receiver report with ssrc and body_len extra octets (multiple of 4). */
static inline size_t make_rtcp(uint8_t *buf, uint32_t ssrc, uint8_t fill, size_t body_len)
{
	size_t words = (8 + body_len) / 4 - 1;

	buf[0] = 0x80;
	buf[1] = 201;
	buf[2] = (uint8_t)(words >> 8);
	buf[3] = (uint8_t)words;
	buf[4] = ssrc >> 24;
	buf[5] = ssrc >> 16;
	buf[6] = ssrc >> 8;
	buf[7] = (uint8_t)ssrc;
	memset(buf + 8, fill, body_len);
	return 8 + body_len;
}

static inline void raw_policy_for_suite(enum sluice_srtp_suite suite, srtp_policy_t *p)
{
	switch (suite) {
	case SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SLUICE_SRTP_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
		break;
	case SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
		break;
	case SLUICE_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	case SLUICE_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	default:
		fail();
	}
}

/* srtp_init() a second time in a process fails with bad_param (duplicate debug module): harmless.
 */
static inline void raw_libsrtp_init(void)
{
	srtp_err_status_t st = srtp_init();

	assert_true(st == srtp_err_status_ok || st == srtp_err_status_bad_param);
}

/* A raw libsrtp2 session (libsrtp2 API directly), SSRC wildcard, window 128, optional MKI. */
static inline srtp_t raw_libsrtp_new(enum sluice_srtp_suite suite, int inbound, const uint8_t *key,
				     const uint8_t *salt, const struct sluice_srtp_mki *mki)
{
	uint8_t key_salt[64], mki_id[8];
	srtp_master_key_t master, *masters[1] = {&master};
	size_t key_len = sluice_srtp_suite_key_len(suite);
	srtp_policy_t policy;
	srtp_t session = NULL;

	raw_libsrtp_init();
	memcpy(key_salt, key, key_len);
	memcpy(key_salt + key_len, salt, sluice_srtp_suite_salt_len(suite));
	memset(&policy, 0, sizeof(policy));
	raw_policy_for_suite(suite, &policy);
	policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	policy.window_size = 128;
	if (mki && mki->len) {
		memcpy(mki_id, mki->id, mki->len);
		master.key = key_salt;
		master.mki_id = mki_id;
		master.mki_size = mki->len;
		policy.keys = masters;
		policy.num_master_keys = 1;
	} else {
		policy.key = key_salt;
	}
	assert_int_equal(srtp_create(&session, &policy), srtp_err_status_ok);
	return session;
}

static inline struct sluice_srtp_ctx *ctx_new_or_fail(enum sluice_srtp_engine engine,
						      enum sluice_srtp_suite suite,
						      enum sluice_srtp_direction dir,
						      const uint8_t *key, const uint8_t *salt,
						      const struct sluice_srtp_mki *mki)
{
	struct sluice_srtp_ctx *ctx = NULL;

	assert_int_equal(sluice_srtp_ctx_new(engine, suite, dir, key,
					     sluice_srtp_suite_key_len(suite), salt,
					     sluice_srtp_suite_salt_len(suite), mki, &ctx),
			 0);
	assert_non_null(ctx);
	return ctx;
}
