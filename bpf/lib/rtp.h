/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * RTP and RTCP in XDP: sanity checks of a UDP payload (RFC 3550 section 5.1 and 6.4, RFC 5761
 * section 4 for telling RTCP from RTP on a muxed port) and the receiver statistics of RFC 3550
 * appendix A.1 (sequence numbers, cycles, loss) and A.8 (interarrival jitter).
 *
 * The validators take the payload start, its length from the UDP header, and data_end. They return
 * SLUICE_DROP_NONE for a good packet, otherwise the drop reason.
 */
#ifndef SLUICE_BPF_RTP_H
#define SLUICE_BPF_RTP_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <sluice/relay.h>

struct rtphdr {
	__u8 vpxcc; /* version:2 padding:1 extension:1 csrc count:4 */
	__u8 mpt;   /* marker:1 payload type:7 */
	__be16 seq;
	__be32 ts;
	__be32 ssrc;
};

struct rtcphdr {
	__u8 vprc; /* version:2 padding:1 count:5 */
	__u8 pt;
	__be16 length; /* in 32-bit words, minus one */
};

/* The header extension after the CSRCs (RFC 3550 5.3.1). */
struct rtp_ext_hdr {
	__be16 profile;
	__be16 length; /* in 32-bit words, not counting this header */
};

#define RTP_X_BIT      0x10
#define RTP_CC_MASK    0x0f
#define RTP_VERSION(b) ((b) >> 6)

/* RFC 3550 A.1 */
#define RTP_SEQ_MOD	 (1u << 16)
#define RTP_MAX_DROPOUT	 3000
#define RTP_MAX_MISORDER 100

#define NSEC_PER_SEC 1000000000ull

/* RTP: version 2; fixed header, CSRCs and the extension (header and body) fit in len. */
static __always_inline enum sluice_drop_reason rtp_validate(void *payload, __u32 len,
							    void *data_end)
{
	struct rtphdr *rtp = payload;
	struct rtp_ext_hdr *ext;
	__u32 hdr_len;

	if (len < SLUICE_RTP_HDR_LEN)
		return SLUICE_DROP_RTP_TRUNCATED;
	/* Cannot fail after the UDP length check; the verifier needs to see it. */
	if ((void *)(rtp + 1) > data_end)
		return SLUICE_DROP_RTP_TRUNCATED;
	if (RTP_VERSION(rtp->vpxcc) != SLUICE_RTP_VERSION)
		return SLUICE_DROP_RTP_VERSION;

	hdr_len = SLUICE_RTP_HDR_LEN + (rtp->vpxcc & RTP_CC_MASK) * 4;
	if (hdr_len > len)
		return SLUICE_DROP_RTP_TRUNCATED;
	if (!(rtp->vpxcc & RTP_X_BIT))
		return SLUICE_DROP_NONE;

	if (hdr_len + sizeof(*ext) > len)
		return SLUICE_DROP_RTP_TRUNCATED;
	/* hdr_len is at most 72: a bounded variable offset the verifier accepts. */
	ext = payload + hdr_len;
	if ((void *)(ext + 1) > data_end)
		return SLUICE_DROP_RTP_TRUNCATED;
	if (hdr_len + sizeof(*ext) + bpf_ntohs(ext->length) * 4 > len)
		return SLUICE_DROP_RTP_TRUNCATED;
	return SLUICE_DROP_NONE;
}

/* RTCP: version 2, payload type 192..223, 8 bytes, and the first packet's length fits in len. */
static __always_inline enum sluice_drop_reason rtcp_validate(void *payload, __u32 len,
							     void *data_end)
{
	struct rtcphdr *rtcp = payload;

	if (len < SLUICE_RTCP_HDR_LEN)
		return SLUICE_DROP_RTCP_MALFORMED;
	/* Cannot fail after the UDP length check; the verifier needs to see it. */
	if (payload + SLUICE_RTCP_HDR_LEN > data_end)
		return SLUICE_DROP_RTCP_MALFORMED;
	if (RTP_VERSION(rtcp->vprc) != SLUICE_RTP_VERSION)
		return SLUICE_DROP_RTCP_MALFORMED;
	if (rtcp->pt < SLUICE_RTCP_PT_MIN || rtcp->pt > SLUICE_RTCP_PT_MAX)
		return SLUICE_DROP_RTCP_MALFORMED;
	if (((__u32)bpf_ntohs(rtcp->length) + 1) * 4 > len)
		return SLUICE_DROP_RTCP_MALFORMED;
	return SLUICE_DROP_NONE;
}

/* RFC 5761 4: on a muxed port, a second octet of 192..223 is RTCP, anything else RTP. */
static __always_inline int rtp_mux_is_rtcp(void *payload, __u32 len, void *data_end)
{
	__u8 *octets = payload;

	if (len < 2 || (void *)(octets + 2) > data_end)
		return 0;
	return octets[1] >= SLUICE_RTCP_PT_MIN && octets[1] <= SLUICE_RTCP_PT_MAX;
}

/* The arrival time in RTP clock units (A.8), modulo 2^32; split so that nothing overflows. */
static __always_inline __u32 rtp_arrival(__u64 now_ns, __u32 clock_rate)
{
	__u64 sec = now_ns / NSEC_PER_SEC;
	__u64 rem = now_ns % NSEC_PER_SEC;

	return (__u32)(sec * clock_rate + rem * clock_rate / NSEC_PER_SEC);
}

/* A.1 init_seq(). */
static __always_inline void rtp_seq_init(struct sluice_rtp_quality *q, __u16 seq)
{
	q->base_seq = seq;
	q->max_seq = seq;
	q->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	q->cycles = 0;
	q->received = 0;
}

/*
 * A.1 update_seq() without the probation period: the source is valid from its first packet
 * (the daemon decided that it is a media stream). Returns 0 for a packet not counted.
 */
static __always_inline int rtp_seq_update(struct sluice_rtp_quality *q, __u16 seq)
{
	__u16 udelta = seq - (__u16)q->max_seq;

	if (udelta < RTP_MAX_DROPOUT) {
		/* in order, with permissible gap */
		if (seq < q->max_seq)
			q->cycles += RTP_SEQ_MOD;
		q->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		/* a very large jump: restart after two sequential packets */
		if (seq == q->bad_seq) {
			rtp_seq_init(q, seq);
		} else {
			q->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return 0;
		}
	} /* else duplicate or reordered packet */
	q->received++;
	return 1;
}

/* A.8: J += (|D| - J) / 16, with jitter kept scaled by 16 as in the integer version. */
static __always_inline void rtp_jitter_update(struct sluice_rtp_quality *q, __u32 arrival, __u32 ts)
{
	__u32 transit = arrival - ts;
	__s32 d = (__s32)(transit - q->transit);

	q->transit = transit;
	if (d < 0)
		d = -d;
	q->jitter += (__u32)d - ((q->jitter + 8) >> 4);
}

/*
 * One RTP packet into the receiver statistics; the caller holds q->lock, so no helper calls here.
 * A new SSRC (or the first packet) starts the statistics afresh.
 */
static __always_inline void rtp_quality_update(struct sluice_rtp_quality *q, __u16 seq, __u32 ts,
					       __u32 ssrc, __u32 arrival, int with_jitter)
{
	if (!q->initialized || q->ssrc != ssrc) {
		rtp_seq_init(q, seq);
		q->received = 1;
		q->ssrc = ssrc;
		q->transit = arrival - ts;
		q->jitter = 0;
		q->initialized = 1;
		return;
	}
	rtp_seq_update(q, seq);
	if (with_jitter)
		rtp_jitter_update(q, arrival, ts);
}

#endif /* SLUICE_BPF_RTP_H */
