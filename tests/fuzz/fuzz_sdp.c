// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the SDP parser, rewriter and serializer. Parsing must not crash; a parsed
 * body must serialize, re-parse and serialize again to the same bytes; then the first input byte
 * picks rewrites (as an ng offer would make), after which the result must still re-parse whenever
 * it is within the size cap.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/sdp.h"

static char out1[SDP_MAX_SIZE * 2], out2[SDP_MAX_SIZE * 2];

static void rewrite(struct sdp *sdp, uint8_t ops)
{
	struct endpoint v4 = {.family = AF_INET}, v6 = {.family = AF_INET6};
	const char *crypto[2] = {
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
	    "2 AEAD_AES_128_GCM inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="};

	inet_pton(AF_INET, "203.0.113.5", &v4.addr);
	inet_pton(AF_INET6, "2001:db8::5", &v6.addr);
	if (ops & 1)
		sdp_set_origin_address(sdp, ops & 2 ? &v6 : &v4);
	sdp_set_connection(sdp, SDP_SESSION, ops & 2 ? &v6 : &v4);
	for (unsigned int m = 0; m < sdp->n_media; m++) {
		if (sdp->media[m].port == 0)
			continue;
		sdp_set_media_port(sdp, m, (uint16_t)(30000 + 2 * m));
		if (ops & 4)
			sdp_set_connection(sdp, (int)m, &v4);
		if (ops & 8)
			sdp_set_media_proto(sdp, m, "RTP/SAVP");
		sdp_set_rtcp(sdp, m, (uint16_t)(30001 + 2 * m), ops & 16 ? &v4 : NULL);
		sdp_set_rtcp_mux(sdp, m, ops & 32);
		sdp_set_crypto(sdp, m, crypto, ops & 64 ? 2 : 1);
		if (ops & 128) {
			sdp_remove_attr(sdp, (int)m, "candidate");
			sdp_add_attr(sdp, (int)m,
				     "candidate:1 1 UDP 2130706431 203.0.113.5 30000 typ host");
			sdp_set_direction(sdp, m, SDP_DIR_INACTIVE);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp *sdp, *again;
	const char *reason;
	size_t len1, len2;

	if (sdp_parse((const char *)data, size, &sdp, &reason) < 0)
		return 0;
	/* serialize -> parse -> serialize is stable */
	if (sdp_serialize(sdp, out1, sizeof(out1), &len1) < 0)
		abort();
	if (len1 <= SDP_MAX_SIZE) {
		if (sdp_parse(out1, len1, &again, &reason) < 0)
			abort();
		if (sdp_serialize(again, out2, sizeof(out2), &len2) < 0 || len1 != len2 ||
		    memcmp(out1, out2, len1) != 0)
			abort();
		sdp_free(again);
	}
	rewrite(sdp, size ? data[0] : 0);
	if (sdp_serialize(sdp, out1, sizeof(out1), &len1) < 0)
		abort();
	if (len1 <= SDP_MAX_SIZE) {
		if (sdp_parse(out1, len1, &again, &reason) < 0)
			abort();
		sdp_free(again);
	}
	sdp_free(sdp);
	return 0;
}
