// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * XDP_PASS everything. Test rigs attach it to the far ends of veth pairs, because a native
 * XDP_REDIRECT or XDP_TX into a veth only delivers when the peer has an XDP program.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
