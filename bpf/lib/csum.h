/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Incremental Internet checksum updates (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')) for rewriting
 * addresses, ports and the TTL without summing the payload. All values are taken exactly as they
 * lie in the packet (network order, loaded raw): the one's complement sum does not depend on byte
 * order (RFC 1071, 2.B), so nothing is byte-swapped. Sums are collected in 64 bits and folded at
 * the end; 32-bit fields may be added whole since 2^16 = 1 modulo 0xffff.
 */
#ifndef SLUICE_BPF_CSUM_H
#define SLUICE_BPF_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Fold a 64-bit one's complement sum to 16 bits (the result is never above 0xffff). */
static __always_inline __u16 csum_fold64(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The change of a 16-bit field from old to new: ~m + m'. */
static __always_inline __u64 csum_delta16(__u16 old, __u16 new)
{
	return (__u64)(__u16)~old + new;
}

/* The change of a 32-bit field from old to new. */
static __always_inline __u64 csum_delta32(__u32 old, __u32 new)
{
	return (__u64)(__u32)~old + new;
}

/* The change of a 16-byte address, as four raw 32-bit words. */
static __always_inline __u64 csum_delta128(const __u32 old[4], const __u32 new[4])
{
	return csum_delta32(old[0], new[0]) + csum_delta32(old[1], new[1]) +
	       csum_delta32(old[2], new[2]) + csum_delta32(old[3], new[3]);
}

/* Apply a summed change to a checksum field. */
static __always_inline __sum16 csum_apply(__sum16 check, __u64 delta)
{
	return (__sum16)~csum_fold64((__u64)(__u16)~check + delta);
}

/*
 * The same for a UDP checksum: a result of 0 is sent as 0xffff, since 0 means "no checksum"
 * (RFC 768); both are the same number in one's complement.
 */
static __always_inline __sum16 csum_apply_udp(__sum16 check, __u64 delta)
{
	__sum16 res = csum_apply(check, delta);

	return res ? res : (__sum16)0xffff;
}

#endif /* SLUICE_BPF_CSUM_H */
