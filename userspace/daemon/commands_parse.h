/* SPDX-License-Identifier: MIT */
/*
 * Parsing one admin socket request line (DESIGN.md, "Daemon and admin socket"): words, key=value
 * parameters, `session add` and the id of `session del|show|rekey`. Pure functions: every
 * failure writes an error reply naming the problem into reply and returns -EINVAL (or -E2BIG).
 */
#ifndef SLUICE_DAEMON_COMMANDS_PARSE_H
#define SLUICE_DAEMON_COMMANDS_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/json.h"
#include "session/session_table.h"

#define COMMANDS_MAX_WORDS	  32
#define COMMANDS_REQUEST_COPY_MAX 4097

/* A request split into words; words point into line. Wipe it when done (it may hold keys). */
struct commands_request {
	char line[COMMANDS_REQUEST_COPY_MAX];
	char *words[COMMANDS_MAX_WORDS];
	int n;
};

/* Splits request (truncated to COMMANDS_REQUEST_COPY_MAX - 1 bytes) at spaces and tabs. */
int commands_split(const char *request, struct commands_request *ret, struct json *reply);

void commands_reply_error(struct json *reply, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The value of key in params ("key=value" words); NULL if absent. */
const char *commands_param(char **words, int n, const char *key);
/* Every word is key=value with a known key (known ends with NULL), each key once. */
int commands_check_params(char **words, int n, const char *const *known, struct json *reply);
/* The id=N parameter (required). */
int commands_parse_id(char **words, int n, uint32_t *ret_id, struct json *reply);
/* Requests whose only parameter is id=N (a bare N is accepted too). */
int commands_parse_id_only(char **words, int n, uint32_t *ret_id, struct json *reply);
/*
 * `session add`'s parameters after "session add" (the SRTP ones are checked as known here and
 * parsed by commands_parse_srtp_leg()); strict_source is the configured default.
 */
int commands_parse_add(bool strict_source, char **words, int n, struct session_params *ret,
		       struct json *reply);

#endif
