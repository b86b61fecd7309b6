// SPDX-License-Identifier: MIT
/*
 * RTP index estimation, RTP and SRTCP replay windows (see srtp_replay.h). Pure arithmetic on small
 * fixed-size state; no allocation, no locking.
 */
#include <errno.h>
#include <string.h>

#include "srtp_replay.h"

#define SEQ_MEDIAN 0x8000
#define SEQ_MAX	   0x10000

static bool bit_get(const uint64_t *w, unsigned int bit)
{
	return (w[bit / 64] >> (bit % 64)) & 1;
}

static void bit_set(uint64_t *w, unsigned int bit)
{
	w[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* Moves every bit up by n (bit d becomes bit d + n); bits past the window fall off. */
static void bits_shift_up(uint64_t *w, uint64_t n)
{
	if (n >= SLUICE_SRTP_REPLAY_WINDOW) {
		memset(w, 0, SRTP_REPLAY_WORDS * sizeof(*w));
		return;
	}
	unsigned int words = n / 64, bits = n % 64;

	for (int i = SRTP_REPLAY_WORDS - 1; i >= 0; i--) {
		uint64_t v = 0;

		if (i - (int)words >= 0) {
			v = w[i - words] << bits;
			if (bits && i - (int)words - 1 >= 0)
				v |= w[i - words - 1] >> (64 - bits);
		}
		w[i] = v;
	}
}

/* Moves every bit down by n (bit d becomes bit d - n). */
static void bits_shift_down(uint64_t *w, uint64_t n)
{
	if (n >= SLUICE_SRTP_REPLAY_WINDOW) {
		memset(w, 0, SRTP_REPLAY_WORDS * sizeof(*w));
		return;
	}
	unsigned int words = n / 64, bits = n % 64;

	for (unsigned int i = 0; i < SRTP_REPLAY_WORDS; i++) {
		uint64_t v = 0;

		if (i + words < SRTP_REPLAY_WORDS) {
			v = w[i + words] >> bits;
			if (bits && i + words + 1 < SRTP_REPLAY_WORDS)
				v |= w[i + words + 1] << (64 - bits);
		}
		w[i] = v;
	}
}

int64_t srtp_rtp_index_estimate(const struct srtp_rtp_replay *r, uint16_t seq, uint64_t *ret_index)
{
	uint32_t roc = (uint32_t)(r->index >> 16), guess_roc = roc;
	uint16_t s_l = (uint16_t)r->index;
	int64_t delta;

	/* Until the first half of ROC 0 is passed, never guess ROC - 1 (it would be 0xffffffff). */
	if (r->index <= SEQ_MEDIAN) {
		*ret_index = seq;
		return (int64_t)seq - (int64_t)r->index;
	}
	if (s_l < SEQ_MEDIAN) {
		if ((int)seq - s_l > SEQ_MEDIAN) {
			guess_roc = roc - 1;
			delta = (int64_t)seq - s_l - SEQ_MAX;
		} else {
			delta = (int64_t)seq - s_l;
		}
	} else {
		if (s_l - SEQ_MEDIAN > seq) {
			guess_roc = roc + 1;
			delta = (int64_t)seq - s_l + SEQ_MAX;
		} else {
			delta = (int64_t)seq - s_l;
		}
	}
	*ret_index = (uint64_t)guess_roc << 16 | seq;
	return delta;
}

int srtp_rtp_replay_check(const struct srtp_rtp_replay *r, int64_t delta)
{
	if (delta > 0)
		return 0;
	if (-delta >= SLUICE_SRTP_REPLAY_WINDOW)
		return -ESTALE;
	if (bit_get(r->seen, (unsigned int)-delta))
		return -EALREADY;
	return 0;
}

void srtp_rtp_replay_commit(struct srtp_rtp_replay *r, int64_t delta)
{
	if (delta > 0) {
		/* Same 16-bit step as libsrtp2's srtp_index_advance(). */
		r->index += (uint16_t)delta;
		bits_shift_up(r->seen, (uint64_t)delta);
		bit_set(r->seen, 0);
	} else {
		bit_set(r->seen, (unsigned int)-delta);
	}
}

int srtp_rtcp_replay_check(const struct srtp_rtcp_replay *r, uint32_t index)
{
	if (index >= (uint64_t)r->start + SLUICE_SRTP_REPLAY_WINDOW)
		return 0;
	if (index < r->start)
		return -ESTALE;
	if (bit_get(r->seen, index - r->start))
		return -EALREADY;
	return 0;
}

void srtp_rtcp_replay_commit(struct srtp_rtcp_replay *r, uint32_t index)
{
	uint64_t end = (uint64_t)r->start + SLUICE_SRTP_REPLAY_WINDOW;

	if (index >= end) {
		uint64_t advance = index - end + 1;

		bits_shift_down(r->seen, advance);
		r->start += (uint32_t)advance;
	}
	bit_set(r->seen, index - r->start);
}

int srtp_rtcp_index_next(struct srtp_rtcp_replay *r, uint32_t *ret_index)
{
	if (r->start >= 0x7fffffff)
		return -EKEYEXPIRED;
	*ret_index = ++r->start;
	return 0;
}
