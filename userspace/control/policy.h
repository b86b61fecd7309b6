/* SPDX-License-Identifier: MIT */
/*
 * The Mediation hop's media encryption policy, as the ng command layer applies it per leg: the
 * internal leg follows the global encryption level (require | support | none), the gateway leg the
 * trunk's SRTP mode (required | optional | not_supported), where a trunk without TLS signalling
 * behaves as not_supported. Both reduce to one question per leg: is SRTP mandatory, optional or
 * never used there? The suite mask is the FIPS hook: the suites the relay may offer or accept at
 * all (every suite sluice implements is AES-based and FIPS-approved, so today it is all of them).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/relay.h>

enum policy_encryption_level {
	POLICY_ENCRYPTION_REQUIRE = 0, /* default: an internal leg that cannot do SRTP is refused */
	POLICY_ENCRYPTION_SUPPORT,     /* SRTP when negotiated, RTP otherwise */
	POLICY_ENCRYPTION_NONE,	       /* SRTP is never used on the internal leg */
};

enum policy_gateway_srtp {
	POLICY_GATEWAY_NOT_SUPPORTED = 0, /* default: plain RTP toward the gateway */
	POLICY_GATEWAY_OPTIONAL,	  /* SRTP offered, a plain answer accepted */
	POLICY_GATEWAY_REQUIRED,	  /* SRTP or nothing */
};

/* What a leg does with SRTP under the policy. */
enum policy_srtp {
	POLICY_SRTP_NEVER = 0,
	POLICY_SRTP_OPTIONAL,
	POLICY_SRTP_MANDATORY,
};

struct ng_policy {
	enum policy_encryption_level encryption_level;
	enum policy_gateway_srtp gateway_srtp_mode;
	bool gateway_tls;    /* the trunk's signalling is TLS; without it: not_supported */
	uint32_t suite_mask; /* SDES_SUITE_BIT()s allowed at all; 0 means policy_suite_mask(fips) */
};

/* The suites allowed in (fips) mode: all six, which are AES-based; kept as the FIPS hook. */
uint32_t policy_suite_mask(bool fips);

enum policy_srtp policy_leg_srtp(const struct ng_policy *policy, enum sluice_leg leg);

/*
 * The setting that decides a leg, for error replies: "encryption_level=require",
 * "gateway_srtp_mode=optional", "gateway_srtp_mode=not_supported (gateway_tls=no)".
 */
const char *policy_leg_setting(const struct ng_policy *policy, enum sluice_leg leg);
const char *policy_leg_name(enum sluice_leg leg); /* "internal", "gateway" */

/* Config values: 0 or -EINVAL. */
int policy_encryption_level_from_name(const char *name, enum policy_encryption_level *ret);
int policy_gateway_srtp_from_name(const char *name, enum policy_gateway_srtp *ret);
const char *policy_encryption_level_name(enum policy_encryption_level level);
const char *policy_gateway_srtp_name(enum policy_gateway_srtp mode);
