/* SPDX-License-Identifier: MIT */
/*
 * What the front end (srtp.c) and the engines share: the context layout, the engine operations, the
 * suite table and the packet framing the front end validates once for every engine.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srtp.h"
#include "srtp_crypto.h"

#define RTP_HEADER_LEN	12
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4
#define SRTCP_E_FLAG	0x80000000u

struct srtp_suite_info {
	const char *name;
	uint8_t key_len;
	uint8_t salt_len;
	uint8_t rtp_tag_len;
	uint8_t rtcp_tag_len;
	bool aead;
};

extern const struct srtp_suite_info srtp_suites[_SLUICE_SRTP_SUITE_MAX];

/* A packet as validated by the front end. */
struct srtp_packet {
	uint8_t *buf;
	size_t len;	/* whole packet as received/sent so far */
	size_t hdr_len; /* RTP: 12 + CSRCs + extension; RTCP: 8 */
	uint32_t ssrc;
	uint16_t seq; /* RTP only */
};

struct srtp_engine_ops {
	int (*rekey)(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt);
	void (*free)(struct sluice_srtp_ctx *ctx);
	int (*protect_rtp)(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt);
	int (*unprotect_rtp)(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt);
	int (*protect_rtcp)(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt);
	int (*unprotect_rtcp)(struct sluice_srtp_ctx *ctx, struct srtp_packet *pkt);
	int (*get_roc)(const struct sluice_srtp_ctx *ctx, uint32_t ssrc, uint32_t *ret_roc);
};

struct sluice_srtp_ctx {
	const struct srtp_engine_ops *ops;
	enum sluice_srtp_engine engine;
	enum sluice_srtp_suite suite;
	enum sluice_srtp_direction direction;
	struct sluice_srtp_mki mki;
	void *engine_state; /* owned by the engine */
};

extern const struct srtp_engine_ops srtp_openssl_ops;
extern const struct srtp_engine_ops srtp_libsrtp_ops;

/* Engine constructors: fill ctx->engine_state (suite, direction, mki already set in ctx). */
int srtp_openssl_init(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt);
int srtp_libsrtp_init(struct sluice_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt);
int srtp_openssl_init_session(struct sluice_srtp_ctx *ctx, const struct srtp_session_keys *rtp,
			      const struct srtp_session_keys *rtcp);

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}
