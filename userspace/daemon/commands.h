/* SPDX-License-Identifier: MIT */
/*
 * The admin socket's requests (DESIGN.md): `session add|del|show|list` and `stats`, parsed from
 * one line and answered with one JSON object. Runs in the main thread, which owns the session
 * table; reading counters never blocks the data path.
 */
#ifndef SLUICE_DAEMON_COMMANDS_H
#define SLUICE_DAEMON_COMMANDS_H

#include "daemon/config.h"
#include "daemon/json.h"
#include "datapath/media_sockets.h"
#include "session/session_maps.h"
#include "session/session_table.h"

struct commands_ctx {
	const struct sluice_config *config;
	struct session_table *table;
	struct session_maps *maps;
	struct media_sockets *media;
};

/* admin_handler_fn: userdata is a struct commands_ctx. */
void commands_handle(void *userdata, const char *request, struct json *reply);

/* Reply builders shared with commands_show.c. */
void commands_reply_error(struct json *reply, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void commands_session_show(struct commands_ctx *ctx, uint32_t id, struct json *reply);
void commands_stats(struct commands_ctx *ctx, struct json *reply);
/* Lowercase name of a drop reason, as in replies ("no_session", ...). */
const char *commands_drop_name(unsigned reason);

#endif
