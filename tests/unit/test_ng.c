// SPDX-License-Identifier: MIT
/*
 * Unit tests for ng framing, request parsing (Kamailio-style offers, rtpp-flags, unknown keys,
 * errors), the standard replies byte for byte, and the reply cache (hits, expiry, bounds).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/ng.h"
#include "control/sdes.h"

static _Alignas(16) char arena[BENCODE_ARENA_SIZE];

#define SDP_BODY                                                                                   \
	"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"              \
	"m=audio 40000 RTP/AVP 0\r\n"

/* Decodes a whole "<cookie> <dict>" message and parses it as a request. */
static int parse_message(const char *msg, size_t len, struct ng_request *req, const char **reason)
{
	const struct bencode_item *root;
	struct bencode_str cookie, body;
	int r;

	r = ng_split(msg, len, &cookie, &body, reason);
	if (r < 0)
		return r;
	r = bencode_decode(body.ptr, body.len, arena, sizeof(arena), &root, reason);
	if (r < 0)
		return r;
	return ng_request_parse(root, req, reason);
}

static void test_ping_example(void **state)
{
	const char *msg = "5323_1 d7:command4:pinge";
	struct bencode_str cookie, body;
	struct ng_request req;
	const char *reason;
	char reply[64];
	size_t len;

	assert_int_equal(ng_split(msg, strlen(msg), &cookie, &body, &reason), 0);
	assert_true(bencode_bstr_eq(cookie, "5323_1"));
	assert_int_equal(parse_message(msg, strlen(msg), &req, &reason), 0);
	assert_int_equal(req.command, NG_CMD_PING);
	assert_int_equal(ng_reply_pong(reply, sizeof(reply), cookie, &len), 0);
	assert_int_equal(len, strlen("5323_1 d6:result4:ponge"));
	assert_memory_equal(reply, "5323_1 d6:result4:ponge", len);
	assert_string_equal(ng_command_name(req.command), "ping");
}

/* A Kamailio rtpengine_offer() request, keys in Kamailio's order plus some it may add. */
static size_t build_kamailio_offer(char *buf, size_t cap)
{
	struct bencode_writer w;
	size_t len;

	bencode_writer_init(&w, buf, cap);
	bencode_put_raw(&w, "4823_2_17 ", 10);
	bencode_put_dict(&w);
	bencode_put_cstr(&w, "supports");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "load limit");
	bencode_put_end(&w);
	bencode_put_key_cstr(&w, "sip-message-type", "sip-request");
	bencode_put_key_cstr(&w, "sdp", SDP_BODY);
	bencode_put_key_cstr(&w, "call-id", "a84b4c76e66710@pc33.example.com");
	bencode_put_key_cstr(&w, "via-branch", "z9hG4bK776asdhds");
	bencode_put_cstr(&w, "flags");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "trust-address");
	bencode_put_cstr(&w, "strict source"); /* old spelling with a space */
	bencode_put_cstr(&w, "SDES-no-AES_CM_128_HMAC_SHA1_32");
	bencode_put_cstr(&w, "no-such-flag");
	bencode_put_end(&w);
	bencode_put_cstr(&w, "replace");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "origin");
	bencode_put_cstr(&w, "session-connection");
	bencode_put_end(&w);
	bencode_put_cstr(&w, "received-from");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "IP4");
	bencode_put_cstr(&w, "192.0.2.10");
	bencode_put_end(&w);
	bencode_put_cstr(&w, "rtcp-mux");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "offer");
	bencode_put_end(&w);
	bencode_put_cstr(&w, "SDES");
	bencode_put_list(&w);
	bencode_put_cstr(&w, "only-AES_CM_128_HMAC_SHA1_80");
	bencode_put_end(&w);
	bencode_put_key_cstr(&w, "ICE", "remove");
	bencode_put_key_cstr(&w, "from-tag", "1928301774");
	bencode_put_key_cstr(&w, "rtpp-flags",
			     " rtcp-mux-demux  transport-protocol=RTP/SAVP "
			     "direction=internal direction=external symmetric "
			     "unknown=value ICE=force-relay");
	bencode_put_key_cstr(&w, "record call", "no");
	bencode_put_cstr(&w, "x-vendor");
	bencode_put_dict(&w);
	bencode_put_key_int(&w, "n", 5);
	bencode_put_end(&w);
	bencode_put_key_cstr(&w, "command", "offer");
	bencode_put_end(&w);
	assert_int_equal(bencode_writer_finish(&w, &len), 0);
	return len;
}

static void test_kamailio_offer(void **state)
{
	char msg[2048];
	size_t len = build_kamailio_offer(msg, sizeof(msg));
	struct ng_request req;
	const char *reason = NULL;

	assert_int_equal(parse_message(msg, len, &req, &reason), 0);
	assert_int_equal(req.command, NG_CMD_OFFER);
	assert_true(bencode_bstr_eq(req.call_id, "a84b4c76e66710@pc33.example.com"));
	assert_true(bencode_bstr_eq(req.from_tag, "1928301774"));
	assert_int_equal(req.to_tag.len, 0);
	assert_true(bencode_bstr_eq(req.via_branch, "z9hG4bK776asdhds"));
	assert_true(bencode_bstr_eq(req.sdp, SDP_BODY));
	assert_true(bencode_bstr_eq(req.sip_message_type, "sip-request"));
	assert_true(req.supports_load_limit);
	assert_int_equal(req.flags,
			 NG_FLAG_TRUST_ADDRESS | NG_FLAG_STRICT_SOURCE | NG_FLAG_SYMMETRIC);
	assert_int_equal(req.replace, NG_REPLACE_ORIGIN | NG_REPLACE_SESSION_CONNECTION);
	assert_true(req.has_received_from);
	assert_true(bencode_bstr_eq(req.received_from_family, "IP4"));
	assert_true(bencode_bstr_eq(req.received_from_address, "192.0.2.10"));
	assert_int_equal(req.rtcp_mux, NG_RTCP_MUX_OFFER | NG_RTCP_MUX_DEMUX);
	assert_false(req.sdes_off);
	assert_int_equal(req.sdes_no, SDES_SUITE_BIT(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32));
	assert_int_equal(req.sdes_only, SDES_SUITE_BIT(SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80));
	assert_int_equal(req.ice, NG_ICE_FORCE_RELAY); /* rtpp-flags came after ICE */
	assert_true(bencode_bstr_eq(req.transport_protocol, "RTP/SAVP"));
	assert_int_equal(req.n_direction, 2);
	assert_true(bencode_bstr_eq(req.direction[0], "internal"));
	assert_true(bencode_bstr_eq(req.direction[1], "external"));
	/* unparsed keys stay reachable */
	assert_true(bencode_str_eq(bencode_dict_get(req.dict, "record call"), "no"));
}

static void test_rtpp_flags_only(void **state)
{
	const char *msg =
	    "c1 d7:command6:answer7:call-id2:ab8:from-tag1:f6:to-tag1:t3:sdp3:v=0"
	    "10:rtpp-flags119:replace-origin replace-session-connection rtcp-mux-demux"
	    " SDES-off SDES-no-AEAD_AES_128_GCM trust-address direction=prive";
	struct ng_request req;
	const char *reason = NULL;

	assert_int_equal(parse_message(msg, strlen(msg), &req, &reason), 0);
	assert_int_equal(req.command, NG_CMD_ANSWER);
	assert_int_equal(req.replace, NG_REPLACE_ORIGIN | NG_REPLACE_SESSION_CONNECTION);
	assert_int_equal(req.rtcp_mux, NG_RTCP_MUX_DEMUX);
	assert_true(req.sdes_off);
	assert_int_equal(req.sdes_no, SDES_SUITE_BIT(SLUICE_SRTP_AEAD_AES_128_GCM));
	assert_int_equal(req.flags, NG_FLAG_TRUST_ADDRESS);
	assert_int_equal(req.n_direction, 1);
	assert_true(bencode_bstr_eq(req.direction[0], "priv"));
}

static void expect_request_error(const char *msg, const char *want_reason)
{
	struct ng_request req = {.command = 77};
	const char *reason = NULL;

	assert_int_equal(parse_message(msg, strlen(msg), &req, &reason), -EBADMSG);
	assert_string_equal(reason, want_reason);
	assert_int_equal(req.command, 77); /* untouched */
}

static void test_request_errors(void **state)
{
	expect_request_error("c le", "message is not a dictionary");
	expect_request_error("c d7:call-id1:xe", "Dictionary contains no key \"command\"");
	expect_request_error("c d7:commandi1ee", "invalid command");
	expect_request_error("c d7:command5:offer7:call-idi5ee", "invalid call-id");
	expect_request_error("c d7:command5:offer8:from-tag1:f3:sdp3:v=0e",
			     "No call-id in message");
	expect_request_error("c d7:command5:offer7:call-id1:x3:sdp3:v=0e",
			     "No from-tag in message");
	expect_request_error("c d7:command5:offer7:call-id1:x8:from-tag1:fe",
			     "No SDP body in message");
	expect_request_error("c d7:command6:answer7:call-id1:x8:from-tag1:f3:sdp3:v=0e",
			     "No to-tag in message");
	expect_request_error("c d7:command6:deletee", "No call-id in message");
	expect_request_error("c d7:command5:querye", "No call-id in message");
	expect_request_error("c d7:command4:ping9:directionl1:a1:b1:cee", "too many directions");
	expect_request_error(
	    "c d7:command4:ping10:rtpp-flags35:direction=a direction=b direction=ce",
	    "too many directions");
	expect_request_error("c d7:command4:ping5:flagsli1eee", "invalid flags");
	expect_request_error("c d7:command4:ping5:flagsdee", "invalid flags");
	expect_request_error("c d7:command4:ping13:received-froml3:IP4ee", "invalid received-from");
	expect_request_error("c d7:command4:ping13:received-from3:IP4e", "invalid received-from");
	expect_request_error("c d7:command4:ping10:rtpp-flagslee", "invalid rtpp-flags");
	/* decoder errors surface with their reason */
	expect_request_error("c d7:command4:ping", "truncated dictionary");
}

static void test_other_commands(void **state)
{
	static const struct {
		const char *msg;
		enum ng_command command;
	} cases[] = {
	    {"c d7:command6:delete7:call-id1:x8:from-tag1:f5:flagsl3:allee", NG_CMD_DELETE},
	    {"c d7:command5:query7:call-id1:xe", NG_CMD_QUERY},
	    {"c d7:command4:liste", NG_CMD_LIST},
	    {"c d7:command10:statisticse", NG_CMD_STATISTICS},
	    {"c d7:command15:start recordinge", NG_CMD_UNKNOWN},
	    {"c d7:command4:PINGe", NG_CMD_PING},
	};
	struct ng_request req;
	const char *reason;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse_message(cases[i].msg, strlen(cases[i].msg), &req, &reason),
				 0);
		assert_int_equal(req.command, cases[i].command);
	}
	assert_int_equal(parse_message(cases[0].msg, strlen(cases[0].msg), &req, &reason), 0);
	assert_int_equal(req.flags, NG_FLAG_ALL);
}

static void expect_split_error(const char *msg, size_t len, const char *want_reason)
{
	struct bencode_str cookie = {NULL, 0}, body;
	const char *reason = NULL;

	assert_int_equal(ng_split(msg, len, &cookie, &body, &reason), -EBADMSG);
	assert_string_equal(reason, want_reason);
	assert_null(cookie.ptr);
}

static void test_split(void **state)
{
	char long_cookie[NG_COOKIE_MAX + 8];
	struct bencode_str cookie, body;
	const char *reason;

	expect_split_error("", 0, "missing cookie");
	expect_split_error(" de", 3, "missing cookie");
	expect_split_error("abc", 3, "missing message body");
	expect_split_error("abc ", 4, "missing message body");
	expect_split_error("a\x01 de", 5, "invalid cookie");
	expect_split_error("a\x80 de", 5, "invalid cookie");
	expect_split_error("a\tb de", 6, "invalid cookie");
	memset(long_cookie, 'k', NG_COOKIE_MAX + 1);
	memcpy(long_cookie + NG_COOKIE_MAX + 1, " de", 3);
	expect_split_error(long_cookie, NG_COOKIE_MAX + 4, "cookie too long");
	assert_int_equal(ng_split(long_cookie + 1, NG_COOKIE_MAX + 3, &cookie, &body, &reason), 0);
	assert_int_equal(cookie.len, NG_COOKIE_MAX);
	assert_true(bencode_bstr_eq(body, "de"));
	expect_split_error("c de", NG_MESSAGE_MAX + 1, "message too large");
}

/* len by pointer: read after the reply function ran, whatever the argument order */
static void expect_reply(int r, const char *buf, const size_t *len, const char *want)
{
	assert_int_equal(r, 0);
	assert_int_equal(*len, strlen(want));
	assert_memory_equal(buf, want, *len);
}

static void test_replies(void **state)
{
	struct bencode_str cookie = {"8_3_1", 5};
	struct bencode_writer w;
	char buf[256];
	size_t len;
	int r;

	expect_reply(ng_reply_ok(buf, sizeof(buf), cookie, "v=0\r\n", 5, NULL, &len), buf, &len,
		     "8_3_1 d6:result2:ok3:sdp5:v=0\r\ne");
	expect_reply(ng_reply_ok(buf, sizeof(buf), cookie, NULL, 0, "no SRTP", &len), buf, &len,
		     "8_3_1 d6:result2:ok7:warning7:no SRTPe");
	expect_reply(ng_reply_error(buf, sizeof(buf), cookie, "Unknown call-id", &len), buf, &len,
		     "8_3_1 d12:error-reason15:Unknown call-id6:result5:errore");
	expect_reply(ng_reply_load_limit(buf, sizeof(buf), cookie, NULL, &len), buf, &len,
		     "8_3_1 d7:message30:Parallel session limit reached6:result10:load limite");
	/* a query reply built by the caller */
	ng_reply_begin(&w, buf, sizeof(buf), cookie);
	bencode_put_key_cstr(&w, "result", "ok");
	bencode_put_cstr(&w, "totals");
	bencode_put_dict(&w);
	bencode_put_cstr(&w, "RTP");
	bencode_put_dict(&w);
	bencode_put_key_int(&w, "packets", 10);
	bencode_put_key_int(&w, "bytes", 1720);
	bencode_put_key_int(&w, "errors", 0);
	bencode_put_end(&w);
	bencode_put_end(&w);
	r = ng_reply_finish(&w, &len);
	expect_reply(r, buf, &len,
		     "8_3_1 d6:result2:ok6:totalsd3:RTPd7:packetsi10e5:bytesi1720e6:errorsi0eeee");
	for (size_t cap = 0; cap < strlen("8_3_1 d6:result4:ponge"); cap++)
		assert_int_equal(ng_reply_pong(buf, cap, cookie, &len), -ENOSPC);
}

static void test_cache_retransmit(void **state)
{
	struct ng_cache *cache;
	const char *cookie = "4823_2_17", *reply = "4823_2_17 d6:result2:ok3:sdp3:v=0e";
	const char *got;
	size_t len;

	assert_int_equal(
	    ng_cache_new(NG_CACHE_CAPACITY, NG_CACHE_MAX_BYTES, NG_CACHE_TTL_MS, &cache), 0);
	assert_int_equal(ng_cache_lookup(cache, cookie, strlen(cookie), 1000, &got, &len), -ENOENT);
	assert_int_equal(ng_cache_insert(cache, cookie, strlen(cookie), reply, strlen(reply), 1000),
			 0);
	/* Kamailio retries five times, one second apart: the same bytes each time */
	for (uint64_t t = 1000; t <= 6000; t += 1000) {
		assert_int_equal(ng_cache_lookup(cache, cookie, strlen(cookie), t, &got, &len), 0);
		assert_int_equal(len, strlen(reply));
		assert_memory_equal(got, reply, len);
		assert_ptr_not_equal(got, reply); /* a copy */
	}
	/* a different cookie misses; a prefix of the cookie misses */
	assert_int_equal(ng_cache_lookup(cache, "4823_2_18", 9, 2000, &got, &len), -ENOENT);
	assert_int_equal(ng_cache_lookup(cache, cookie, 8, 2000, &got, &len), -ENOENT);
	/* expiry */
	assert_int_equal(
	    ng_cache_lookup(cache, cookie, strlen(cookie), 1000 + NG_CACHE_TTL_MS, &got, &len),
	    -ENOENT);
	assert_int_equal(ng_cache_count(cache), 0);
	assert_int_equal(ng_cache_bytes(cache), 0);
	/* replacing an entry */
	assert_int_equal(ng_cache_insert(cache, "k", 1, "one", 3, 0), 0);
	assert_int_equal(ng_cache_insert(cache, "k", 1, "three", 5, 0), 0);
	assert_int_equal(ng_cache_lookup(cache, "k", 1, 0, &got, &len), 0);
	assert_int_equal(len, 5);
	assert_int_equal(ng_cache_count(cache), 1);
	assert_int_equal(ng_cache_bytes(cache), 5);
	ng_cache_free(cache);
	ng_cache_free(NULL);
}

static void test_cache_bounds(void **state)
{
	struct ng_cache *cache;
	char key[NG_CACHE_KEY_MAX + 1], reply[64];
	const char *got;
	size_t len;

	/* capacity: the oldest go first */
	assert_int_equal(ng_cache_new(8, 1 << 20, 30000, &cache), 0);
	for (int i = 0; i < 20; i++) {
		int n = snprintf(key, sizeof(key), "cookie-%d", i);

		assert_int_equal(ng_cache_insert(cache, key, (size_t)n, key, (size_t)n, 100), 0);
		assert_true(ng_cache_count(cache) <= 8);
	}
	assert_int_equal(ng_cache_count(cache), 8);
	assert_int_equal(ng_cache_lookup(cache, "cookie-11", 9, 100, &got, &len), -ENOENT);
	assert_int_equal(ng_cache_lookup(cache, "cookie-12", 9, 100, &got, &len), 0);
	assert_int_equal(ng_cache_lookup(cache, "cookie-19", 9, 100, &got, &len), 0);
	assert_memory_equal(got, "cookie-19", 9);
	/* keys: 1..NG_CACHE_KEY_MAX bytes */
	memset(key, 'k', sizeof(key));
	assert_int_equal(ng_cache_insert(cache, key, NG_CACHE_KEY_MAX + 1, "x", 1, 100), -EINVAL);
	assert_int_equal(ng_cache_insert(cache, key, 0, "x", 1, 100), -EINVAL);
	assert_int_equal(ng_cache_insert(cache, key, NG_CACHE_KEY_MAX, "x", 1, 100), 0);
	assert_int_equal(ng_cache_lookup(cache, key, NG_CACHE_KEY_MAX, 100, &got, &len), 0);
	ng_cache_free(cache);

	/* bytes: never more than max_bytes cached */
	assert_int_equal(ng_cache_new(100, 100, 30000, &cache), 0);
	memset(reply, 'r', sizeof(reply));
	assert_int_equal(ng_cache_insert(cache, "a", 1, reply, 40, 0), 0);
	assert_int_equal(ng_cache_insert(cache, "b", 1, reply, 40, 0), 0);
	assert_int_equal(ng_cache_insert(cache, "c", 1, reply, 40, 0), 0);
	assert_int_equal(ng_cache_count(cache), 2);
	assert_int_equal(ng_cache_bytes(cache), 80);
	assert_int_equal(ng_cache_lookup(cache, "a", 1, 0, &got, &len), -ENOENT);
	assert_int_equal(ng_cache_insert(cache, "d", 1, reply, 0, 0), 0); /* an empty reply */
	ng_cache_free(cache);
	assert_int_equal(ng_cache_new(100, 10, 30000, &cache), 0);
	assert_int_equal(ng_cache_insert(cache, "big", 3, reply, 11, 0), -E2BIG);
	ng_cache_free(cache);

	/* the default capacity holds under a flood of distinct cookies */
	assert_int_equal(
	    ng_cache_new(NG_CACHE_CAPACITY, NG_CACHE_MAX_BYTES, NG_CACHE_TTL_MS, &cache), 0);
	for (int i = 0; i < 3 * NG_CACHE_CAPACITY; i++) {
		int n = snprintf(key, sizeof(key), "%d_%d_1", i, i * 7);

		assert_int_equal(
		    ng_cache_insert(cache, key, (size_t)n, reply, sizeof(reply), (uint64_t)i), 0);
	}
	assert_int_equal(ng_cache_count(cache), NG_CACHE_CAPACITY);
	assert_int_equal(ng_cache_bytes(cache), NG_CACHE_CAPACITY * sizeof(reply));
	/* time moves on: everything expires, and inserting sweeps the expired ones */
	assert_int_equal(ng_cache_insert(cache, "late", 4, "x", 1, 10 * NG_CACHE_TTL_MS), 0);
	assert_int_equal(ng_cache_count(cache), 1);
	ng_cache_free(cache);

	assert_int_equal(ng_cache_new(0, 100, 1, &cache), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ping_example),    cmocka_unit_test(test_kamailio_offer),
	    cmocka_unit_test(test_rtpp_flags_only), cmocka_unit_test(test_request_errors),
	    cmocka_unit_test(test_other_commands),  cmocka_unit_test(test_split),
	    cmocka_unit_test(test_replies),	    cmocka_unit_test(test_cache_retransmit),
	    cmocka_unit_test(test_cache_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
