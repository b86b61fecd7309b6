// SPDX-License-Identifier: MIT
/*
 * SRTP key derivation (RFC 3711 section 4.3 with kdr 0; RFC 7714 section 11 reuses it for AES-GCM)
 * and the AES-CM keystream, both on OpenSSL's AES-CTR. Runs at context creation and rekey only.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "srtp_internal.h"

int srtp_aes_cm_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[static 16],
			  uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *c;
	EVP_CIPHER *alg;
	int r = -EIO, outl;

	if (!key || !out || (key_len != 16 && key_len != 32) || len > INT32_MAX)
		return -EINVAL;
	alg = EVP_CIPHER_fetch(NULL, key_len == 16 ? "AES-128-CTR" : "AES-256-CTR", NULL);
	if (!alg)
		return -EIO;
	c = EVP_CIPHER_CTX_new();
	if (!c)
		goto out_alg;
	memset(out, 0, len);
	if (EVP_EncryptInit_ex2(c, alg, key, iv, NULL) != 1)
		goto out_ctx;
	if (EVP_EncryptUpdate(c, out, &outl, out, (int)len) != 1)
		goto out_ctx;
	r = 0;
out_ctx:
	EVP_CIPHER_CTX_free(c);
out_alg:
	EVP_CIPHER_free(alg);
	return r;
}

int srtp_kdf(const uint8_t *master_key, size_t key_len, const uint8_t master_salt[static 14],
	     uint8_t label, uint64_t r, uint8_t *out, size_t out_len)
{
	uint8_t iv[16] = {0};

	if (r >> 48)
		return -EINVAL;
	/* x = key_id XOR master_salt, key_id = label || r (56 bits), IV = x * 2^16 */
	memcpy(iv, master_salt, 14);
	iv[7] ^= label;
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(r >> (40 - 8 * i));
	return srtp_aes_cm_keystream(master_key, key_len, iv, out, out_len);
}

static int derive_kind(const struct srtp_suite_info *s, const uint8_t *key, const uint8_t salt[14],
		       uint8_t first_label, struct srtp_session_keys *ret)
{
	int r;

	r = srtp_kdf(key, s->key_len, salt, first_label, 0, ret->enc, s->key_len);
	if (r < 0)
		return r;
	if (!s->aead) {
		r = srtp_kdf(key, s->key_len, salt, first_label + 1, 0, ret->auth,
			     sizeof(ret->auth));
		if (r < 0)
			return r;
	}
	return srtp_kdf(key, s->key_len, salt, first_label + 2, 0, ret->salt, s->salt_len);
}

int srtp_derive_session_keys(enum sluice_srtp_suite suite, const uint8_t *master_key,
			     const uint8_t *master_salt, struct srtp_session_keys *ret_rtp,
			     struct srtp_session_keys *ret_rtcp)
{
	const struct srtp_suite_info *s = &srtp_suites[suite];
	struct srtp_session_keys rtp = {0}, rtcp = {0};
	uint8_t salt[14] = {0};
	int r;

	/* A 96-bit GCM master salt is zero-padded to 112 bits for the AES-CM PRF. */
	memcpy(salt, master_salt, s->salt_len);
	r = derive_kind(s, master_key, salt, SRTP_LABEL_RTP_ENCRYPTION, &rtp);
	if (r >= 0)
		r = derive_kind(s, master_key, salt, SRTP_LABEL_RTCP_ENCRYPTION, &rtcp);
	if (r >= 0) {
		*ret_rtp = rtp;
		*ret_rtcp = rtcp;
	}
	OPENSSL_cleanse(&rtp, sizeof(rtp));
	OPENSSL_cleanse(&rtcp, sizeof(rtcp));
	OPENSSL_cleanse(salt, sizeof(salt));
	return r;
}
