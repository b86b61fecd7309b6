/* SPDX-License-Identifier: MIT */
/*
 * The admin socket's requests (DESIGN.md): `session add|del|show|list` and `stats`, parsed from
 * one line and answered with one JSON object. Runs in the main thread, which owns the session
 * table; reading counters never blocks the data path.
 */
#ifndef SLUICE_DAEMON_COMMANDS_H
#define SLUICE_DAEMON_COMMANDS_H

#include "daemon/commands_parse.h"
#include "daemon/config.h"
#include "daemon/json.h"
#include "datapath/media_sockets.h"
#include "srtp/srtp.h"
#include "session/session_maps.h"
#include "session/session_table.h"

struct commands_ctx {
	const struct sluice_config *config;
	struct session_table *table;
	struct session_maps *maps;
	struct media_sockets *media;
};

/* base64 of the longest key || salt (46 bytes), with its terminator. */
#define SRTP_KEY_B64_MAX 65

/* One leg's SRTP parameters of `session add`, with its contexts until a session owns them. */
struct srtp_leg_request {
	bool srtp;
	enum sluice_srtp_suite suite;
	struct sluice_srtp_ctx *rx; /* NULL without rx_key */
	struct sluice_srtp_ctx *tx;
	bool tx_generated;
	char tx_key_b64[SRTP_KEY_B64_MAX]; /* when generated: for the reply, then wiped */
};

/* admin_handler_fn: userdata is a struct commands_ctx. */
void commands_handle(void *userdata, const char *request, struct json *reply);

/* The leg's *_srtp/_rx_key/_tx_key/_rx_mki/_tx_mki parameters (leg: "internal" or "gateway"). */
int commands_parse_srtp_leg(const struct commands_ctx *ctx, char **words, int n, const char *leg,
			    struct srtp_leg_request *ret, struct json *reply);
/* Frees the contexts still held and wipes the generated key. */
void commands_srtp_leg_done(struct srtp_leg_request *req);
void commands_session_rekey(struct commands_ctx *ctx, char **words, int n, struct json *reply);

/* Reply builders shared with commands_show.c. */
void commands_session_show(struct commands_ctx *ctx, uint32_t id, struct json *reply);
void commands_stats(struct commands_ctx *ctx, struct json *reply);
/* A stream's remote as the relay uses it now (worker latch for userspace streams, else XDP's). */
bool commands_stream_remote(struct commands_ctx *ctx, const struct session *s, unsigned index,
			    struct endpoint *ret);
/* Lowercase name of a drop reason, as in replies ("no_session", ...). */
const char *commands_drop_name(unsigned reason);

#endif
