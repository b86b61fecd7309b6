/* SPDX-License-Identifier: MIT */
/*
 * Internal to userspace/srtp and its tests: the SRTP key derivation (RFC 3711 section 4.3, reused
 * by RFC 7714 for AES-GCM), the AES-CM keystream, and the OpenSSL engine's constructor from already
 * derived session keys, so that the published vectors can be checked against sluice's own code.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "srtp.h"

enum srtp_kdf_label {
	SRTP_LABEL_RTP_ENCRYPTION = 0,
	SRTP_LABEL_RTP_AUTH = 1,
	SRTP_LABEL_RTP_SALT = 2,
	SRTP_LABEL_RTCP_ENCRYPTION = 3,
	SRTP_LABEL_RTCP_AUTH = 4,
	SRTP_LABEL_RTCP_SALT = 5,
};

#define SRTP_AUTH_KEY_LEN 20 /* HMAC-SHA1 session authentication key */
#define SRTP_GCM_SALT_LEN 12

/* Session keys of one packet kind (SRTP or SRTCP). */
struct srtp_session_keys {
	uint8_t enc[SLUICE_SRTP_MAX_KEY_LEN];
	uint8_t auth[SRTP_AUTH_KEY_LEN]; /* unused by AEAD suites */
	uint8_t salt[SLUICE_SRTP_MAX_SALT_LEN];
};

/*
 * AES-CM PRF: out = first out_len octets of AES-CTR(master_key) with IV (master_salt XOR
 * (label << 48 | r)) * 2^16, where r = packet index DIV key derivation rate (0 when kdr is 0).
 * master_salt is 112 bits; a 96-bit GCM salt is zero-padded at the end (as libsrtp2 does).
 * key_len is 16 or 32. Returns 0, -EINVAL or -EIO.
 */
int srtp_kdf(const uint8_t *master_key, size_t key_len, const uint8_t master_salt[static 14],
	     uint8_t label, uint64_t r, uint8_t *out, size_t out_len);

/* Key derivation index r = packet index DIV kdr, with DIV 0 defined as 0 (RFC 3711 4.3.1). */
static inline uint64_t srtp_kdf_r(uint64_t index, uint64_t kdr)
{
	return kdr ? index / kdr : 0;
}

/* Derives RTP and RTCP session keys of a suite at index 0 (kdr 0). salt is the suite's length. */
int srtp_derive_session_keys(enum sluice_srtp_suite suite, const uint8_t *master_key,
			     const uint8_t *master_salt, struct srtp_session_keys *ret_rtp,
			     struct srtp_session_keys *ret_rtcp);

/* AES-CM keystream (RFC 3711 section 4.1.1): AES-CTR of zeros from a 128-bit initial counter. */
int srtp_aes_cm_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[static 16],
			  uint8_t *out, size_t len);

/* OpenSSL engine context from session keys (RFC 7714 section 16 gives session keys only). */
int srtp_openssl_ctx_new_session(enum sluice_srtp_suite suite, enum sluice_srtp_direction direction,
				 const struct srtp_session_keys *rtp,
				 const struct srtp_session_keys *rtcp,
				 const struct sluice_srtp_mki *mki,
				 struct sluice_srtp_ctx **ret_ctx);
