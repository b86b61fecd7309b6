/* SPDX-License-Identifier: MIT */
/*
 * SDES (RFC 4568) a=crypto attributes: parse an offered line into a suite, a master key and salt,
 * a lifetime and an MKI; format our own line; choose the suite of an answer under a policy. The
 * suites are those of the SRTP layer (enum sluice_srtp_suite in srtp/srtp.h, one table for both).
 *
 * Accepted: "TAG SUITE inline:BASE64(key||salt)[|LIFETIME][|MKI:LEN] [SESSION-PARAMS]", where the
 * value may start with "a=crypto:". One key per line: a line with several inline: key parameters
 * is refused (-ENOTSUP), because keys switched by MKI mid-call cannot be honoured; offerers that
 * want alternatives put them on separate lines, of which the answerer picks one. Base64 must be
 * canonical; the '=' padding may be omitted (some endpoints do) but not be wrong.
 * Session parameters: WSH is recorded, FEC_ORDER and '-'-prefixed unknown ones are ignored;
 * UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP, KDR, FEC_KEY and
 * unknown mandatory parameters are refused with -ENOTSUP: sluice always encrypts and authenticates
 * and derives session keys once.
 *
 * Errors: -EBADMSG (malformed) or -ENOTSUP (well-formed, not something sluice can honour), both
 * with a static reason string. A struct sdes_crypto holds key material: clear it with
 * sdes_crypto_clear() when done.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srtp/srtp.h"

#define SDES_MAX_TAG	       999999999u
#define SDES_MAX_LIFETIME_LOG2 48  /* RFC 3711: at most 2^48 SRTP packets per master key */
#define SDES_LINE_MAX	       160 /* longest line sdes_format() writes, with its NUL */

#define SDES_SUITE_BIT(suite) (1u << (suite))
#define SDES_ALL_SUITES	      ((1u << _SLUICE_SRTP_SUITE_MAX) - 1)

struct sdes_crypto {
	uint32_t tag;
	enum sluice_srtp_suite suite;
	uint8_t key[SLUICE_SRTP_MAX_KEY_LEN];	/* sluice_srtp_suite_key_len(suite) bytes used */
	uint8_t salt[SLUICE_SRTP_MAX_SALT_LEN]; /* sluice_srtp_suite_salt_len(suite) bytes used */
	uint64_t lifetime;			/* packets; 0: not given */
	struct sluice_srtp_mki mki;		/* len 0: no MKI */
	uint32_t window_size_hint;		/* WSH; 0: not given */
};

/* Strongest first: the order in which sdes_choose() prefers suites. */
extern const enum sluice_srtp_suite sdes_suite_preference[_SLUICE_SRTP_SUITE_MAX];

/* Parses one a=crypto value of len bytes (need not be NUL-terminated). */
int sdes_parse(const char *value, size_t len, struct sdes_crypto *ret_crypto,
	       const char **ret_reason);

/*
 * Writes "TAG SUITE inline:KEYSALT[|2^N or |LIFETIME][|MKI:LEN]" and a NUL into buf (no "a=crypto:"
 * prefix). The caller fills crypto (key material from a CSPRNG). Returns 0, -EINVAL (tag, suite,
 * MKI or lifetime out of range), -ENOSPC.
 */
int sdes_format(const struct sdes_crypto *crypto, char *buf, size_t cap, size_t *ret_len);

/* A suite name of len bytes (not NUL-terminated) to its enum; -ENOENT when unknown. */
int sdes_suite_from_name(const char *name, size_t len, enum sluice_srtp_suite *ret_suite);

/*
 * Policy: the suites allowed out of base (e.g. SDES_ALL_SUITES, or what FIPS mode allows) after
 * "SDES-no-X" (no_mask) and "SDES-only-X" (only_mask: when non-zero, nothing else is allowed).
 */
uint32_t sdes_policy_mask(uint32_t base, uint32_t no_mask, uint32_t only_mask);

typedef bool (*sdes_suite_filter_fn)(enum sluice_srtp_suite suite, void *userdata);

/*
 * Picks the offer to answer: the strongest suite in sdes_suite_preference that is in allowed
 * and passes filter (may be NULL); among offers of that suite, the first. Returns 0 and the
 * index into offers, or -ENOENT when no offer is acceptable.
 */
int sdes_choose(const struct sdes_crypto *offers, size_t n_offers, uint32_t allowed,
		sdes_suite_filter_fn filter, void *userdata, size_t *ret_index);

/* Wipes the key material. Accepts NULL. */
void sdes_crypto_clear(struct sdes_crypto *crypto);
