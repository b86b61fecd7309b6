/* SPDX-License-Identifier: MIT */
/*
 * Session-level receive and send bookkeeping shared by the SRTP engines: RTP packet index
 * estimation (ROC, RFC 3711 section 3.3.1), the RTP replay window, and the SRTCP index and its
 * replay window (RFC 3711 sections 3.4 and 3.3.2). The arithmetic mirrors libsrtp2's rdbx/rdb so
 * that both engines reach identical accept/reject decisions. Check and commit are separate: the
 * caller checks, authenticates, decrypts and only then commits.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "srtp.h"

#define SRTP_REPLAY_WORDS (SLUICE_SRTP_REPLAY_WINDOW / 64)
_Static_assert(SLUICE_SRTP_REPLAY_WINDOW % 64 == 0, "replay window must be a multiple of 64");

/* Highest 48-bit index seen (ROC << 16 | SEQ) and which of the window below it were seen. */
struct srtp_rtp_replay {
	uint64_t index;
	uint64_t seen[SRTP_REPLAY_WORDS]; /* bit d: index - d was seen */
};

/* SRTCP: window [start, start + WINDOW); on the sending side start is the last index used. */
struct srtp_rtcp_replay {
	uint32_t start;
	uint64_t seen[SRTP_REPLAY_WORDS]; /* bit d: start + d was seen */
};

/*
 * Estimates the packet index of sequence number seq; returns the signed distance to the highest
 * index seen, which srtp_rtp_replay_check() and srtp_rtp_replay_commit() take.
 */
int64_t srtp_rtp_index_estimate(const struct srtp_rtp_replay *r, uint16_t seq, uint64_t *ret_index);
/* 0, -EALREADY (duplicate inside the window) or -ESTALE (behind the window). */
int srtp_rtp_replay_check(const struct srtp_rtp_replay *r, int64_t delta);
void srtp_rtp_replay_commit(struct srtp_rtp_replay *r, int64_t delta);

static inline uint32_t srtp_rtp_replay_roc(const struct srtp_rtp_replay *r)
{
	return (uint32_t)(r->index >> 16);
}

int srtp_rtcp_replay_check(const struct srtp_rtcp_replay *r, uint32_t index);
void srtp_rtcp_replay_commit(struct srtp_rtcp_replay *r, uint32_t index);
/* Sending side: the next SRTCP index (1, 2, ...), -EKEYEXPIRED after 2^31 - 1. */
int srtp_rtcp_index_next(struct srtp_rtcp_replay *r, uint32_t *ret_index);
