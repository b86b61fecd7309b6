// SPDX-License-Identifier: MIT
/*
 * Published SRTP known answers through sluice's own code: RFC 3711 B.2 keystream (also through
 * the OpenSSL engine's short and long AES-CM paths), B.3 key
 * derivation, the NIST SP 800-135 SRTP-KDF vector, whole-packet AES_CM_128_HMAC_SHA1_80 SRTP and
 * SRTCP (both engines), and the RFC 7714 section 16 AEAD_AES_128_GCM packet (OpenSSL engine from
 * session keys; libsrtp2's own GCM cipher, since the vector gives session keys only).
 */
#include <stdlib.h>

#include <srtp2/cipher.h>

#include "test_srtp_util.h"
#include "srtp/srtp_crypto.h"

/* Exported by libsrtp2 but not declared in its public headers. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id,
						  srtp_cipher_pointer_t *cp, int key_len,
						  int tag_len);

static const char *b3_key = "E1F97A0D3E018BE0D64FA32C06DE4139";
static const char *b3_salt = "0EC675AD498AFEEBB6960B3AABE6";

static void assert_hex_equal(const uint8_t *got, const char *want_hex)
{
	uint8_t want[256];
	size_t n = unhex(want_hex, want, sizeof(want));

	assert_memory_equal(got, want, n);
}

static void test_rfc3711_b2_keystream(void **state)
{
	static const struct {
		unsigned int block;
		const char *hex;
	} blocks[] = {
	    {0x0000, "E03EAD0935C95E80E166B16DD92B4EB4"},
	    {0x0001, "D23513162B02D0F72A43A2FE4A5F97AB"},
	    {0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0"},
	    {0xFEFF, "EC8CDF7398607CB0F2D21675EA9EA1E4"},
	    {0xFF00, "362B7C3C6773516318A077D7FC5073AE"},
	    {0xFF01, "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	uint8_t key[16], iv[16];
	size_t len = (0xFF01 + 1) * 16;
	uint8_t *ks = malloc(len);

	assert_non_null(ks);
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	assert_int_equal(srtp_aes_cm_keystream(key, 16, iv, ks, len), 0);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++)
		assert_hex_equal(ks + blocks[i].block * 16, blocks[i].hex);
	free(ks);
}

static void test_rfc3711_b3_kdf(void **state)
{
	uint8_t key[16], salt[14], out[20];

	unhex(b3_key, key, sizeof(key));
	unhex(b3_salt, salt, sizeof(salt));
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_ENCRYPTION, 0, out, 16), 0);
	assert_hex_equal(out, "C61E7A93744F39EE10734AFE3FF7A087");
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_SALT, 0, out, 14), 0);
	assert_hex_equal(out, "30CBBC08863D8C85D49DB34A9AE1");
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_AUTH, 0, out, 20), 0);
	assert_hex_equal(out, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

static void test_rfc3711_b3_session_keys(void **state)
{
	struct srtp_session_keys rtp, rtcp;
	uint8_t key[16], salt[14];

	unhex(b3_key, key, sizeof(key));
	unhex(b3_salt, salt, sizeof(salt));
	assert_int_equal(
	    srtp_derive_session_keys(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80, key, salt, &rtp, &rtcp),
	    0);
	assert_hex_equal(rtp.enc, "C61E7A93744F39EE10734AFE3FF7A087");
	assert_hex_equal(rtp.salt, "30CBBC08863D8C85D49DB34A9AE1");
	assert_hex_equal(rtp.auth, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
}

/*
 * NIST CAVP SRTP-KDF (SP 800-135): r = index DIV kdr. The published k_e/k_a/k_s are those of
 * r = 0, i.e. kdr 0 (RFC 3711 section 4.3.1 defines DIV 0 as 0) or any kdr above the index; the
 * index itself must not leak into the key id then.
 */
static void test_nist_sp800_135_kdf(void **state)
{
	uint8_t key[16], salt[14], out[20];
	uint64_t index = UINT64_C(0x487165649cca);
	uint64_t r = srtp_kdf_r(index, 0);

	unhex("c4809f6d369888728e26adb532129890", key, sizeof(key));
	unhex("0e23006c6c044f5662400e9d1bd6", salt, sizeof(salt));
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_ENCRYPTION, r, out, 16), 0);
	assert_hex_equal(out, "dc382192ab65108a86b259b61b3af46f");
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_AUTH, r, out, 20), 0);
	assert_hex_equal(out, "b83937fb321792ee87b788193be5a4e3bd326ee4");
	assert_int_equal(srtp_kdf(key, 16, salt, SRTP_LABEL_RTP_SALT, r, out, 14), 0);
	assert_hex_equal(out, "f1c035c00b5a54a61692c016276c");
	/* kdr 2^47 > index: still r = 0; kdr 1: r = index, a different key */
	assert_int_equal(srtp_kdf_r(index, UINT64_C(1) << 47), 0);
	assert_int_equal(srtp_kdf(key, 16, salt, 0, srtp_kdf_r(index, 1), out, 16), 0);
	assert_int_equal(out[0], 0x05);
	/* r is 48 bits */
	assert_int_equal(srtp_kdf(key, 16, salt, 0, UINT64_C(1) << 48, out, 16), -EINVAL);
}

static const char *rtp_plain = "800f1234decafbadcafebabe abababababababababababababababab";
static const char *rtp_srtp = "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 "
			      "b78d6acc99ea179b8dbb";
static const char *rtcp_plain = "81c8000bcafebabe abababababababababababababababab";
static const char *rtcp_srtcp = "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 "
				"993e08cd54d6c1230798";

static void whole_packet(enum sluice_srtp_engine engine)
{
	struct sluice_srtp_ctx *out, *in;
	uint8_t key[16], salt[14], buf[128], want[128];
	size_t len, want_len;

	unhex(b3_key, key, sizeof(key));
	unhex(b3_salt, salt, sizeof(salt));
	out = ctx_new_or_fail(engine, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80, SLUICE_SRTP_OUTBOUND,
			      key, salt, NULL);
	in = ctx_new_or_fail(engine, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80, SLUICE_SRTP_INBOUND, key,
			     salt, NULL);

	len = unhex(rtp_plain, buf, sizeof(buf));
	want_len = unhex(rtp_srtp, want, sizeof(want));
	assert_int_equal(sluice_srtp_protect_rtp(out, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(sluice_srtp_unprotect_rtp(in, buf, &len), 0);
	want_len = unhex(rtp_plain, want, sizeof(want));
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);

	len = unhex(rtcp_plain, buf, sizeof(buf));
	want_len = unhex(rtcp_srtcp, want, sizeof(want));
	assert_int_equal(sluice_srtp_protect_rtcp(out, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);
	assert_int_equal(sluice_srtp_unprotect_rtcp(in, buf, &len), 0);
	want_len = unhex(rtcp_plain, want, sizeof(want));
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, len);

	sluice_srtp_ctx_free(out);
	sluice_srtp_ctx_free(in);
}

static void test_whole_packet_openssl(void **state)
{
	whole_packet(SLUICE_SRTP_OPENSSL);
}

static void test_whole_packet_libsrtp(void **state)
{
	whole_packet(SLUICE_SRTP_LIBSRTP);
}

static const char *gcm_key = "000102030405060708090a0b0c0d0e0f";
static const char *gcm_salt = "517569642070726f2071756f";
static const char *gcm_header = "8040f17b8041f8d35501a0b2";
/*
 * The same B.2 keystream through the OpenSSL engine: with SSRC 0, SEQ 0 and ROC 0 the IV is the
 * session salt, so protecting a zero payload yields the keystream. Short payloads take the AES-ECB
 * keystream path and longer ones AES-CTR; both must give B.2 and srtp_aes_cm_keystream().
 */
static void test_rfc3711_b2_keystream_engine(void **state)
{
	static const size_t lens[] = {1, 15, 16, 17, 48, 511, 512, 513, 600, 1400};
	struct srtp_session_keys keys = {0};
	struct sluice_srtp_ctx *out;
	uint8_t buf[12 + 1400 + 16], want[1400], iv[16];

	unhex("2B7E151628AED2A6ABF7158809CF4F3C", keys.enc, sizeof(keys.enc));
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", keys.salt, sizeof(keys.salt));
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	memset(keys.auth, 0x42, sizeof(keys.auth));
	assert_int_equal(srtp_aes_cm_keystream(keys.enc, 16, iv, want, sizeof(want)), 0);
	assert_hex_equal(want, "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
			       "41E95B3BB0A2E8DD477901E4FCA894C0");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = make_rtp(buf, 0, 0, 0, lens[i]);

		/* a fresh context per length: SEQ 0 once each */
		assert_int_equal(srtp_openssl_ctx_new_session(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80,
							      SLUICE_SRTP_OUTBOUND, &keys, &keys,
							      NULL, &out),
				 0);
		assert_int_equal(sluice_srtp_protect_rtp(out, buf, &len, sizeof(buf)), 0);
		assert_int_equal(len, 12 + lens[i] + 10);
		assert_memory_equal(buf + 12, want, lens[i]);
		sluice_srtp_ctx_free(out);
	}
}

static const char *gcm_payload = "Gallia est omnis divisa in partes tres";
static const char *gcm_cipher = "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b"
				"36de3adf8833";
static const char *gcm_tag = "899d7f27beb16a9152cf765ee4390cce";

static void test_rfc7714_gcm_openssl(void **state)
{
	struct srtp_session_keys keys = {0};
	struct sluice_srtp_ctx *out, *in;
	uint8_t buf[128];
	size_t len, plen = strlen(gcm_payload);

	unhex(gcm_key, keys.enc, sizeof(keys.enc));
	unhex(gcm_salt, keys.salt, sizeof(keys.salt));
	assert_int_equal(srtp_openssl_ctx_new_session(SLUICE_SRTP_AEAD_AES_128_GCM,
						      SLUICE_SRTP_OUTBOUND, &keys, &keys, NULL,
						      &out),
			 0);
	assert_int_equal(srtp_openssl_ctx_new_session(SLUICE_SRTP_AEAD_AES_128_GCM,
						      SLUICE_SRTP_INBOUND, &keys, &keys, NULL, &in),
			 0);
	len = unhex(gcm_header, buf, sizeof(buf));
	memcpy(buf + len, gcm_payload, plen);
	len += plen;
	assert_int_equal(sluice_srtp_protect_rtp(out, buf, &len, sizeof(buf)), 0);
	assert_int_equal(len, 12 + plen + 16);
	assert_hex_equal(buf, gcm_header);
	assert_hex_equal(buf + 12, gcm_cipher);
	assert_hex_equal(buf + 12 + plen, gcm_tag);
	assert_int_equal(sluice_srtp_unprotect_rtp(in, buf, &len), 0);
	assert_int_equal(len, 12 + plen);
	assert_memory_equal(buf + 12, gcm_payload, plen);
	sluice_srtp_ctx_free(out);
	sluice_srtp_ctx_free(in);
}

/* Debian's libsrtp2 is built on NSS; check its GCM cipher gives the RFC 7714 answer. */
static void test_rfc7714_gcm_libsrtp_cipher(void **state)
{
	uint8_t key[16], iv[12], aad[12], buf[128], tag[16];
	size_t plen = strlen(gcm_payload);
	srtp_cipher_t *c = NULL;
	unsigned int len = plen;
	uint32_t tag_len = sizeof(tag);

	raw_libsrtp_init();
	unhex(gcm_key, key, sizeof(key));
	unhex("51753c6580c2726f20718414", iv, sizeof(iv)); /* the vector's IV */
	unhex(gcm_header, aad, sizeof(aad));
	memcpy(buf, gcm_payload, plen);
	assert_int_equal(srtp_crypto_kernel_alloc_cipher(SRTP_AES_GCM_128, &c,
							 SRTP_AES_GCM_128_KEY_LEN_WSALT, 16),
			 srtp_err_status_ok);
	assert_int_equal(srtp_cipher_init(c, key), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_set_aad(c, aad, sizeof(aad)), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_get_tag(c, tag, &tag_len), srtp_err_status_ok);
	assert_hex_equal(buf, gcm_cipher);
	assert_int_equal(tag_len, 16);
	assert_hex_equal(tag, gcm_tag);
	srtp_cipher_dealloc(c);
}

static void test_suite_names(void **state)
{
	static const struct {
		const char *name;
		size_t key, salt;
	} want[_SLUICE_SRTP_SUITE_MAX] = {
	    {"AES_CM_128_HMAC_SHA1_80", 16, 14}, {"AES_CM_128_HMAC_SHA1_32", 16, 14},
	    {"AES_256_CM_HMAC_SHA1_80", 32, 14}, {"AES_256_CM_HMAC_SHA1_32", 32, 14},
	    {"AEAD_AES_128_GCM", 16, 12},	 {"AEAD_AES_256_GCM", 32, 12},
	};
	enum sluice_srtp_suite s;

	for (unsigned int i = 0; i < _SLUICE_SRTP_SUITE_MAX; i++) {
		assert_string_equal(sluice_srtp_suite_name(i), want[i].name);
		assert_int_equal(sluice_srtp_suite_from_name(want[i].name, &s), 0);
		assert_int_equal(s, i);
		assert_int_equal(sluice_srtp_suite_key_len(i), want[i].key);
		assert_int_equal(sluice_srtp_suite_salt_len(i), want[i].salt);
	}
	s = SLUICE_SRTP_AEAD_AES_256_GCM;
	assert_int_equal(sluice_srtp_suite_from_name("F8_128_HMAC_SHA1_80", &s), -ENOENT);
	assert_int_equal(s, SLUICE_SRTP_AEAD_AES_256_GCM); /* untouched on failure */
	assert_null(sluice_srtp_suite_name(_SLUICE_SRTP_SUITE_MAX));
}

static void test_ctx_new_rejects(void **state)
{
	struct sluice_srtp_ctx *ctx = (void *)1;
	struct sluice_srtp_mki mki = {.len = 5};
	uint8_t key[32] = {0}, salt[14] = {0};

	for (unsigned int e = 0; e < 2; e++) {
		assert_int_equal(
		    sluice_srtp_ctx_new(test_engines[e], SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80,
					SLUICE_SRTP_INBOUND, key, 32, salt, 14, NULL, &ctx),
		    -EINVAL);
		assert_int_equal(sluice_srtp_ctx_new(test_engines[e], SLUICE_SRTP_AEAD_AES_128_GCM,
						     SLUICE_SRTP_INBOUND, key, 16, salt, 14, NULL,
						     &ctx),
				 -EINVAL);
		assert_int_equal(
		    sluice_srtp_ctx_new(test_engines[e], SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80,
					SLUICE_SRTP_INBOUND, key, 16, salt, 14, &mki, &ctx),
		    -EINVAL);
		assert_ptr_equal(ctx, (void *)1); /* untouched on failure */
	}
	sluice_srtp_ctx_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3711_b2_keystream),
	    cmocka_unit_test(test_rfc3711_b2_keystream_engine),
	    cmocka_unit_test(test_rfc3711_b3_kdf),
	    cmocka_unit_test(test_rfc3711_b3_session_keys),
	    cmocka_unit_test(test_nist_sp800_135_kdf),
	    cmocka_unit_test(test_whole_packet_openssl),
	    cmocka_unit_test(test_whole_packet_libsrtp),
	    cmocka_unit_test(test_rfc7714_gcm_openssl),
	    cmocka_unit_test(test_rfc7714_gcm_libsrtp_cipher),
	    cmocka_unit_test(test_suite_names),
	    cmocka_unit_test(test_ctx_new_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
