// SPDX-License-Identifier: MIT
/* Resolving `interfaces = auto`; see interfaces.h. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "daemon/interfaces.h"

static bool has_usable_address(const struct ifaddrs *ifa)
{
	if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
		return false;
	if (ifa->ifa_addr->sa_family == AF_INET)
		return true;
	if (ifa->ifa_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ifa->ifa_addr;

		return !IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr);
	}
	return false;
}

static int resolve_auto(char names[CONFIG_MAX_INTERFACES][IF_NAMESIZE], unsigned *ret_n)
{
	struct ifaddrs *all;
	unsigned n = 0;

	if (getifaddrs(&all) < 0)
		return -errno;
	for (const struct ifaddrs *ifa = all; ifa && n < CONFIG_MAX_INTERFACES;
	     ifa = ifa->ifa_next) {
		bool seen = false;

		if (!has_usable_address(ifa))
			continue;
		for (unsigned i = 0; i < n; i++)
			seen = seen || strcmp(names[i], ifa->ifa_name) == 0;
		if (!seen)
			snprintf(names[n++], IF_NAMESIZE, "%s", ifa->ifa_name);
	}
	freeifaddrs(all);
	if (n == 0)
		return -ENODEV;
	*ret_n = n;
	return 0;
}

int interfaces_resolve(const struct sluice_config *config,
		       char ret_names[CONFIG_MAX_INTERFACES][IF_NAMESIZE], unsigned *ret_n)
{
	if (config->interfaces_auto)
		return resolve_auto(ret_names, ret_n);
	memcpy(ret_names, config->interfaces, sizeof(config->interfaces));
	*ret_n = config->n_interfaces;
	return 0;
}
