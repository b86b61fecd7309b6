// SPDX-License-Identifier: MIT
/*
 * The libsrtp2 engine: the sluice SRTP interface over the system libsrtp2. One srtp_t per context,
 * created from a single SSRC-wildcard stream policy (inbound or outbound), replay window
 * SLUICE_SRTP_REPLAY_WINDOW, retransmission of an index refused. libsrtp2 error codes are mapped
 * onto the sluice verdicts. The front end has already checked framing and MKI.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "srtp_internal.h"

static pthread_once_t libsrtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t libsrtp_init_status;

/*
 * srtp_init() must run once per process. A second call (say by another library in the daemon that
 * also uses libsrtp2) fails with bad_param when it re-registers its debug module, after the crypto
 * kernel is already up: treat that as initialised.
 */
static void libsrtp_init(void)
{
	libsrtp_init_status = srtp_init();
	if (libsrtp_init_status == srtp_err_status_bad_param)
		libsrtp_init_status = srtp_err_status_ok;
}

static int map_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return -SLUICE_SRTP_AUTH_FAIL;
	case srtp_err_status_replay_fail:
		return -SLUICE_SRTP_REPLAY_DUPLICATE;
	case srtp_err_status_replay_old:
		return -SLUICE_SRTP_REPLAY_OLD;
	case srtp_err_status_bad_mki:
	case srtp_err_status_no_ctx:
		return -SLUICE_SRTP_NO_KEY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return -SLUICE_SRTP_MALFORMED;
	case srtp_err_status_key_expired:
		return -EKEYEXPIRED;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * On receive, the NSS build of libsrtp2 reports a GCM tag mismatch as a cipher failure, and an
 * SRTCP E flag that does not match the policy as "can't check": both mean the packet is not
 * authentic under this context (the front end already refuses E = 0, this is the backstop).
 */
static int map_unprotect_status(srtp_err_status_t st)
{
	if (st == srtp_err_status_cipher_fail || st == srtp_err_status_cant_check)
		return -SLUICE_SRTP_AUTH_FAIL;
	return map_status(st);
}

static void set_crypto_policies(enum sluice_srtp_suite suite, srtp_policy_t *p)
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
		break;
	}
}

/* A filled libsrtp2 policy and the storage it points into; wipe with policy_wipe(). */
struct lib_policy {
	srtp_policy_t policy;
	srtp_master_key_t master;
	srtp_master_key_t *masters[1];
	uint8_t key_salt[SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN];
	uint8_t mki_id[SLUICE_SRTP_MAX_MKI_LEN];
};

static void policy_fill(struct lib_policy *lp, const struct sluice_srtp_ctx *ctx,
			const uint8_t *key, const uint8_t *salt)
{
	const struct srtp_suite_info *s = &srtp_suites[ctx->suite];

	memset(lp, 0, sizeof(*lp));
	memcpy(lp->key_salt, key, s->key_len);
	memcpy(lp->key_salt + s->key_len, salt, s->salt_len);
	set_crypto_policies(ctx->suite, &lp->policy);
	lp->policy.ssrc.type =
	    ctx->direction == SLUICE_SRTP_OUTBOUND ? ssrc_any_outbound : ssrc_any_inbound;
	lp->policy.window_size = SLUICE_SRTP_REPLAY_WINDOW;
	lp->policy.allow_repeat_tx = 0;
	if (ctx->mki.len) {
		memcpy(lp->mki_id, ctx->mki.id, ctx->mki.len);
		lp->master.key = lp->key_salt;
		lp->master.mki_id = lp->mki_id;
		lp->master.mki_size = ctx->mki.len;
		lp->masters[0] = &lp->master;
		lp->policy.keys = lp->masters;
		lp->policy.num_master_keys = 1;
	} else {
		lp->policy.key = lp->key_salt;
	}
}

static void policy_wipe(struct lib_policy *lp)
{
	OPENSSL_cleanse(lp, sizeof(*lp));
}

int srtp_libsrtp_init(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt)
{
	struct lib_policy lp;
	srtp_t session = NULL;
	srtp_err_status_t st;

	pthread_once(&libsrtp_once, libsrtp_init);
	if (libsrtp_init_status != srtp_err_status_ok)
		return -EIO;
	policy_fill(&lp, ctx, key, salt);
	st = srtp_create(&session, &lp.policy);
	policy_wipe(&lp);
	if (st != srtp_err_status_ok) {
		if (session)
			srtp_dealloc(session);
		/* a suite this libsrtp2 build lacks fails as a bad parameter or cipher failure */
		if (st == srtp_err_status_bad_param || st == srtp_err_status_cipher_fail)
			return -ENOTSUP;
		return map_status(st);
	}
	ctx->engine_state = session;
	return 0;
}

/* srtp_update() re-keys the template and every stream cloned from it, keeping packet indices. */
static int lib_rekey(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt)
{
	struct lib_policy lp;
	srtp_err_status_t st;

	policy_fill(&lp, ctx, key, salt);
	st = srtp_update(ctx->engine_state, &lp.policy);
	policy_wipe(&lp);
	return map_status(st);
}

static void lib_free(struct sluice_srtp_ctx *ctx)
{
	if (ctx->engine_state)
		srtp_dealloc(ctx->engine_state);
	ctx->engine_state = NULL;
}

static int lib_protect_rtp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	int len = (int)pkt->len;
	srtp_err_status_t st;

	if (pkt->len > INT_MAX / 2)
		return -EMSGSIZE;
	st = srtp_protect_mki(ctx->engine_state, pkt->buf, &len, ctx->mki.len > 0, 0);
	if (st != srtp_err_status_ok)
		return map_status(st);
	pkt->len = (size_t)len;
	return 0;
}

static int lib_unprotect_rtp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	int len = (int)pkt->len;
	srtp_err_status_t st;

	if (pkt->len > INT_MAX / 2)
		return -EMSGSIZE;
	st = srtp_unprotect_mki(ctx->engine_state, pkt->buf, &len, ctx->mki.len > 0);
	if (st != srtp_err_status_ok)
		return map_unprotect_status(st);
	pkt->len = (size_t)len;
	return 0;
}

static int lib_protect_rtcp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	int len = (int)pkt->len;
	srtp_err_status_t st;

	if (pkt->len > INT_MAX / 2)
		return -EMSGSIZE;
	st = srtp_protect_rtcp_mki(ctx->engine_state, pkt->buf, &len, ctx->mki.len > 0, 0);
	if (st != srtp_err_status_ok)
		return map_status(st);
	pkt->len = (size_t)len;
	return 0;
}

/*
 * libsrtp2 2.5 looks for an SRTCP MKI using the *RTP* tag length, so with the _32 suites (4-octet
 * RTP tag, 10-octet SRTCP tag) it rejects every SRTCP packet that carries an MKI. The front end has
 * already matched the MKI against the context's only key, and the MKI is not authenticated, so
 * strip it and let libsrtp2 use that key directly.
 */
static size_t strip_rtcp_mki(const struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t len)
{
	const struct srtp_suite_info *s = &srtp_suites[ctx->suite];

	if (!s->aead)
		memmove(buf + len - s->rtcp_tag_len - ctx->mki.len, buf + len - s->rtcp_tag_len,
			s->rtcp_tag_len);
	return len - ctx->mki.len;
}

static int lib_unprotect_rtcp(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt)
{
	int len;
	srtp_err_status_t st;

	if (pkt->len > INT_MAX / 2)
		return -EMSGSIZE;
	len = (int)strip_rtcp_mki(ctx, pkt->buf, pkt->len);
	st = srtp_unprotect_rtcp_mki(ctx->engine_state, pkt->buf, &len, 0);
	if (st != srtp_err_status_ok)
		return map_unprotect_status(st);
	pkt->len = (size_t)len;
	return 0;
}

static int lib_get_roc(const struct sluice_srtp_ctx *ctx, uint32_t ssrc, uint32_t *ret_roc)
{
	uint32_t roc;

	if (srtp_get_stream_roc(ctx->engine_state, ssrc, &roc) != srtp_err_status_ok)
		return -ENOENT;
	*ret_roc = roc;
	return 0;
}

const struct srtp_engine_ops srtp_libsrtp_ops = {
    .rekey = lib_rekey,
    .free = lib_free,
    .protect_rtp = lib_protect_rtp,
    .unprotect_rtp = lib_unprotect_rtp,
    .protect_rtcp = lib_protect_rtcp,
    .unprotect_rtcp = lib_unprotect_rtcp,
    .get_roc = lib_get_roc,
};
