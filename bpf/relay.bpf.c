// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The relay's fast path (docs/DESIGN.md, "Packet path"). Every packet is classified: UDP to a port
 * of the media range is looked up as a stream by its destination address and port; a known
 * stream's packet is checked (UDP length, RTP/RTCP sanity, source latching), counted, and then
 * either handed to the daemon's socket (XDP_PASS, SRTP work) or rewritten as a packet of the other
 * leg and sent out with XDP_TX/bpf_redirect after a FIB lookup. Everything else passes to the
 * kernel. Each packet ends in one verdict, counted in sluice_global_stats; each drop has a reason.
 *
 * Stage helpers return a final XDP action (>= 0) or RELAY_CONTINUE; drops go through count_drop().
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "maps.h"
#include "parse.h"
#include "csum.h"
#include "rtp.h"

const volatile __u16 cfg_port_min = 30000;
const volatile __u16 cfg_port_max = 40000;

/* Not an XDP action: the packet goes on to the next stage. */
#define RELAY_CONTINUE (-1)

/* What the stages learn about a packet. */
struct packet {
	struct ethhdr *eth;
	/*
	 * The IP header, IPv4 (family AF_INET) or IPv6 (AF_INET6, no extension headers). One
	 * pointer, not one per family: the verifier would not connect `family` to which of two
	 * pointers is non-NULL. Users check its bounds again for their family.
	 */
	void *l3;
	struct udphdr *udp;
	struct sluice_stream *stream;		  /* set once the stream is known */
	struct sluice_stream_stats *stream_stats; /* NULL if the daemon made no entry */
	struct sluice_global_stats *global;	  /* NULL only if the map is broken */
	/* The destination: the relay's address and port. Aligned: read as 32-bit words. */
	struct sluice_stream_key key __attribute__((aligned(8)));
	__u32 src_addr[4]; /* the sender, IPv4-mapped for IPv4 */
	__be16 src_port;
	__u16 ip_payload_len;  /* from the IP header */
	__u16 udp_payload_len; /* from the UDP header, once checked against the IP payload */
	__u8 family;	       /* AF_INET or AF_INET6 */
	__u8 ip_fits;	       /* the IP packet ends within the frame */
	__u8 is_rtp;	       /* passed as RTP (not RTCP): goes into the RTP quality counters */
	__u8 verdict;	       /* enum sluice_verdict */
	__u8 xsk;	       /* went to an AF_XDP socket with a struct sluice_xsk_hdr in front */
};

/* The one drop path: global and (if the stream is known) per-stream reason counters. */
static __always_inline int count_drop(struct packet *pkt, enum sluice_drop_reason reason)
{
	pkt->verdict = SLUICE_V_DROP;
	/* Keeps the index provably in bounds for the verifier after the stages are merged. */
	if (reason >= SLUICE_DROP_MAX)
		reason = SLUICE_DROP_NONE;
	if (pkt->global)
		pkt->global->drops[reason]++;
	if (pkt->stream_stats)
		pkt->stream_stats->drops[reason]++;
	return XDP_DROP;
}

static __always_inline void count_verdict(struct xdp_md *ctx, struct packet *pkt)
{
	__u32 verdict = pkt->verdict;

	if (!pkt->global || verdict >= SLUICE_V_MAX)
		return;
	pkt->global->verdict_packets[verdict]++;
	/* The packet as received: without the header prepended for an AF_XDP socket. */
	pkt->global->verdict_bytes[verdict] +=
	    ctx->data_end - ctx->data - (pkt->xsk ? sizeof(struct sluice_xsk_hdr) : 0);
}

/* An accepted packet: forwarded or handed to the daemon. */
static __always_inline void count_stream_packet(struct packet *pkt, __u64 now)
{
	struct sluice_stream_stats *stats = pkt->stream_stats;

	if (!stats)
		return;
	stats->packets++;
	stats->bytes += pkt->udp_payload_len;
	stats->last_seen_ns = now;
}

/* Ethernet, IP and UDP up to the media port check; fills the stream key and the source. */
static __always_inline int parse_packet(struct xdp_md *ctx, struct packet *pkt)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = {.pos = data};
	int eth_proto, ip_proto;
	__u16 dport;

	eth_proto = parse_ethhdr(&nh, data_end, &pkt->eth);
	if (eth_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip4;
		__u32 tot_len, hdr_len;

		ip_proto = parse_iphdr(&nh, data_end, &ip4);
		if (ip_proto < 0)
			return XDP_PASS;
		/* Fragments are not media: the kernel reassembles them for the daemon. */
		if (ip4->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return XDP_PASS;
		tot_len = bpf_ntohs(ip4->tot_len);
		hdr_len = ip4->ihl * 4;
		if (tot_len < hdr_len)
			return XDP_PASS;
		pkt->l3 = ip4;
		pkt->family = AF_INET;
		pkt->ip_payload_len = tot_len - hdr_len;
		pkt->ip_fits = (void *)ip4 + tot_len <= data_end;
		addr_from_ipv4(pkt->src_addr, ip4->saddr);
		addr_from_ipv4((__u32 *)pkt->key.addr, ip4->daddr);
	} else if (eth_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6;

		ip_proto = parse_ip6hdr(&nh, data_end, &ip6);
		if (ip_proto < 0)
			return XDP_PASS;
		pkt->l3 = ip6;
		pkt->family = AF_INET6;
		pkt->ip_payload_len = bpf_ntohs(ip6->payload_len);
		pkt->ip_fits = (void *)(ip6 + 1) + pkt->ip_payload_len <= data_end;
		__builtin_memcpy(pkt->src_addr, &ip6->saddr, sizeof(pkt->src_addr));
		__builtin_memcpy(pkt->key.addr, &ip6->daddr, sizeof(pkt->key.addr));
	} else {
		return XDP_PASS;
	}

	if (ip_proto != IPPROTO_UDP)
		return XDP_PASS;
	if (parse_udphdr(&nh, data_end, &pkt->udp) < 0)
		return XDP_PASS;
	dport = bpf_ntohs(pkt->udp->dest);
	if (dport < cfg_port_min || dport > cfg_port_max)
		return XDP_PASS;

	pkt->key.port = pkt->udp->dest;
	pkt->key.pad = 0;
	pkt->src_port = pkt->udp->source;
	return RELAY_CONTINUE;
}

/* The UDP datagram must be exactly the IP payload, and all of it must have arrived. */
static __always_inline int check_udp_length(struct packet *pkt)
{
	__u16 udp_len = bpf_ntohs(pkt->udp->len);

	if (udp_len < sizeof(struct udphdr) || udp_len != pkt->ip_payload_len || !pkt->ip_fits)
		return count_drop(pkt, SLUICE_DROP_UDP_LENGTH);
	pkt->udp_payload_len = udp_len - sizeof(struct udphdr);
	return RELAY_CONTINUE;
}

/* RTP/RTCP sanity by the stream's kind. */
static __always_inline int check_payload(struct xdp_md *ctx, struct packet *pkt)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *payload = pkt->udp + 1;
	__u32 len = pkt->udp_payload_len;
	enum sluice_drop_reason reason;

	switch (pkt->stream->kind) {
	case SLUICE_KIND_RTP:
		pkt->is_rtp = 1;
		reason = rtp_validate(payload, len, data_end);
		break;
	case SLUICE_KIND_RTCP:
		reason = rtcp_validate(payload, len, data_end);
		break;
	case SLUICE_KIND_MUX:
		if (rtp_mux_is_rtcp(payload, len, data_end)) {
			reason = rtcp_validate(payload, len, data_end);
		} else {
			pkt->is_rtp = 1;
			reason = rtp_validate(payload, len, data_end);
		}
		break;
	default:
		/* The daemon writes no other kind; such a stream's payload is not looked at. */
		reason = SLUICE_DROP_NONE;
		break;
	}
	if (reason != SLUICE_DROP_NONE)
		return count_drop(pkt, reason);
	return RELAY_CONTINUE;
}

/*
 * Latching: an unlatched stream learns its remote from this (valid) packet. A latched stream with
 * strict source drops packets from anywhere else; without it they are accepted and the latch stays.
 * An SRTP stream is not latched here: XDP cannot authenticate, so a forged first packet would take
 * the latch. Its worker latches the first authenticated packet and writes that into the map.
 */
static __always_inline int latch_source(struct packet *pkt)
{
	struct sluice_stream *stream = pkt->stream;
	__u32 *remote = (__u32 *)stream->remote_addr;

	if (!(stream->flags & SLUICE_F_LATCHED)) {
		if (stream->flags & SLUICE_F_SRTP)
			return RELAY_CONTINUE;
		/* Remote before flag, so a reader that sees the flag sees the remote. */
		remote[0] = pkt->src_addr[0];
		remote[1] = pkt->src_addr[1];
		remote[2] = pkt->src_addr[2];
		remote[3] = pkt->src_addr[3];
		stream->remote_port = pkt->src_port;
		stream->flags |= SLUICE_F_LATCHED;
		return RELAY_CONTINUE;
	}
	if ((stream->flags & SLUICE_F_STRICT_SOURCE) &&
	    (stream->remote_port != pkt->src_port || !addr_equal(remote, pkt->src_addr)))
		return count_drop(pkt, SLUICE_DROP_SRC_NOT_LATCHED);
	return RELAY_CONTINUE;
}

/* RFC 3550 receiver statistics of an RTP packet, if the daemon created the stream's entry. */
static __always_inline void count_rtp_quality(struct xdp_md *ctx, struct packet *pkt, __u64 now)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct rtphdr *rtp = (void *)(pkt->udp + 1);
	struct sluice_rtp_quality *q;
	__u32 clock_rate, arrival;
	__u16 seq;
	__u32 ts, ssrc;

	if (!pkt->is_rtp)
		return;
	/* Checked by rtp_validate(); the verifier needs to see it again. */
	if ((void *)(rtp + 1) > data_end)
		return;
	q = bpf_map_lookup_elem(&sluice_stream_rtp, &pkt->key);
	if (!q)
		return;

	/* Everything is read before taking the lock: no helper calls and no packet reads under it.
	 */
	seq = bpf_ntohs(rtp->seq);
	ts = bpf_ntohl(rtp->ts);
	ssrc = bpf_ntohl(rtp->ssrc);
	clock_rate = pkt->stream->clock_rate;
	arrival = rtp_arrival(now, clock_rate);

	bpf_spin_lock(&q->lock);
	rtp_quality_update(q, seq, ts, ssrc, arrival, clock_rate != 0);
	bpf_spin_unlock(&q->lock);
}

/* Source and destination of the forwarded packet, as raw (network order) words. */
struct forward_addrs {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
};

static __always_inline void rewrite_ipv4(struct iphdr *ip4, struct udphdr *udp,
					 const struct forward_addrs *fwd)
{
	__u64 addr_delta, ttl_delta;

	addr_delta =
	    csum_delta32(ip4->saddr, fwd->saddr[3]) + csum_delta32(ip4->daddr, fwd->daddr[3]);
	/* TTL shares its 16-bit checksum word with the protocol. */
	ttl_delta = csum_delta16(bpf_htons(ip4->ttl << 8 | ip4->protocol),
				 bpf_htons(SLUICE_FORWARD_TTL << 8 | ip4->protocol));
	ip4->check = csum_apply(ip4->check, addr_delta + ttl_delta);
	/* An IPv4 UDP checksum of 0 means none was computed, and it stays so. */
	if (udp->check)
		udp->check =
		    csum_apply_udp(udp->check, addr_delta + csum_delta16(udp->source, fwd->sport) +
						   csum_delta16(udp->dest, fwd->dport));
	ip4->saddr = fwd->saddr[3];
	ip4->daddr = fwd->daddr[3];
	ip4->ttl = SLUICE_FORWARD_TTL;
	udp->source = fwd->sport;
	udp->dest = fwd->dport;
}

static __always_inline void rewrite_ipv6(struct ipv6hdr *ip6, struct udphdr *udp,
					 const struct forward_addrs *fwd)
{
	__u64 delta;

	/* The UDP checksum is mandatory over IPv6 (RFC 8200 8.1); there is no header checksum. */
	delta = csum_delta128((__u32 *)&ip6->saddr, fwd->saddr) +
		csum_delta128((__u32 *)&ip6->daddr, fwd->daddr) +
		csum_delta16(udp->source, fwd->sport) + csum_delta16(udp->dest, fwd->dport);
	udp->check = csum_apply_udp(udp->check, delta);
	__builtin_memcpy(&ip6->saddr, fwd->saddr, sizeof(fwd->saddr));
	__builtin_memcpy(&ip6->daddr, fwd->daddr, sizeof(fwd->daddr));
	ip6->hop_limit = SLUICE_FORWARD_TTL;
	udp->source = fwd->sport;
	udp->dest = fwd->dport;
}

/*
 * The FIB query for the packet as it will leave. Returns 0, or -1 when the addresses are not of
 * the packet's family (XDP does not translate between IPv4 and IPv6) or, never in practice, the
 * header is out of bounds.
 */
static __always_inline int forward_fib_params(struct xdp_md *ctx, struct packet *pkt,
					      const struct forward_addrs *fwd,
					      struct bpf_fib_lookup *fib)
{
	void *data_end = (void *)(long)ctx->data_end;
	int src_v4 = addr_is_v4mapped(fwd->saddr);
	int dst_v4 = addr_is_v4mapped(fwd->daddr);

	fib->l4_protocol = IPPROTO_UDP;
	fib->sport = fwd->sport;
	fib->dport = fwd->dport;
	fib->ifindex = ctx->ingress_ifindex;
	if (pkt->family == AF_INET) {
		struct iphdr *ip4 = pkt->l3;

		/* Checked by the parser on this path; the verifier needs to see it again. */
		if ((void *)(ip4 + 1) > data_end || !src_v4 || !dst_v4)
			return -1;
		fib->family = AF_INET;
		fib->tos = ip4->tos;
		fib->tot_len = bpf_ntohs(ip4->tot_len);
		fib->ipv4_src = fwd->saddr[3];
		fib->ipv4_dst = fwd->daddr[3];
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		/* As above. */
		if ((void *)(ip6 + 1) > data_end || src_v4 || dst_v4)
			return -1;
		fib->family = AF_INET6;
		fib->flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
		fib->tot_len = sizeof(*ip6) + pkt->ip_payload_len;
		__builtin_memcpy(fib->ipv6_src, fwd->saddr, sizeof(fwd->saddr));
		__builtin_memcpy(fib->ipv6_dst, fwd->daddr, sizeof(fwd->daddr));
	}
	return 0;
}

/* Rewrite the packet to leave as the relay's own, from fwd's source to its destination. */
static __always_inline int forward_rewrite(struct xdp_md *ctx, struct packet *pkt,
					   const struct forward_addrs *fwd,
					   const struct bpf_fib_lookup *fib)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = pkt->eth;

	/* All checked by the parser on this path; the verifier needs to see them again. */
	if ((void *)(eth + 1) > data_end || (void *)(pkt->udp + 1) > data_end)
		return -1;
	if (pkt->family == AF_INET) {
		struct iphdr *ip4 = pkt->l3;

		if ((void *)(ip4 + 1) > data_end)
			return -1;
		rewrite_ipv4(ip4, pkt->udp, fwd);
	} else {
		struct ipv6hdr *ip6 = pkt->l3;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		rewrite_ipv6(ip6, pkt->udp, fwd);
	}
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	return 0;
}

/* Where route_to_peer() got. */
enum peer_route {
	ROUTE_OK = 0,
	ROUTE_PEER_UNKNOWN, /* the peer stream is missing or has no remote yet */
	ROUTE_NO_ROUTE,	    /* no route, or the remote is of the other address family */
	ROUTE_NO_NEIGH,	    /* routed, but the next hop's MAC is not known yet */
};

/*
 * The relayed packet leaves from the peer stream's key to the peer stream's latched remote: fills
 * fwd with those and fib with the FIB's answer for them. grow: how much longer the packet may
 * leave than it came (for the FIB's MTU check: more is FRAG_NEEDED, i.e. no route here).
 */
static __always_inline enum peer_route route_to_peer(struct xdp_md *ctx, struct packet *pkt,
						     struct forward_addrs *fwd,
						     struct bpf_fib_lookup *fib, __u16 grow)
{
	struct sluice_stream_key peer_key = {};
	struct sluice_stream *peer;
	int rc;

	__builtin_memcpy(peer_key.addr, pkt->stream->peer_addr, sizeof(peer_key.addr));
	peer_key.port = pkt->stream->peer_port;
	peer = bpf_map_lookup_elem(&sluice_streams, &peer_key);
	if (!peer || !(peer->flags & SLUICE_F_LATCHED))
		return ROUTE_PEER_UNKNOWN;

	__builtin_memcpy(fwd->saddr, peer_key.addr, sizeof(fwd->saddr));
	__builtin_memcpy(fwd->daddr, peer->remote_addr, sizeof(fwd->daddr));
	fwd->sport = peer_key.port;
	fwd->dport = peer->remote_port;

	if (forward_fib_params(ctx, pkt, fwd, fib) < 0)
		return ROUTE_NO_ROUTE;
	fib->tot_len += grow;
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return ROUTE_NO_NEIGH;
	return rc == BPF_FIB_LKUP_RET_SUCCESS ? ROUTE_OK : ROUTE_NO_ROUTE;
}

/*
 * Forward to the other leg. The FIB lookup comes before the rewrite: without a neighbour entry
 * the original packet goes to the daemon's socket, which relays it (and its send resolves the
 * neighbour); a rewritten one would be dropped by the kernel as having a local (martian) source.
 */
static __always_inline int forward_packet(struct xdp_md *ctx, struct packet *pkt)
{
	struct bpf_fib_lookup fib = {};
	struct forward_addrs fwd;

	switch (route_to_peer(ctx, pkt, &fwd, &fib, 0)) {
	case ROUTE_OK:
		break;
	case ROUTE_PEER_UNKNOWN:
		return count_drop(pkt, SLUICE_DROP_PEER_UNKNOWN);
	case ROUTE_NO_NEIGH:
		if (pkt->global)
			pkt->global->fib_no_neigh++;
		pkt->verdict = SLUICE_V_USERSPACE;
		return XDP_PASS;
	default:
		return count_drop(pkt, SLUICE_DROP_NO_ROUTE);
	}
	if (forward_rewrite(ctx, pkt, &fwd, &fib) < 0)
		return count_drop(pkt, SLUICE_DROP_NO_ROUTE);

	pkt->verdict = SLUICE_V_FORWARD;
	if (fib.ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib.ifindex, 0);
}

/* The sluice_xsks index for a device's socket on a queue, or -1 when the device has no slot. */
static __always_inline int xsk_index(__u32 ifindex, __u32 queue)
{
	__u32 *slot = bpf_map_lookup_elem(&sluice_xsk_ifslots, &ifindex);

	if (!slot || *slot >= SLUICE_XSK_MAX_IFACES || queue >= SLUICE_XSK_MAX_QUEUES)
		return -1;
	return (int)(*slot * SLUICE_XSK_MAX_QUEUES + queue);
}

/*
 * What SRTP/SRTCP protect may add to a packet the worker relays: an auth tag (up to 16 octets),
 * an MKI (up to 4) and the SRTCP E flag and index (4).
 */
#define SRTP_MAX_GROWTH 24

/*
 * A packet for the daemon: to its worker's AF_XDP socket when the worker owns this queue and the
 * relayed packet's way out is known (the worker then sends it from its socket on the egress
 * device, with the addresses prepended here); else to the stream's UDP socket (XDP_PASS). The
 * worker still makes every decision about the packet; this only saves it the UDP stack.
 */
static __always_inline int userspace_packet(struct xdp_md *ctx, struct packet *pkt)
{
	struct bpf_fib_lookup fib = {};
	struct sluice_xsk_port *xp;
	struct sluice_xsk_hdr *hdr;
	struct forward_addrs fwd;
	__u32 queue = ctx->rx_queue_index;
	void *data, *data_end;
	int index, egress, action;

	pkt->verdict = SLUICE_V_USERSPACE;
	/* The worker parses untagged Ethernet only; a VLAN's packets take the UDP socket. */
	if ((void *)(pkt->eth + 1) > (void *)(long)ctx->data_end ||
	    (pkt->eth->h_proto != bpf_htons(ETH_P_IP) && pkt->eth->h_proto != bpf_htons(ETH_P_IPV6)))
		return XDP_PASS;
	xp = bpf_map_lookup_elem(&sluice_xsk_ports, &pkt->key);
	if (!xp || xp->worker != queue)
		return XDP_PASS;
	index = xsk_index(ctx->ingress_ifindex, queue);
	if (index < 0)
		return XDP_PASS;
	if (route_to_peer(ctx, pkt, &fwd, &fib, SRTP_MAX_GROWTH) != ROUTE_OK)
		return XDP_PASS;
	/* The worker sends from its socket on the egress device, on the same queue. */
	egress = xsk_index(fib.ifindex, queue);
	if (egress < 0 || !bpf_map_lookup_elem(&sluice_xsks, &egress))
		return XDP_PASS;
	/* Decided before the packet changes: no socket on this queue (now) means the UDP path. */
	action = bpf_redirect_map(&sluice_xsks, (__u32)index, XDP_PASS);
	if (action != XDP_REDIRECT)
		return XDP_PASS;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(*hdr)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	hdr = data;
	if ((void *)(hdr + 1) > data_end) {
		/* Cannot happen (the packet had Ethernet, IP and UDP): undo and pass. */
		bpf_xdp_adjust_head(ctx, (int)sizeof(*hdr));
		return XDP_PASS;
	}
	hdr->magic = SLUICE_XSK_MAGIC;
	hdr->port = xp->port;
	hdr->ifindex = fib.ifindex;
	__builtin_memcpy(hdr->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(hdr->smac, fib.smac, ETH_ALEN);
	__builtin_memcpy(hdr->daddr, fwd.daddr, sizeof(hdr->daddr));
	hdr->dport = fwd.dport;
	hdr->pad = 0;
	hdr->pad2 = 0;
	pkt->xsk = 1;
	if (pkt->global)
		pkt->global->xsk_redirects++;
	return action;
}

static __always_inline int relay_packet(struct xdp_md *ctx, struct packet *pkt)
{
	__u64 now;
	int ret;

	ret = parse_packet(ctx, pkt);
	if (ret != RELAY_CONTINUE)
		return ret;

	pkt->stream = bpf_map_lookup_elem(&sluice_streams, &pkt->key);
	if (!pkt->stream)
		return count_drop(pkt, SLUICE_DROP_NO_SESSION);
	pkt->stream_stats = bpf_map_lookup_elem(&sluice_stream_stats, &pkt->key);

	ret = check_udp_length(pkt);
	if (ret != RELAY_CONTINUE)
		return ret;
	ret = check_payload(ctx, pkt);
	if (ret != RELAY_CONTINUE)
		return ret;
	ret = latch_source(pkt);
	if (ret != RELAY_CONTINUE)
		return ret;

	now = bpf_ktime_get_ns();
	/* The remote's stream as received, whether or not it can be delivered. */
	count_rtp_quality(ctx, pkt, now);

	if (pkt->stream->action == SLUICE_ACT_FORWARD) {
		ret = forward_packet(ctx, pkt);
	} else {
		/* SLUICE_ACT_USERSPACE, and anything unknown: the daemon decides. */
		ret = userspace_packet(ctx, pkt);
	}
	if (pkt->verdict != SLUICE_V_DROP)
		count_stream_packet(pkt, now);
	return ret;
}

SEC("xdp")
int xdp_relay(struct xdp_md *ctx)
{
	struct packet pkt = {.verdict = SLUICE_V_PASS};
	__u32 zero = 0;
	int action;

	pkt.global = bpf_map_lookup_elem(&sluice_global_stats, &zero);
	action = relay_packet(ctx, &pkt);
	count_verdict(ctx, &pkt);
	return action;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
