// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ng-over-TCP frame scanner (ctl_frame_scan in
 * userspace/control/ctl_server.c). The first byte picks max_len and a chunk size; the rest is the
 * stream. The scanner is resumable, so scanning the whole buffer at once and feeding it in chunks
 * (the same growing buffer, as the TLS reader does) must agree on the verdict and, for a complete
 * frame, on its length, which must fit the buffer and max_len and end with the dict's 'e'.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "control/ctl_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_frame_scanner whole, chunked;
	size_t max_len, chunk, fed = 0;
	int r_whole, r_chunked = 0;

	if (size < 1)
		return 0;
	max_len = (data[0] & 0x1f) ? (size_t)(data[0] & 0x1f) * 64 : 65536;
	chunk = (size_t)(data[0] >> 5) * 7 + 1;
	data++;
	size--;

	ctl_frame_reset(&whole);
	r_whole = ctl_frame_scan(&whole, data, size, max_len);
	if (r_whole != 1 && r_whole != 0 && r_whole != -EMSGSIZE && r_whole != -EBADMSG &&
	    r_whole != -ELOOP)
		abort();
	if (r_whole == 1 && (whole.pos == 0 || whole.pos > size || whole.pos > max_len ||
			     data[whole.pos - 1] != 'e'))
		abort();
	/* Scanning a complete frame again answers the same. */
	if (r_whole == 1 && ctl_frame_scan(&whole, data, size, max_len) != 1)
		abort();

	ctl_frame_reset(&chunked);
	while (fed < size) {
		fed = size - fed < chunk ? size : fed + chunk;
		r_chunked = ctl_frame_scan(&chunked, data, fed, max_len);
		if (r_chunked != 0)
			break;
	}
	if (size == 0)
		r_chunked = ctl_frame_scan(&chunked, data, 0, max_len);
	if (r_chunked != r_whole)
		abort();
	if (r_whole == 1 && chunked.pos != whole.pos)
		abort();
	return 0;
}
