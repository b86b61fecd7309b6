// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the admin socket's request parsing (userspace/daemon/commands_parse.c):
 * the input is one request line. It is split into words and, as commands_handle() dispatches it,
 * `session add` parameters and the id of `session del|show` are parsed. Every refusal must
 * come with an error reply; an accepted `session add` must have both local addresses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/commands_parse.h"

/* The admin socket reads one line: the request ends at the first newline or NUL. */
#define FUZZ_LINE_MAX 8192

static bool reply_has(const struct json *reply, const char *text)
{
	return reply->buf && memmem(reply->buf, reply->len, text, strlen(text));
}

static void expect_error_reply(const struct json *reply)
{
	if (reply->failed || !reply_has(reply, "\"result\":\"error\"") ||
	    !reply_has(reply, "\"error\":"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct commands_request req;
	char line[FUZZ_LINE_MAX + 1];
	struct session_params params;
	struct json reply;
	uint32_t id;
	size_t len = size < FUZZ_LINE_MAX ? size : FUZZ_LINE_MAX;
	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';

	json_init(&reply);
	if (commands_split(line, &req, &reply) < 0) {
		expect_error_reply(&reply);
		goto done;
	}
	if (req.n < 2 || strcmp(req.words[0], "session") != 0)
		goto done;
	json_reset(&reply);
	if (strcmp(req.words[1], "add") == 0) {
		memset(&params, 0, sizeof(params));
		if (commands_parse_add(req.n % 2, req.words + 2, req.n - 2, &params, &reply) < 0)
			expect_error_reply(&reply);
		else if (!params.legs[0].local.family || !params.legs[1].local.family ||
			 !commands_param(req.words + 2, req.n - 2, "id"))
			abort();
	} else if (!strcmp(req.words[1], "del") || !strcmp(req.words[1], "show")) {
		if (commands_parse_id_only(req.words + 2, req.n - 2, &id, &reply) < 0)
			expect_error_reply(&reply);
	}
done:
	json_done(&reply);
	explicit_bzero(&req, sizeof(req));
	return 0;
}
