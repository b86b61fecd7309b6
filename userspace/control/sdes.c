// SPDX-License-Identifier: MIT
/*
 * RFC 4568 a=crypto lines: parsing with named errors, formatting of our own offers and answers,
 * and the choice of an answer suite under policy. Decoded key material only ever lives in the
 * caller's struct sdes_crypto and in one stack buffer that is wiped before returning.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "control/sdes.h"

#define B64_MAX 64 /* 4 * ceil((32 + 14) / 3) */

const enum sluice_srtp_suite sdes_suite_preference[_SLUICE_SRTP_SUITE_MAX] = {
    SLUICE_SRTP_AEAD_AES_256_GCM,	 SLUICE_SRTP_AEAD_AES_128_GCM,
    SLUICE_SRTP_AES_256_CM_HMAC_SHA1_80, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80,
    SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32,
};

/* A cursor over the attribute value. */
struct sdes_cursor {
	const char *pos;
	const char *end;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Next whitespace-separated token; false at the end. */
static bool next_token(struct sdes_cursor *c, const char **ret_tok, size_t *ret_len)
{
	const char *start;

	while (c->pos < c->end && is_space(*c->pos))
		c->pos++;
	if (c->pos == c->end)
		return false;
	start = c->pos;
	while (c->pos < c->end && !is_space(*c->pos))
		c->pos++;
	*ret_tok = start;
	*ret_len = (size_t)(c->pos - start);
	return true;
}

/* Decimal of 1..max_digits digits, no sign; false when malformed. */
static bool parse_decimal(const char *s, size_t len, size_t max_digits, uint64_t *ret_value)
{
	uint64_t value = 0;

	if (len == 0 || len > max_digits)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		value = value * 10 + (uint64_t)(s[i] - '0');
	}
	*ret_value = value;
	return true;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

int sdes_suite_from_name(const char *name, size_t len, enum sluice_srtp_suite *ret_suite)
{
	for (unsigned int i = 0; i < _SLUICE_SRTP_SUITE_MAX; i++) {
		const char *known = sluice_srtp_suite_name(i);

		if (strlen(known) == len && memcmp(known, name, len) == 0) {
			*ret_suite = i;
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* Decodes exactly want bytes of canonical base64 (padding optional) into out. */
static int decode_key_salt(const char *b64, size_t len, uint8_t *out, size_t want,
			   const char **ret_reason)
{
	size_t padded_len = 4 * ((want + 2) / 3), bare_len = (4 * want + 2) / 3;
	unsigned char padded[B64_MAX + 1], decoded[B64_MAX], check[B64_MAX + 1];
	size_t chars = len;
	int r = -EBADMSG;

	while (chars > 0 && b64[chars - 1] == '=' && len - chars < 2)
		chars--;
	for (size_t i = 0; i < chars; i++)
		if (!is_b64_char(b64[i])) {
			*ret_reason = "bad base64 in key";
			return -EBADMSG;
		}
	if (chars != bare_len) {
		*ret_reason = "wrong key length for suite";
		return -EBADMSG;
	}
	if (len != bare_len && len != padded_len) {
		*ret_reason = "bad base64 padding";
		return -EBADMSG;
	}
	memcpy(padded, b64, chars);
	memset(padded + chars, '=', padded_len - chars);
	if (EVP_DecodeBlock(decoded, padded, (int)padded_len) != (int)(3 * padded_len / 4)) {
		*ret_reason = "bad base64 in key";
		goto wipe;
	}
	/* canonical: the unused bits of the last character are zero */
	EVP_EncodeBlock(check, decoded, (int)want);
	if (memcmp(check, padded, padded_len) != 0) {
		*ret_reason = "bad base64 in key";
		goto wipe;
	}
	memcpy(out, decoded, want);
	r = 0;
wipe:
	OPENSSL_cleanse(decoded, sizeof(decoded));
	OPENSSL_cleanse(padded, sizeof(padded));
	OPENSSL_cleanse(check, sizeof(check));
	return r;
}

static int parse_lifetime(const char *s, size_t len, uint64_t *ret_lifetime,
			  const char **ret_reason)
{
	uint64_t value;

	*ret_reason = "invalid key lifetime";
	if (starts_with(s, len, "2^")) {
		if (!parse_decimal(s + 2, len - 2, 2, &value) || value == 0)
			return -EBADMSG;
		if (value > SDES_MAX_LIFETIME_LOG2) {
			*ret_reason = "key lifetime too large";
			return -ENOTSUP;
		}
		*ret_lifetime = UINT64_C(1) << value;
		return 0;
	}
	if (!parse_decimal(s, len, 15, &value) || value == 0)
		return -EBADMSG;
	if (value > UINT64_C(1) << SDES_MAX_LIFETIME_LOG2) {
		*ret_reason = "key lifetime too large";
		return -ENOTSUP;
	}
	*ret_lifetime = value;
	return 0;
}

static int parse_mki(const char *s, size_t len, struct sluice_srtp_mki *ret_mki,
		     const char **ret_reason)
{
	const char *colon = memchr(s, ':', len);
	uint64_t value, mki_len;

	*ret_reason = "invalid MKI";
	if (!colon || !parse_decimal(s, (size_t)(colon - s), 10, &value) ||
	    !parse_decimal(colon + 1, len - (size_t)(colon - s) - 1, 3, &mki_len))
		return -EBADMSG;
	if (mki_len == 0 || mki_len > 128) {
		*ret_reason = "invalid MKI length";
		return -EBADMSG;
	}
	if (mki_len > SLUICE_SRTP_MAX_MKI_LEN) {
		*ret_reason = "MKI longer than 4 bytes not supported";
		return -ENOTSUP;
	}
	if (mki_len < 8 && value >> (8 * mki_len)) {
		*ret_reason = "MKI value does not fit its length";
		return -EBADMSG;
	}
	ret_mki->len = (uint8_t)mki_len;
	for (unsigned int i = 0; i < mki_len; i++)
		ret_mki->id[i] = (uint8_t)(value >> (8 * (mki_len - 1 - i)));
	return 0;
}

/* "inline:KEYSALT[|LIFETIME][|MKI:LEN]" for the suite already in c. */
static int parse_key_params(const char *s, size_t len, struct sdes_crypto *c,
			    const char **ret_reason)
{
	size_t key_len = sluice_srtp_suite_key_len(c->suite);
	size_t salt_len = sluice_srtp_suite_salt_len(c->suite);
	uint8_t key_salt[SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN];
	const char *end = s + len, *field, *bar;
	int r;

	if (!starts_with(s, len, "inline:")) {
		*ret_reason = "key method is not inline";
		return -EBADMSG;
	}
	if (memchr(s, ';', len)) {
		*ret_reason = "multiple keys not supported";
		return -ENOTSUP;
	}
	field = s + 7;
	bar = memchr(field, '|', (size_t)(end - field));
	r = decode_key_salt(field, (size_t)((bar ? bar : end) - field), key_salt,
			    key_len + salt_len, ret_reason);
	if (r < 0)
		return r;
	memcpy(c->key, key_salt, key_len);
	memcpy(c->salt, key_salt + key_len, salt_len);
	OPENSSL_cleanse(key_salt, sizeof(key_salt));

	for (unsigned int n = 0; bar; n++) {
		field = bar + 1;
		bar = memchr(field, '|', (size_t)(end - field));
		len = (size_t)((bar ? bar : end) - field);
		if (memchr(field, ':', len)) {
			r = parse_mki(field, len, &c->mki, ret_reason);
			if (r == 0 && bar) {
				*ret_reason = "unexpected field after MKI";
				r = -EBADMSG;
			}
		} else if (n == 0) {
			r = parse_lifetime(field, len, &c->lifetime, ret_reason);
		} else {
			*ret_reason = "invalid MKI";
			r = -EBADMSG;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_session_param(const char *s, size_t len, struct sdes_crypto *c,
			       const char **ret_reason)
{
	static const char *const refused[] = {"UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP",
					      "UNAUTHENTICATED_SRTP"};
	uint64_t value;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (len == strlen(refused[i]) && memcmp(s, refused[i], len) == 0) {
			*ret_reason = "unencrypted or unauthenticated SRTP not supported";
			return -ENOTSUP;
		}
	if (starts_with(s, len, "KDR=")) {
		if (!parse_decimal(s + 4, len - 4, 2, &value) || value > 24) {
			*ret_reason = "invalid KDR";
			return -EBADMSG;
		}
		*ret_reason = "key derivation rate not supported";
		return -ENOTSUP;
	}
	if (starts_with(s, len, "WSH=")) {
		if (!parse_decimal(s + 4, len - 4, 9, &value) || value < 64) {
			*ret_reason = "invalid WSH";
			return -EBADMSG;
		}
		c->window_size_hint = (uint32_t)value;
		return 0;
	}
	if (starts_with(s, len, "FEC_KEY=")) {
		*ret_reason = "FEC_KEY not supported";
		return -ENOTSUP;
	}
	if (starts_with(s, len, "FEC_ORDER=") || starts_with(s, len, "-"))
		return 0; /* no FEC here, so the order does not matter; '-': optional, ignored */
	*ret_reason = "unknown session parameter";
	return -ENOTSUP;
}

static int parse_fields(struct sdes_cursor *cur, struct sdes_crypto *c, const char **ret_reason)
{
	const char *tok;
	size_t len;
	uint64_t tag;
	int r;

	if (!next_token(cur, &tok, &len) || !parse_decimal(tok, len, 9, &tag)) {
		*ret_reason = "invalid crypto tag";
		return -EBADMSG;
	}
	c->tag = (uint32_t)tag;
	if (!next_token(cur, &tok, &len)) {
		*ret_reason = "missing crypto suite";
		return -EBADMSG;
	}
	if (sdes_suite_from_name(tok, len, &c->suite) < 0) {
		*ret_reason = "unknown crypto suite";
		return -ENOTSUP;
	}
	if (!next_token(cur, &tok, &len)) {
		*ret_reason = "missing key parameters";
		return -EBADMSG;
	}
	r = parse_key_params(tok, len, c, ret_reason);
	if (r < 0)
		return r;
	while (next_token(cur, &tok, &len)) {
		r = parse_session_param(tok, len, c, ret_reason);
		if (r < 0)
			return r;
	}
	return 0;
}

int sdes_parse(const char *value, size_t len, struct sdes_crypto *ret_crypto,
	       const char **ret_reason)
{
	struct sdes_cursor cur = {value, value + len};
	struct sdes_crypto c = {0};
	int r;

	if (!value || !ret_crypto || !ret_reason)
		return -EINVAL;
	if (starts_with(value, len, "a=crypto:"))
		cur.pos += 9;
	else if (starts_with(value, len, "crypto:"))
		cur.pos += 7;
	r = parse_fields(&cur, &c, ret_reason);
	if (r == 0)
		*ret_crypto = c;
	sdes_crypto_clear(&c);
	return r;
}

static bool lifetime_is_power_of_two(uint64_t lifetime, unsigned int *ret_log2)
{
	if (lifetime & (lifetime - 1))
		return false;
	*ret_log2 = (unsigned int)__builtin_ctzll(lifetime);
	return true;
}

static void format_key_salt(const struct sdes_crypto *c, char b64[static B64_MAX + 1])
{
	size_t key_len = sluice_srtp_suite_key_len(c->suite);
	size_t salt_len = sluice_srtp_suite_salt_len(c->suite);
	uint8_t key_salt[SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN];

	memcpy(key_salt, c->key, key_len);
	memcpy(key_salt + key_len, c->salt, salt_len);
	EVP_EncodeBlock((unsigned char *)b64, key_salt, (int)(key_len + salt_len));
	OPENSSL_cleanse(key_salt, sizeof(key_salt));
}

int sdes_format(const struct sdes_crypto *c, char *buf, size_t cap, size_t *ret_len)
{
	char b64[B64_MAX + 1], lifetime[24] = "", mki[32] = "";
	unsigned int log2;
	uint64_t mki_value = 0;
	int n;

	if (!c || !buf || !ret_len || c->tag > SDES_MAX_TAG ||
	    (unsigned int)c->suite >= _SLUICE_SRTP_SUITE_MAX ||
	    c->mki.len > SLUICE_SRTP_MAX_MKI_LEN ||
	    c->lifetime > UINT64_C(1) << SDES_MAX_LIFETIME_LOG2)
		return -EINVAL;
	if (c->lifetime > 1 && lifetime_is_power_of_two(c->lifetime, &log2))
		snprintf(lifetime, sizeof(lifetime), "|2^%u", log2);
	else if (c->lifetime)
		snprintf(lifetime, sizeof(lifetime), "|%" PRIu64, c->lifetime);
	for (unsigned int i = 0; i < c->mki.len; i++)
		mki_value = mki_value << 8 | c->mki.id[i];
	if (c->mki.len)
		snprintf(mki, sizeof(mki), "|%" PRIu64 ":%u", mki_value, c->mki.len);
	format_key_salt(c, b64);
	n = snprintf(buf, cap, "%" PRIu32 " %s inline:%s%s%s", c->tag,
		     sluice_srtp_suite_name(c->suite), b64, lifetime, mki);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			OPENSSL_cleanse(buf, cap);
		return -ENOSPC;
	}
	*ret_len = (size_t)n;
	return 0;
}

uint32_t sdes_policy_mask(uint32_t base, uint32_t no_mask, uint32_t only_mask)
{
	uint32_t allowed = base & SDES_ALL_SUITES & ~no_mask;

	return only_mask ? allowed & only_mask : allowed;
}

int sdes_choose(const struct sdes_crypto *offers, size_t n_offers, uint32_t allowed,
		sdes_suite_filter_fn filter, void *userdata, size_t *ret_index)
{
	if (!offers && n_offers)
		return -EINVAL;
	for (unsigned int p = 0; p < _SLUICE_SRTP_SUITE_MAX; p++) {
		enum sluice_srtp_suite suite = sdes_suite_preference[p];

		if (!(allowed & SDES_SUITE_BIT(suite)) || (filter && !filter(suite, userdata)))
			continue;
		for (size_t i = 0; i < n_offers; i++)
			if (offers[i].suite == suite) {
				*ret_index = i;
				return 0;
			}
	}
	return -ENOENT;
}

void sdes_crypto_clear(struct sdes_crypto *crypto)
{
	if (crypto)
		OPENSSL_cleanse(crypto, sizeof(*crypto));
}
