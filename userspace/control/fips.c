// SPDX-License-Identifier: MIT
/*
 * FIPS mode switch; see fips.h. The OpenSSL error text is kept verbatim in the reason so an
 * operator sees why loading failed (missing module, failed self-test, missing fipsmodule.cnf).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "control/fips.h"

#define FIPS_REASON_MAX 512

/* The first error of the queue (the root cause), with its data; the queue is cleared. */
static void openssl_first_error(char *buf, size_t len)
{
	const char *data = NULL;
	unsigned long e;
	int flags = 0;

	e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags);
	if (!e) {
		snprintf(buf, len, "unknown error");
		return;
	}
	ERR_error_string_n(e, buf, len);
	if (data && (flags & ERR_TXT_STRING) && *data) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, " (%s)", data);
	}
	ERR_clear_error();
}

static int set_reason(char **ret_reason, const char *prefix, const char *detail, const char *suffix)
{
	char *reason;

	if (asprintf(&reason, "%s%s%s", prefix, detail, suffix) < 0)
		return -ENOMEM;
	*ret_reason = reason;
	return 0;
}

int fips_enable(char **ret_reason)
{
	char detail[FIPS_REASON_MAX];
	OSSL_PROVIDER *fips, *base;

	ERR_clear_error();
	fips = OSSL_PROVIDER_load(NULL, "fips");
	if (!fips) {
		openssl_first_error(detail, sizeof(detail));
		set_reason(ret_reason, "OpenSSL FIPS provider not available: ", detail,
			   "; FIPS mode needs it installed and configured");
		return -ENOENT;
	}
	base = OSSL_PROVIDER_load(NULL, "base");
	if (!base) {
		openssl_first_error(detail, sizeof(detail));
		OSSL_PROVIDER_unload(fips);
		set_reason(ret_reason,
			   "OpenSSL base provider (key decoding in FIPS mode) not available: ",
			   detail, "");
		return -EIO;
	}
	if (!EVP_default_properties_enable_fips(NULL, 1)) {
		openssl_first_error(detail, sizeof(detail));
		OSSL_PROVIDER_unload(base);
		OSSL_PROVIDER_unload(fips);
		set_reason(ret_reason, "Cannot set the default property fips=yes: ", detail, "");
		return -EIO;
	}
	return 0;
}

bool fips_enabled(void)
{
	return EVP_default_properties_is_fips_enabled(NULL) == 1;
}
