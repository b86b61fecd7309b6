/* SPDX-License-Identifier: MIT */
/*
 * rtpengine's ng control protocol, as Kamailio's and OpenSIPS's rtpengine modules speak it:
 * "<cookie> <bencode dictionary>" requests and replies, the request keys the relay acts on
 * (parsed into struct ng_request), the standard replies, and the cache that answers a retransmitted
 * request (same cookie) with the same bytes. No sockets and no session logic here.
 *
 * Key and flag names are matched ignoring case and treating '-', '_' and ' ' alike, so
 * "trust-address", "trust address" and "TRUST_ADDRESS" are the same. Unknown keys and unknown list
 * values are ignored. Flags may come as the "flags" list, as members of their own lists ("replace",
 * "rtcp-mux", "SDES"), or in Kamailio's raw "rtpp-flags" string, whose space-separated tokens are
 * either KEY=VALUE (as the dictionary key) or flags, where "replace-X", "rtcp-mux-X", "SDES-X"
 * and "ICE-X" are the value X of that list or key. Strings in a parsed request point into the
 * request message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/bencode.h"

#define NG_COOKIE_MAX	 64
#define NG_MESSAGE_MAX	 (NG_COOKIE_MAX + 1 + BENCODE_MAX_MESSAGE)
#define NG_CACHE_KEY_MAX 96 /* a cookie, optionally prefixed by the peer's address */

enum ng_command {
	NG_CMD_UNKNOWN = 0,
	NG_CMD_PING,
	NG_CMD_OFFER,
	NG_CMD_ANSWER,
	NG_CMD_DELETE,
	NG_CMD_QUERY,
	NG_CMD_LIST,
	NG_CMD_STATISTICS,
};

enum ng_flag {
	NG_FLAG_STRICT_SOURCE = 1u << 0,
	NG_FLAG_SYMMETRIC = 1u << 1,
	NG_FLAG_ASYMMETRIC = 1u << 2,
	NG_FLAG_TRUST_ADDRESS = 1u << 3,
	NG_FLAG_PORT_LATCHING = 1u << 4,
	NG_FLAG_MEDIA_HANDOVER = 1u << 5,
	NG_FLAG_LOOP_PROTECT = 1u << 6,
	NG_FLAG_NO_RTCP_ATTRIBUTE = 1u << 7,
	NG_FLAG_FULL_RTCP_ATTRIBUTE = 1u << 8,
	NG_FLAG_RECRYPT = 1u << 9,
	NG_FLAG_ALL = 1u << 10, /* delete: every leg of the call */
};

enum ng_replace {
	NG_REPLACE_ORIGIN = 1u << 0,
	NG_REPLACE_SESSION_CONNECTION = 1u << 1,
	NG_REPLACE_SDP_VERSION = 1u << 2,
	NG_REPLACE_SESSION_NAME = 1u << 3,
};

enum ng_rtcp_mux {
	NG_RTCP_MUX_OFFER = 1u << 0,
	NG_RTCP_MUX_REQUIRE = 1u << 1,
	NG_RTCP_MUX_DEMUX = 1u << 2,
	NG_RTCP_MUX_ACCEPT = 1u << 3,
	NG_RTCP_MUX_REJECT = 1u << 4,
};

enum ng_ice {
	NG_ICE_DEFAULT = 0,
	NG_ICE_REMOVE,
	NG_ICE_FORCE,
	NG_ICE_FORCE_RELAY,
	NG_ICE_OPTIONAL,
};

struct ng_request {
	enum ng_command command;
	struct bencode_str command_name;
	const struct bencode_item *dict; /* the whole request, for keys not parsed here */
	struct bencode_str call_id, from_tag, to_tag, via_branch, sdp;
	struct bencode_str interface, transport_protocol, sip_message_type, address_family;
	struct bencode_str direction[2];
	unsigned int n_direction;
	bool has_received_from;
	struct bencode_str received_from_family, received_from_address; /* ["IP4", "1.2.3.4"] */
	uint32_t flags;							/* enum ng_flag */
	uint32_t replace;						/* enum ng_replace */
	uint32_t rtcp_mux;						/* enum ng_rtcp_mux */
	bool sdes_off;
	uint32_t sdes_no;   /* SDES_SUITE_BIT()s from "no-SUITE" */
	uint32_t sdes_only; /* SDES_SUITE_BIT()s from "only-SUITE" */
	enum ng_ice ice;
	bool supports_load_limit;
};

/*
 * Splits "<cookie> <body>". The cookie is 1..NG_COOKIE_MAX printable non-space bytes followed by
 * one space. Returns 0, or -EBADMSG and a reason (no reply is possible without a cookie).
 */
int ng_split(const char *msg, size_t len, struct bencode_str *ret_cookie,
	     struct bencode_str *ret_body, const char **ret_reason);

/*
 * Parses a decoded request dictionary. Checks the keys each command needs (offer: call-id,
 * from-tag, sdp; answer: also to-tag; delete, query: call-id). Returns 0, or -EBADMSG and a reason
 * for the error reply. An unknown command is not an error here: command is NG_CMD_UNKNOWN.
 */
int ng_request_parse(const struct bencode_item *dict, struct ng_request *ret_request,
		     const char **ret_reason);
const char *ng_command_name(enum ng_command command);

/* Replies "<cookie> d...e" into buf; each returns 0 and the length, or -ENOSPC. */
int ng_reply_pong(char *buf, size_t cap, struct bencode_str cookie, size_t *ret_len);
/* result "ok", with sdp and a warning when not NULL. */
int ng_reply_ok(char *buf, size_t cap, struct bencode_str cookie, const char *sdp, size_t sdp_len,
		const char *warning, size_t *ret_len);
int ng_reply_error(char *buf, size_t cap, struct bencode_str cookie, const char *reason,
		   size_t *ret_len);
/* result "load limit" and a message, as rtpengine says it when over its session/CPU limit. */
int ng_reply_load_limit(char *buf, size_t cap, struct bencode_str cookie, const char *message,
			size_t *ret_len);
/* For other replies: writes "<cookie> d"; the caller adds members, then ng_reply_finish(). */
int ng_reply_begin(struct bencode_writer *w, char *buf, size_t cap, struct bencode_str cookie);
int ng_reply_finish(struct bencode_writer *w, size_t *ret_len);

/*
 * Reply cache: at most capacity entries and max_bytes of replies; an entry expires ttl_ms after it
 * was inserted; when full, the oldest entries go first. Keys are opaque bytes (the cookie, or the
 * peer address and the cookie) of 1..NG_CACHE_KEY_MAX. Not thread-safe.
 */
struct ng_cache;

#define NG_CACHE_CAPACITY  4096
#define NG_CACHE_MAX_BYTES (16u * 1024 * 1024)
#define NG_CACHE_TTL_MS	   30000

int ng_cache_new(unsigned int capacity, size_t max_bytes, uint64_t ttl_ms,
		 struct ng_cache **ret_cache);
void ng_cache_free(struct ng_cache *cache);
/* 0 and the cached reply (valid until the next insert), or -ENOENT. */
int ng_cache_lookup(struct ng_cache *cache, const char *key, size_t key_len, uint64_t now_ms,
		    const char **ret_reply, size_t *ret_len);
/* Copies the reply; replaces an entry with the same key. -E2BIG when larger than max_bytes. */
int ng_cache_insert(struct ng_cache *cache, const char *key, size_t key_len, const char *reply,
		    size_t len, uint64_t now_ms);
unsigned int ng_cache_count(const struct ng_cache *cache);
size_t ng_cache_bytes(const struct ng_cache *cache);
