/* SPDX-License-Identifier: MIT */
/*
 * FIPS mode: all of the process's crypto through the OpenSSL FIPS provider. fips_enable() must run
 * before any other crypto (the first thing sluiced does once it has read its configuration), so no
 * algorithm is fetched from a non-approved provider first. When the provider is not installed
 * (Debian 12 ships none), it fails with a message that says so and sluiced refuses to start.
 */
#ifndef SLUICE_CONTROL_FIPS_H
#define SLUICE_CONTROL_FIPS_H

#include <stdbool.h>

/*
 * Loads the "fips" provider (and "base", for key and certificate decoding) into the default
 * library context and sets the default properties to "fips=yes". Returns 0, or a negative errno
 * with *ret_reason set to a malloc'd sentence for the operator (caller frees):
 *   -ENOENT  "OpenSSL FIPS provider not available: <openssl error>; FIPS mode needs it installed
 *            and configured"
 *   -EIO     the provider loaded but the base provider or the fips=yes default did not take
 * Nothing is changed on failure: the process keeps its default provider.
 */
int fips_enable(char **ret_reason);

/* Whether fips=yes is the default property query of the default library context. */
bool fips_enabled(void);

#endif
