// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The testbed's limit for scripts/bench-fastpath: the barest XDP forwarder that can route a
 * packet between the rig's veths. It looks the unchanged destination up with bpf_fib_lookup,
 * rewrites the Ethernet addresses and redirects to the egress device; nothing else (no TTL
 * decrement, no checksum work, no maps, no counters). Whatever the relay program costs on top
 * of this is the price of being a relay rather than a router. Not for production use.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

static __always_inline int fib_params_ipv4(void *l3, void *data_end, struct bpf_fib_lookup *fib)
{
	struct iphdr *iph = l3;

	if ((void *)(iph + 1) > data_end)
		return -1;
	fib->family = AF_INET;
	fib->tos = iph->tos;
	fib->l4_protocol = iph->protocol;
	fib->tot_len = bpf_ntohs(iph->tot_len);
	fib->ipv4_src = iph->saddr;
	fib->ipv4_dst = iph->daddr;
	return 0;
}

static __always_inline int fib_params_ipv6(void *l3, void *data_end, struct bpf_fib_lookup *fib)
{
	struct ipv6hdr *ip6h = l3;

	if ((void *)(ip6h + 1) > data_end)
		return -1;
	fib->family = AF_INET6;
	fib->l4_protocol = ip6h->nexthdr;
	fib->tot_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	__builtin_memcpy(fib->ipv6_src, &ip6h->saddr, sizeof(fib->ipv6_src));
	__builtin_memcpy(fib->ipv6_dst, &ip6h->daddr, sizeof(fib->ipv6_dst));
	return 0;
}

SEC("xdp")
int xdp_bench_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_fib_lookup fib = {};
	int err;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP))
		err = fib_params_ipv4(eth + 1, data_end, &fib);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		err = fib_params_ipv6(eth + 1, data_end, &fib);
	else
		return XDP_PASS;
	if (err)
		return XDP_PASS;

	fib.ifindex = ctx->ingress_ifindex;
	/* Anything the FIB cannot finish here (local delivery, no neighbour yet, forwarding off)
	 * goes to the kernel, which does the right thing slowly. */
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;

	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	if (fib.ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
