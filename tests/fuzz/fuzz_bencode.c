// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ng bencode decoder and request parser. The input is tried as a bare
 * bencode item and as a whole "<cookie> <dict>" ng message. A decoded item must re-encode to
 * exactly the bytes it was decoded from (minus tolerated trailing whitespace), and the parsed
 * request must never read outside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/bencode.h"
#include "control/ng.h"

static _Alignas(16) char arena[BENCODE_ARENA_SIZE];
static char out[BENCODE_MAX_MESSAGE];

static void check_reencode(const char *msg, size_t len, const struct bencode_item *root)
{
	struct bencode_writer w;
	size_t out_len;

	bencode_writer_init(&w, out, sizeof(out));
	bencode_put_item(&w, root);
	if (bencode_writer_finish(&w, &out_len) < 0)
		abort(); /* the canonical form is never longer than the input */
	while (len > out_len && msg[len - 1] && strchr(" \t\r\n", msg[len - 1]))
		len--;
	if (out_len != len || memcmp(out, msg, len) != 0)
		abort();
}

static void try_request(const char *msg, size_t len)
{
	const struct bencode_item *root;
	struct bencode_str cookie, body;
	struct ng_request req;
	const char *reason;
	char reply[512];
	size_t reply_len;

	if (ng_split(msg, len, &cookie, &body, &reason) < 0)
		return;
	if (bencode_decode(body.ptr, body.len, arena, sizeof(arena), &root, &reason) < 0) {
		ng_reply_error(reply, sizeof(reply), cookie, reason, &reply_len);
		return;
	}
	if (ng_request_parse(root, &req, &reason) < 0) {
		ng_reply_error(reply, sizeof(reply), cookie, reason, &reply_len);
		return;
	}
	/* touch every string the parser returned */
	volatile size_t sum = req.call_id.len + req.from_tag.len + req.sdp.len;
	for (unsigned int i = 0; i < req.n_direction; i++)
		sum += req.direction[i].len ? (uint8_t)req.direction[i].ptr[0] : 0;
	if (req.has_received_from)
		sum +=
		    req.received_from_address.len ? (uint8_t)req.received_from_address.ptr[0] : 0;
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	const struct bencode_item *root;
	const char *reason;

	if (bencode_decode(msg, size, arena, sizeof(arena), &root, &reason) == 0)
		check_reencode(msg, size, root);
	else if (!reason)
		abort();
	try_request(msg, size);
	return 0;
}
