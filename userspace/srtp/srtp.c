// SPDX-License-Identifier: MIT
/*
 * Front end of the SRTP layer: suite table and names, argument checks, the packet framing checks
 * every engine relies on (version, header/CSRC/extension fit, trailer fit, MKI), and dispatch to
 * the engine of the context. Keeping these checks here makes both engines reject malformed packets
 * and wrong MKIs identically and before any state is looked at.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "srtp_internal.h"

const struct srtp_suite_info srtp_suites[_SLUICE_SRTP_SUITE_MAX] = {
    [SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, false},
    /* RFC 4568 section 6.2.1: the 32-bit suites still use an 80-bit tag for SRTCP. */
    [SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, false},
    [SLUICE_SRTP_AES_256_CM_HMAC_SHA1_80] = {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, false},
    [SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32] = {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, false},
    [SLUICE_SRTP_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 16, 12, 16, 16, true},
    [SLUICE_SRTP_AEAD_AES_256_GCM] = {"AEAD_AES_256_GCM", 32, 12, 16, 16, true},
};

const char *sluice_srtp_suite_name(enum sluice_srtp_suite suite)
{
	if ((unsigned int)suite >= _SLUICE_SRTP_SUITE_MAX)
		return NULL;
	return srtp_suites[suite].name;
}

int sluice_srtp_suite_from_name(const char *name, enum sluice_srtp_suite *ret_suite)
{
	if (!name || !ret_suite)
		return -EINVAL;
	for (unsigned int i = 0; i < _SLUICE_SRTP_SUITE_MAX; i++) {
		if (strcmp(name, srtp_suites[i].name) == 0) {
			*ret_suite = i;
			return 0;
		}
	}
	return -ENOENT;
}

size_t sluice_srtp_suite_key_len(enum sluice_srtp_suite suite)
{
	return (unsigned int)suite < _SLUICE_SRTP_SUITE_MAX ? srtp_suites[suite].key_len : 0;
}

size_t sluice_srtp_suite_salt_len(enum sluice_srtp_suite suite)
{
	return (unsigned int)suite < _SLUICE_SRTP_SUITE_MAX ? srtp_suites[suite].salt_len : 0;
}

const char *sluice_srtp_engine_name(enum sluice_srtp_engine engine)
{
	switch (engine) {
	case SLUICE_SRTP_OPENSSL:
		return "openssl";
	case SLUICE_SRTP_LIBSRTP:
		return "libsrtp2";
	default:
		return NULL;
	}
}

const char *sluice_srtp_verdict_name(int ret)
{
	switch (-ret) {
	case SLUICE_SRTP_OK:
		return "ok";
	case SLUICE_SRTP_AUTH_FAIL:
		return "auth-fail";
	case SLUICE_SRTP_REPLAY_DUPLICATE:
		return "replay-duplicate";
	case SLUICE_SRTP_REPLAY_OLD:
		return "replay-old";
	case SLUICE_SRTP_MALFORMED:
		return "malformed";
	case SLUICE_SRTP_NO_KEY:
		return "no-key";
	default:
		return NULL;
	}
}

static int check_keys(enum sluice_srtp_suite suite, const uint8_t *key, size_t key_len,
		      const uint8_t *salt, size_t salt_len, const struct sluice_srtp_mki *mki)
{
	if ((unsigned int)suite >= _SLUICE_SRTP_SUITE_MAX || !key || !salt)
		return -EINVAL;
	if (key_len != srtp_suites[suite].key_len || salt_len != srtp_suites[suite].salt_len)
		return -EINVAL;
	if (mki && mki->len > SLUICE_SRTP_MAX_MKI_LEN)
		return -EINVAL;
	return 0;
}

static struct sluice_srtp_ctx *ctx_alloc(enum sluice_srtp_engine engine,
					 enum sluice_srtp_suite suite,
					 enum sluice_srtp_direction direction,
					 const struct sluice_srtp_mki *mki)
{
	struct sluice_srtp_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->engine = engine;
	ctx->suite = suite;
	ctx->direction = direction;
	if (mki)
		ctx->mki = *mki;
	return ctx;
}

int sluice_srtp_ctx_new(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite,
			enum sluice_srtp_direction direction, const uint8_t *master_key,
			size_t key_len, const uint8_t *master_salt, size_t salt_len,
			const struct sluice_srtp_mki *mki, struct sluice_srtp_ctx **ret_ctx)
{
	struct sluice_srtp_ctx *ctx;
	int r;

	if (!ret_ctx || (unsigned int)engine >= _SLUICE_SRTP_ENGINE_MAX)
		return -EINVAL;
	if (direction != SLUICE_SRTP_OUTBOUND && direction != SLUICE_SRTP_INBOUND)
		return -EINVAL;
	r = check_keys(suite, master_key, key_len, master_salt, salt_len, mki);
	if (r < 0)
		return r;

	ctx = ctx_alloc(engine, suite, direction, mki);
	if (!ctx)
		return -ENOMEM;
	if (engine == SLUICE_SRTP_OPENSSL) {
		ctx->ops = &srtp_openssl_ops;
		r = srtp_openssl_init(ctx, master_key, master_salt);
	} else {
		ctx->ops = &srtp_libsrtp_ops;
		r = srtp_libsrtp_init(ctx, master_key, master_salt);
	}
	if (r < 0) {
		free(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

int srtp_openssl_ctx_new_session(enum sluice_srtp_suite suite, enum sluice_srtp_direction direction,
				 const struct srtp_session_keys *rtp,
				 const struct srtp_session_keys *rtcp,
				 const struct sluice_srtp_mki *mki,
				 struct sluice_srtp_ctx **ret_ctx)
{
	struct sluice_srtp_ctx *ctx;
	int r;

	if ((unsigned int)suite >= _SLUICE_SRTP_SUITE_MAX || !rtp || !rtcp || !ret_ctx)
		return -EINVAL;
	if (mki && mki->len > SLUICE_SRTP_MAX_MKI_LEN)
		return -EINVAL;
	ctx = ctx_alloc(SLUICE_SRTP_OPENSSL, suite, direction, mki);
	if (!ctx)
		return -ENOMEM;
	ctx->ops = &srtp_openssl_ops;
	r = srtp_openssl_init_session(ctx, rtp, rtcp);
	if (r < 0) {
		free(ctx);
		return r;
	}
	*ret_ctx = ctx;
	return 0;
}

void sluice_srtp_ctx_free(struct sluice_srtp_ctx *ctx)
{
	if (!ctx)
		return;
	ctx->ops->free(ctx);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

int sluice_srtp_rekey(struct sluice_srtp_ctx *ctx, const uint8_t *master_key, size_t key_len,
		      const uint8_t *master_salt, size_t salt_len,
		      const struct sluice_srtp_mki *mki)
{
	struct sluice_srtp_mki old_mki;
	int r;

	if (!ctx)
		return -EINVAL;
	r = check_keys(ctx->suite, master_key, key_len, master_salt, salt_len, mki);
	if (r < 0)
		return r;
	old_mki = ctx->mki;
	if (mki)
		ctx->mki = *mki;
	else
		memset(&ctx->mki, 0, sizeof(ctx->mki));
	r = ctx->ops->rekey(ctx, master_key, master_salt);
	if (r < 0)
		ctx->mki = old_mki;
	return r;
}

size_t sluice_srtp_overhead(const struct sluice_srtp_ctx *ctx, int rtcp)
{
	const struct srtp_suite_info *s = &srtp_suites[ctx->suite];

	if (rtcp)
		return SRTCP_INDEX_LEN + s->rtcp_tag_len + ctx->mki.len;
	return s->rtp_tag_len + ctx->mki.len;
}

int sluice_srtp_get_roc(const struct sluice_srtp_ctx *ctx, uint32_t ssrc, uint32_t *ret_roc)
{
	if (!ctx || !ret_roc)
		return -EINVAL;
	return ctx->ops->get_roc(ctx, ssrc, ret_roc);
}

/* RTP fixed header, CSRCs and extension must fit in avail octets. */
static int parse_rtp(uint8_t *buf, size_t len, size_t avail, struct srtp_packet *pkt)
{
	size_t hdr_len;

	if (avail < RTP_HEADER_LEN || (buf[0] >> 6) != 2)
		return -EPROTO;
	hdr_len = RTP_HEADER_LEN + 4 * (buf[0] & 0x0f);
	if (buf[0] & 0x10) {
		if (hdr_len + 4 > avail)
			return -EPROTO;
		hdr_len += 4 + 4 * (size_t)(buf[hdr_len + 2] << 8 | buf[hdr_len + 3]);
	}
	if (hdr_len > avail)
		return -EPROTO;
	pkt->buf = buf;
	pkt->len = len;
	pkt->hdr_len = hdr_len;
	pkt->seq = (uint16_t)(buf[2] << 8 | buf[3]);
	pkt->ssrc = load_be32(buf + 8);
	return 0;
}

static int parse_rtcp(uint8_t *buf, size_t len, size_t avail, struct srtp_packet *pkt)
{
	if (avail < RTCP_HEADER_LEN || (buf[0] >> 6) != 2)
		return -EPROTO;
	pkt->buf = buf;
	pkt->len = len;
	pkt->hdr_len = RTCP_HEADER_LEN;
	pkt->seq = 0;
	pkt->ssrc = load_be32(buf + 4);
	return 0;
}

/* Constant-time MKI check; AEAD suites carry the MKI after the tag, AES-CM before it. */
static int check_mki(const struct sluice_srtp_ctx *ctx, const uint8_t *buf, size_t len,
		     size_t tag_len)
{
	size_t at = len - ctx->mki.len - (srtp_suites[ctx->suite].aead ? 0 : tag_len);

	if (ctx->mki.len && CRYPTO_memcmp(buf + at, ctx->mki.id, ctx->mki.len) != 0)
		return -ENOKEY;
	return 0;
}

/* Offset of the E flag + SRTCP index word: AES-CM ... | E+index | MKI | tag, GCM ... | tag |
 * E+index | MKI */
static size_t rtcp_index_at(const struct sluice_srtp_ctx *ctx, size_t len)
{
	const struct srtp_suite_info *s = &srtp_suites[ctx->suite];

	return len - ctx->mki.len - SRTCP_INDEX_LEN - (s->aead ? 0 : s->rtcp_tag_len);
}

int sluice_srtp_protect_rtp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap)
{
	struct srtp_packet pkt;
	int r;

	if (!ctx || !buf || !len || ctx->direction != SLUICE_SRTP_OUTBOUND)
		return -EINVAL;
	r = parse_rtp(buf, *len, *len, &pkt);
	if (r < 0)
		return r;
	if (cap < *len || cap - *len < sluice_srtp_overhead(ctx, 0))
		return -ENOBUFS;
	r = ctx->ops->protect_rtp(ctx, &pkt);
	if (r < 0)
		return r;
	*len = pkt.len;
	return 0;
}

int sluice_srtp_unprotect_rtp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len)
{
	size_t trailer, tag_len;
	struct srtp_packet pkt;
	int r;

	if (!ctx || !buf || !len || ctx->direction != SLUICE_SRTP_INBOUND)
		return -EINVAL;
	tag_len = srtp_suites[ctx->suite].rtp_tag_len;
	trailer = tag_len + ctx->mki.len;
	if (*len < trailer)
		return -EPROTO;
	r = parse_rtp(buf, *len, *len - trailer, &pkt);
	if (r < 0)
		return r;
	r = check_mki(ctx, buf, *len, tag_len);
	if (r < 0)
		return r;
	r = ctx->ops->unprotect_rtp(ctx, &pkt);
	if (r < 0)
		return r;
	*len = pkt.len;
	return 0;
}

int sluice_srtp_protect_rtcp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap)
{
	struct srtp_packet pkt;
	int r;

	if (!ctx || !buf || !len || ctx->direction != SLUICE_SRTP_OUTBOUND)
		return -EINVAL;
	r = parse_rtcp(buf, *len, *len, &pkt);
	if (r < 0)
		return r;
	if (cap < *len || cap - *len < sluice_srtp_overhead(ctx, 1))
		return -ENOBUFS;
	r = ctx->ops->protect_rtcp(ctx, &pkt);
	if (r < 0)
		return r;
	*len = pkt.len;
	return 0;
}

int sluice_srtp_unprotect_rtcp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len)
{
	size_t trailer, tag_len;
	struct srtp_packet pkt;
	int r;

	if (!ctx || !buf || !len || ctx->direction != SLUICE_SRTP_INBOUND)
		return -EINVAL;
	tag_len = srtp_suites[ctx->suite].rtcp_tag_len;
	trailer = SRTCP_INDEX_LEN + tag_len + ctx->mki.len;
	if (*len < trailer)
		return -EPROTO;
	r = parse_rtcp(buf, *len, *len - trailer, &pkt);
	if (r < 0)
		return r;
	r = check_mki(ctx, buf, *len, tag_len);
	if (r < 0)
		return r;
	/*
	 * Every suite here encrypts SRTCP, so an E flag of 0 (unencrypted SRTCP) is refused as not
	 * authentic before anything else, as libsrtp2 does; the E flag is authenticated anyway.
	 */
	if (!(load_be32(buf + rtcp_index_at(ctx, *len)) & SRTCP_E_FLAG))
		return -SLUICE_SRTP_AUTH_FAIL;
	r = ctx->ops->unprotect_rtcp(ctx, &pkt);
	if (r < 0)
		return r;
	*len = pkt.len;
	return 0;
}
