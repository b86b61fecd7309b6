// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for sluiced's configuration file parser (userspace/daemon/config.c with the
 * ng keys of config_ng.c): the input is the file. A refused file must name FILE:LINE and a reason;
 * an accepted one must parse the same way twice and leave the port range and caps sane.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

#define FUZZ_FILENAME "fuzz.conf"

static int parse(const uint8_t *data, size_t size, struct sluice_config *ret, char *error,
		 size_t error_len)
{
	FILE *f = fmemopen((void *)data, size, "r");
	int r;

	if (!f)
		abort();
	r = config_parse(f, FUZZ_FILENAME, ret, error, error_len);
	fclose(f);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sluice_config cfg, again;
	char error[512], error_again[512];
	int r;

	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer; an empty file is the defaults */
	memset(error, 0, sizeof(error));
	r = parse(data, size, &cfg, error, sizeof(error));
	if (r < 0) {
		if (r != -EINVAL ||
		    strncmp(error, FUZZ_FILENAME ":", strlen(FUZZ_FILENAME) + 1) != 0 ||
		    !memchr(error, '\0', sizeof(error)))
			abort();
		/* Deterministic: the same file is refused with the same message. */
		if (parse(data, size, &again, error_again, sizeof(error_again)) != r ||
		    strcmp(error, error_again) != 0)
			abort();
		return 0;
	}
	if (cfg.port_min == 0 || cfg.port_min > cfg.port_max || cfg.max_sessions == 0)
		abort();
	if (parse(data, size, &again, error_again, sizeof(error_again)) != 0 ||
	    again.port_min != cfg.port_min || again.port_max != cfg.port_max ||
	    again.max_sessions != cfg.max_sessions)
		abort();
	return 0;
}
