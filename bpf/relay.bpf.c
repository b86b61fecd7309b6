// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Placeholder: the steering program is being written. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"

const volatile __u16 cfg_port_min = 30000;
const volatile __u16 cfg_port_max = 40000;

SEC("xdp")
int xdp_relay(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
