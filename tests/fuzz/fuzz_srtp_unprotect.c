// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for SRTP/SRTCP unprotect, both engines. Input: byte 0 selects suite (low 3
 * bits), RTP/RTCP (bit 3) and MKI length (bits 4-5); bytes 1..46 are master key and salt (key
 * derived from the input so that the fuzzer can also feed authentic packets it learned from seeds);
 * the rest is the packet. Both engines must return the same verdict, and must not crash, read out
 * of bounds or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srtp/srtp.h"

#define KEYING 47

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sluice_srtp_ctx *ctx[2] = {NULL, NULL};
	static const enum sluice_srtp_engine engines[2] = {SLUICE_SRTP_OPENSSL,
							   SLUICE_SRTP_LIBSRTP};
	struct sluice_srtp_mki mki = {0};
	enum sluice_srtp_suite suite;
	uint8_t buf[2][2048];
	size_t len[2];
	int r[2];
	int rtcp;

	if (size < KEYING || size - KEYING > sizeof(buf[0]))
		return 0;
	suite = (data[0] & 7) % _SLUICE_SRTP_SUITE_MAX;
	rtcp = data[0] & 8;
	mki.len = (data[0] >> 4) & 3;
	memcpy(mki.id, data + 1, mki.len);
	for (int e = 0; e < 2; e++) {
		if (sluice_srtp_ctx_new(engines[e], suite, SLUICE_SRTP_INBOUND, data + 1,
					sluice_srtp_suite_key_len(suite), data + 33,
					sluice_srtp_suite_salt_len(suite), &mki, &ctx[e]) < 0)
			abort();
		len[e] = size - KEYING;
		memcpy(buf[e], data + KEYING, len[e]);
		r[e] = rtcp ? sluice_srtp_unprotect_rtcp(ctx[e], buf[e], &len[e])
			    : sluice_srtp_unprotect_rtp(ctx[e], buf[e], &len[e]);
		/* a second delivery of the same packet exercises the replay path */
		if (r[e] == 0) {
			size_t again = size - KEYING;

			memcpy(buf[e], data + KEYING, again);
			if ((rtcp ? sluice_srtp_unprotect_rtcp(ctx[e], buf[e], &again)
				  : sluice_srtp_unprotect_rtp(ctx[e], buf[e], &again)) == 0)
				abort();
		}
	}
	if (r[0] != r[1])
		abort();
	sluice_srtp_ctx_free(ctx[0]);
	sluice_srtp_ctx_free(ctx[1]);
	return 0;
}
