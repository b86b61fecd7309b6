/* SPDX-License-Identifier: MIT */
/*
 * Endpoint addresses: parsing "ADDR:PORT" / "[V6ADDR]:PORT", printing, and converting between
 * sockaddr and the 16-byte IPv4-mapped form used in the BPF maps (include/sluice/relay.h).
 */
#ifndef SLUICE_ADDR_H
#define SLUICE_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* An endpoint: family AF_INET or AF_INET6, address, port in host order. */
struct endpoint {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;
};

#define ENDPOINT_STR_MAX (INET6_ADDRSTRLEN + 8)

/*
 * Parse "1.2.3.4:5", "[2001:db8::1]:5", and, when allow_no_port is set, "1.2.3.4", "2001:db8::1"
 * or "[2001:db8::1]" (port 0). Returns 0 or -EINVAL; ret untouched on failure.
 */
int endpoint_parse(const char *s, bool allow_no_port, struct endpoint *ret);
/* "1.2.3.4:5" or "[2001:db8::1]:5" into buf (ENDPOINT_STR_MAX). Returns buf. */
const char *endpoint_format(const struct endpoint *ep, char *buf, size_t len);
/* Address only, no port or brackets. */
const char *endpoint_format_addr(const struct endpoint *ep, char *buf, size_t len);

/* To and from the 16-byte map form (IPv4 as ::ffff:a.b.c.d). */
void endpoint_to_mapped(const struct endpoint *ep, uint8_t mapped[static 16]);
void endpoint_from_mapped(const uint8_t mapped[static 16], uint16_t port, struct endpoint *ret);

socklen_t endpoint_to_sockaddr(const struct endpoint *ep, struct sockaddr_storage *ss);
int endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct endpoint *ret);

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b);
bool endpoint_addr_is_any(const struct endpoint *ep);

#endif
