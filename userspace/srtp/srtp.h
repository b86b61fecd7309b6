/* SPDX-License-Identifier: MIT */
/*
 * The SRTP/SRTCP transform of one leg direction, as the io_uring workers call it per packet, in
 * place. One context protects (outbound) or unprotects (inbound) RTP and RTCP for every SSRC of
 * that leg direction, with one master key. Two engines sit behind the same interface: a fast one on
 * OpenSSL 3 EVP and one on libsrtp2; they produce bit-identical packets and identical verdicts.
 *
 * Public symbols carry the sluice_ prefix because libsrtp2 already exports srtp_protect_rtcp(),
 * srtp_unprotect_rtcp(), srtp_ctx_t and friends, and both are linked into the daemon.
 *
 * Errors are negative errno values. Unprotect verdicts are named below; each is the negation of a
 * distinct errno so that callers can count them without a second enum. A rejected packet changes no
 * context state (ROC, highest sequence number, replay windows); the buffer content after a
 * rejection is unspecified. A context is not thread-safe: one worker owns it.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

enum sluice_srtp_engine {
	SLUICE_SRTP_OPENSSL = 0, /* default: OpenSSL 3 EVP, nothing allocated per packet */
	SLUICE_SRTP_LIBSRTP = 1, /* the system libsrtp2 */
	_SLUICE_SRTP_ENGINE_MAX,
};

/* Crypto suites, named as in SDES (RFC 4568 section 6.2, RFC 6188, RFC 7714 section 14.2). */
enum sluice_srtp_suite {
	SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80 = 0,
	SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32,
	SLUICE_SRTP_AES_256_CM_HMAC_SHA1_80,
	SLUICE_SRTP_AES_256_CM_HMAC_SHA1_32,
	SLUICE_SRTP_AEAD_AES_128_GCM,
	SLUICE_SRTP_AEAD_AES_256_GCM,
	_SLUICE_SRTP_SUITE_MAX,
};

enum sluice_srtp_direction {
	SLUICE_SRTP_OUTBOUND = 0, /* protect only */
	SLUICE_SRTP_INBOUND = 1,  /* unprotect only */
};

/* Unprotect verdicts; the functions return 0 or the negated value. */
enum sluice_srtp_verdict {
	SLUICE_SRTP_OK = 0,
	SLUICE_SRTP_AUTH_FAIL = EBADMSG,	 /* tag does not verify */
	SLUICE_SRTP_REPLAY_DUPLICATE = EALREADY, /* index inside the replay window, already seen */
	SLUICE_SRTP_REPLAY_OLD = ESTALE,	 /* index behind the replay window */
	SLUICE_SRTP_MALFORMED =
	    EPROTO,		     /* too short, not version 2, header/CSRC/extension overrun */
	SLUICE_SRTP_NO_KEY = ENOKEY, /* wrong MKI, or no stream slot left for a new SSRC */
};

#define SLUICE_SRTP_MAX_KEY_LEN	  32
#define SLUICE_SRTP_MAX_SALT_LEN  14
#define SLUICE_SRTP_MAX_MKI_LEN	  4
#define SLUICE_SRTP_REPLAY_WINDOW 128 /* packets, RTP and RTCP, both engines */
#define SLUICE_SRTP_MAX_STREAMS	  16  /* SSRCs per context (OpenSSL engine); a hard cap */
/* Most bytes protect appends: SRTCP index + MKI + 16-byte GCM tag. */
#define SLUICE_SRTP_MAX_TRAILER_LEN (4 + SLUICE_SRTP_MAX_MKI_LEN + 16)

/* Master Key Identifier carried in every packet of the context (RFC 3711 section 3.1). len 0: none.
 */
struct sluice_srtp_mki {
	uint8_t len; /* 0..SLUICE_SRTP_MAX_MKI_LEN */
	uint8_t id[SLUICE_SRTP_MAX_MKI_LEN];
};

struct sluice_srtp_ctx;

const char *sluice_srtp_suite_name(enum sluice_srtp_suite suite);
int sluice_srtp_suite_from_name(const char *name, enum sluice_srtp_suite *ret_suite);
size_t sluice_srtp_suite_key_len(enum sluice_srtp_suite suite);
size_t sluice_srtp_suite_salt_len(enum sluice_srtp_suite suite);
const char *sluice_srtp_engine_name(enum sluice_srtp_engine engine);
/* "ok", "auth-fail", ... for a value returned by an unprotect function; NULL for other errors. */
const char *sluice_srtp_verdict_name(int ret);

/*
 * Creates a context. key_len and salt_len must match the suite exactly. mki may be NULL.
 * Returns -EINVAL for bad arguments, -ENOTSUP when the engine lacks the suite, -ENOMEM, -EIO.
 */
int sluice_srtp_ctx_new(enum sluice_srtp_engine engine, enum sluice_srtp_suite suite,
			enum sluice_srtp_direction direction, const uint8_t *master_key,
			size_t key_len, const uint8_t *master_salt, size_t salt_len,
			const struct sluice_srtp_mki *mki, struct sluice_srtp_ctx **ret_ctx);
/* Wipes all key material. Accepts NULL. */
void sluice_srtp_ctx_free(struct sluice_srtp_ctx *ctx);

/*
 * Replaces the master key (and MKI) of this one context; the suite stays. Packet indices continue
 * (ROC, highest sequence and SRTCP index are kept). On failure the old key stays in use.
 */
int sluice_srtp_rekey(struct sluice_srtp_ctx *ctx, const uint8_t *master_key, size_t key_len,
		      const uint8_t *master_salt, size_t salt_len,
		      const struct sluice_srtp_mki *mki);

/*
 * Protect in place: *len is the plain packet length on entry, the protected length on return;
 * cap is the buffer size (needs *len + sluice_srtp_overhead()). Returns 0, -EPROTO (not RTP/RTCP),
 * -ENOBUFS, -EALREADY/-ESTALE (RTP sequence number already sent / behind the window),
 * -EKEYEXPIRED (SRTCP index exhausted), -ENOKEY (no stream slot for a new SSRC), -EINVAL.
 */
int sluice_srtp_protect_rtp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap);
int sluice_srtp_protect_rtcp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap);

/* Unprotect in place: returns 0 (and sets *len to the plain length) or a negated verdict. */
int sluice_srtp_unprotect_rtp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len);
int sluice_srtp_unprotect_rtcp(struct sluice_srtp_ctx *ctx, uint8_t *buf, size_t *len);

/* Bytes protect appends to an RTP (rtcp = 0) or RTCP (rtcp = 1) packet of this context. */
size_t sluice_srtp_overhead(const struct sluice_srtp_ctx *ctx, int rtcp);

/* Current rollover counter of one SSRC; -ENOENT when the context has not seen it. */
int sluice_srtp_get_roc(const struct sluice_srtp_ctx *ctx, uint32_t ssrc, uint32_t *ret_roc);
