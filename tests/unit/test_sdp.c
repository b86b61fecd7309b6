// SPDX-License-Identifier: MIT
/*
 * Unit tests for the SDP parser and rewriter: a realistic Kamailio/baresip offer parsed and
 * rewritten with every other line preserved byte for byte and in order; holds, rejected media,
 * IPv6, LF-only input, caps and malformed bodies with their reasons.
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

#include "control/sdp.h"

#define CRYPTO_80 "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define CRYPTO_GCM                                                                                 \
	"2 AEAD_AES_256_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

static const char *const offer_lines[] = {
    "v=0",
    "o=- 1711300000 1711300001 IN IP4 192.0.2.10",
    "s=baresip",
    "c=IN IP4 192.0.2.10",
    "t=0 0",
    "a=tool:baresip 3.10.0",
    "m=audio 40000 RTP/SAVPF 111 0 8 101",
    "b=AS:128",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 stereo=1;sprop-stereo=1",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=rtcp:40001 IN IP4 192.0.2.10",
    "a=crypto:" CRYPTO_80,
    "a=crypto:" CRYPTO_GCM,
    "a=ice-ufrag:7sFv",
    "a=ice-pwd:Ysh6S0fGX5Dw/zk0b3C3GJyE",
    "a=candidate:1 1 UDP 2130706431 192.0.2.10 40000 typ host",
    "a=candidate:1 2 UDP 2130706430 192.0.2.10 40001 typ host",
    "a=candidate:2 1 UDP 1694498815 198.51.100.7 61000 typ srflx raddr 192.0.2.10 rport 40000",
    "a=sendrecv",
    "a=ptime:20",
    "m=video 40002 RTP/SAVPF 96 97",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
    "a=rtcp-fb:96 nack pli",
    "a=rtcp:40003",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=crypto:" CRYPTO_80,
    "a=ice-ufrag:7sFv",
    "a=ice-pwd:Ysh6S0fGX5Dw/zk0b3C3GJyE",
    "a=sendrecv",
};
#define N_OFFER (sizeof(offer_lines) / sizeof(offer_lines[0]))

/* Joins lines with the given line ending into a static buffer. */
static const char *join(const char *const *lines, size_t n, const char *eol)
{
	static char buf[SDP_MAX_SIZE * 2];
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", lines[i], eol);
	return buf;
}

static struct sdp *parse_ok(const char *body)
{
	struct sdp *sdp = NULL;
	const char *reason = NULL;
	int r = sdp_parse(body, strlen(body), &sdp, &reason);

	if (r < 0)
		print_error("sdp_parse: %s\n", reason);
	assert_int_equal(r, 0);
	return sdp;
}

static void expect_reject(const char *body, size_t len, const char *want_reason)
{
	struct sdp *sdp = (struct sdp *)0x1;
	const char *reason = NULL;

	assert_int_equal(sdp_parse(body, len, &sdp, &reason), -EBADMSG);
	assert_ptr_equal(sdp, (struct sdp *)0x1);
	assert_string_equal(reason, want_reason);
}

static void assert_serializes_to(const struct sdp *sdp, const char *want)
{
	static char out[SDP_MAX_SIZE * 2];
	size_t len;

	assert_int_equal(sdp_serialize(sdp, out, sizeof(out), &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	for (size_t cap = 0; cap < len; cap += 1 + cap / 4)
		assert_int_equal(sdp_serialize(sdp, out, cap, &len), -ENOSPC);
}

static struct endpoint ep(const char *text)
{
	struct endpoint e = {.family = strchr(text, ':') ? AF_INET6 : AF_INET};

	assert_int_equal(inet_pton(e.family, text, &e.addr), 1);
	return e;
}

static void test_offer_facts(void **state)
{
	struct sdp *sdp = parse_ok(join(offer_lines, N_OFFER, "\r\n"));
	struct sdp_str value;
	char ip[INET6_ADDRSTRLEN];

	assert_int_equal(sdp->n_lines, N_OFFER);
	assert_int_equal(sdp->n_media, 2);
	assert_true(sdp->has_connection);
	inet_ntop(AF_INET, &sdp->connection.addr, ip, sizeof(ip));
	assert_string_equal(ip, "192.0.2.10");

	assert_string_equal(sdp->media[0].type, "audio");
	assert_int_equal(sdp->media[0].port, 40000);
	assert_int_equal(sdp->media[0].port_count, 1);
	assert_string_equal(sdp->media[0].proto, "RTP/SAVPF");
	assert_int_equal(sdp->media[0].proto_id, SDP_PROTO_RTP_SAVPF);
	assert_int_equal(sdp->media[0].first_payload_type, 111);
	assert_int_equal(sdp->media[0].clock_rate, 48000);
	assert_true(sdp->media[0].has_rtcp);
	assert_true(sdp->media[0].rtcp_has_address);
	assert_int_equal(sdp->media[0].rtcp.port, 40001);
	assert_false(sdp->media[0].rtcp_mux);
	assert_int_equal(sdp->media[0].n_crypto, 2);
	assert_false(sdp->media[0].has_connection);
	assert_ptr_equal(sdp_media_connection(sdp, 0), &sdp->connection);
	assert_int_equal(sdp_media_direction(sdp, 0), SDP_DIR_SENDRECV);
	assert_false(sdp_media_is_held(sdp, 0));

	assert_string_equal(sdp->media[1].type, "video");
	assert_int_equal(sdp->media[1].clock_rate, 90000);
	assert_int_equal(sdp->media[1].rtcp.port, 40003);
	assert_false(sdp->media[1].rtcp_has_address);
	assert_true(sdp->media[1].rtcp_mux);
	assert_int_equal(sdp->media[1].n_crypto, 1);

	assert_int_equal(sdp_attr_get(sdp, 0, "crypto", 1, &value), 0);
	assert_int_equal(value.len, strlen(CRYPTO_GCM));
	assert_memory_equal(value.ptr, CRYPTO_GCM, value.len);
	assert_int_equal(sdp_attr_get(sdp, 1, "rtcp-mux", 0, &value), 0);
	assert_int_equal(value.len, 0);
	assert_int_equal(sdp_attr_get(sdp, 1, "rtcp", 0, &value), 0); /* not rtcp-fb or -mux */
	assert_int_equal(value.len, 5);
	assert_int_equal(sdp_attr_get(sdp, 0, "crypto", 2, &value), -ENOENT);
	assert_int_equal(sdp_attr_get(sdp, SDP_SESSION, "tool", 0, &value), 0);
	assert_int_equal(sdp_attr_get(sdp, 2, "tool", 0, &value), -EINVAL);
	sdp_free(sdp);
}

static void test_unchanged_roundtrip(void **state)
{
	struct sdp *sdp = parse_ok(join(offer_lines, N_OFFER, "\r\n"));

	assert_serializes_to(sdp, join(offer_lines, N_OFFER, "\r\n"));
	sdp_free(sdp);
	/* LF-only input: same lines, written back with CRLF */
	sdp = parse_ok(join(offer_lines, N_OFFER, "\n"));
	assert_int_equal(sdp->n_lines, N_OFFER);
	assert_int_equal(sdp->media[0].clock_rate, 48000);
	assert_serializes_to(sdp, join(offer_lines, N_OFFER, "\r\n"));
	sdp_free(sdp);
}

#define NEW_CRYPTO                                                                                 \
	"1 AEAD_AES_256_GCM inline:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=="

static void test_rewrite_preserves_the_rest(void **state)
{
	static const char *const want[] = {
	    "v=0",
	    "o=- 1711300000 1711300001 IN IP4 203.0.113.5",
	    "s=baresip",
	    "c=IN IP4 203.0.113.5",
	    "t=0 0",
	    "a=tool:baresip 3.10.0",
	    "m=audio 30000 RTP/SAVP 111 0 8 101",
	    "b=AS:128",
	    "a=rtpmap:111 opus/48000/2",
	    "a=fmtp:111 stereo=1;sprop-stereo=1",
	    "a=rtpmap:0 PCMU/8000",
	    "a=rtpmap:101 telephone-event/8000",
	    "a=fmtp:101 0-15",
	    "a=rtcp:30001 IN IP4 203.0.113.5",
	    "a=crypto:" NEW_CRYPTO,
	    "a=ice-ufrag:7sFv",
	    "a=ice-pwd:Ysh6S0fGX5Dw/zk0b3C3GJyE",
	    "a=sendrecv",
	    "a=ptime:20",
	    "a=candidate:1 1 UDP 2130706431 203.0.113.5 30000 typ host",
	    "m=video 0 RTP/SAVPF 96 97",
	    "c=IN IP6 2001:db8::5",
	    "a=rtpmap:96 VP8/90000",
	    "a=rtpmap:97 H264/90000",
	    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
	    "a=rtcp-fb:96 nack pli",
	    "a=rtcp:40003",
	    "a=rtcp-rsize",
	    "a=crypto:" CRYPTO_80,
	    "a=ice-ufrag:7sFv",
	    "a=ice-pwd:Ysh6S0fGX5Dw/zk0b3C3GJyE",
	    "a=inactive",
	};
	struct sdp *sdp = parse_ok(join(offer_lines, N_OFFER, "\r\n"));
	struct endpoint relay = ep("203.0.113.5"), relay6 = ep("2001:db8::5");
	const char *crypto[] = {NEW_CRYPTO};

	assert_int_equal(sdp_set_origin_address(sdp, &relay), 0);
	assert_int_equal(sdp_set_connection(sdp, SDP_SESSION, &relay), 0);
	assert_int_equal(sdp_set_media_port(sdp, 0, 30000), 0);
	assert_int_equal(sdp_set_media_proto(sdp, 0, "RTP/SAVP"), 0);
	assert_int_equal(sdp_set_rtcp(sdp, 0, 30001, &relay), 0);
	assert_int_equal(sdp_set_crypto(sdp, 0, crypto, 1), 0);
	assert_int_equal(sdp_remove_attr(sdp, 0, "candidate"), 3);
	assert_int_equal(
	    sdp_add_attr(sdp, 0, "candidate:1 1 UDP 2130706431 203.0.113.5 30000 typ host"), 0);
	assert_int_equal(sdp_set_rtcp_mux(sdp, 1, false), 0);
	assert_int_equal(sdp_set_media_port(sdp, 1, 0), 0);
	assert_int_equal(sdp_set_direction(sdp, 1, SDP_DIR_INACTIVE), 0);
	assert_int_equal(sdp_set_connection(sdp, 1, &relay6), 0);

	assert_serializes_to(sdp, join(want, sizeof(want) / sizeof(want[0]), "\r\n"));
	/* the facts follow the rewrites */
	assert_int_equal(sdp->media[0].port, 30000);
	assert_int_equal(sdp->media[0].proto_id, SDP_PROTO_RTP_SAVP);
	assert_int_equal(sdp->media[0].rtcp.port, 30001);
	assert_int_equal(sdp->media[0].n_crypto, 1);
	assert_int_equal(sdp->media[0].clock_rate, 48000);
	assert_false(sdp->media[1].rtcp_mux);
	assert_int_equal(sdp->media[1].port, 0);
	assert_int_equal(sdp_media_direction(sdp, 1), SDP_DIR_INACTIVE);
	assert_true(sdp_media_is_held(sdp, 1));
	assert_int_equal(sdp_media_connection(sdp, 1)->family, AF_INET6);
	/* setting what is already there changes nothing */
	assert_int_equal(sdp_set_rtcp_mux(sdp, 1, false), 0);
	assert_int_equal(sdp_set_direction(sdp, 1, SDP_DIR_INACTIVE), 0);
	assert_serializes_to(sdp, join(want, sizeof(want) / sizeof(want[0]), "\r\n"));
	/* turning rtcp-mux on adds one line at the end of the section */
	assert_int_equal(sdp_set_rtcp_mux(sdp, 1, true), 0);
	assert_true(sdp->media[1].rtcp_mux);
	assert_int_equal(sdp_set_rtcp_mux(sdp, 1, true), 0);
	assert_int_equal(sdp->n_lines, sizeof(want) / sizeof(want[0]) + 1);
	sdp_free(sdp);
}

static void test_bad_rewrites(void **state)
{
	struct sdp *sdp = parse_ok(join(offer_lines, N_OFFER, "\n"));
	struct endpoint relay = ep("203.0.113.5"), bogus = {.family = AF_UNIX};
	const char *injection[] = {"1 AES_CM_128_HMAC_SHA1_80 inline:x\r\na=evil"};
	const char *null_line[] = {NULL};
	unsigned int lines = sdp->n_lines;

	assert_int_equal(sdp_set_crypto(sdp, 0, injection, 1), -EINVAL);
	assert_int_equal(sdp_set_crypto(sdp, 0, null_line, 1), -EINVAL);
	assert_int_equal(sdp_set_crypto(sdp, 0, injection, SDP_MAX_CRYPTO + 1), -EINVAL);
	assert_int_equal(sdp_add_attr(sdp, 0, "x\ny"), -EINVAL);
	assert_int_equal(sdp_add_attr(sdp, 0, ""), -EINVAL);
	assert_int_equal(sdp_set_media_proto(sdp, 0, "RTP/AVP 0\r\n"), -EINVAL);
	assert_int_equal(sdp_set_media_proto(sdp, 0, ""), -EINVAL);
	assert_int_equal(sdp_set_connection(sdp, 0, &bogus), -EINVAL);
	assert_int_equal(sdp_set_connection(sdp, 2, &relay), -EINVAL);
	assert_int_equal(sdp_set_connection(sdp, -2, &relay), -EINVAL);
	assert_int_equal(sdp_set_media_port(sdp, 2, 1), -EINVAL);
	assert_int_equal(sdp_set_rtcp(sdp, 0, 0, NULL), -EINVAL);
	assert_int_equal(sdp_set_direction(sdp, 0, 7), -EINVAL);
	assert_int_equal(sdp_remove_attr(sdp, 0, ""), -EINVAL);
	assert_int_equal(sdp->n_lines, lines);
	assert_int_equal(sdp->media[0].n_crypto, 2);
	assert_serializes_to(sdp, join(offer_lines, N_OFFER, "\r\n"));

	/* the edit space runs out eventually; the SDP stays consistent */
	int r = 0;
	for (int i = 0; i < 100000 && r == 0; i++)
		r = sdp_set_media_port(sdp, 0, (uint16_t)(i % 60000 + 1));
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(sdp->n_lines, lines);
	sdp_free(sdp);
	sdp_free(NULL);
}

static void test_connection_inserted(void **state)
{
	const char *body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
			   "m=audio 5000 RTP/AVP 8\r\ni=voice\r\na=rtpmap:8 PCMA/8000\r\n";
	struct sdp *sdp = parse_ok(body);
	struct endpoint relay = ep("203.0.113.5");

	assert_null(sdp_media_connection(sdp, 0));
	assert_int_equal(sdp_set_connection(sdp, SDP_SESSION, &relay), 0);
	assert_int_equal(sdp_set_connection(sdp, 0, &relay), 0);
	assert_int_equal(sdp_set_rtcp(sdp, 0, 5001, NULL), 0);
	assert_serializes_to(sdp, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
				  "c=IN IP4 203.0.113.5\r\nt=0 0\r\n"
				  "m=audio 5000 RTP/AVP 8\r\ni=voice\r\nc=IN IP4 203.0.113.5\r\n"
				  "a=rtpmap:8 PCMA/8000\r\na=rtcp:5001\r\n");
	assert_int_equal(sdp->media[0].clock_rate, 8000);
	sdp_free(sdp);
}

static void test_hold_reject_ipv6(void **state)
{
	const char *body = "v=0\n"
			   "o=alice 2890844526 2890844527 IN IP6 2001:db8::1\n"
			   "s=-\n"
			   "c=IN IP6 2001:db8::1\n"
			   "t=0 0\n"
			   "a=sendonly\n"
			   "m=audio 49170/2 RTP/AVP 0 8\n"
			   "m=audio 49180 RTP/AVP 9\n"
			   "a=recvonly\n"
			   "m=video 0 RTP/AVP 31\n"
			   "m=audio 5004 RTP/AVP 97\n"
			   "c=IN IP4 0.0.0.0\n"
			   "a=sendrecv\n"
			   "m=image 6000 udptl t38\n"
			   "c=IN IP4 224.2.1.1/127\n";
	struct sdp *sdp = parse_ok(body);
	struct endpoint relay = ep("2001:db8::99");
	char ip[INET6_ADDRSTRLEN];

	assert_int_equal(sdp->n_media, 5);
	assert_int_equal(sdp->connection.family, AF_INET6);
	inet_ntop(AF_INET6, &sdp->connection.addr, ip, sizeof(ip));
	assert_string_equal(ip, "2001:db8::1");
	/* session-level sendonly: held */
	assert_int_equal(sdp->media[0].port_count, 2);
	assert_int_equal(sdp->media[0].clock_rate, 8000);
	assert_int_equal(sdp_media_direction(sdp, 0), SDP_DIR_SENDONLY);
	assert_true(sdp_media_is_held(sdp, 0));
	/* recvonly overrides the session: not held */
	assert_int_equal(sdp_media_direction(sdp, 1), SDP_DIR_RECVONLY);
	assert_false(sdp_media_is_held(sdp, 1));
	assert_int_equal(sdp->media[1].clock_rate, 8000); /* G.722: 8000 by RFC 3551 */
	/* port 0: rejected */
	assert_int_equal(sdp->media[2].port, 0);
	assert_int_equal(sdp->media[2].clock_rate, 90000);
	/* old-style hold: c=0.0.0.0 */
	assert_true(sdp_media_is_held(sdp, 3));
	assert_int_equal(sdp->media[3].clock_rate, 0); /* dynamic without rtpmap */
	/* not RTP */
	assert_int_equal(sdp->media[4].proto_id, SDP_PROTO_OTHER);
	assert_int_equal(sdp->media[4].first_payload_type, -1);

	assert_int_equal(sdp_set_origin_address(sdp, &relay), 0);
	assert_int_equal(sdp_set_media_port(sdp, 0, 30000), 0);
	assert_int_equal(sdp_set_connection(sdp, SDP_SESSION, &relay), 0);
	assert_string_equal(sdp->media[0].proto, "RTP/AVP");
	assert_int_equal(sdp_set_direction(sdp, 0, SDP_DIR_SENDRECV), 0);
	assert_serializes_to(sdp, "v=0\r\n"
				  "o=alice 2890844526 2890844527 IN IP6 2001:db8::99\r\n"
				  "s=-\r\n"
				  "c=IN IP6 2001:db8::99\r\n"
				  "t=0 0\r\n"
				  "a=sendonly\r\n"
				  "m=audio 30000/2 RTP/AVP 0 8\r\n"
				  "a=sendrecv\r\n"
				  "m=audio 49180 RTP/AVP 9\r\n"
				  "a=recvonly\r\n"
				  "m=video 0 RTP/AVP 31\r\n"
				  "m=audio 5004 RTP/AVP 97\r\n"
				  "c=IN IP4 0.0.0.0\r\n"
				  "a=sendrecv\r\n"
				  "m=image 6000 udptl t38\r\n"
				  "c=IN IP4 224.2.1.1/127\r\n");
	sdp_free(sdp);
}

static void test_rejects(void **state)
{
	static char big[SDP_MAX_SIZE + 64];
	size_t len;

	expect_reject("", 0, "empty SDP");
	expect_reject("\r\n\n", 3, "empty SDP");
	expect_reject("v=1\r\n", 5, "SDP does not start with v=0");
	expect_reject("o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n", 29, "SDP does not start with v=0");
	expect_reject("v=0\r\nhello\r\n", 12, "malformed line");
	expect_reject("v=0\r\nA=x\r\n", 10, "malformed line");
	expect_reject("v=0\r\nc\r\n", 8, "malformed line");
	expect_reject("v=0\r\ns=a\0b\r\n", 12, "NUL or CR inside a line");
	expect_reject("v=0\r\ns=a\rb\r\n", 12, "NUL or CR inside a line");
	expect_reject("v=0\nc=IN IP4 pbx.example.com\n", 29, "invalid address");
	expect_reject("v=0\nc=IN IP4 2001:db8::1\n", 25, "invalid address");
	expect_reject("v=0\nc=IN IP5 1.2.3.4\n", 21, "unsupported address type");
	expect_reject("v=0\nc=ATM NSAP 1\n", 17, "unsupported network type");
	expect_reject("v=0\nc=IN IP4\n", 13, "malformed c= line");
	expect_reject("v=0\nc=IN IP4 1.2.3.4 x\n", 23, "malformed c= line");
	expect_reject("v=0\nc=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.5\n", 38, "duplicate c= line");
	expect_reject("v=0\nm=audio 70000 RTP/AVP 0\n", 28, "invalid media port");
	expect_reject("v=0\nm=audio -1 RTP/AVP 0\n", 25, "invalid media port");
	expect_reject("v=0\nm=audio 5000/0 RTP/AVP 0\n", 29, "invalid media port count");
	expect_reject("v=0\nm=audio 5000\n", 17, "malformed m= line");
	expect_reject("v=0\nm=audiovideoapplication 5000 RTP/AVP 0\n", 43, "malformed m= line");
	expect_reject("v=0\nm=audio 5000 RTP/AVP 0\na=rtcp:0\n", 36, "invalid a=rtcp port");
	expect_reject("v=0\nm=audio 5000 RTP/AVP 0\na=rtcp:5001 IN\n", 42, "malformed a=rtcp line");
	expect_reject("v=0\nm=audio 5000 RTP/AVP 0\na=rtcp:5001 IN IP4 x\n", 48, "invalid address");

	/* too large */
	memcpy(big, "v=0\n", 4);
	memset(big + 4, 'x', sizeof(big) - 4);
	expect_reject(big, SDP_MAX_SIZE + 1, "SDP too large");
	/* one line too long */
	len = (size_t)snprintf(big, sizeof(big), "v=0\ns=");
	memset(big + len, 'x', SDP_MAX_LINE_LEN - 1);
	len += SDP_MAX_LINE_LEN - 1;
	expect_reject(big, len, "line too long");
	/* too many lines */
	len = (size_t)snprintf(big, sizeof(big), "v=0\n");
	for (int i = 0; i < SDP_MAX_LINES; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "e=x\n");
	expect_reject(big, len, "too many lines");
	/* too many media sections */
	len = (size_t)snprintf(big, sizeof(big), "v=0\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "m=audio %d RTP/AVP 0\n", i);
	expect_reject(big, len, "too many media sections");
	/* too many attributes in one section */
	len = (size_t)snprintf(big, sizeof(big), "v=0\nm=audio 1 RTP/AVP 0\n");
	for (int i = 0; i <= SDP_MAX_ATTRS; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "a=x%d\n", i);
	expect_reject(big, len, "too many attributes in a section");
	/* too many crypto lines */
	len = (size_t)snprintf(big, sizeof(big), "v=0\nm=audio 1 RTP/SAVP 0\n");
	for (int i = 0; i <= SDP_MAX_CRYPTO; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "a=crypto:%d X\n", i);
	expect_reject(big, len, "too many crypto lines");
}

static void test_limits_accepted(void **state)
{
	static char big[SDP_MAX_SIZE];
	struct sdp *sdp;
	const char *reason;
	size_t len;

	/* exactly at the caps */
	len = (size_t)snprintf(big, sizeof(big), "v=0\ns=");
	memset(big + len, 'x', SDP_MAX_LINE_LEN - 2);
	len += SDP_MAX_LINE_LEN - 2;
	big[len++] = '\n';
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "m=audio %d RTP/AVP 0\n", i);
	assert_int_equal(sdp_parse(big, len, &sdp, &reason), 0);
	assert_int_equal(sdp->n_media, SDP_MAX_MEDIA);
	/* a full line table refuses more lines */
	sdp_free(sdp);
	len = (size_t)snprintf(big, sizeof(big), "v=0\nm=audio 1 RTP/AVP 0\n");
	for (int i = 0; i < SDP_MAX_ATTRS; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "a=x%d\n", i);
	assert_int_equal(sdp_parse(big, len, &sdp, &reason), 0);
	assert_int_equal(sdp_add_attr(sdp, 0, "rtcp-mux"), -ENOSPC);
	assert_int_equal(sdp_set_rtcp_mux(sdp, 0, true), -ENOSPC);
	assert_false(sdp->media[0].rtcp_mux);
	sdp_free(sdp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offer_facts),
	    cmocka_unit_test(test_unchanged_roundtrip),
	    cmocka_unit_test(test_rewrite_preserves_the_rest),
	    cmocka_unit_test(test_bad_rewrites),
	    cmocka_unit_test(test_connection_inserted),
	    cmocka_unit_test(test_hold_reject_ipv6),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_limits_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
