// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the SDES a=crypto parser. A line that parses must format back into a line
 * that parses to the same suite, key, salt, lifetime and MKI; a refused line must name a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/sdes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdes_crypto c, back;
	char line[SDES_LINE_MAX];
	const char *reason = NULL;
	size_t len, index;

	if (sdes_parse((const char *)data, size, &c, &reason) < 0) {
		if (!reason)
			abort();
		return 0;
	}
	if (sdes_format(&c, line, sizeof(line), &len) < 0)
		abort();
	if (sdes_parse(line, len, &back, &reason) < 0)
		abort();
	if (back.tag != c.tag || back.suite != c.suite || back.lifetime != c.lifetime ||
	    back.mki.len != c.mki.len || memcmp(back.mki.id, c.mki.id, c.mki.len) != 0 ||
	    memcmp(back.key, c.key, sluice_srtp_suite_key_len(c.suite)) != 0 ||
	    memcmp(back.salt, c.salt, sluice_srtp_suite_salt_len(c.suite)) != 0)
		abort();
	if (sdes_choose(&c, 1, SDES_ALL_SUITES, NULL, NULL, &index) < 0 || index != 0)
		abort();
	sdes_crypto_clear(&c);
	sdes_crypto_clear(&back);
	return 0;
}
