// SPDX-License-Identifier: MIT
/*
 * The admin socket's request parsing (commands_parse.h): splitting the line into words and the
 * key=value parameters of `session add` and of the requests that take an id. Pure: no table, no
 * maps, no sockets, so tests/fuzz/fuzz_admin_request.c runs it without a daemon.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/commands_parse.h"

int commands_split(const char *request, struct commands_request *ret, struct json *reply)
{
	char *save = NULL;

	snprintf(ret->line, sizeof(ret->line), "%s", request);
	ret->n = 0;
	for (char *w = strtok_r(ret->line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (ret->n == COMMANDS_MAX_WORDS) {
			commands_reply_error(reply, "too many parameters");
			return -E2BIG;
		}
		ret->words[ret->n++] = w;
	}
	return 0;
}

void commands_reply_error(struct json *reply, const char *fmt, ...)
{
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_reset(reply);
	json_object_begin(reply);
	json_kv_string(reply, "result", "error");
	json_kv_string(reply, "error", message);
	json_object_end(reply);
}

static int parse_u32(const char *s, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_yes_no(const char *s, bool *ret)
{
	if (strcmp(s, "yes") == 0)
		*ret = true;
	else if (strcmp(s, "no") == 0)
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* The value of key in params ("key=value" words); NULL if absent. */
const char *commands_param(char **words, int n, const char *key)
{
	size_t len = strlen(key);

	for (int i = 0; i < n; i++)
		if (strncmp(words[i], key, len) == 0 && words[i][len] == '=')
			return words[i] + len + 1;
	return NULL;
}

/* Every word is key=value with a known key, each key once. */
int commands_check_params(char **words, int n, const char *const *known, struct json *reply)
{
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');
		size_t len = eq ? (size_t)(eq - words[i]) : 0;
		bool ok = false;

		if (!eq || len == 0) {
			commands_reply_error(reply, "expected key=value, got '%s'", words[i]);
			return -EINVAL;
		}
		for (const char *const *k = known; *k && !ok; k++)
			ok = strlen(*k) == len && strncmp(*k, words[i], len) == 0;
		if (!ok) {
			commands_reply_error(reply, "unknown parameter '%.*s'", (int)len, words[i]);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++) {
			if (strncmp(words[j], words[i], len + 1) == 0) {
				commands_reply_error(reply, "parameter '%.*s' given twice",
						     (int)len, words[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The id=N parameter (required). */
int commands_parse_id(char **words, int n, uint32_t *ret_id, struct json *reply)
{
	const char *id = commands_param(words, n, "id");

	if (!id) {
		commands_reply_error(reply, "missing id=N");
		return -EINVAL;
	}
	if (parse_u32(id, ret_id) < 0) {
		commands_reply_error(reply, "bad id '%s'", id);
		return -EINVAL;
	}
	return 0;
}

int commands_parse_id_only(char **words, int n, uint32_t *ret_id, struct json *reply)
{
	static const char *const known[] = {"id", NULL};

	if (n == 1 && !strchr(words[0], '=')) {
		if (parse_u32(words[0], ret_id) == 0)
			return 0;
		commands_reply_error(reply, "bad id '%s'", words[0]);
		return -EINVAL;
	}
	if (commands_check_params(words, n, known, reply) < 0)
		return -EINVAL;
	return commands_parse_id(words, n, ret_id, reply);
}

static int parse_endpoint_param(char **words, int n, const char *key, bool need_port,
				struct endpoint *ret, bool *ret_present, struct json *reply)
{
	const char *value = commands_param(words, n, key);

	*ret_present = value != NULL;
	if (!value)
		return 0;
	if (endpoint_parse(value, !need_port, ret) < 0) {
		commands_reply_error(reply, "bad %s '%s' (expected ADDR%s)", key, value,
				     need_port ? ":PORT" : "[:PORT]");
		return -EINVAL;
	}
	return 0;
}

static int parse_options(char **words, int n, struct session_params *p, struct json *reply)
{
	const char *key, *v;
	uint32_t clock_rate;

	key = "rtcp_mux";
	if ((v = commands_param(words, n, key)) && parse_yes_no(v, &p->rtcp_mux) < 0)
		goto bad;
	key = "strict_source";
	if ((v = commands_param(words, n, key)) && parse_yes_no(v, &p->legs[0].strict_source) < 0)
		goto bad;
	key = "clock_rate";
	if ((v = commands_param(words, n, key))) {
		if (parse_u32(v, &clock_rate) < 0 || clock_rate > 1000000)
			goto bad;
		p->legs[0].clock_rate = clock_rate;
	}
	key = "action";
	if ((v = commands_param(words, n, key))) {
		if (strcmp(v, "forward") == 0)
			p->legs[0].action = SLUICE_ACT_FORWARD;
		else if (strcmp(v, "userspace") == 0)
			p->legs[0].action = SLUICE_ACT_USERSPACE;
		else
			goto bad;
	}
	return 0;
bad:
	commands_reply_error(reply, "bad %s '%s'", key, v);
	return -EINVAL;
}

int commands_parse_add(bool strict_source, char **words, int n, struct session_params *ret,
		       struct json *reply)
{
	static const char *const known[] = {"id",
					    "internal",
					    "gateway",
					    "internal_remote",
					    "gateway_remote",
					    "rtcp_mux",
					    "strict_source",
					    "clock_rate",
					    "action",
					    "internal_srtp",
					    "internal_rx_key",
					    "internal_tx_key",
					    "internal_rx_mki",
					    "internal_tx_mki",
					    "gateway_srtp",
					    "gateway_rx_key",
					    "gateway_tx_key",
					    "gateway_rx_mki",
					    "gateway_tx_mki",
					    NULL};
	struct session_params p = {0};
	struct session_leg *in = &p.legs[SLUICE_LEG_INTERNAL], *gw = &p.legs[SLUICE_LEG_GATEWAY];
	bool present;

	if (commands_check_params(words, n, known, reply) < 0 ||
	    commands_parse_id(words, n, &p.id, reply) < 0)
		return -EINVAL;
	if (parse_endpoint_param(words, n, "internal", false, &in->local, &present, reply) < 0)
		return -EINVAL;
	if (!present) {
		commands_reply_error(reply, "missing internal=ADDR:PORT");
		return -EINVAL;
	}
	if (parse_endpoint_param(words, n, "gateway", false, &gw->local, &present, reply) < 0)
		return -EINVAL;
	if (!present) {
		commands_reply_error(reply, "missing gateway=ADDR:PORT");
		return -EINVAL;
	}
	if (parse_endpoint_param(words, n, "internal_remote", true, &in->remote, &in->has_remote,
				 reply) < 0 ||
	    parse_endpoint_param(words, n, "gateway_remote", true, &gw->remote, &gw->has_remote,
				 reply) < 0)
		return -EINVAL;
	in->strict_source = strict_source;
	in->clock_rate = 8000;
	in->action = SLUICE_ACT_FORWARD;
	if (parse_options(words, n, &p, reply) < 0)
		return -EINVAL;
	/* The options apply to both legs. */
	gw->strict_source = in->strict_source;
	gw->clock_rate = in->clock_rate;
	gw->action = in->action;
	*ret = p;
	return 0;
}
