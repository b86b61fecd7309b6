// SPDX-License-Identifier: MIT
/* Endpoint parsing and conversions; see addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

static const uint8_t v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int parse_port(const char *s, uint16_t *ret_port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret_port = (uint16_t)v;
	return 0;
}

static int parse_addr(const char *s, struct endpoint *ep)
{
	if (inet_pton(AF_INET, s, &ep->addr.v4) == 1) {
		ep->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &ep->addr.v6) == 1) {
		ep->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int endpoint_parse(const char *s, bool allow_no_port, struct endpoint *ret)
{
	char host[INET6_ADDRSTRLEN];
	struct endpoint ep = { 0 };
	const char *port_str = NULL;
	size_t host_len;

	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		host_len = (size_t)(close - s - 1);
		if (host_len == 0 || host_len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, host_len);
		host[host_len] = '\0';
		if (close[1] == ':')
			port_str = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
		if (parse_addr(host, &ep) < 0 || ep.family != AF_INET6)
			return -EINVAL;
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':')) {
			/* Bare IPv6 without brackets: no port possible. */
			if (strlen(s) >= sizeof(host) || parse_addr(s, &ep) < 0)
				return -EINVAL;
		} else {
			host_len = colon ? (size_t)(colon - s) : strlen(s);
			if (host_len == 0 || host_len >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, host_len);
			host[host_len] = '\0';
			if (parse_addr(host, &ep) < 0 || ep.family != AF_INET)
				return -EINVAL;
			if (colon)
				port_str = colon + 1;
		}
	}
	if (port_str) {
		if (parse_port(port_str, &ep.port) < 0)
			return -EINVAL;
	} else if (!allow_no_port) {
		return -EINVAL;
	}
	*ret = ep;
	return 0;
}

const char *endpoint_format_addr(const struct endpoint *ep, char *buf, size_t len)
{
	if (!inet_ntop(ep->family, &ep->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	endpoint_format_addr(ep, host, sizeof(host));
	if (ep->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, ep->port);
	else
		snprintf(buf, len, "%s:%u", host, ep->port);
	return buf;
}

void endpoint_to_mapped(const struct endpoint *ep, uint8_t mapped[static 16])
{
	if (ep->family == AF_INET) {
		memcpy(mapped, v4_mapped_prefix, sizeof(v4_mapped_prefix));
		memcpy(mapped + 12, &ep->addr.v4, 4);
	} else {
		memcpy(mapped, &ep->addr.v6, 16);
	}
}

void endpoint_from_mapped(const uint8_t mapped[static 16], uint16_t port, struct endpoint *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (memcmp(mapped, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		ret->family = AF_INET;
		memcpy(&ret->addr.v4, mapped + 12, 4);
	} else {
		ret->family = AF_INET6;
		memcpy(&ret->addr.v6, mapped, 16);
	}
	ret->port = port;
}

socklen_t endpoint_to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = ep->addr.v4;
		sin->sin_port = htons(ep->port);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = ep->addr.v6;
	sin6->sin6_port = htons(ep->port);
	return sizeof(*sin6);
}

int endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct endpoint *ret)
{
	struct endpoint ep = { 0 };

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		ep.family = AF_INET;
		ep.addr.v4 = sin->sin_addr;
		ep.port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		ep.family = AF_INET6;
		ep.addr.v6 = sin6->sin6_addr;
		ep.port = ntohs(sin6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	*ret = ep;
	return 0;
}

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->addr.v4.s_addr == b->addr.v4.s_addr;
	return memcmp(&a->addr.v6, &b->addr.v6, sizeof(a->addr.v6)) == 0;
}

bool endpoint_addr_is_any(const struct endpoint *ep)
{
	if (ep->family == AF_INET)
		return ep->addr.v4.s_addr == INADDR_ANY;
	return memcmp(&ep->addr.v6, &in6addr_any, sizeof(in6addr_any)) == 0;
}
