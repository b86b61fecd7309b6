// SPDX-License-Identifier: MIT
/*
 * ng protocol framing, request parsing and standard replies. The request keys are described by one
 * table, used both for the bencode dictionary and for the KEY=VALUE tokens of "rtpp-flags", so the
 * two spellings of a request always mean the same thing.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "control/ng.h"
#include "control/sdes.h"

static const char *const command_names[] = {
    [NG_CMD_UNKNOWN] = "unknown", [NG_CMD_PING] = "ping",
    [NG_CMD_OFFER] = "offer",	  [NG_CMD_ANSWER] = "answer",
    [NG_CMD_DELETE] = "delete",	  [NG_CMD_QUERY] = "query",
    [NG_CMD_LIST] = "list",	  [NG_CMD_STATISTICS] = "statistics",
};

const char *ng_command_name(enum ng_command command)
{
	if ((unsigned int)command > NG_CMD_STATISTICS)
		return NULL;
	return command_names[command];
}

int ng_split(const char *msg, size_t len, struct bencode_str *ret_cookie,
	     struct bencode_str *ret_body, const char **ret_reason)
{
	size_t i;

	if (!msg || !ret_cookie || !ret_body || !ret_reason)
		return -EINVAL;
	*ret_reason = "message too large";
	if (len > NG_MESSAGE_MAX)
		return -EBADMSG;
	for (i = 0; i < len && i <= NG_COOKIE_MAX && msg[i] != ' '; i++) {
		*ret_reason = "invalid cookie";
		if (msg[i] < 0x21 || msg[i] > 0x7e)
			return -EBADMSG;
	}
	*ret_reason = i > NG_COOKIE_MAX ? "cookie too long" : "missing cookie";
	if (i == 0 || i > NG_COOKIE_MAX)
		return -EBADMSG;
	*ret_reason = "missing message body";
	if (i + 1 >= len)
		return -EBADMSG;
	*ret_cookie = (struct bencode_str){msg, i};
	*ret_body = (struct bencode_str){msg + i + 1, len - i - 1};
	return 0;
}

static char fold(char c)
{
	if (c == '_' || c == ' ')
		return '-';
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s equals name, ignoring case and '-'/'_'/' ' differences. */
static bool name_eq(struct bencode_str s, const char *name)
{
	size_t n = strlen(name);

	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fold(s.ptr[i]) != fold(name[i]))
			return false;
	return true;
}

/* s starts with prefix (folded) and has more after it; *ret_rest is the rest. */
static bool name_prefix(struct bencode_str s, const char *prefix, struct bencode_str *ret_rest)
{
	size_t n = strlen(prefix);

	if (s.len <= n || !name_eq((struct bencode_str){s.ptr, n}, prefix))
		return false;
	*ret_rest = (struct bencode_str){s.ptr + n, s.len - n};
	return true;
}

typedef int (*ng_value_fn)(struct ng_request *req, struct bencode_str value,
			   const char **ret_reason);

static int add_direction(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	if (req->n_direction == 2) {
		*ret_reason = "too many directions";
		return -EBADMSG;
	}
	req->direction[req->n_direction++] = value;
	return 0;
}

static int add_replace(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	if (name_eq(value, "origin"))
		req->replace |= NG_REPLACE_ORIGIN;
	else if (name_eq(value, "session-connection"))
		req->replace |= NG_REPLACE_SESSION_CONNECTION;
	else if (name_eq(value, "sdp-version"))
		req->replace |= NG_REPLACE_SDP_VERSION;
	else if (name_eq(value, "session-name"))
		req->replace |= NG_REPLACE_SESSION_NAME;
	return 0;
}

static int add_rtcp_mux(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} values[] = {
	    {"offer", NG_RTCP_MUX_OFFER},   {"require", NG_RTCP_MUX_REQUIRE},
	    {"demux", NG_RTCP_MUX_DEMUX},   {"accept", NG_RTCP_MUX_ACCEPT},
	    {"reject", NG_RTCP_MUX_REJECT},
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (name_eq(value, values[i].name))
			req->rtcp_mux |= values[i].bit;
	return 0;
}

static int add_sdes(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	enum sluice_srtp_suite suite;
	struct bencode_str name;

	if (name_eq(value, "off"))
		req->sdes_off = true;
	else if (name_prefix(value, "no-", &name) &&
		 sdes_suite_from_name(name.ptr, name.len, &suite) == 0)
		req->sdes_no |= SDES_SUITE_BIT(suite);
	else if (name_prefix(value, "only-", &name) &&
		 sdes_suite_from_name(name.ptr, name.len, &suite) == 0)
		req->sdes_only |= SDES_SUITE_BIT(suite);
	return 0;
}

static int set_ice(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	static const char *const values[] = {
	    [NG_ICE_DEFAULT] = "default",   [NG_ICE_REMOVE] = "remove",
	    [NG_ICE_FORCE] = "force",	    [NG_ICE_FORCE_RELAY] = "force-relay",
	    [NG_ICE_OPTIONAL] = "optional",
	};

	for (unsigned int i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (name_eq(value, values[i]))
			req->ice = i;
	return 0;
}

static int add_supports(struct ng_request *req, struct bencode_str value, const char **ret_reason)
{
	if (name_eq(value, "load limit"))
		req->supports_load_limit = true;
	return 0;
}

/* One flag: a plain flag, or "replace-X", "rtcp-mux-X", "SDES-X", "ICE-X". */
static int apply_flag(struct ng_request *req, struct bencode_str flag, const char **ret_reason)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} flags[] = {
	    {"strict-source", NG_FLAG_STRICT_SOURCE},
	    {"symmetric", NG_FLAG_SYMMETRIC},
	    {"asymmetric", NG_FLAG_ASYMMETRIC},
	    {"trust-address", NG_FLAG_TRUST_ADDRESS},
	    {"port-latching", NG_FLAG_PORT_LATCHING},
	    {"media-handover", NG_FLAG_MEDIA_HANDOVER},
	    {"loop-protect", NG_FLAG_LOOP_PROTECT},
	    {"no-rtcp-attribute", NG_FLAG_NO_RTCP_ATTRIBUTE},
	    {"full-rtcp-attribute", NG_FLAG_FULL_RTCP_ATTRIBUTE},
	    {"recrypt", NG_FLAG_RECRYPT},
	    {"all", NG_FLAG_ALL},
	};
	static const struct {
		const char *prefix;
		ng_value_fn fn;
	} lists[] = {
	    {"replace-", add_replace},
	    {"rtcp-mux-", add_rtcp_mux},
	    {"SDES-", add_sdes},
	    {"ICE-", set_ice},
	};
	struct bencode_str rest;

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (name_prefix(flag, lists[i].prefix, &rest))
			return lists[i].fn(req, rest, ret_reason);
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (name_eq(flag, flags[i].name))
			req->flags |= flags[i].bit;
	return 0; /* unknown flags are ignored */
}

static int parse_rtpp_flags(struct ng_request *req, struct bencode_str value,
			    const char **ret_reason);

enum ng_key_kind {
	NG_KEY_STR,	      /* a string, stored at offset */
	NG_KEY_LIST,	      /* a list of strings (or one string), each passed to fn */
	NG_KEY_STRING_FN,     /* a string, passed to fn */
	NG_KEY_RECEIVED_FROM, /* [family, address] */
};

static const struct ng_key {
	const char *name;
	enum ng_key_kind kind;
	size_t offset;
	ng_value_fn fn;
	const char *bad_type; /* the reason when the value has the wrong type */
} ng_keys[] = {
#define STR_KEY(n, field)                                                                          \
	{                                                                                          \
		n, NG_KEY_STR, offsetof(struct ng_request, field), NULL, "invalid " n              \
	}
    STR_KEY("command", command_name),
    STR_KEY("call-id", call_id),
    STR_KEY("from-tag", from_tag),
    STR_KEY("to-tag", to_tag),
    STR_KEY("via-branch", via_branch),
    STR_KEY("sdp", sdp),
    STR_KEY("interface", interface),
    STR_KEY("transport-protocol", transport_protocol),
    STR_KEY("sip-message-type", sip_message_type),
    STR_KEY("address-family", address_family),
#undef STR_KEY
    {"direction", NG_KEY_LIST, 0, add_direction, "invalid direction"},
    {"flags", NG_KEY_LIST, 0, apply_flag, "invalid flags"},
    {"replace", NG_KEY_LIST, 0, add_replace, "invalid replace"},
    {"rtcp-mux", NG_KEY_LIST, 0, add_rtcp_mux, "invalid rtcp-mux"},
    {"SDES", NG_KEY_LIST, 0, add_sdes, "invalid SDES"},
    {"ICE", NG_KEY_LIST, 0, set_ice, "invalid ICE"},
    {"supports", NG_KEY_LIST, 0, add_supports, "invalid supports"},
    {"rtpp-flags", NG_KEY_STRING_FN, 0, parse_rtpp_flags, "invalid rtpp-flags"},
    {"received-from", NG_KEY_RECEIVED_FROM, 0, NULL, "invalid received-from"},
};

static const struct ng_key *find_key(struct bencode_str name)
{
	for (size_t i = 0; i < sizeof(ng_keys) / sizeof(ng_keys[0]); i++)
		if (name_eq(name, ng_keys[i].name))
			return &ng_keys[i];
	return NULL;
}

static int apply_string(struct ng_request *req, const struct ng_key *key, struct bencode_str value,
			const char **ret_reason)
{
	if (key->kind == NG_KEY_STR) {
		*(struct bencode_str *)((char *)req + key->offset) = value;
		return 0;
	}
	if (key->fn)
		return key->fn(req, value, ret_reason);
	*ret_reason = key->bad_type;
	return -EBADMSG;
}

/* "KEY=VALUE" tokens as the dictionary key (except rtpp-flags itself); other tokens are flags. */
static int parse_rtpp_flags(struct ng_request *req, struct bencode_str value,
			    const char **ret_reason)
{
	const char *pos = value.ptr, *end = value.ptr + value.len;

	while (pos < end) {
		struct bencode_str token, name;
		const struct ng_key *key;
		const char *eq;
		int r = 0;

		while (pos < end && (*pos == ' ' || *pos == '\t'))
			pos++;
		token.ptr = pos;
		while (pos < end && *pos != ' ' && *pos != '\t')
			pos++;
		token.len = (size_t)(pos - token.ptr);
		if (token.len == 0)
			break;
		eq = memchr(token.ptr, '=', token.len);
		name = (struct bencode_str){token.ptr, eq ? (size_t)(eq - token.ptr) : 0};
		key = eq ? find_key(name) : NULL;
		if (key && key->kind != NG_KEY_RECEIVED_FROM && key->fn != parse_rtpp_flags)
			r = apply_string(req, key,
					 (struct bencode_str){eq + 1, (size_t)(pos - eq - 1)},
					 ret_reason);
		else if (!eq)
			r = apply_flag(req, token, ret_reason);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_received_from(struct ng_request *req, const struct bencode_item *value)
{
	const struct bencode_item *family, *address;

	if (value->type != BENCODE_LIST || value->container.count != 2)
		return -EBADMSG;
	family = value->container.first;
	address = family->next;
	if (family->type != BENCODE_STRING || address->type != BENCODE_STRING)
		return -EBADMSG;
	req->has_received_from = true;
	req->received_from_family = family->string;
	req->received_from_address = address->string;
	return 0;
}

static int apply_list(struct ng_request *req, const struct ng_key *key,
		      const struct bencode_item *list, const char **ret_reason)
{
	bencode_foreach(item, list)
	{
		int r;

		if (item->type != BENCODE_STRING) {
			*ret_reason = key->bad_type;
			return -EBADMSG;
		}
		r = key->fn(req, item->string, ret_reason);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_key(struct ng_request *req, const struct ng_key *key,
		     const struct bencode_item *value, const char **ret_reason)
{
	switch (key->kind) {
	case NG_KEY_RECEIVED_FROM:
		if (apply_received_from(req, value) < 0)
			break;
		return 0;
	case NG_KEY_LIST:
		if (value->type == BENCODE_LIST)
			return apply_list(req, key, value, ret_reason);
		__attribute__((fallthrough)); /* a single string is a list of one */
	case NG_KEY_STR:
	case NG_KEY_STRING_FN:
		if (value->type != BENCODE_STRING)
			break;
		return apply_string(req, key, value->string, ret_reason);
	}
	*ret_reason = key->bad_type;
	return -EBADMSG;
}

static enum ng_command command_from_name(struct bencode_str name)
{
	for (unsigned int c = NG_CMD_PING; c <= NG_CMD_STATISTICS; c++)
		if (name_eq(name, command_names[c]))
			return c;
	return NG_CMD_UNKNOWN;
}

static int check_required(const struct ng_request *req, const char **ret_reason)
{
	bool offer = req->command == NG_CMD_OFFER, answer = req->command == NG_CMD_ANSWER;

	*ret_reason = "No call-id in message";
	if ((offer || answer || req->command == NG_CMD_DELETE || req->command == NG_CMD_QUERY) &&
	    !req->call_id.len)
		return -EBADMSG;
	*ret_reason = "No from-tag in message";
	if ((offer || answer) && !req->from_tag.len)
		return -EBADMSG;
	*ret_reason = "No to-tag in message";
	if (answer && !req->to_tag.len)
		return -EBADMSG;
	*ret_reason = "No SDP body in message";
	if ((offer || answer) && !req->sdp.len)
		return -EBADMSG;
	return 0;
}

int ng_request_parse(const struct bencode_item *dict, struct ng_request *ret_request,
		     const char **ret_reason)
{
	struct ng_request req = {.dict = dict};
	int r;

	if (!dict || !ret_request || !ret_reason)
		return -EINVAL;
	if (dict->type != BENCODE_DICT) {
		*ret_reason = "message is not a dictionary";
		return -EBADMSG;
	}
	bencode_foreach(member, dict)
	{
		const struct ng_key *key = find_key(member->key);

		if (!key)
			continue; /* unknown keys are ignored */
		r = apply_key(&req, key, member, ret_reason);
		if (r < 0)
			return r;
	}
	if (!req.command_name.ptr) {
		*ret_reason = "Dictionary contains no key \"command\"";
		return -EBADMSG;
	}
	req.command = command_from_name(req.command_name);
	r = check_required(&req, ret_reason);
	if (r < 0)
		return r;
	*ret_request = req;
	return 0;
}

int ng_reply_begin(struct bencode_writer *w, char *buf, size_t cap, struct bencode_str cookie)
{
	bencode_writer_init(w, buf, cap);
	bencode_put_raw(w, cookie.ptr, cookie.len);
	bencode_put_raw(w, " ", 1);
	return bencode_put_dict(w);
}

int ng_reply_finish(struct bencode_writer *w, size_t *ret_len)
{
	bencode_put_end(w);
	return bencode_writer_finish(w, ret_len);
}

/* Dictionary keys are written in sorted order: canonical bencode. */
int ng_reply_pong(char *buf, size_t cap, struct bencode_str cookie, size_t *ret_len)
{
	struct bencode_writer w;

	ng_reply_begin(&w, buf, cap, cookie);
	bencode_put_key_cstr(&w, "result", "pong");
	return ng_reply_finish(&w, ret_len);
}

int ng_reply_ok(char *buf, size_t cap, struct bencode_str cookie, const char *sdp, size_t sdp_len,
		const char *warning, size_t *ret_len)
{
	struct bencode_writer w;

	ng_reply_begin(&w, buf, cap, cookie);
	bencode_put_key_cstr(&w, "result", "ok");
	if (sdp)
		bencode_put_key_str(&w, "sdp", sdp, sdp_len);
	if (warning)
		bencode_put_key_cstr(&w, "warning", warning);
	return ng_reply_finish(&w, ret_len);
}

int ng_reply_error(char *buf, size_t cap, struct bencode_str cookie, const char *reason,
		   size_t *ret_len)
{
	struct bencode_writer w;

	ng_reply_begin(&w, buf, cap, cookie);
	bencode_put_key_cstr(&w, "error-reason", reason ? reason : "unknown error");
	bencode_put_key_cstr(&w, "result", "error");
	return ng_reply_finish(&w, ret_len);
}

int ng_reply_load_limit(char *buf, size_t cap, struct bencode_str cookie, const char *message,
			size_t *ret_len)
{
	struct bencode_writer w;

	ng_reply_begin(&w, buf, cap, cookie);
	bencode_put_key_cstr(&w, "message", message ? message : "Parallel session limit reached");
	bencode_put_key_cstr(&w, "result", "load limit");
	return ng_reply_finish(&w, ret_len);
}
