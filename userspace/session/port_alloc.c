// SPDX-License-Identifier: MIT
/* Media port bitmap and next-fit allocation; see port_alloc.h. */
#include <errno.h>
#include <stdlib.h>

#include "session/port_alloc.h"

struct port_alloc {
	uint16_t min, max;
	uint32_t next; /* where the next search starts */
	uint64_t bits[];
};

int port_alloc_new(uint16_t min, uint16_t max, struct port_alloc **ret)
{
	struct port_alloc *pa;
	size_t words;

	if (min > max)
		return -EINVAL;
	words = ((size_t)max - min + 1 + 63) / 64;
	pa = calloc(1, sizeof(*pa) + words * sizeof(uint64_t));
	if (!pa)
		return -ENOMEM;
	pa->min = min;
	pa->max = max;
	pa->next = min;
	*ret = pa;
	return 0;
}

struct port_alloc *port_alloc_free(struct port_alloc *pa)
{
	free(pa);
	return NULL;
}

bool port_alloc_in_range(const struct port_alloc *pa, uint16_t port)
{
	return port >= pa->min && port <= pa->max;
}

bool port_alloc_is_used(const struct port_alloc *pa, uint16_t port)
{
	uint32_t i;

	if (!port_alloc_in_range(pa, port))
		return false;
	i = (uint32_t)port - pa->min;
	return pa->bits[i / 64] & (1ull << (i % 64));
}

int port_alloc_take(struct port_alloc *pa, uint16_t port)
{
	uint32_t i;

	if (!port_alloc_in_range(pa, port))
		return -ERANGE;
	if (port_alloc_is_used(pa, port))
		return -EADDRINUSE;
	i = (uint32_t)port - pa->min;
	pa->bits[i / 64] |= 1ull << (i % 64);
	return 0;
}

void port_alloc_release(struct port_alloc *pa, uint16_t port)
{
	uint32_t i;

	if (!port_alloc_in_range(pa, port))
		return;
	i = (uint32_t)port - pa->min;
	pa->bits[i / 64] &= ~(1ull << (i % 64));
}

static bool port_free(const struct port_alloc *pa, uint32_t port, const uint16_t *avoid,
		      unsigned n_avoid)
{
	if (port > pa->max || port_alloc_is_used(pa, (uint16_t)port))
		return false;
	for (unsigned i = 0; i < n_avoid; i++)
		if (avoid[i] == port)
			return false;
	return true;
}

int port_alloc_find(struct port_alloc *pa, bool pair, const uint16_t *avoid, unsigned n_avoid,
		    uint16_t *ret_port)
{
	uint32_t first = (pa->min + 1u) & ~1u; /* lowest even port of the range */
	uint32_t span = pa->max >= first ? (pa->max - first) / 2 + 1 : 0;
	uint32_t start = pa->next < first ? first : (pa->next + 1u) & ~1u;

	for (uint32_t n = 0; n < span; n++) {
		uint32_t port = first + ((start - first) / 2 + n) % span * 2;

		if (!port_free(pa, port, avoid, n_avoid))
			continue;
		if (pair && !port_free(pa, port + 1, avoid, n_avoid))
			continue;
		*ret_port = (uint16_t)port;
		pa->next = port + 2;
		return 0;
	}
	return -EADDRNOTAVAIL;
}
