// SPDX-License-Identifier: MIT
/*
 * The OpenSSL engine: SRTP/SRTCP on OpenSSL 3 EVP. Algorithms are fetched once per process; each
 * context keeps keyed EVP objects per packet kind, so the per packet path fetches nothing, takes no
 * lock and allocates nothing of its own. What is done per packet was chosen by measurement on
 * OpenSSL 3.0 (docs/srtp.md, "Benchmark"):
 *  - HMAC-SHA1 restarts from SHA-1 states precomputed over the ipad and opad blocks at keying
 *    (EVP_MD_CTX_copy_ex): the same two state copies EVP_MAC_init/final make, minus their layers.
 *  - AES-CM payloads up to CM_SHORT_MAX octets are XORed with a keystream made by one AES-ECB call
 *    over the counter blocks: an IV re-init of the AES-CTR context costs more than the AES itself
 *    at these sizes. Longer payloads use AES-CTR with only the IV re-initialised.
 *  - AES-GCM re-initialises only the IV; the tag goes in and out through prebuilt OSSL_PARAMs.
 * Everything stays within EVP, so the FIPS provider can serve it. Replay/ROC/SRTCP index
 * bookkeeping is the shared srtp_replay code, per SSRC, in a fixed table of
 * SLUICE_SRTP_MAX_STREAMS slots.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "srtp_internal.h"
#include "srtp_replay.h"

#define HMAC_SHA1_LEN	20
#define SHA1_BLOCK_LEN	64
#define GCM_IV_LEN	12
#define GCM_TAG_LEN	16
#define AES_BLOCK_LEN	16
#define CM_SHORT_BLOCKS 32 /* crossover measured at about 500-700 octets */
#define CM_SHORT_MAX	(CM_SHORT_BLOCKS * AES_BLOCK_LEN)

struct ossl_xform {
	EVP_CIPHER_CTX *cipher; /* keyed; AES-CTR (AES-CM suites) or AES-GCM */
	EVP_CIPHER_CTX *ecb;	/* keyed AES-ECB, short AES-CM keystreams; NULL for AEAD */
	EVP_MD_CTX *hmac_inner; /* SHA-1 after K ^ ipad; NULL for AEAD suites */
	EVP_MD_CTX *hmac_outer; /* SHA-1 after K ^ opad */
	EVP_MD_CTX *hmac_work;	/* per packet copy of one of the two */
	uint8_t salt[SLUICE_SRTP_MAX_SALT_LEN];
	uint8_t tag_len;
};

struct ossl_stream {
	uint32_t ssrc;
	bool used;
	struct srtp_rtp_replay rtp;
	struct srtp_rtcp_replay rtcp;
};

struct ossl_state {
	struct ossl_xform rtp, rtcp;
	unsigned int last; /* slot of the last stream used: most contexts carry one SSRC */
	struct ossl_stream streams[SLUICE_SRTP_MAX_STREAMS];
};

/* Fetched once, shared read-only by every context and thread. */
static struct {
	EVP_CIPHER *ctr128, *ctr256, *ecb128, *ecb256, *gcm128, *gcm256;
	EVP_MD *sha1;
	bool ok;
} algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

static void algs_fetch(void)
{
	algs.ctr128 = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	algs.ctr256 = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
	algs.ecb128 = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	algs.ecb256 = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	algs.gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	algs.gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	algs.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	algs.ok = algs.ctr128 && algs.ctr256 && algs.ecb128 && algs.ecb256 && algs.gcm128 &&
		  algs.gcm256 && algs.sha1;
}

static void xform_clear(struct ossl_xform *x)
{
	/* the provider contexts wipe their key schedules and SHA-1 states when freed */
	EVP_CIPHER_CTX_free(x->cipher);
	EVP_CIPHER_CTX_free(x->ecb);
	EVP_MD_CTX_free(x->hmac_inner);
	EVP_MD_CTX_free(x->hmac_outer);
	EVP_MD_CTX_free(x->hmac_work);
	OPENSSL_cleanse(x, sizeof(*x));
}

/* SHA-1 state after one block of key XOR pad (RFC 2104; the key is shorter than a block). */
static EVP_MD_CTX *hmac_pad_state(const uint8_t key[static SRTP_AUTH_KEY_LEN], uint8_t pad)
{
	uint8_t block[SHA1_BLOCK_LEN];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	if (!md)
		return NULL;
	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < SRTP_AUTH_KEY_LEN; i++)
		block[i] ^= key[i];
	ok = EVP_DigestInit_ex2(md, algs.sha1, NULL) == 1 &&
	     EVP_DigestUpdate(md, block, sizeof(block)) == 1;
	OPENSSL_cleanse(block, sizeof(block));
	if (!ok) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

static int xform_init(struct ossl_xform *x, const struct srtp_suite_info *s, bool encrypt,
		      const struct srtp_session_keys *keys, uint8_t tag_len)
{
	EVP_CIPHER *alg;

	if (s->aead)
		alg = s->key_len == 16 ? algs.gcm128 : algs.gcm256;
	else
		alg = s->key_len == 16 ? algs.ctr128 : algs.ctr256;
	memset(x, 0, sizeof(*x));
	x->tag_len = tag_len;
	memcpy(x->salt, keys->salt, s->salt_len);
	x->cipher = EVP_CIPHER_CTX_new();
	if (!x->cipher)
		goto fail;
	/* AES-CTR is its own inverse; GCM needs the direction for tag generation vs check. */
	if (EVP_CipherInit_ex2(x->cipher, alg, keys->enc, NULL, s->aead ? encrypt : 1, NULL) != 1)
		goto fail;
	if (s->aead)
		return 0;
	x->ecb = EVP_CIPHER_CTX_new();
	if (!x->ecb ||
	    EVP_CipherInit_ex2(x->ecb, s->key_len == 16 ? algs.ecb128 : algs.ecb256, keys->enc,
			       NULL, 1, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x->ecb, 0) != 1)
		goto fail;
	x->hmac_inner = hmac_pad_state(keys->auth, 0x36);
	x->hmac_outer = hmac_pad_state(keys->auth, 0x5c);
	x->hmac_work = EVP_MD_CTX_new();
	if (!x->hmac_inner || !x->hmac_outer || !x->hmac_work)
		goto fail;
	return 0;
fail:
	xform_clear(x);
	return -EIO;
}

static int state_keys(struct ossl_state *st, const struct sluice_srtp_ctx *ctx,
		      const struct srtp_session_keys *rtp, const struct srtp_session_keys *rtcp)
{
	const struct srtp_suite_info *s = &srtp_suites[ctx->suite];
	bool encrypt = ctx->direction == SLUICE_SRTP_OUTBOUND;
	struct ossl_xform x_rtp, x_rtcp;
	int r;

	pthread_once(&algs_once, algs_fetch);
	if (!algs.ok)
		return -EIO;
	r = xform_init(&x_rtp, s, encrypt, rtp, s->rtp_tag_len);
	if (r < 0)
		return r;
	r = xform_init(&x_rtcp, s, encrypt, rtcp, s->rtcp_tag_len);
	if (r < 0) {
		xform_clear(&x_rtp);
		return r;
	}
	xform_clear(&st->rtp);
	xform_clear(&st->rtcp);
	st->rtp = x_rtp;
	st->rtcp = x_rtcp;
	return 0;
}

int srtp_openssl_init_session(struct sluice_srtp_ctx *ctx, const struct srtp_session_keys *rtp,
			      const struct srtp_session_keys *rtcp)
{
	struct ossl_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	r = state_keys(st, ctx, rtp, rtcp);
	if (r < 0) {
		free(st);
		return r;
	}
	ctx->engine_state = st;
	return 0;
}

int srtp_openssl_init(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt)
{
	struct srtp_session_keys rtp, rtcp;
	int r;

	r = srtp_derive_session_keys(ctx->suite, key, salt, &rtp, &rtcp);
	if (r >= 0)
		r = srtp_openssl_init_session(ctx, &rtp, &rtcp);
	OPENSSL_cleanse(&rtp, sizeof(rtp));
	OPENSSL_cleanse(&rtcp, sizeof(rtcp));
	return r;
}

static int ossl_rekey(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt)
{
	struct srtp_session_keys rtp, rtcp;
	int r;

	r = srtp_derive_session_keys(ctx->suite, key, salt, &rtp, &rtcp);
	if (r >= 0)
		r = state_keys(ctx->engine_state, ctx, &rtp, &rtcp);
	OPENSSL_cleanse(&rtp, sizeof(rtp));
	OPENSSL_cleanse(&rtcp, sizeof(rtcp));
	return r;
}

static void ossl_free(struct sluice_srtp_ctx *ctx)
{
	struct ossl_state *st = ctx->engine_state;

	if (!st)
		return;
	xform_clear(&st->rtp);
	xform_clear(&st->rtcp);
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
	ctx->engine_state = NULL;
}

/*
 * The stream of ssrc, or a still-unused (all-zero) slot for it, or NULL when the table is full.
 * A slot only becomes used by stream_claim() once a packet has been accepted.
 */
static struct ossl_stream *stream_lookup(struct ossl_state *st, uint32_t ssrc)
{
	struct ossl_stream *free_slot = NULL;

	if (st->streams[st->last].used && st->streams[st->last].ssrc == ssrc)
		return &st->streams[st->last];
	for (unsigned int i = 0; i < SLUICE_SRTP_MAX_STREAMS; i++) {
		struct ossl_stream *s = &st->streams[i];

		if (s->used && s->ssrc == ssrc) {
			st->last = i;
			return s;
		}
		if (!s->used && !free_slot)
			free_slot = s;
	}
	return free_slot;
}

static void stream_claim(struct ossl_state *st, struct ossl_stream *s, uint32_t ssrc)
{
	s->used = true;
	s->ssrc = ssrc;
	st->last = (unsigned int)(s - st->streams);
}

/* RFC 3711 section 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16). */
static void cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index)
{
	memcpy(iv, salt, 14);
	iv[14] = iv[15] = 0;
	iv[4] ^= ssrc >> 24;
	iv[5] ^= ssrc >> 16;
	iv[6] ^= ssrc >> 8;
	iv[7] ^= ssrc;
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/*
 * RFC 7714 sections 8.1 and 9.1: IV = (00 00 || SSRC || mid || low) XOR salt, where mid || low is
 * ROC (32) || SEQ (16) for SRTP and 00 00 || 0 || SRTCP index (31) for SRTCP.
 */
static void gcm_iv(uint8_t iv[GCM_IV_LEN], const uint8_t salt[12], uint32_t ssrc, uint16_t hi,
		   uint32_t lo)
{
	uint8_t n[GCM_IV_LEN] = {0};

	store_be32(n + 2, ssrc);
	n[6] = hi >> 8;
	n[7] = (uint8_t)hi;
	store_be32(n + 8, lo);
	for (int i = 0; i < GCM_IV_LEN; i++)
		iv[i] = n[i] ^ salt[i];
}

/*
 * AES-CM of a short payload: one AES-ECB call turns the counter blocks IV + i (the low 16 bits of
 * the IV are zero, so i never carries) into keystream, which is XORed in.
 */
static int cm_crypt_short(struct ossl_xform *x, const uint8_t iv[static AES_BLOCK_LEN], uint8_t *p,
			  size_t len)
{
	uint8_t ks[CM_SHORT_MAX] __attribute__((aligned(16)));
	size_t blocks = (len + AES_BLOCK_LEN - 1) / AES_BLOCK_LEN, i = 0;
	int outl;

	for (size_t b = 0; b < blocks; b++) {
		memcpy(ks + b * AES_BLOCK_LEN, iv, AES_BLOCK_LEN - 2);
		ks[b * AES_BLOCK_LEN + 14] = (uint8_t)(b >> 8);
		ks[b * AES_BLOCK_LEN + 15] = (uint8_t)b;
	}
	if (EVP_EncryptUpdate(x->ecb, ks, &outl, ks, (int)(blocks * AES_BLOCK_LEN)) != 1)
		return -EIO;
	for (; i + 8 <= len; i += 8) {
		uint64_t w, k;

		memcpy(&w, p + i, 8);
		memcpy(&k, ks + i, 8);
		w ^= k;
		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] ^= ks[i];
	explicit_bzero(ks, blocks * AES_BLOCK_LEN); /* no keystream left on the stack */
	return 0;
}

static int cm_crypt(struct ossl_xform *x, uint32_t ssrc, uint64_t index, uint8_t *p, size_t len)
{
	uint8_t iv[AES_BLOCK_LEN];
	int outl;

	if (!len)
		return 0;
	cm_iv(iv, x->salt, ssrc, index);
	if (len <= CM_SHORT_MAX)
		return cm_crypt_short(x, iv, p, len);
	if (EVP_CipherInit_ex2(x->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
	    EVP_CipherUpdate(x->cipher, p, &outl, p, (int)len) != 1)
		return -EIO;
	return 0;
}

/*
 * HMAC-SHA1 over data, then over the optional 4-octet ROC (RTP only), restarted from the keyed
 * inner and outer states. (OpenSSL 3.0 allocates inside EVP_MD_CTX_copy_ex; so does every other
 * EVP way to restart a digest, EVP_MAC_init included. See docs/srtp.md.)
 */
static int hmac_sha1(struct ossl_xform *x, const uint8_t *data, size_t len, const uint8_t *roc,
		     uint8_t out[static HMAC_SHA1_LEN])
{
	uint8_t inner[HMAC_SHA1_LEN];

	if (EVP_MD_CTX_copy_ex(x->hmac_work, x->hmac_inner) != 1 ||
	    EVP_DigestUpdate(x->hmac_work, data, len) != 1)
		return -EIO;
	if (roc && EVP_DigestUpdate(x->hmac_work, roc, 4) != 1)
		return -EIO;
	if (EVP_DigestFinal_ex(x->hmac_work, inner, NULL) != 1 ||
	    EVP_MD_CTX_copy_ex(x->hmac_work, x->hmac_outer) != 1 ||
	    EVP_DigestUpdate(x->hmac_work, inner, sizeof(inner)) != 1 ||
	    EVP_DigestFinal_ex(x->hmac_work, out, NULL) != 1)
		return -EIO;
	return 0;
}

static int gcm_seal(struct ossl_xform *x, const uint8_t iv[static GCM_IV_LEN], const uint8_t *aad,
		    size_t aad_len, const uint8_t *aad2, size_t aad2_len, uint8_t *p, size_t len,
		    uint8_t *tag)
{
	OSSL_PARAM get_tag[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, x->tag_len),
	    OSSL_PARAM_construct_end(),
	};
	int outl;

	if (EVP_CipherInit_ex2(x->cipher, NULL, NULL, iv, -1, NULL) != 1 ||
	    EVP_CipherUpdate(x->cipher, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	if (aad2_len && EVP_CipherUpdate(x->cipher, NULL, &outl, aad2, (int)aad2_len) != 1)
		return -EIO;
	if (len && EVP_CipherUpdate(x->cipher, p, &outl, p, (int)len) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(x->cipher, p + len, &outl) != 1 ||
	    EVP_CIPHER_CTX_get_params(x->cipher, get_tag) != 1)
		return -EIO;
	return 0;
}

/* Decrypts in place and verifies; -EBADMSG when the tag does not verify. */
static int gcm_open(struct ossl_xform *x, const uint8_t iv[static GCM_IV_LEN], const uint8_t *aad,
		    size_t aad_len, const uint8_t *aad2, size_t aad2_len, uint8_t *p, size_t len,
		    const uint8_t *tag)
{
	uint8_t tag_copy[GCM_TAG_LEN];
	/* the expected tag goes in with the IV: one parameter pass instead of a ctrl */
	OSSL_PARAM set_tag[] = {
	    OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag_copy, x->tag_len),
	    OSSL_PARAM_construct_end(),
	};
	int outl;

	memcpy(tag_copy, tag, x->tag_len);
	if (EVP_CipherInit_ex2(x->cipher, NULL, NULL, iv, -1, set_tag) != 1 ||
	    EVP_CipherUpdate(x->cipher, NULL, &outl, aad, (int)aad_len) != 1)
		return -EIO;
	if (aad2_len && EVP_CipherUpdate(x->cipher, NULL, &outl, aad2, (int)aad2_len) != 1)
		return -EIO;
	if (len && EVP_CipherUpdate(x->cipher, p, &outl, p, (int)len) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(x->cipher, p + len, &outl) != 1)
		return -EBADMSG;
	return 0;
}

static int ossl_protect_rtp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	struct ossl_state *st = ctx->engine_state;
	struct ossl_xform *x = &st->rtp;
	size_t plen = pkt->len - pkt->hdr_len;
	uint8_t *payload = pkt->buf + pkt->hdr_len, *end = pkt->buf + pkt->len;
	struct ossl_stream *s;
	uint64_t index;
	int64_t delta;
	int r;

	s = stream_lookup(st, pkt->ssrc);
	if (!s)
		return -ENOKEY;
	delta = srtp_rtp_index_estimate(&s->rtp, pkt->seq, &index);
	r = srtp_rtp_replay_check(&s->rtp, delta);
	if (r < 0)
		return r; /* never encrypt twice under the same index */
	if (!s->used)
		stream_claim(st, s, pkt->ssrc);
	srtp_rtp_replay_commit(&s->rtp, delta);

	if (x->hmac_inner) {
		uint8_t roc[4], tag[HMAC_SHA1_LEN];

		r = cm_crypt(x, pkt->ssrc, index, payload, plen);
		if (r < 0)
			return r;
		store_be32(roc, (uint32_t)(index >> 16));
		r = hmac_sha1(x, pkt->buf, pkt->len, roc, tag);
		if (r < 0)
			return r;
		memcpy(end, ctx->mki.id, ctx->mki.len);
		memcpy(end + ctx->mki.len, tag, x->tag_len);
	} else {
		uint8_t iv[GCM_IV_LEN];

		gcm_iv(iv, x->salt, pkt->ssrc, (uint16_t)(index >> 32), (uint32_t)index);
		r = gcm_seal(x, iv, pkt->buf, pkt->hdr_len, NULL, 0, payload, plen, end);
		if (r < 0)
			return r;
		memcpy(end + x->tag_len, ctx->mki.id, ctx->mki.len);
	}
	pkt->len += x->tag_len + ctx->mki.len;
	return 0;
}

static int ossl_unprotect_rtp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	struct ossl_state *st = ctx->engine_state;
	struct ossl_xform *x = &st->rtp;
	size_t body = pkt->len - x->tag_len - ctx->mki.len; /* header + encrypted payload */
	uint8_t *payload = pkt->buf + pkt->hdr_len;
	struct ossl_stream *s;
	uint64_t index;
	int64_t delta;
	int r;

	s = stream_lookup(st, pkt->ssrc);
	if (!s)
		return -ENOKEY;
	delta = srtp_rtp_index_estimate(&s->rtp, pkt->seq, &index);
	r = srtp_rtp_replay_check(&s->rtp, delta);
	if (r < 0)
		return r;

	if (x->hmac_inner) {
		uint8_t roc[4], tag[HMAC_SHA1_LEN];

		store_be32(roc, (uint32_t)(index >> 16));
		r = hmac_sha1(x, pkt->buf, body, roc, tag);
		if (r < 0)
			return r;
		if (CRYPTO_memcmp(tag, pkt->buf + body + ctx->mki.len, x->tag_len) != 0)
			return -EBADMSG;
		r = cm_crypt(x, pkt->ssrc, index, payload, body - pkt->hdr_len);
	} else {
		uint8_t iv[GCM_IV_LEN];

		gcm_iv(iv, x->salt, pkt->ssrc, (uint16_t)(index >> 32), (uint32_t)index);
		r = gcm_open(x, iv, pkt->buf, pkt->hdr_len, NULL, 0, payload, body - pkt->hdr_len,
			     pkt->buf + body);
	}
	if (r < 0)
		return r;

	if (!s->used)
		stream_claim(st, s, pkt->ssrc);
	srtp_rtp_replay_commit(&s->rtp, delta);
	pkt->len = body;
	return 0;
}

static int ossl_protect_rtcp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	struct ossl_state *st = ctx->engine_state;
	struct ossl_xform *x = &st->rtcp;
	uint8_t *payload = pkt->buf + RTCP_HEADER_LEN;
	size_t plen = pkt->len - RTCP_HEADER_LEN;
	uint8_t trailer[SRTCP_INDEX_LEN];
	struct ossl_stream *s;
	uint32_t index;
	int r;

	s = stream_lookup(st, pkt->ssrc);
	if (!s)
		return -ENOKEY;
	r = srtp_rtcp_index_next(&s->rtcp, &index);
	if (r < 0)
		return r;
	if (!s->used)
		stream_claim(st, s, pkt->ssrc);
	store_be32(trailer, SRTCP_E_FLAG | index);

	if (x->hmac_inner) {
		uint8_t *end = pkt->buf + pkt->len, tag[HMAC_SHA1_LEN];

		r = cm_crypt(x, pkt->ssrc, index, payload, plen);
		if (r < 0)
			return r;
		memcpy(end, trailer, SRTCP_INDEX_LEN);
		r = hmac_sha1(x, pkt->buf, pkt->len + SRTCP_INDEX_LEN, NULL, tag);
		if (r < 0)
			return r;
		memcpy(end + SRTCP_INDEX_LEN, ctx->mki.id, ctx->mki.len);
		memcpy(end + SRTCP_INDEX_LEN + ctx->mki.len, tag, x->tag_len);
	} else {
		uint8_t iv[GCM_IV_LEN], *end = payload + plen;

		gcm_iv(iv, x->salt, pkt->ssrc, 0, index);
		r = gcm_seal(x, iv, pkt->buf, RTCP_HEADER_LEN, trailer, SRTCP_INDEX_LEN, payload,
			     plen, end);
		if (r < 0)
			return r;
		memcpy(end + x->tag_len, trailer, SRTCP_INDEX_LEN);
		memcpy(end + x->tag_len + SRTCP_INDEX_LEN, ctx->mki.id, ctx->mki.len);
	}
	pkt->len += SRTCP_INDEX_LEN + x->tag_len + ctx->mki.len;
	return 0;
}

static int ossl_unprotect_rtcp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	struct ossl_state *st = ctx->engine_state;
	struct ossl_xform *x = &st->rtcp;
	uint8_t *payload = pkt->buf + RTCP_HEADER_LEN;
	size_t trailer_at, plain_end;
	struct ossl_stream *s;
	uint32_t index;
	int r;

	/* AES-CM: ... | E+index | MKI | tag;  GCM: ... | tag | E+index | MKI */
	if (x->hmac_inner)
		trailer_at = pkt->len - x->tag_len - ctx->mki.len - SRTCP_INDEX_LEN;
	else
		trailer_at = pkt->len - ctx->mki.len - SRTCP_INDEX_LEN;
	index = load_be32(pkt->buf + trailer_at) & ~SRTCP_E_FLAG; /* E is set: checked by srtp.c */

	s = stream_lookup(st, pkt->ssrc);
	if (!s)
		return -ENOKEY;
	r = srtp_rtcp_replay_check(&s->rtcp, index);
	if (r < 0)
		return r;

	if (x->hmac_inner) {
		uint8_t tag[HMAC_SHA1_LEN];

		r = hmac_sha1(x, pkt->buf, trailer_at + SRTCP_INDEX_LEN, NULL, tag);
		if (r < 0)
			return r;
		if (CRYPTO_memcmp(tag, pkt->buf + trailer_at + SRTCP_INDEX_LEN + ctx->mki.len,
				  x->tag_len) != 0)
			return -EBADMSG;
		plain_end = trailer_at;
		r = cm_crypt(x, pkt->ssrc, index, payload, plain_end - RTCP_HEADER_LEN);
	} else {
		uint8_t iv[GCM_IV_LEN];

		plain_end = trailer_at - x->tag_len;
		gcm_iv(iv, x->salt, pkt->ssrc, 0, index);
		r = gcm_open(x, iv, pkt->buf, RTCP_HEADER_LEN, pkt->buf + trailer_at,
			     SRTCP_INDEX_LEN, payload, plain_end - RTCP_HEADER_LEN,
			     pkt->buf + plain_end);
	}
	if (r < 0)
		return r;

	if (!s->used)
		stream_claim(st, s, pkt->ssrc);
	srtp_rtcp_replay_commit(&s->rtcp, index);
	pkt->len = plain_end;
	return 0;
}

static int ossl_get_roc(const struct sluice_srtp_ctx *ctx, uint32_t ssrc, uint32_t *ret_roc)
{
	const struct ossl_state *st = ctx->engine_state;

	for (unsigned int i = 0; i < SLUICE_SRTP_MAX_STREAMS; i++) {
		if (st->streams[i].used && st->streams[i].ssrc == ssrc) {
			*ret_roc = srtp_rtp_replay_roc(&st->streams[i].rtp);
			return 0;
		}
	}
	return -ENOENT;
}

const struct srtp_engine_ops srtp_openssl_ops = {
    .rekey = ossl_rekey,
    .free = ossl_free,
    .protect_rtp = ossl_protect_rtp,
    .unprotect_rtp = ossl_unprotect_rtp,
    .protect_rtcp = ossl_protect_rtcp,
    .unprotect_rtcp = ossl_unprotect_rtcp,
    .get_roc = ossl_get_roc,
};
