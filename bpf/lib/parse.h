/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Header parsing for the relay program, in the style of xdp-tutorial's parsing_helpers.h: a cursor
 * walks the packet, every parse_*() checks that its header lies before data_end before reading it,
 * advances the cursor and returns the next protocol number, or -1 when the header is truncated or
 * its length fields are impossible (the caller passes such packets to the kernel).
 */
#ifndef SLUICE_BPF_PARSE_H
#define SLUICE_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

/* iphdr.frag_off bits (include/net/ip.h is not UAPI). */
#define IP_MF	  0x2000
#define IP_OFFSET 0x1fff

/* An 802.1Q/802.1ad tag after the MAC addresses (not in the UAPI headers). */
struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct hdr_cursor {
	void *pos;
};

static __always_inline int proto_is_vlan(__be16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet with at most one VLAN tag. Returns the EtherType after the tag (network order); a
 * second tag is returned as is, so QinQ is "not IP" and passes.
 */
static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end,
					struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__be16 h_proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	*ethhdr = eth;
	h_proto = eth->h_proto;

	if (proto_is_vlan(h_proto)) {
		vlh = nh->pos;
		if ((void *)(vlh + 1) > data_end)
			return -1;
		nh->pos = vlh + 1;
		h_proto = vlh->h_vlan_encapsulated_proto;
	}
	return h_proto;
}

/* IPv4 with options. Returns the protocol; -1 if truncated, not version 4 or IHL < 5. */
static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
	struct iphdr *iph = nh->pos;
	__u32 hdrsize;

	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->version != 4)
		return -1;
	hdrsize = iph->ihl * 4;
	if (hdrsize < sizeof(*iph))
		return -1;
	if (nh->pos + hdrsize > data_end)
		return -1;
	nh->pos += hdrsize;
	*iphdr = iph;
	return iph->protocol;
}

/*
 * IPv6 fixed header. Returns the next header; extension headers are not walked, so a packet
 * with any is "not UDP" and passes.
 */
static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end,
					struct ipv6hdr **ip6hdr)
{
	struct ipv6hdr *ip6h = nh->pos;

	if ((void *)(ip6h + 1) > data_end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	nh->pos = ip6h + 1;
	*ip6hdr = ip6h;
	return ip6h->nexthdr;
}

/* UDP header. Returns 0, or -1 if truncated; the length field is checked by the caller. */
static __always_inline int parse_udphdr(struct hdr_cursor *nh, void *data_end,
					struct udphdr **udphdr)
{
	struct udphdr *h = nh->pos;

	if ((void *)(h + 1) > data_end)
		return -1;
	nh->pos = h + 1;
	*udphdr = h;
	return 0;
}

/* An address as the stream maps store it: IPv4 is mapped into ::ffff:a.b.c.d. */
static __always_inline void addr_from_ipv4(__u32 addr[4], __be32 ip4)
{
	addr[0] = 0;
	addr[1] = 0;
	addr[2] = bpf_htonl(0x0000ffff);
	addr[3] = ip4;
}

static __always_inline int addr_is_v4mapped(const __u32 addr[4])
{
	return addr[0] == 0 && addr[1] == 0 && addr[2] == bpf_htonl(0x0000ffff);
}

static __always_inline int addr_equal(const __u32 a[4], const __u32 b[4])
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

#endif /* SLUICE_BPF_PARSE_H */
