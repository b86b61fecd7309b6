// SPDX-License-Identifier: MIT
/*
 * Unit tests for the ng command layer (userspace/control/ng_commands.c) against a fake backend
 * that records every call: ping; a Kamailio-shaped offer/answer/query/delete with the rewritten SDP
 * checked line by line and the backend's ports, remotes, suites and keys checked byte for byte;
 * retransmissions; the policy matrix; SDES flags; re-offers; several media; hostile input (nothing
 * created, nothing leaked under ASan); load limit; and the exact bytes rtpengine-ng-client sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "control/bencode.h"
#include "control/ctl_server.h"
#include "control/ng.h"
#include "control/ng_commands.h"

/* ---- the fake backend ---- */

#define FAKE_MAX 32

struct fake {
	unsigned int allocs, commits, updates, releases, live;
	unsigned int max_sessions; /* 0: no cap */
	int fail_commit;
	uint8_t rand_seq;
	uint32_t next_id;
	struct ng_alloc_params alloc_params[FAKE_MAX]; /* pointers not valid after the call */
	char alloc_type[FAKE_MAX][16];
	struct ng_alloc_result alloc_result[FAKE_MAX];
	struct ng_session_params committed[FAKE_MAX]; /* by commit order */
	uint32_t committed_id[FAKE_MAX];
	struct ng_session_params updated[FAKE_MAX];
	uint32_t update_changed[FAKE_MAX];
	uint32_t released_id[FAKE_MAX];
	struct ng_leg_counters counters[2];
};

static struct fake fake;

static int fake_allocate(void *opaque, const struct ng_alloc_params *params,
			 struct ng_alloc_result *ret, char *error, size_t error_len)
{
	unsigned int k = fake.allocs;

	if (fake.max_sessions && fake.live >= fake.max_sessions)
		return -ENOSPC;
	assert_true(k < FAKE_MAX);
	memset(ret, 0, sizeof(*ret));
	ret->session_id = ++fake.next_id;
	ret->local[SLUICE_LEG_INTERNAL].family = AF_INET;
	inet_pton(AF_INET, "198.18.1.1", &ret->local[SLUICE_LEG_INTERNAL].addr.v4);
	ret->local[SLUICE_LEG_INTERNAL].port = (uint16_t)(30000 + 2 * k);
	ret->local[SLUICE_LEG_GATEWAY].family = AF_INET;
	inet_pton(AF_INET, "198.18.2.1", &ret->local[SLUICE_LEG_GATEWAY].addr.v4);
	ret->local[SLUICE_LEG_GATEWAY].port = (uint16_t)(40000 + 2 * k);
	fake.alloc_params[k] = *params;
	snprintf(fake.alloc_type[k], sizeof(fake.alloc_type[k]), "%s", params->media_type);
	fake.alloc_result[k] = *ret;
	fake.allocs++;
	fake.live++;
	return 0;
}

static int fake_commit(void *opaque, uint32_t id, const struct ng_session_params *params,
		       char *error, size_t error_len)
{
	if (fake.fail_commit) {
		snprintf(error, error_len, "fake commit failure");
		return fake.fail_commit;
	}
	assert_true(fake.commits < FAKE_MAX);
	fake.committed_id[fake.commits] = id;
	fake.committed[fake.commits++] = *params;
	return 0;
}

static int fake_update(void *opaque, uint32_t id, const struct ng_session_params *params,
		       uint32_t changed, char *error, size_t error_len)
{
	assert_true(fake.updates < FAKE_MAX);
	fake.update_changed[fake.updates] = changed;
	fake.updated[fake.updates++] = *params;
	return 0;
}

static void fake_release(void *opaque, uint32_t id)
{
	assert_true(fake.releases < FAKE_MAX);
	assert_true(fake.live > 0);
	fake.released_id[fake.releases++] = id;
	fake.live--;
}

static int fake_query(void *opaque, uint32_t id, struct ng_leg_counters ret[2])
{
	ret[0] = fake.counters[0];
	ret[1] = fake.counters[1];
	return 0;
}

static void fake_stats(void *opaque, struct ng_backend_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sessions_current = fake.live;
	ret->sessions_max = fake.max_sessions;
	ret->sessions_total = fake.allocs;
}

static int fake_random(void *opaque, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = fake.rand_seq++;
	return 0;
}

static uint64_t fake_ms(void *opaque)
{
	return 1000;
}

static uint64_t fake_wall(void *opaque)
{
	return 1700000000;
}

static const struct ng_backend_ops fake_ops = {
    .allocate = fake_allocate,
    .commit = fake_commit,
    .update = fake_update,
    .release = fake_release,
    .query = fake_query,
    .stats = fake_stats,
    .random = fake_random,
    .monotonic_ms = fake_ms,
    .wall_s = fake_wall,
};

/* ---- helpers ---- */

static struct ng_ctx *ctx;
static struct ctl_peer peer = {.transport = CTL_TRANSPORT_UDP};
static uint8_t reply[256 * 1024];
static size_t reply_len;
static _Alignas(16) char arena[BENCODE_ARENA_SIZE];
static char result[64], sdp_out[64 * 1024], error_reason[512];

static struct ng_ctx *make_ctx(enum policy_encryption_level level, enum policy_gateway_srtp mode,
			       bool tls)
{
	struct ng_config cfg = {
	    .policy = {.encryption_level = level, .gateway_srtp_mode = mode, .gateway_tls = tls},
	    .ops = &fake_ops,
	};
	struct ng_ctx *c;

	assert_int_equal(ng_ctx_new(&cfg, &c), 0);
	return c;
}

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	peer.addr.family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &peer.addr.addr.v4);
	peer.addr.port = 22222;
	ctx = make_ctx(POLICY_ENCRYPTION_REQUIRE, POLICY_GATEWAY_NOT_SUPPORTED, false);
	return 0;
}

static int teardown(void **state)
{
	ng_ctx_free(ctx);
	ctx = NULL;
	return 0;
}

static void use_policy(enum policy_encryption_level level, enum policy_gateway_srtp mode, bool tls)
{
	ng_ctx_free(ctx);
	ctx = make_ctx(level, mode, tls);
}

static void copy_str(const struct bencode_item *dict, const char *key, char *buf, size_t cap)
{
	struct bencode_str s = {0};

	buf[0] = '\0';
	if (bencode_dict_get_str(dict, key, &s) == 0) {
		assert_true(s.len < cap);
		memcpy(buf, s.ptr, s.len);
		buf[s.len] = '\0';
	}
}

static const struct bencode_item *decode_reply(void)
{
	const struct bencode_item *root;
	struct bencode_str cookie, body;
	const char *reason;

	assert_int_equal(ng_split((const char *)reply, reply_len, &cookie, &body, &reason), 0);
	assert_int_equal(bencode_decode(body.ptr, body.len, arena, sizeof(arena), &root, &reason),
			 0);
	copy_str(root, "result", result, sizeof(result));
	copy_str(root, "sdp", sdp_out, sizeof(sdp_out));
	copy_str(root, "error-reason", error_reason, sizeof(error_reason));
	return root;
}

static const struct bencode_item *send_raw(const void *msg, size_t len)
{
	assert_int_equal(ng_handle(ctx, msg, len, &peer, reply, sizeof(reply), &reply_len), 0);
	assert_true(reply_len > 0);
	return decode_reply();
}

/*
 * Builds "<cookie> d...e" from key/value pairs ended by NULL. A value "[a|b]" is a list of
 * strings, "#123" an integer, anything else a string.
 */
static size_t build(char *buf, size_t cap, const char *cookie, ...)
{
	struct bencode_writer w;
	const char *key;
	size_t len;
	va_list ap;

	bencode_writer_init(&w, buf, cap);
	bencode_put_raw(&w, cookie, strlen(cookie));
	bencode_put_raw(&w, " ", 1);
	bencode_put_dict(&w);
	va_start(ap, cookie);
	while ((key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		bencode_put_cstr(&w, key);
		if (value[0] == '#') {
			bencode_put_int(&w, strtoll(value + 1, NULL, 10));
		} else if (value[0] == '[') {
			const char *p = value + 1;

			bencode_put_list(&w);
			while (*p && *p != ']') {
				size_t n = strcspn(p, "|]");

				bencode_put_str(&w, p, n);
				p += n + (p[n] == '|');
			}
			bencode_put_end(&w);
		} else {
			bencode_put_cstr(&w, value);
		}
	}
	va_end(ap);
	bencode_put_end(&w);
	assert_int_equal(bencode_writer_finish(&w, &len), 0);
	return len;
}

static char msgbuf[128 * 1024];
static unsigned int cookie_seq;

#define SEND(...)                                                                                  \
	({                                                                                         \
		char cookie_[32];                                                                  \
		snprintf(cookie_, sizeof(cookie_), "%u_1", ++cookie_seq);                          \
		size_t len_ = build(msgbuf, sizeof(msgbuf), cookie_, __VA_ARGS__, NULL);           \
		send_raw(msgbuf, len_);                                                            \
	})

static void b64(const uint8_t *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static void expect_ok(void)
{
	if (strcmp(result, "ok") != 0)
		fail_msg("result %s: %s", result, error_reason);
}

static void expect_error(const char *reason)
{
	assert_string_equal(result, "error");
	if (!strstr(error_reason, reason))
		fail_msg("error-reason \"%s\" does not contain \"%s\"", error_reason, reason);
}

static void expect_nothing_created(void)
{
	assert_int_equal(fake.live, 0);
	assert_int_equal(fake.commits, 0);
	assert_int_equal(ng_ctx_call_count(ctx), 0);
	assert_int_equal(ng_ctx_session_count(ctx), 0);
}

static void expect_endpoint(const struct endpoint *ep, const char *addr, uint16_t port)
{
	char buf[ENDPOINT_STR_MAX], want[ENDPOINT_STR_MAX];

	snprintf(want, sizeof(want), "%s:%u", addr, port);
	assert_string_equal(endpoint_format(ep, buf, sizeof(buf)), want);
}

static int64_t dict_int(const struct bencode_item *dict, const char *path)
{
	char key[64];
	const char *dot;
	int64_t v = -1;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		assert_int_equal(bencode_dict_get_dict(dict, key, &dict), 0);
		path = dot + 1;
	}
	assert_int_equal(bencode_dict_get_int(dict, path, &v), 0);
	return v;
}

/* ---- SDP bodies ---- */

/* An internal endpoint (Lync/SfB-like) offering SRTP with two suites, the first with an MKI. */
#define KEY_80 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define KEY_32 "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"
#define OFFER_SAVP                                                                                 \
	"v=0\r\n"                                                                                  \
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"                                      \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 192.0.2.10\r\n"                                                                  \
	"t=0 0\r\n"                                                                                \
	"m=audio 49170 RTP/SAVP 0 8 101\r\n"                                                       \
	"a=rtpmap:0 PCMU/8000\r\n"                                                                 \
	"a=rtpmap:8 PCMA/8000\r\n"                                                                 \
	"a=rtpmap:101 telephone-event/8000\r\n"                                                    \
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_80 "|2^20|1:4\r\n"                        \
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_32 "\r\n"                                 \
	"a=ice-ufrag:abcd\r\n"                                                                     \
	"a=candidate:1 1 UDP 2130706431 192.0.2.10 49170 typ host\r\n"                             \
	"a=sendrecv\r\n"

#define OFFER_AVP                                                                                  \
	"v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"          \
	"m=audio 49170 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

#define OFFER_AVP_CRYPTO OFFER_AVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_80 "\r\n"

#define ANSWER_AVP                                                                                 \
	"v=0\r\n"                                                                                  \
	"o=gw 1 1 IN IP4 198.51.100.20\r\n"                                                        \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 198.51.100.20\r\n"                                                               \
	"t=0 0\r\n"                                                                                \
	"m=audio 6000 RTP/AVP 0 101\r\n"                                                           \
	"a=rtpmap:101 telephone-event/8000\r\n"                                                    \
	"a=ptime:20\r\n"

#define GW_KEY "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw"
#define ANSWER_SAVP(tag, suite)                                                                    \
	"v=0\r\no=gw 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"       \
	"m=audio 6000 RTP/SAVP 0\r\na=crypto:" tag " " suite " inline:" GW_KEY "\r\n"

static void offer(const char *sdp, const char *call_id)
{
	SEND("command", "offer", "call-id", call_id, "from-tag", "ft1", "sdp", sdp, "supports",
	     "[load limit]");
}

static void answer(const char *sdp, const char *call_id)
{
	SEND("command", "answer", "call-id", call_id, "from-tag", "ft1", "to-tag", "tt2", "sdp",
	     sdp, "supports", "[load limit]");
}

/* ---- tests ---- */

static void test_ping(void **state)
{
	const char *msg = "5323_1 d7:command4:pinge";

	assert_int_equal(ng_handle(ctx, (const uint8_t *)msg, strlen(msg), &peer, reply,
				   sizeof(reply), &reply_len),
			 0);
	assert_int_equal(reply_len, strlen("5323_1 d6:result4:ponge"));
	assert_memory_equal(reply, "5323_1 d6:result4:ponge", reply_len);
}

static void test_full_call(void **state)
{
	const struct bencode_item *r;
	const struct ng_session_params *p;
	const struct ng_leg_params *in, *gw;
	uint8_t want_key[30];
	char key_b64[64], expect_sdp[2048];

	/* Kamailio-shaped: supports, sip-message-type, flags, replace, rtpp-flags, unknown keys */
	r = SEND("supports", "[load limit]", "sdp", OFFER_SAVP, "call-id", "a84b4c76e66710@pc33",
		 "via-branch", "z9hG4bK776asdhds", "received-from", "[IP4|192.0.2.10]", "from-tag",
		 "1928301774", "command", "offer", "sip-message-type", "SIP request", "flags",
		 "[trust-address|no-such-flag]", "replace", "[origin|session-connection]",
		 "rtpp-flags", "ICE=remove replace-origin", "direction", "[internal|external]",
		 "record-call", "no", "x-unknown-key", "#42");
	expect_ok();
	assert_non_null(r);
	assert_string_equal(sdp_out, "v=0\r\n"
				     "o=alice 2890844526 2890844526 IN IP4 198.18.2.1\r\n"
				     "s=-\r\n"
				     "c=IN IP4 198.18.2.1\r\n"
				     "t=0 0\r\n"
				     "m=audio 40000 RTP/AVP 0 8 101\r\n"
				     "a=rtpmap:0 PCMU/8000\r\n"
				     "a=rtpmap:8 PCMA/8000\r\n"
				     "a=rtpmap:101 telephone-event/8000\r\n"
				     "a=sendrecv\r\n"
				     "a=rtcp:40001\r\n");
	assert_int_equal(fake.allocs, 1);
	assert_int_equal(fake.commits, 0);
	assert_string_equal(fake.alloc_type[0], "audio");
	assert_int_equal(fake.alloc_params[0].family[SLUICE_LEG_INTERNAL], AF_INET);
	assert_int_equal(ng_ctx_call_count(ctx), 1);

	SEND("command", "answer", "call-id", "a84b4c76e66710@pc33", "from-tag", "1928301774",
	     "to-tag", "a6c85cf", "sdp", ANSWER_AVP, "sip-message-type", "SIP reply", "replace",
	     "[origin]", "supports", "[load limit]", "flags", "[trust-address]");
	expect_ok();
	/* our tx key toward the internal leg: the first random bytes */
	for (unsigned int i = 0; i < sizeof(want_key); i++)
		want_key[i] = (uint8_t)i;
	b64(want_key, sizeof(want_key), key_b64);
	snprintf(expect_sdp, sizeof(expect_sdp),
		 "v=0\r\n"
		 "o=gw 1 1 IN IP4 198.18.1.1\r\n"
		 "s=-\r\n"
		 "c=IN IP4 198.18.1.1\r\n"
		 "t=0 0\r\n"
		 "m=audio 30000 RTP/SAVP 0 101\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\n"
		 "a=ptime:20\r\n"
		 "a=rtcp:30001\r\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
		 key_b64);
	assert_string_equal(sdp_out, expect_sdp);

	assert_int_equal(fake.commits, 1);
	assert_int_equal(fake.committed_id[0], fake.alloc_result[0].session_id);
	p = &fake.committed[0];
	in = &p->legs[SLUICE_LEG_INTERNAL];
	gw = &p->legs[SLUICE_LEG_GATEWAY];
	assert_false(p->rtcp_mux);
	assert_false(p->strict_source);
	assert_int_equal(p->clock_rate, 8000);
	expect_endpoint(&in->local, "198.18.1.1", 30000);
	expect_endpoint(&gw->local, "198.18.2.1", 40000);
	assert_true(in->has_remote);
	expect_endpoint(&in->remote, "192.0.2.10", 49170);
	expect_endpoint(&in->remote_rtcp, "192.0.2.10", 49171);
	assert_true(gw->has_remote);
	expect_endpoint(&gw->remote, "198.51.100.20", 6000);
	expect_endpoint(&gw->remote_rtcp, "198.51.100.20", 6001);
	assert_true(in->srtp.enabled);
	assert_int_equal(in->srtp.suite, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(in->srtp.key_len, 30);
	b64(in->srtp.rx_key, in->srtp.key_len, key_b64);
	assert_string_equal(key_b64, KEY_80);
	assert_memory_equal(in->srtp.tx_key, want_key, 30);
	assert_int_equal(in->srtp.rx_mki.len, 4);
	assert_int_equal(in->srtp.rx_mki.id[3], 1);
	assert_int_equal(in->srtp.tx_mki.len, 0);
	assert_false(gw->srtp.enabled);

	/* query: totals and per tag */
	fake.counters[SLUICE_LEG_INTERNAL].rtp = (struct ng_counters){10, 1600, 1};
	fake.counters[SLUICE_LEG_INTERNAL].rtcp = (struct ng_counters){1, 80, 0};
	fake.counters[SLUICE_LEG_GATEWAY].rtp = (struct ng_counters){20, 3200, 0};
	fake.counters[SLUICE_LEG_GATEWAY].rtcp = (struct ng_counters){2, 100, 0};
	r = SEND("command", "query", "call-id", "a84b4c76e66710@pc33", "from-tag", "1928301774");
	expect_ok();
	assert_int_equal(dict_int(r, "totals.RTP.packets"), 30);
	assert_int_equal(dict_int(r, "totals.RTP.bytes"), 4800);
	assert_int_equal(dict_int(r, "totals.RTP.errors"), 1);
	assert_int_equal(dict_int(r, "totals.RTCP.packets"), 3);
	assert_int_equal(dict_int(r, "totals.RTCP.bytes"), 180);
	assert_int_equal(dict_int(r, "created"), 1700000000);
	{
		const struct bencode_item *tags, *tag, *medias, *streams;
		struct bencode_str s;

		assert_int_equal(bencode_dict_get_dict(r, "tags", &tags), 0);
		assert_int_equal(bencode_dict_get_dict(tags, "1928301774", &tag), 0);
		assert_int_equal(bencode_dict_get_str(tag, "in dialogue with", &s), 0);
		assert_true(bencode_bstr_eq(s, "a6c85cf"));
		assert_int_equal(bencode_dict_get_list(tag, "medias", &medias), 0);
		assert_int_equal(medias->container.count, 1);
		assert_int_equal(bencode_dict_get_str(medias->container.first, "protocol", &s), 0);
		assert_true(bencode_bstr_eq(s, "RTP/SAVP"));
		assert_int_equal(
		    bencode_dict_get_list(medias->container.first, "streams", &streams), 0);
		assert_int_equal(streams->container.count, 2);
		assert_int_equal(dict_int(streams->container.first, "local port"), 30000);
		assert_int_equal(dict_int(streams->container.first, "stats.packets"), 10);
		assert_int_equal(dict_int(streams->container.first, "endpoint.port"), 49170);
		assert_int_equal(bencode_dict_get_str(streams->container.first, "crypto suite", &s),
				 0);
		assert_true(bencode_bstr_eq(s, "AES_CM_128_HMAC_SHA1_80"));
		assert_int_equal(bencode_dict_get_dict(tags, "a6c85cf", &tag), 0);
	}

	r = SEND("command", "list");
	expect_ok();
	r = SEND("command", "statistics");
	expect_ok();
	assert_int_equal(dict_int(r, "statistics.currentstatistics.sessionsown"), 1);
	assert_int_equal(dict_int(r, "statistics.totalstatistics.totalrelayedpackets"), 0);

	/* delete with tags that do not match: refused, nothing released */
	SEND("command", "delete", "call-id", "a84b4c76e66710@pc33", "from-tag", "nope");
	expect_error("tags didn't match");
	assert_int_equal(fake.releases, 0);
	r = SEND("command", "delete", "call-id", "a84b4c76e66710@pc33", "from-tag", "1928301774",
		 "to-tag", "a6c85cf");
	expect_ok();
	assert_int_equal(dict_int(r, "totals.RTP.packets"), 30);
	assert_int_equal(fake.releases, 1);
	assert_int_equal(fake.released_id[0], fake.alloc_result[0].session_id);
	assert_int_equal(fake.live, 0);
	assert_int_equal(ng_ctx_call_count(ctx), 0);
	SEND("command", "query", "call-id", "a84b4c76e66710@pc33");
	expect_error("Unknown call-id");
}

static void test_retransmission(void **state)
{
	uint8_t first[8192];
	size_t first_len, len;
	struct ctl_peer other = peer;

	len = build(msgbuf, sizeof(msgbuf), "retx_1", "command", "offer", "call-id", "c1",
		    "from-tag", "f", "sdp", OFFER_SAVP, NULL);
	send_raw(msgbuf, len);
	expect_ok();
	memcpy(first, reply, reply_len);
	first_len = reply_len;
	for (int i = 0; i < 4; i++) {
		send_raw(msgbuf, len);
		assert_int_equal(reply_len, first_len);
		assert_memory_equal(reply, first, first_len);
	}
	assert_int_equal(fake.allocs, 1);
	assert_int_equal(ng_ctx_call_count(ctx), 1);

	/* an error reply is cached too, and creates nothing twice */
	len = build(msgbuf, sizeof(msgbuf), "retx_2", "command", "answer", "call-id", "nope",
		    "from-tag", "f", "to-tag", "t", "sdp", ANSWER_AVP, NULL);
	send_raw(msgbuf, len);
	expect_error("Unknown call-id");
	memcpy(first, reply, reply_len);
	first_len = reply_len;
	send_raw(msgbuf, len);
	assert_memory_equal(reply, first, first_len);

	/* the same cookie from another peer is another request */
	other.addr.port = 22223;
	len = build(msgbuf, sizeof(msgbuf), "retx_1", "command", "ping", NULL);
	assert_int_equal(
	    ng_handle(ctx, (uint8_t *)msgbuf, len, &other, reply, sizeof(reply), &reply_len), 0);
	decode_reply();
	assert_string_equal(result, "pong");

	/* by command and result, each request once: retransmissions come from the cache */
	{
		struct ng_ctx_counters n;

		send_raw("no cookie", 9); /* not "<cookie> <dict>": unknown, error */
		ng_ctx_get_counters(ctx, &n);
		assert_int_equal(n.by_command[NG_CMD_OFFER][NG_CTX_OK], 1);
		assert_int_equal(n.by_command[NG_CMD_OFFER][NG_CTX_ERROR], 0);
		assert_int_equal(n.by_command[NG_CMD_ANSWER][NG_CTX_ERROR], 1);
		assert_int_equal(n.by_command[NG_CMD_PING][NG_CTX_OK], 1);
		assert_int_equal(n.by_command[NG_CMD_UNKNOWN][NG_CTX_ERROR], 1);
		assert_int_equal(n.cache_hits, 5);
	}
}

static void test_policy_require_refuses_plain(void **state)
{
	offer(OFFER_AVP, "p1");
	expect_error("encryption_level=require: internal leg offers no SRTP");
	expect_nothing_created();
	assert_int_equal(fake.allocs, 0);

	/* SDES-off on the internal leg under require */
	SEND("command", "offer", "call-id", "p2", "from-tag", "f", "sdp", OFFER_SAVP, "SDES",
	     "[off]");
	expect_error("encryption_level=require: internal leg offers no SRTP (SDES off)");
	expect_nothing_created();

	/* require on the answering side: an internal answer without SRTP is refused */
	SEND("command", "offer", "call-id", "p3", "from-tag", "f", "sdp", OFFER_AVP, "direction",
	     "[external|internal]");
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=audio 30000 RTP/SAVP 0 101\r\n"));
	assert_non_null(strstr(sdp_out, "a=crypto:1 AEAD_AES_256_GCM inline:"));
	SEND("command", "answer", "call-id", "p3", "from-tag", "f", "to-tag", "t", "sdp",
	     ANSWER_AVP);
	expect_error("encryption_level=require: internal leg answers no SRTP");
	assert_int_equal(fake.commits, 0);
}

static void test_policy_support(void **state)
{
	use_policy(POLICY_ENCRYPTION_SUPPORT, POLICY_GATEWAY_NOT_SUPPORTED, false);
	offer(OFFER_AVP, "s1");
	expect_ok();
	answer(ANSWER_AVP, "s1");
	expect_ok();
	assert_int_equal(fake.commits, 1);
	assert_false(fake.committed[0].legs[SLUICE_LEG_INTERNAL].srtp.enabled);
	assert_null(strstr(sdp_out, "a=crypto"));
	assert_non_null(strstr(sdp_out, "m=audio 30000 RTP/AVP 0 101\r\n"));

	/* best-effort SRTP (RTP/AVP + a=crypto, as Lync offers it): taken, the profile kept */
	offer(OFFER_AVP_CRYPTO, "s2");
	expect_ok();
	answer(ANSWER_AVP, "s2");
	expect_ok();
	assert_true(fake.committed[1].legs[SLUICE_LEG_INTERNAL].srtp.enabled);
	assert_non_null(strstr(sdp_out, "m=audio 30002 RTP/AVP 0 101\r\n"));
	assert_non_null(strstr(sdp_out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
}

static void test_policy_none(void **state)
{
	use_policy(POLICY_ENCRYPTION_NONE, POLICY_GATEWAY_NOT_SUPPORTED, false);
	offer(OFFER_SAVP, "n1");
	expect_error("encryption_level=none: internal leg offers only SRTP (RTP/SAVP)");
	expect_nothing_created();
	offer(OFFER_AVP_CRYPTO, "n2");
	expect_ok();
	answer(ANSWER_AVP, "n2");
	expect_ok();
	assert_null(strstr(sdp_out, "a=crypto"));
	assert_false(fake.committed[0].legs[SLUICE_LEG_INTERNAL].srtp.enabled);
}

static void count_crypto(const char *sdp, unsigned int *ret_n, char first[64])
{
	const char *p = sdp;

	*ret_n = 0;
	first[0] = '\0';
	while ((p = strstr(p, "a=crypto:"))) {
		if ((*ret_n)++ == 0)
			sscanf(p, "a=crypto:%*u %63s", first);
		p++;
	}
}

static void test_gateway_required(void **state)
{
	const struct ng_leg_params *gw;
	unsigned int n;
	char first[64], key_b64[64];

	use_policy(POLICY_ENCRYPTION_REQUIRE, POLICY_GATEWAY_REQUIRED, true);
	offer(OFFER_SAVP, "g1");
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=audio 40000 RTP/SAVP 0 8 101\r\n"));
	count_crypto(sdp_out, &n, first);
	assert_int_equal(n, 6);
	assert_string_equal(first, "AEAD_AES_256_GCM");
	assert_non_null(strstr(sdp_out, "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:"));

	answer(ANSWER_AVP, "g1");
	expect_error("gateway_srtp_mode=required: gateway leg answers no SRTP");
	assert_int_equal(fake.commits, 0);
	answer(ANSWER_SAVP("1", "AES_CM_128_HMAC_SHA1_80"), "g1");
	expect_error("tag 1 does not match the offered AES_CM_128_HMAC_SHA1_80 line (tag 4)");
	answer(ANSWER_SAVP("4", "AES_CM_128_HMAC_SHA1_80"), "g1");
	expect_ok();
	assert_int_equal(fake.commits, 1);
	gw = &fake.committed[0].legs[SLUICE_LEG_GATEWAY];
	assert_true(gw->srtp.enabled);
	assert_int_equal(gw->srtp.suite, SLUICE_SRTP_AES_CM_128_HMAC_SHA1_80);
	b64(gw->srtp.rx_key, gw->srtp.key_len, key_b64);
	assert_string_equal(key_b64, GW_KEY);
	/* the offer's AES_CM_128_HMAC_SHA1_80 key (suite 0 was made first: bytes 0..29) */
	for (unsigned int i = 0; i < 30; i++)
		assert_int_equal(gw->srtp.tx_key[i], i);
	assert_true(fake.committed[0].legs[SLUICE_LEG_INTERNAL].srtp.enabled);
}

static void test_gateway_optional_and_no_tls(void **state)
{
	unsigned int n;
	char first[64];

	use_policy(POLICY_ENCRYPTION_REQUIRE, POLICY_GATEWAY_OPTIONAL, true);
	offer(OFFER_SAVP, "o1");
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=audio 40000 RTP/AVP 0 8 101\r\n"));
	count_crypto(sdp_out, &n, first);
	assert_int_equal(n, 6);
	answer(ANSWER_AVP, "o1");
	expect_ok();
	assert_false(fake.committed[0].legs[SLUICE_LEG_GATEWAY].srtp.enabled);

	/* transport-protocol RTP/SAVP makes the optional offer a mandatory one */
	SEND("command", "offer", "call-id", "o2", "from-tag", "ft1", "sdp", OFFER_SAVP,
	     "transport-protocol", "RTP/SAVP");
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=audio 40002 RTP/SAVP 0 8 101\r\n"));

	/* required without TLS behaves as not_supported: plain regardless */
	use_policy(POLICY_ENCRYPTION_REQUIRE, POLICY_GATEWAY_REQUIRED, false);
	SEND("command", "offer", "call-id", "o3", "from-tag", "ft1", "sdp", OFFER_SAVP,
	     "transport-protocol", "RTP/SAVP");
	expect_ok();
	assert_non_null(strstr(sdp_out, "RTP/AVP 0 8 101\r\n"));
	assert_null(strstr(sdp_out, "a=crypto"));

	/* a gateway offering only SRTP to a not_supported trunk */
	SEND("command", "offer", "call-id", "o4", "from-tag", "ft1", "sdp", OFFER_SAVP, "direction",
	     "[external|internal]");
	expect_error("gateway_srtp_mode=not_supported (gateway_tls=no): gateway leg offers only "
		     "SRTP (RTP/SAVP)");
}

static void test_sdes_flags(void **state)
{
	unsigned int n;
	char first[64];

	use_policy(POLICY_ENCRYPTION_REQUIRE, POLICY_GATEWAY_REQUIRED, true);
	SEND("command", "offer", "call-id", "d1", "from-tag", "f", "sdp", OFFER_SAVP, "SDES",
	     "[only-AES_CM_128_HMAC_SHA1_80]");
	expect_ok();
	count_crypto(sdp_out, &n, first);
	assert_int_equal(n, 1);
	assert_string_equal(first, "AES_CM_128_HMAC_SHA1_80");

	SEND("command", "offer", "call-id", "d2", "from-tag", "f", "sdp", OFFER_SAVP, "rtpp-flags",
	     "SDES-no-AEAD_AES_256_GCM SDES-no-AES_256_CM_HMAC_SHA1_80");
	expect_ok();
	count_crypto(sdp_out, &n, first);
	assert_int_equal(n, 4);
	assert_string_equal(first, "AEAD_AES_128_GCM");

	/* only a suite the offerer does not offer: the internal leg cannot do SRTP */
	SEND("command", "offer", "call-id", "d3", "from-tag", "f", "sdp", OFFER_SAVP, "SDES",
	     "[only-AEAD_AES_128_GCM]");
	expect_error("internal leg offers no SRTP with an allowed crypto suite");
	/* no-32 leaves the offerer's 80 line: it is the one answered */
	SEND("command", "offer", "call-id", "d4", "from-tag", "ft1", "sdp", OFFER_SAVP, "SDES",
	     "[no-AES_CM_128_HMAC_SHA1_80]");
	expect_ok();
	answer(ANSWER_SAVP("4", "AES_CM_128_HMAC_SHA1_32"), "d4");
	expect_error("tag 4 does not match");
	answer(ANSWER_SAVP("5", "AES_CM_128_HMAC_SHA1_32"), "d4");
	expect_ok();
	assert_non_null(strstr(sdp_out, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
	assert_int_equal(fake.committed[0].legs[SLUICE_LEG_INTERNAL].srtp.suite,
			 SLUICE_SRTP_AES_CM_128_HMAC_SHA1_32);
}

static void test_reoffer_and_reanswer(void **state)
{
	offer(OFFER_SAVP, "r1");
	expect_ok();
	answer(ANSWER_AVP, "r1");
	expect_ok();
	static char first_answer[sizeof(sdp_out)];

	snprintf(first_answer, sizeof(first_answer), "%s", sdp_out);
	/* the same answer again (183 then 200): nothing changes */
	answer(ANSWER_AVP, "r1");
	expect_ok();
	assert_string_equal(sdp_out, first_answer);
	assert_int_equal(fake.updates, 0);

	/* re-INVITE from the caller with a new port: same relay ports, update of the remote */
	{
		char sdp[2048];
		const char *p = strstr(OFFER_SAVP, "49170");

		snprintf(sdp, sizeof(sdp), "%.*s49180%s", (int)(p - OFFER_SAVP), OFFER_SAVP, p + 5);
		offer(sdp, "r1");
		expect_ok();
		assert_non_null(strstr(sdp_out, "m=audio 40000 RTP/AVP"));
		answer(ANSWER_AVP, "r1");
		expect_ok();
	}
	assert_int_equal(fake.allocs, 1);
	assert_int_equal(fake.commits, 1);
	assert_int_equal(fake.updates, 1);
	assert_int_equal(fake.update_changed[0], NG_CHANGED_REMOTE(SLUICE_LEG_INTERNAL));
	expect_endpoint(&fake.updated[0].legs[SLUICE_LEG_INTERNAL].remote, "192.0.2.10", 49180);
	assert_string_equal(sdp_out, first_answer); /* our key toward the caller did not change */

	/* re-INVITE from the callee (from-tag = its tag): its SDP goes to the internal side */
	SEND("command", "offer", "call-id", "r1", "from-tag", "tt2", "to-tag", "ft1", "sdp",
	     ANSWER_AVP);
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=audio 30000 RTP/SAVP 0 101\r\n"));
	assert_non_null(strstr(sdp_out, "c=IN IP4 198.18.1.1\r\n"));
	assert_int_equal(fake.allocs, 1);
}

static void test_multiple_media(void **state)
{
	const char *sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
			  "m=audio 49170 RTP/SAVP 0\r\nc=IN IP4 192.0.2.10\r\n"
			  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_80 "\r\n"
			  "m=video 0 RTP/SAVP 96\r\nc=IN IP4 192.0.2.10\r\n"
			  "m=image 50000 udptl t38\r\nc=IN IP4 192.0.2.10\r\n"
			  "m=video 49180 RTP/SAVPF 97\r\nc=IN IP4 192.0.2.10\r\na=rtcp-mux\r\n"
			  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_32 "\r\n";
	const char *ans = "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nt=0 0\r\n"
			  "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 198.51.100.20\r\n"
			  "m=video 0 RTP/AVP 96\r\nc=IN IP4 198.51.100.20\r\n"
			  "m=image 0 udptl t38\r\nc=IN IP4 198.51.100.20\r\n"
			  "m=video 6002 RTP/AVPF 97\r\nc=IN IP4 198.51.100.20\r\na=rtcp-mux\r\n";

	offer(sdp, "m1");
	expect_ok();
	assert_string_equal(sdp_out, "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n"
				     "m=audio 40000 RTP/AVP 0\r\nc=IN IP4 198.18.2.1\r\n"
				     "a=rtcp:40001\r\n"
				     "m=video 0 RTP/SAVP 96\r\nc=IN IP4 192.0.2.10\r\n"
				     "m=image 0 udptl t38\r\nc=IN IP4 192.0.2.10\r\n"
				     "m=video 40002 RTP/AVPF 97\r\nc=IN IP4 198.18.2.1\r\n"
				     "a=rtcp-mux\r\na=rtcp:40003\r\n");
	assert_int_equal(fake.allocs, 2);
	answer(ans, "m1");
	expect_ok();
	assert_int_equal(fake.commits, 2);
	assert_false(fake.committed[0].rtcp_mux);
	assert_true(fake.committed[1].rtcp_mux);
	expect_endpoint(&fake.committed[1].legs[SLUICE_LEG_GATEWAY].remote_rtcp, "198.51.100.20",
			6002);
	assert_non_null(strstr(sdp_out, "m=video 30002 RTP/SAVPF 97\r\nc=IN IP4 198.18.1.1\r\n"
					"a=rtcp-mux\r\na=rtcp:30002\r\n"));
	/* the answerer rejecting a relayed stream releases it */
	SEND("command", "answer", "call-id", "m1", "from-tag", "ft1", "to-tag", "tt2", "sdp",
	     "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nt=0 0\r\n"
	     "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 198.51.100.20\r\n"
	     "m=video 0 RTP/AVP 96\r\nm=image 0 udptl t38\r\nm=video 0 RTP/AVPF 97\r\n");
	expect_ok();
	assert_int_equal(fake.releases, 1);
	assert_int_equal(fake.live, 1);
	/* a released or never relayed section answered with a port: port 0 toward the offerer */
	SEND("command", "answer", "call-id", "m1", "from-tag", "ft1", "to-tag", "tt2", "sdp", ans);
	expect_ok();
	assert_non_null(strstr(sdp_out, "m=image 0 udptl t38\r\n"));
	assert_non_null(strstr(sdp_out, "m=video 0 RTP/AVPF 97\r\n"));
	assert_int_equal(fake.commits, 2);
	assert_int_equal(fake.live, 1);
	SEND("command", "answer", "call-id", "m1", "from-tag", "ft1", "to-tag", "tt2", "sdp",
	     "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
	     "c=IN IP4 198.51.100.20\r\n");
	expect_error("Answer has 1 media sections, the offer had 4");
}

static void test_hostile(void **state)
{
	static char big[NG_MESSAGE_MAX + 100];
	char sdp[40000];
	size_t len;

	/* truncated bencode */
	send_raw("h1 d7:command5:offer7:call-id", strlen("h1 d7:command5:offer7:call-id"));
	expect_error("Failed to decode the request");
	/* not a dictionary */
	send_raw("h2 l4:pinge", strlen("h2 l4:pinge"));
	expect_error("message is not a dictionary");
	/* oversized */
	memset(big, 'x', sizeof(big));
	memcpy(big, "h3 d", 4);
	send_raw(big, sizeof(big));
	expect_error("message too large");
	/* no cookie: no reply at all */
	assert_int_equal(ng_handle(ctx, (const uint8_t *)"d7:command4:pinge", 17, &peer, reply,
				   sizeof(reply), &reply_len),
			 0);
	assert_int_equal(reply_len, 0);
	/* wrong types, missing keys, unknown command */
	send_raw("h4 d7:command5:offer7:call-idi42ee",
		 strlen("h4 d7:command5:offer7:call-idi42ee"));
	expect_error("invalid call-id");
	SEND("command", "offer", "from-tag", "f", "sdp", OFFER_SAVP);
	expect_error("No call-id in message");
	SEND("command", "offer", "call-id", "x", "from-tag", "f");
	expect_error("No SDP body");
	SEND("command", "frobnicate");
	expect_error("Unrecognized command 'frobnicate'");
	SEND("command", "answer", "call-id", "unknown", "from-tag", "f", "to-tag", "t", "sdp",
	     ANSWER_AVP);
	expect_error("Unknown call-id");
	SEND("command", "offer", "call-id", "x", "from-tag", "f", "sdp", OFFER_SAVP, "direction",
	     "[internal|pub]");
	expect_error("Unknown interface 'pub' in direction");
	SEND("command", "offer", "call-id", "x", "from-tag", "f", "sdp", OFFER_SAVP, "direction",
	     "[internal|internal]");
	expect_error("direction names the internal interface twice");
	/* SDP with an absurd number of lines */
	len = (size_t)snprintf(sdp, sizeof(sdp), "%s", OFFER_SAVP);
	while (len + 20 < sizeof(sdp))
		len += (size_t)snprintf(sdp + len, sizeof(sdp) - len, "a=x-%zu\r\n", len);
	offer(sdp, "x");
	expect_error("Failed to parse SDP:");
	offer("v=0\r\nthis is not sdp\r\n", "x");
	expect_error("Failed to parse SDP:");
	/* a=crypto with bad base64, and with a key of the wrong length */
	offer(OFFER_AVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
			"inline:!!!!X19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	      "x");
	expect_error("Invalid a=crypto in media 1: bad base64");
	offer(OFFER_AVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJD\r\n", "x");
	expect_error("Invalid a=crypto in media 1:");
	/* DTLS-SRTP */
	offer("v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
	      "m=audio 49170 UDP/TLS/RTP/SAVPF 111\r\n",
	      "x");
	expect_error("DTLS-SRTP (UDP/TLS/RTP/SAVPF) is not supported");
	/* an over-long call-id */
	memset(sdp, 'c', 300);
	sdp[300] = '\0';
	offer(OFFER_SAVP, sdp);
	expect_error("call-id or tag too long");
	expect_nothing_created();
	assert_int_equal(fake.allocs, 0);
	assert_int_equal(fake.releases, 0);

	/* a bad answer after a good offer leaves the offer as it was */
	offer(OFFER_SAVP, "y");
	expect_ok();
	answer("v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
	       "m=audio 6000 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJD\r\n",
	       "y");
	expect_error("Invalid a=crypto in media 1");
	assert_int_equal(fake.commits, 0);
	SEND("command", "answer", "call-id", "y", "from-tag", "other", "to-tag", "t", "sdp",
	     ANSWER_AVP);
	expect_error("from-tag does not match the offer");
	answer(ANSWER_AVP, "y");
	expect_ok();
	assert_int_equal(fake.commits, 1);
}

static void test_load_limit(void **state)
{
	fake.max_sessions = 1;
	offer(OFFER_SAVP, "l1");
	expect_ok();
	offer(OFFER_SAVP, "l2");
	assert_string_equal(result, "load limit");
	assert_int_equal(ng_ctx_call_count(ctx), 1);
	SEND("command", "offer", "call-id", "l3", "from-tag", "f", "sdp", OFFER_SAVP);
	expect_error("Parallel session limit reached");
	assert_int_equal(fake.live, 1);
	{
		struct ng_ctx_counters n;

		ng_ctx_get_counters(ctx, &n);
		assert_int_equal(n.by_command[NG_CMD_OFFER][NG_CTX_OK], 1);
		assert_int_equal(n.by_command[NG_CMD_OFFER][NG_CTX_ERROR], 2); /* load limit too */
		assert_int_equal(n.load_limited, 2);
	}

	/* the call cap of the layer itself */
	fake.max_sessions = 0;
	ng_ctx_free(ctx);
	{
		struct ng_config cfg = {
		    .policy = {.encryption_level = POLICY_ENCRYPTION_REQUIRE},
		    .max_calls = 1,
		    .ops = &fake_ops,
		};
		assert_int_equal(ng_ctx_new(&cfg, &ctx), 0);
	}
	fake.live = 0;
	offer(OFFER_SAVP, "l4");
	expect_ok();
	offer(OFFER_SAVP, "l5");
	assert_string_equal(result, "load limit");
	offer(OFFER_SAVP, "l4"); /* a re-offer on the existing call is fine */
	expect_ok();
}

static void test_commit_failure(void **state)
{
	offer(OFFER_SAVP, "cf");
	expect_ok();
	fake.fail_commit = -EADDRINUSE;
	answer(ANSWER_AVP, "cf");
	expect_error("Failed to commit media 1: fake commit failure");
	fake.fail_commit = 0;
	answer(ANSWER_AVP, "cf");
	expect_ok();
	assert_int_equal(fake.commits, 1);
}

/* ---- the exact bytes rtpengine-ng-client (NGCP::Rtpengine, rtpengine-utils 10.5) sends ---- */

static const char real_ping[] = "0.898942550717951 d7:command4:pinge";
static const char real_offer[] =
    "0.729525244402797 d7:call-id8:capcall17:command5:offer9:directionl8:internal8:externale5:"
    "flagsl13:trust-addresse8:from-tag8:fromtag17:replacel6:origin18:session connectione3:sdp387:"
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\nm=audio 49170 RTP/SAVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4"
    "\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
    "a=sendrecv\r\n8:supportsl10:load limitee";
static const char real_answer[] =
    "0.393487155976803 d7:call-id8:capcall17:command6:answer8:from-tag8:fromtag17:replacel6:"
    "origine3:sdp158:v=0\r\no=bob 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n6:to-tag6:totag2e";
static const char real_query[] =
    "0.439223295384185 d7:call-id8:capcall17:command5:query8:from-tag8:fromtag1e";
static const char real_delete[] =
    "0.601920880916627 d7:call-id8:capcall17:command6:delete8:from-tag8:fromtag1e";

static void test_real_client(void **state)
{
	const struct bencode_item *r;

	send_raw(real_ping, strlen(real_ping));
	assert_string_equal(result, "pong");
	assert_memory_equal(reply, "0.898942550717951 d6:result4:ponge", reply_len);
	send_raw(real_offer, strlen(real_offer));
	expect_ok();
	assert_non_null(strstr(sdp_out, "o=alice 2890844526 2890844526 IN IP4 198.18.2.1\r\n"));
	assert_non_null(strstr(sdp_out, "m=audio 40000 RTP/AVP 0 8 101\r\n"));
	send_raw(real_answer, strlen(real_answer));
	expect_ok();
	assert_non_null(strstr(sdp_out, "o=bob 1 1 IN IP4 198.18.1.1\r\n"));
	assert_non_null(strstr(sdp_out, "m=audio 30000 RTP/SAVP 0 101\r\n"));
	r = send_raw(real_query, strlen(real_query));
	expect_ok();
	assert_int_equal(dict_int(r, "totals.RTP.packets"), 0);
	send_raw(real_delete, strlen(real_delete));
	expect_ok();
	assert_int_equal(fake.live, 0);
	assert_int_equal(ng_ctx_call_count(ctx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_call, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retransmission, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_require_refuses_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_support, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_none, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gateway_required, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gateway_optional_and_no_tls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sdes_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reoffer_and_reanswer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_multiple_media, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_real_client, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
