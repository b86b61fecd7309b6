/* SPDX-License-Identifier: MIT */
/*
 * Which interfaces the relay program goes on: the configured list, or with `interfaces = auto`
 * every interface of the current network namespace that is up, not loopback, and has an IPv4
 * or a non-link-local IPv6 address.
 */
#ifndef SLUICE_DAEMON_INTERFACES_H
#define SLUICE_DAEMON_INTERFACES_H

#include "daemon/config.h"

/* Fill names (CONFIG_MAX_INTERFACES); -ENODEV if auto finds none. */
int interfaces_resolve(const struct sluice_config *config,
		       char ret_names[CONFIG_MAX_INTERFACES][IF_NAMESIZE], unsigned *ret_n);

#endif
