// SPDX-License-Identifier: MIT
/*
 * Dispatching admin requests, and the session add/del/list replies. A request is
 * whitespace-separated words; parameters are key=value (parsed in commands_parse.c). Every
 * malformed request gets an error reply naming what is wrong; nothing in here can stop the daemon.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "daemon/commands.h"

static void kv_endpoint(struct json *reply, const char *key, const struct endpoint *ep)
{
	char buf[ENDPOINT_STR_MAX];

	json_kv_string(reply, key, endpoint_format(ep, buf, sizeof(buf)));
}

static void kv_srtp_leg(struct json *reply, const char *key, const struct srtp_leg_request *leg)
{
	json_key(reply, key);
	if (!leg->srtp) {
		json_null(reply);
		return;
	}
	json_object_begin(reply);
	json_kv_string(reply, "suite", sluice_srtp_suite_name(leg->suite));
	json_kv_bool(reply, "rx_key", leg->rx != NULL);
	/* Our key for sending to that remote: returned once, when the daemon drew it. */
	if (leg->tx_generated)
		json_kv_string(reply, "tx_key", leg->tx_key_b64);
	json_object_end(reply);
}

/* The session's data path state with the legs' SRTP contexts (which it takes over). */
static int make_relay_session(uint32_t id, struct srtp_leg_request srtp[2],
			      struct relay_session **ret, struct json *reply)
{
	struct relay_session *rs;
	int r;

	r = relay_session_new(id, false, &rs);
	if (r < 0) {
		commands_reply_error(reply, "out of memory");
		return r;
	}
	for (unsigned leg = 0; leg < 2; leg++) {
		if (!srtp[leg].srtp)
			continue;
		r = relay_session_set_srtp(rs, (enum sluice_leg)leg, srtp[leg].suite, srtp[leg].rx,
					   srtp[leg].tx);
		srtp[leg].rx = srtp[leg].tx = NULL;
		if (r < 0) {
			relay_session_unref(rs);
			commands_reply_error(reply, "cannot set up SRTP: %s", strerror(-r));
			return r;
		}
	}
	*ret = rs;
	return 0;
}

static void session_add(struct commands_ctx *ctx, char **words, int n, struct json *reply)
{
	struct srtp_leg_request srtp[2] = {0};
	char error[SESSION_ERROR_MAX];
	struct relay_session *rs = NULL;
	struct session_params params;
	const struct session *s;

	if (commands_parse_add(ctx->config->strict_source, words, n, &params, reply) < 0)
		return;
	if (commands_parse_srtp_leg(ctx, words, n, "internal", &srtp[SLUICE_LEG_INTERNAL], reply) <
		0 ||
	    commands_parse_srtp_leg(ctx, words, n, "gateway", &srtp[SLUICE_LEG_GATEWAY], reply) < 0)
		goto done;
	if (config_check_srtp_policy(ctx->config, srtp[SLUICE_LEG_INTERNAL].srtp,
				     srtp[SLUICE_LEG_GATEWAY].srtp, error, sizeof(error)) < 0) {
		commands_reply_error(reply, "%s", error);
		goto done;
	}
	if (srtp[SLUICE_LEG_INTERNAL].srtp || srtp[SLUICE_LEG_GATEWAY].srtp) {
		/* Crypto on either side: every stream of the session goes to a worker. */
		for (unsigned leg = 0; leg < 2; leg++) {
			params.legs[leg].action = SLUICE_ACT_USERSPACE;
			params.legs[leg].srtp = srtp[leg].srtp;
		}
		if (make_relay_session(params.id, srtp, &rs, reply) < 0)
			goto done;
		params.relay = rs;
	}
	if (session_table_insert(ctx->table, &params, &s, error, sizeof(error)) < 0) {
		commands_reply_error(reply, "%s", error);
		goto done;
	}
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_key(reply, "session");
	json_object_begin(reply);
	json_kv_uint(reply, "id", s->id);
	kv_endpoint(reply, "internal", &s->legs[SLUICE_LEG_INTERNAL].local);
	kv_endpoint(reply, "gateway", &s->legs[SLUICE_LEG_GATEWAY].local);
	json_kv_bool(reply, "rtcp_mux", s->rtcp_mux);
	json_kv_string(reply, "action", session_action_name(s->legs[SLUICE_LEG_INTERNAL].action));
	kv_srtp_leg(reply, "internal_srtp", &srtp[SLUICE_LEG_INTERNAL]);
	kv_srtp_leg(reply, "gateway_srtp", &srtp[SLUICE_LEG_GATEWAY]);
	json_object_end(reply);
	json_object_end(reply);
done:
	/* The session (if any) holds its own reference now. */
	relay_session_unref(rs);
	commands_srtp_leg_done(&srtp[SLUICE_LEG_INTERNAL]);
	commands_srtp_leg_done(&srtp[SLUICE_LEG_GATEWAY]);
}

static void session_del(struct commands_ctx *ctx, char **words, int n, struct json *reply)
{
	uint32_t id;
	int r;

	if (commands_parse_id_only(words, n, &id, reply) < 0)
		return;
	r = session_table_delete(ctx->table, id);
	if (r == -ENOENT) {
		commands_reply_error(reply, "no session %u", id);
		return;
	}
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_kv_uint(reply, "id", id);
	json_object_end(reply);
}

/* One leg in a list entry: local, the remote XDP has now (signalled or latched), action. */
static void list_leg(struct commands_ctx *ctx, const struct session *s, enum sluice_leg leg,
		     struct json *reply)
{
	unsigned index = s->rtcp_mux ? leg : leg * 2;
	const struct relay_session *rs = s->relay;
	char buf[ENDPOINT_STR_MAX];
	struct endpoint remote;

	json_key(reply, session_leg_name(leg));
	json_object_begin(reply);
	kv_endpoint(reply, "local", &s->legs[leg].local);
	json_key(reply, "remote");
	if (commands_stream_remote(ctx, s, index, &remote))
		json_string(reply, endpoint_format(&remote, buf, sizeof(buf)));
	else
		json_null(reply);
	json_kv_string(reply, "action", session_action_name(s->legs[leg].action));
	json_key(reply, "srtp");
	if (rs && rs->legs[leg].srtp)
		json_string(reply, sluice_srtp_suite_name(rs->legs[leg].suite));
	else
		json_null(reply);
	json_object_end(reply);
}

static void session_list(struct commands_ctx *ctx, struct json *reply)
{
	const struct session **list;
	int n;

	n = session_table_list(ctx->table, &list);
	if (n < 0) {
		commands_reply_error(reply, "out of memory");
		return;
	}
	json_object_begin(reply);
	json_kv_string(reply, "result", "ok");
	json_key(reply, "sessions");
	json_array_begin(reply);
	for (int i = 0; i < n; i++) {
		json_object_begin(reply);
		json_kv_uint(reply, "id", list[i]->id);
		json_kv_bool(reply, "rtcp_mux", list[i]->rtcp_mux);
		list_leg(ctx, list[i], SLUICE_LEG_INTERNAL, reply);
		list_leg(ctx, list[i], SLUICE_LEG_GATEWAY, reply);
		json_object_end(reply);
	}
	json_array_end(reply);
	json_object_end(reply);
	free(list);
}

static void handle_session(struct commands_ctx *ctx, char **words, int n, struct json *reply)
{
	uint32_t id;

	if (n < 2) {
		commands_reply_error(reply,
				     "missing session command (add, del, show, list, rekey)");
	} else if (strcmp(words[1], "add") == 0) {
		session_add(ctx, words + 2, n - 2, reply);
	} else if (strcmp(words[1], "del") == 0) {
		session_del(ctx, words + 2, n - 2, reply);
	} else if (strcmp(words[1], "show") == 0) {
		if (commands_parse_id_only(words + 2, n - 2, &id, reply) == 0)
			commands_session_show(ctx, id, reply);
	} else if (strcmp(words[1], "rekey") == 0) {
		commands_session_rekey(ctx, words + 2, n - 2, reply);
	} else if (strcmp(words[1], "list") == 0 && n == 2) {
		session_list(ctx, reply);
	} else if (strcmp(words[1], "list") == 0) {
		commands_reply_error(reply, "session list takes no parameters");
	} else {
		commands_reply_error(reply, "unknown session command '%s'", words[1]);
	}
}

void commands_handle(void *userdata, const char *request, struct json *reply)
{
	struct commands_ctx *ctx = userdata;
	struct commands_request req;
	char **words = req.words;
	int n;

	if (commands_split(request, &req, reply) < 0)
		goto wipe;
	n = req.n;
	/* Other threads (stats, ng control) share the table: one request at a time, locked. */
	session_table_lock(ctx->table);
	if (n == 0)
		commands_reply_error(reply, "empty request");
	else if (strcmp(words[0], "session") == 0)
		handle_session(ctx, words, n, reply);
	else if (strcmp(words[0], "stats") == 0 && n == 1)
		commands_stats(ctx, reply);
	else if (strcmp(words[0], "stats") == 0)
		commands_reply_error(reply, "stats takes no parameters");
	else
		commands_reply_error(reply, "unknown command '%s'", words[0]);
	session_table_unlock(ctx->table);
wipe:
	/* The request may have carried keys. */
	explicit_bzero(&req, sizeof(req));
}
