/* SPDX-License-Identifier: MIT */
/*
 * The relay's media port range [min, max] as a bitmap of ports in use. Ports are reserved by
 * number, whatever the local address: two streams never share a port. Allocation hands out an
 * even RTP port (and its RTCP port + 1 when not muxed), next-fit so that a freed port is not
 * reused at once.
 */
#ifndef SLUICE_SESSION_PORT_ALLOC_H
#define SLUICE_SESSION_PORT_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct port_alloc;

int port_alloc_new(uint16_t min, uint16_t max, struct port_alloc **ret);
struct port_alloc *port_alloc_free(struct port_alloc *pa);

bool port_alloc_in_range(const struct port_alloc *pa, uint16_t port);
bool port_alloc_is_used(const struct port_alloc *pa, uint16_t port);
/* Mark port used; -ERANGE outside the range, -EADDRINUSE if already used. */
int port_alloc_take(struct port_alloc *pa, uint16_t port);
void port_alloc_release(struct port_alloc *pa, uint16_t port);

/*
 * Find a free even port (and port + 1 with pair set) that is also not in avoid[0..n_avoid).
 * Does not mark it used, but moves the next-fit cursor past it. Returns 0 or -EADDRNOTAVAIL when
 * the range is exhausted.
 */
int port_alloc_find(struct port_alloc *pa, bool pair, const uint16_t *avoid, unsigned n_avoid,
		    uint16_t *ret_port);

#endif
