// SPDX-License-Identifier: MIT
/*
 * Encryption policy per leg (see policy.h): the configured level or trunk mode reduced to
 * never / optional / mandatory, and the names the configuration and error replies use.
 */
#include <errno.h>
#include <string.h>

#include "control/policy.h"
#include "control/sdes.h"

static const char *const level_names[] = {
    [POLICY_ENCRYPTION_REQUIRE] = "require",
    [POLICY_ENCRYPTION_SUPPORT] = "support",
    [POLICY_ENCRYPTION_NONE] = "none",
};

static const char *const gateway_names[] = {
    [POLICY_GATEWAY_NOT_SUPPORTED] = "not_supported",
    [POLICY_GATEWAY_OPTIONAL] = "optional",
    [POLICY_GATEWAY_REQUIRED] = "required",
};

uint32_t policy_suite_mask(bool fips)
{
	/* AES-CM with HMAC-SHA1 and AES-GCM: all approved; a non-AES suite would be masked here. */
	(void)fips;
	return SDES_ALL_SUITES;
}

enum policy_srtp policy_leg_srtp(const struct ng_policy *policy, enum sluice_leg leg)
{
	if (leg == SLUICE_LEG_INTERNAL) {
		switch (policy->encryption_level) {
		case POLICY_ENCRYPTION_REQUIRE:
			return POLICY_SRTP_MANDATORY;
		case POLICY_ENCRYPTION_SUPPORT:
			return POLICY_SRTP_OPTIONAL;
		default:
			return POLICY_SRTP_NEVER;
		}
	}
	if (!policy->gateway_tls)
		return POLICY_SRTP_NEVER;
	switch (policy->gateway_srtp_mode) {
	case POLICY_GATEWAY_REQUIRED:
		return POLICY_SRTP_MANDATORY;
	case POLICY_GATEWAY_OPTIONAL:
		return POLICY_SRTP_OPTIONAL;
	default:
		return POLICY_SRTP_NEVER;
	}
}

const char *policy_leg_setting(const struct ng_policy *policy, enum sluice_leg leg)
{
	static const char *const internal[] = {
	    [POLICY_ENCRYPTION_REQUIRE] = "encryption_level=require",
	    [POLICY_ENCRYPTION_SUPPORT] = "encryption_level=support",
	    [POLICY_ENCRYPTION_NONE] = "encryption_level=none",
	};
	static const char *const gateway[] = {
	    [POLICY_GATEWAY_NOT_SUPPORTED] = "gateway_srtp_mode=not_supported",
	    [POLICY_GATEWAY_OPTIONAL] = "gateway_srtp_mode=optional",
	    [POLICY_GATEWAY_REQUIRED] = "gateway_srtp_mode=required",
	};

	if (leg == SLUICE_LEG_INTERNAL)
		return (unsigned int)policy->encryption_level <= POLICY_ENCRYPTION_NONE
			   ? internal[policy->encryption_level]
			   : "encryption_level=?";
	if (!policy->gateway_tls)
		return "gateway_srtp_mode=not_supported (gateway_tls=no)";
	return (unsigned int)policy->gateway_srtp_mode <= POLICY_GATEWAY_REQUIRED
		   ? gateway[policy->gateway_srtp_mode]
		   : "gateway_srtp_mode=?";
}

const char *policy_leg_name(enum sluice_leg leg)
{
	return leg == SLUICE_LEG_INTERNAL ? "internal" : "gateway";
}

int policy_encryption_level_from_name(const char *name, enum policy_encryption_level *ret)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (name && strcmp(name, level_names[i]) == 0) {
			*ret = (enum policy_encryption_level)i;
			return 0;
		}
	return -EINVAL;
}

int policy_gateway_srtp_from_name(const char *name, enum policy_gateway_srtp *ret)
{
	for (unsigned int i = 0; i < sizeof(gateway_names) / sizeof(gateway_names[0]); i++)
		if (name && strcmp(name, gateway_names[i]) == 0) {
			*ret = (enum policy_gateway_srtp)i;
			return 0;
		}
	return -EINVAL;
}

const char *policy_encryption_level_name(enum policy_encryption_level level)
{
	return (unsigned int)level <= POLICY_ENCRYPTION_NONE ? level_names[level] : NULL;
}

const char *policy_gateway_srtp_name(enum policy_gateway_srtp mode)
{
	return (unsigned int)mode <= POLICY_GATEWAY_REQUIRED ? gateway_names[mode] : NULL;
}
