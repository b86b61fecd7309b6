// SPDX-License-Identifier: MIT
/*
 * The relay XDP program under BPF_PROG_TEST_RUN, katran-style: a table of fixtures, each with the
 * streams it needs, an input packet, the XDP action and output packet it must produce, and the
 * verdict and drop reason it must count. Packets are described, not spelled out in hex: the
 * builder below writes them, computing every checksum from scratch, so an expected forwarded
 * packet is an independent statement of what the program must produce.
 *
 * bpf_fib_lookup() in test runs uses the calling thread's network namespace and the ingress
 * interface of the context, so the test moves itself into a fresh namespace (unshare) with two
 * veth pairs, addresses, routes and permanent neighbours whose MACs are known:
 *
 *   a0 (02:00:00:00:0a:00) 198.18.1.1/24 2001:db8:1::1/64   caller .2/::2, "local peer" .3/::3
 *   b0 (02:00:00:00:0b:00) 198.18.2.1/24 2001:db8:2::1/64   gateway .2/::2, .9/::9 without a
 *                                                             neighbour entry (NO_NEIGH)
 * 203.0.113.0/24 and 2001:db8:9::/64 have no route.
 *
 * a0 and b0 have two queues, each with a copy-mode AF_XDP socket bound to it, for the fixtures of
 * the AF_XDP path (userspace_packet()): a fixture names the device slots (sluice_xsk_ifslots),
 * which of those sockets are in sluice_xsks and the streams' worker ports (sluice_xsk_ports); the
 * rx queue is the test run's rx_queue_index. A redirect's expected output is the struct
 * sluice_xsk_hdr XDP prepends, spelled byte by byte, followed by the frame. Every run puts 32
 * bytes of poisoned XDP metadata before the frame (test_run's own headroom is zeroed): a header
 * pushed in front of the frame lands on them (the metadata moves ahead of it), so its last 32
 * bytes, padding included, are poison unless the program writes them.
 *
 * Fixtures run in order; one marked "continues" keeps the maps of the one before (latching and
 * RTP sequence tests), every other one starts from empty stream maps. A fixture's `before` changes
 * the maps as the daemon would before the packet: an SRTP stream's latch is stored by the worker
 * through the daemon's own session_maps_store_latch(). Exit 77: not root, or no BPF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include <sluice/relay.h>
#include "relay.skel.h"
#include "session/session_maps.h"

#define SKIP_EXIT 77

#define PORT_MIN 30000
#define PORT_MAX 30999

#define MAC_A0                                                                                     \
	{                                                                                          \
		0x02, 0, 0, 0, 0x0a, 0x00                                                          \
	}
#define MAC_CALLER                                                                                 \
	{                                                                                          \
		0x02, 0, 0, 0, 0x0a, 0x02                                                          \
	}
#define MAC_LOCAL                                                                                  \
	{                                                                                          \
		0x02, 0, 0, 0, 0x0a, 0x03                                                          \
	}
#define MAC_B0                                                                                     \
	{                                                                                          \
		0x02, 0, 0, 0, 0x0b, 0x00                                                          \
	}
#define MAC_GW                                                                                     \
	{                                                                                          \
		0x02, 0, 0, 0, 0x0b, 0x02                                                          \
	}

/* ---- fixture description ---- */

enum payload_type {
	PL_RTP = 0,
	PL_RTCP,
	PL_RAW,
};

struct payload_spec {
	enum payload_type type;
	uint8_t version; /* 0: 2 */
	uint8_t pt;	 /* RTP: payload type (0 = PCMU); RTCP: packet type, 0 = 200 (SR) */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc; /* 0: 0x11223344 */
	uint8_t cc;    /* CSRC count, CSRCs written */
	bool ext;      /* RTP header extension with ext_words words */
	uint16_t ext_words;
	uint16_t body;	   /* bytes after the headers; 0: 20 */
	bool rtcp_len_set; /* RTCP length field as given instead of the true one */
	uint16_t rtcp_len;
	bool cut_set; /* UDP payload cut to `cut` bytes (lengths stay consistent) */
	uint16_t cut;
	const uint8_t *raw; /* PL_RAW */
	size_t raw_len;
};

#define CUT(n) .cut_set = true, .cut = (n)

struct pkt_spec {
	int family;		  /* 4, 6, or 0: `ethertype` and the payload after Ethernet */
	uint16_t ethertype;	  /* family 0 only */
	uint8_t smac[6], dmac[6]; /* all zero: caller -> a0 */
	uint16_t vlan;		  /* VLAN ID of an 802.1Q tag; 0: untagged */
	bool qinq;		  /* a second tag inside the first */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t ttl;	      /* 0: 50 */
	uint8_t proto;	      /* IP protocol / next header; 0: UDP */
	uint8_t ip_opt_words; /* IPv4 options (NOPs), in 32-bit words */
	uint16_t frag_off;    /* IPv4 flags and fragment offset */
	int udp_len_adjust;   /* added to the true UDP length */
	bool csum_zero;	      /* IPv4: send without UDP checksum */
	struct payload_spec pl;
	size_t pad_to;	  /* zero bytes after the IP packet up to this frame length */
	size_t frame_cut; /* frame cut to this length (0: not cut) */
};

struct stream_spec {
	const char *addr; /* NULL ends the list */
	uint16_t port;
	uint8_t kind, action, flags;
	const char *remote;
	uint16_t remote_port;
	const char *peer;
	uint16_t peer_port;
	uint32_t clock_rate;
	bool no_rtp; /* no sluice_stream_rtp entry (it exists by default for RTP and MUX) */
};

#define MAX_STREAMS 4

/* ---- AF_XDP state of a fixture ---- */

/* Queues of a0 and b0; each has an AF_XDP socket bound to it (worker q owns queue q). */
#define NQUEUES 2

/* A device's sluice_xsk_ifslots entry, and which of its sockets are in sluice_xsks. */
struct xsk_dev_spec {
	const char *dev; /* NULL ends the list */
	uint32_t slot;
	uint8_t queues; /* bit q: its queue-q socket at slot * SLUICE_XSK_MAX_QUEUES + q */
};

/* A stream's sluice_xsk_ports entry. */
struct xsk_port_spec {
	const char *addr; /* NULL ends the list */
	uint16_t port;
	uint32_t id;	 /* sluice_xsk_port.port: the port handle on its worker */
	uint32_t worker; /* = the queue its sockets are on */
};

struct xsk_spec {
	struct xsk_dev_spec devs[3];
	struct xsk_port_spec ports[2];
};

/* The struct sluice_xsk_hdr a redirected frame must carry, field by field. */
struct xsk_hdr_spec {
	uint32_t port;	    /* the stream's port handle */
	const char *egress; /* device whose ifindex it names */
	uint8_t dmac[6], smac[6];
	const char *daddr;
	uint16_t dport;
};

struct fixture {
	const char *description;
	bool continues;				 /* keep the previous fixture's maps */
	struct stream_spec streams[MAX_STREAMS]; /* ignored with continues */
	const char *ingress;			 /* 0: "a0" */
	struct pkt_spec in;
	int action;		    /* expected XDP action */
	const struct pkt_spec *out; /* expected output; NULL: the input unchanged */
	int verdict;		    /* enum sluice_verdict counted */
	int drop;		    /* enum sluice_drop_reason counted with SLUICE_V_DROP */
	bool no_neigh;		    /* fib_no_neigh counted */
	const struct xsk_spec *xsk; /* AF_XDP maps; NULL: empty (ignored with continues) */
	uint32_t rx_queue;	    /* rx_queue_index of the run */
	/* Redirected to an AF_XDP socket (xsk_redirects counted): this header, then `out` or the
	 * input unchanged. */
	const struct xsk_hdr_spec *xsk_hdr;
	/* Before the packet, after the maps are set up: what the daemon does meanwhile. */
	void (*before)(const struct fixture *f);
	void (*check)(const struct fixture *f);
};

/* ---- streams used by many fixtures ---- */

#define LATCHED_STRICT (SLUICE_F_LATCHED | SLUICE_F_STRICT_SOURCE)

/* Internal leg, IPv4, RTP on 30000, latched to the caller 198.18.1.2:5000. */
#define IN4(kind_, action_, port_, peer_port_)                                                     \
	{                                                                                          \
		.addr = "198.18.1.1", .port = (port_), .kind = (kind_), .action = (action_),       \
		.flags = LATCHED_STRICT, .remote = "198.18.1.2", .remote_port = 5000,              \
		.peer = "198.18.2.1", .peer_port = (peer_port_)                                    \
	}
/* Gateway leg, IPv4, latched to remote:6000. */
#define GW4(kind_, port_, peer_port_, remote_)                                                     \
	{                                                                                          \
		.addr = "198.18.2.1", .port = (port_), .kind = (kind_),                            \
		.action = SLUICE_ACT_FORWARD, .flags = LATCHED_STRICT, .remote = (remote_),        \
		.remote_port = 6000, .peer = "198.18.1.1", .peer_port = (peer_port_)               \
	}
#define IN6(kind_, action_)                                                                        \
	{                                                                                          \
		.addr = "2001:db8:1::1", .port = 30100, .kind = (kind_), .action = (action_),      \
		.flags = LATCHED_STRICT, .remote = "2001:db8:1::2", .remote_port = 5000,           \
		.peer = "2001:db8:2::1", .peer_port = 30110                                        \
	}
#define GW6(remote_)                                                                               \
	{                                                                                          \
		.addr = "2001:db8:2::1", .port = 30110, .kind = SLUICE_KIND_RTP,                   \
		.action = SLUICE_ACT_FORWARD, .flags = LATCHED_STRICT, .remote = (remote_),        \
		.remote_port = 6000, .peer = "2001:db8:1::1", .peer_port = 30100                   \
	}

/*
 * An SRTP leg's stream before its worker latched it, and once the worker has written its latch
 * (the caller, 198.18.1.2:5000) into the map.
 */
#define SRTP_UNLATCHED4                                                                            \
	{                                                                                          \
		.addr = "198.18.1.1", .port = 30000, .kind = SLUICE_KIND_RTP,                      \
		.action = SLUICE_ACT_USERSPACE, .flags = SLUICE_F_SRTP, .peer = "198.18.2.1",      \
		.peer_port = 30010                                                                 \
	}
#define SRTP_LATCHED4                                                                              \
	{                                                                                          \
		.addr = "198.18.1.1", .port = 30000, .kind = SLUICE_KIND_RTP,                      \
		.action = SLUICE_ACT_USERSPACE, .flags = SLUICE_F_SRTP | SLUICE_F_LATCHED,         \
		.remote = "198.18.1.2", .remote_port = 5000, .peer = "198.18.2.1",                 \
		.peer_port = 30010                                                                 \
	}

#define SESSION4_RTP(gw_remote)                                                                    \
	{                                                                                          \
		IN4(SLUICE_KIND_RTP, SLUICE_ACT_FORWARD, 30000, 30010),                            \
		    GW4(SLUICE_KIND_RTP, 30010, 30000, gw_remote)                                  \
	}
#define SESSION6_RTP(gw_remote)                                                                    \
	{                                                                                          \
		IN6(SLUICE_KIND_RTP, SLUICE_ACT_FORWARD), GW6(gw_remote)                           \
	}

/* Caller -> relay (internal leg), IPv4 and IPv6. */
#define TO_IN4 .family = 4, .src = "198.18.1.2", .dst = "198.18.1.1", .sport = 5000, .dport = 30000
#define TO_IN6                                                                                     \
	.family = 6, .src = "2001:db8:1::2", .dst = "2001:db8:1::1", .sport = 5000, .dport = 30100
/* What a forward of those must look like. */
#define FWD4(dst_, smac_, dmac_)                                                                   \
	.family = 4, .src = "198.18.2.1", .dst = (dst_), .sport = 30010, .dport = 6000, .ttl = 64, \
	.smac = smac_, .dmac = dmac_
#define FWD6(dst_, smac_, dmac_)                                                                   \
	.family = 6, .src = "2001:db8:2::1", .dst = (dst_), .sport = 30110, .dport = 6000,         \
	.ttl = 64, .smac = smac_, .dmac = dmac_

#define RTP(seq_, ts_)                                                                             \
	{                                                                                          \
		.type = PL_RTP, .seq = (seq_), .ts = (ts_)                                         \
	}
#define RTCP_SR                                                                                    \
	{                                                                                          \
		.type = PL_RTCP                                                                    \
	}

/* ---- test context ---- */

static struct relay_bpf *skel;
static int prog_fd, streams_fd, stats_fd, rtp_fd, global_fd;
static int xsks_fd, xsk_ifslots_fd, xsk_ports_fd;
static int ncpus;

/* One copy-mode AF_XDP socket per device queue, each with its own UMEM, all frames on its fill
 * ring (a live run's redirect lands in its RX ring). */
#define XSK_FRAMES     8
#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE

struct test_xsk {
	void *area;
	struct xsk_umem *umem;
	struct xsk_socket *socket;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
};

static const char *const xsk_devs[] = {"a0", "b0"};
#define NXSK_DEVS (sizeof(xsk_devs) / sizeof(xsk_devs[0]))
static struct test_xsk xsks[NXSK_DEVS][NQUEUES];
static bool xsk_available; /* all sockets made; else the fixtures that need them are skipped */

/* sluice_xsks indices written by the current fixture (an XSKMAP cannot be walked for entries). */
static uint32_t xsk_indices[NXSK_DEVS * NQUEUES];
static size_t n_xsk_indices;

/* XDP metadata before every input frame: poison, so unwritten headroom is not zero. */
#define META_LEN  32
#define META_BYTE 0xa5

static const uint8_t arp_request[28] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};

/* ---- packet builder: checksums from scratch ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* RFC 1071 sum over big-endian 16-bit words. */
static uint32_t sum16(const uint8_t *b, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_finish(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* UDP checksum over the pseudo-header and the datagram (its check field must be 0). */
static uint16_t udp_checksum(int family, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
			     size_t udp_len)
{
	uint8_t pseudo[40];
	size_t alen = family == 4 ? 4 : 16;
	uint32_t sum;
	uint16_t res;

	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, src, alen);
	memcpy(pseudo + alen, dst, alen);
	if (family == 4) {
		pseudo[9] = 17;
		put16(pseudo + 10, udp_len);
		sum = sum16(pseudo, 12, 0);
	} else {
		put32(pseudo + 32, udp_len);
		pseudo[39] = 17;
		sum = sum16(pseudo, 40, 0);
	}
	res = csum_finish(sum16(udp, udp_len, sum));
	return res ? res : 0xffff;
}

static void parse_addr(int family, const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, s, out), 1);
}

static size_t build_payload(const struct payload_spec *pl, uint8_t *out)
{
	uint8_t version = pl->version ? pl->version : 2;
	uint16_t body = pl->body ? pl->body : 20;
	size_t n = 0;

	switch (pl->type) {
	case PL_RTP:
		out[0] = version << 6 | (pl->ext ? 0x10 : 0) | (pl->cc & 0x0f);
		out[1] = pl->pt;
		put16(out + 2, pl->seq);
		put32(out + 4, pl->ts);
		put32(out + 8, pl->ssrc ? pl->ssrc : 0x11223344);
		n = 12;
		for (int i = 0; i < pl->cc; i++, n += 4)
			put32(out + n, 0xc5c00000 + i);
		if (pl->ext) {
			put16(out + n, 0xbede);
			put16(out + n + 2, pl->ext_words);
			n += 4;
			for (int i = 0; i < pl->ext_words; i++, n += 4)
				put32(out + n, 0xe0e00000 + i);
		}
		break;
	case PL_RTCP:
		out[0] = version << 6;
		out[1] = pl->pt ? pl->pt : 200;
		put16(out + 2, pl->rtcp_len_set ? pl->rtcp_len : (8 + body) / 4 - 1);
		put32(out + 4, pl->ssrc ? pl->ssrc : 0x11223344);
		n = 8;
		break;
	case PL_RAW:
		memcpy(out, pl->raw, pl->raw_len);
		return pl->raw_len;
	}
	for (int i = 0; i < body; i++)
		out[n++] = (uint8_t)(0x40 + i);
	if (pl->cut_set)
		n = pl->cut;
	return n;
}

static const uint8_t zero_mac[6];

static size_t build_packet(const struct pkt_spec *p, uint8_t *out, size_t size)
{
	static const uint8_t def_dmac[6] = MAC_A0, def_smac[6] = MAC_CALLER;
	uint8_t payload[1500], src[16], dst[16];
	size_t plen = build_payload(&p->pl, payload);
	size_t n = 12, l4_off, udp_len;
	uint8_t *udp;

	memset(out, 0, size);
	memcpy(out, memcmp(p->dmac, zero_mac, 6) ? p->dmac : def_dmac, 6);
	memcpy(out + 6, memcmp(p->smac, zero_mac, 6) ? p->smac : def_smac, 6);
	if (p->vlan) {
		put16(out + n, ETH_P_8021Q);
		put16(out + n + 2, p->vlan);
		n += 4;
		if (p->qinq) {
			put16(out + n, ETH_P_8021Q);
			put16(out + n + 2, p->vlan + 1);
			n += 4;
		}
	}

	if (p->family == 0) {
		put16(out + n, p->ethertype);
		memcpy(out + n + 2, payload, plen);
		n += 2 + plen;
		goto finish;
	}

	parse_addr(p->family, p->src, src);
	parse_addr(p->family, p->dst, dst);
	udp_len = 8 + plen;
	if (p->family == 4) {
		uint8_t *ip = out + n + 2;
		size_t ihl = 5 + p->ip_opt_words;

		put16(out + n, ETH_P_IP);
		ip[0] = 0x40 | ihl;
		ip[1] = 0xb8; /* DSCP EF */
		put16(ip + 2, ihl * 4 + udp_len);
		put16(ip + 4, 0x1234);
		put16(ip + 6, p->frag_off);
		ip[8] = p->ttl ? p->ttl : 50;
		ip[9] = p->proto ? p->proto : 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(ip + 20, 0x01, p->ip_opt_words * 4); /* NOPs */
		put16(ip + 10, csum_finish(sum16(ip, ihl * 4, 0)));
		l4_off = n + 2 + ihl * 4;
	} else {
		uint8_t *ip6 = out + n + 2;

		put16(out + n, ETH_P_IPV6);
		put32(ip6, 0x60012345); /* flow label 0x12345 */
		put16(ip6 + 4, udp_len);
		ip6[6] = p->proto ? p->proto : 17;
		ip6[7] = p->ttl ? p->ttl : 50;
		memcpy(ip6 + 8, src, 16);
		memcpy(ip6 + 24, dst, 16);
		l4_off = n + 2 + 40;
	}
	udp = out + l4_off;
	put16(udp, p->sport);
	put16(udp + 2, p->dport);
	put16(udp + 4, udp_len + p->udp_len_adjust);
	memcpy(udp + 8, payload, plen);
	if (!p->csum_zero)
		put16(udp + 6, udp_checksum(p->family, src, dst, udp, udp_len));
	n = l4_off + udp_len;

finish:
	if (p->pad_to > n)
		n = p->pad_to;
	if (p->frame_cut)
		n = p->frame_cut;
	return n;
}

/*
 * struct sluice_xsk_hdr as bytes, offsets spelled out rather than taken from the struct:
 * magic, port and ifindex as host-order words (the worker reads them so), next hop and source
 * MAC, the destination (IPv4-mapped for IPv4), its port in network order, 6 zero bytes.
 */
#define XSK_HDR_LEN 48
_Static_assert(sizeof(struct sluice_xsk_hdr) == XSK_HDR_LEN &&
		   offsetof(struct sluice_xsk_hdr, dmac) == 12 &&
		   offsetof(struct sluice_xsk_hdr, daddr) == 24 &&
		   offsetof(struct sluice_xsk_hdr, dport) == 40,
	       "the layout spelled out below");

static void make_key(const char *addr, uint16_t port, struct sluice_stream_key *key);

static size_t build_xsk_hdr(const struct xsk_hdr_spec *h, uint8_t *out)
{
	uint32_t magic = 0x534c5843 /* "SLXC" */, ifindex = if_nametoindex(h->egress);
	struct sluice_stream_key daddr;

	assert_int_not_equal(ifindex, 0);
	make_key(h->daddr, h->dport, &daddr);
	memset(out, 0, XSK_HDR_LEN);
	memcpy(out, &magic, 4);
	memcpy(out + 4, &h->port, 4);
	memcpy(out + 8, &ifindex, 4);
	memcpy(out + 12, h->dmac, 6);
	memcpy(out + 18, h->smac, 6);
	memcpy(out + 24, daddr.addr, 16);
	put16(out + 40, h->dport);
	return XSK_HDR_LEN;
}

/* What the run must output: the header (for a redirect to AF_XDP), then the frame. */
static size_t build_expected(const struct fixture *f, const uint8_t *in, size_t in_len,
			     uint8_t *want, size_t size)
{
	size_t n = f->xsk_hdr ? build_xsk_hdr(f->xsk_hdr, want) : 0;

	if (f->out)
		return n + build_packet(f->out, want + n, size - n);
	memcpy(want + n, in, in_len);
	return n + in_len;
}

/* ---- maps ---- */

static void make_key(const char *addr, uint16_t port, struct sluice_stream_key *key)
{
	memset(key, 0, sizeof(*key));
	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, key->addr), 1);
	} else {
		key->addr[10] = 0xff;
		key->addr[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, addr, key->addr + 12), 1);
	}
	key->port = htons(port);
}

static void clear_map(int fd, size_t key_size)
{
	uint8_t key[64], next[64];

	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
	}
}

/* The sluice_streams key and value of a stream as the fixture describes it. */
static void build_stream(const struct stream_spec *s, struct sluice_stream_key *key,
			 struct sluice_stream *st)
{
	struct sluice_stream_key peer;

	memset(st, 0, sizeof(*st));
	make_key(s->addr, s->port, key);
	if (s->remote) {
		struct sluice_stream_key remote;

		make_key(s->remote, s->remote_port, &remote);
		memcpy(st->remote_addr, remote.addr, 16);
		st->remote_port = remote.port;
	}
	make_key(s->peer, s->peer_port, &peer);
	memcpy(st->peer_addr, peer.addr, 16);
	st->peer_port = peer.port;
	st->session_id = 7;
	st->clock_rate = s->clock_rate;
	st->action = s->action;
	st->kind = s->kind;
	st->flags = s->flags;
}

static void setup_streams(const struct fixture *f)
{
	struct sluice_stream_stats *stats = calloc(ncpus, sizeof(*stats));

	assert_non_null(stats);
	clear_map(streams_fd, sizeof(struct sluice_stream_key));
	clear_map(stats_fd, sizeof(struct sluice_stream_key));
	clear_map(rtp_fd, sizeof(struct sluice_stream_key));
	for (int i = 0; i < MAX_STREAMS && f->streams[i].addr; i++) {
		const struct stream_spec *s = &f->streams[i];
		struct sluice_stream_key key;
		struct sluice_stream st;
		struct sluice_rtp_quality q;

		build_stream(s, &key, &st);
		assert_int_equal(bpf_map_update_elem(streams_fd, &key, &st, BPF_NOEXIST), 0);
		assert_int_equal(bpf_map_update_elem(stats_fd, &key, stats, BPF_NOEXIST), 0);
		if (s->kind != SLUICE_KIND_RTCP && !s->no_rtp) {
			memset(&q, 0, sizeof(q));
			assert_int_equal(bpf_map_update_elem(rtp_fd, &key, &q, BPF_NOEXIST), 0);
		}
	}
	free(stats);
}

static struct test_xsk *find_xsk(const char *dev, uint32_t queue)
{
	for (size_t d = 0; d < NXSK_DEVS; d++)
		if (strcmp(xsk_devs[d], dev) == 0 && queue < NQUEUES)
			return &xsks[d][queue];
	fail_msg("no AF_XDP socket on %s queue %u", dev, queue);
	return NULL;
}

/* The AF_XDP maps as the fixture describes them (all empty without a description). */
static void setup_xsk(const struct fixture *f)
{
	clear_map(xsk_ifslots_fd, sizeof(uint32_t));
	clear_map(xsk_ports_fd, sizeof(struct sluice_stream_key));
	for (size_t i = 0; i < n_xsk_indices; i++)
		assert_int_equal(bpf_map_delete_elem(xsks_fd, &xsk_indices[i]), 0);
	n_xsk_indices = 0;
	if (!f->xsk)
		return;

	for (int i = 0; i < 3 && f->xsk->devs[i].dev; i++) {
		const struct xsk_dev_spec *d = &f->xsk->devs[i];
		uint32_t ifindex = if_nametoindex(d->dev);

		assert_int_not_equal(ifindex, 0);
		assert_int_equal(
		    bpf_map_update_elem(xsk_ifslots_fd, &ifindex, &d->slot, BPF_NOEXIST), 0);
		for (uint32_t q = 0; q < NQUEUES; q++) {
			uint32_t index = d->slot * SLUICE_XSK_MAX_QUEUES + q;
			int fd;

			if (!(d->queues & 1u << q))
				continue;
			fd = xsk_socket__fd(find_xsk(d->dev, q)->socket);
			assert_int_equal(bpf_map_update_elem(xsks_fd, &index, &fd, BPF_ANY), 0);
			xsk_indices[n_xsk_indices++] = index;
		}
	}
	for (int i = 0; i < 2 && f->xsk->ports[i].addr; i++) {
		const struct xsk_port_spec *p = &f->xsk->ports[i];
		struct sluice_xsk_port v = {.port = p->id, .worker = p->worker};
		struct sluice_stream_key key;

		make_key(p->addr, p->port, &key);
		assert_int_equal(bpf_map_update_elem(xsk_ports_fd, &key, &v, BPF_NOEXIST), 0);
	}
}

/* The per-CPU counters summed; false if there is no entry. */
static bool read_stream_stats(const struct sluice_stream_key *key, struct sluice_stream_stats *sum)
{
	struct sluice_stream_stats *v = calloc(ncpus, sizeof(*v));
	bool found;

	assert_non_null(v);
	memset(sum, 0, sizeof(*sum));
	found = bpf_map_lookup_elem(stats_fd, key, v) == 0;
	for (int c = 0; found && c < ncpus; c++) {
		sum->packets += v[c].packets;
		sum->bytes += v[c].bytes;
		if (v[c].last_seen_ns > sum->last_seen_ns)
			sum->last_seen_ns = v[c].last_seen_ns;
		for (int r = 0; r < SLUICE_DROP_MAX; r++)
			sum->drops[r] += v[c].drops[r];
	}
	free(v);
	return found;
}

static void read_global_stats(struct sluice_global_stats *sum)
{
	struct sluice_global_stats *v = calloc(ncpus, sizeof(*v));
	uint32_t zero = 0;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(global_fd, &zero, v), 0);
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpus; c++) {
		for (int i = 0; i < SLUICE_V_MAX; i++) {
			sum->verdict_packets[i] += v[c].verdict_packets[i];
			sum->verdict_bytes[i] += v[c].verdict_bytes[i];
		}
		for (int r = 0; r < SLUICE_DROP_MAX; r++)
			sum->drops[r] += v[c].drops[r];
		sum->fib_no_neigh += v[c].fib_no_neigh;
		sum->xsk_redirects += v[c].xsk_redirects;
	}
	free(v);
}

static void read_stream(const char *addr, uint16_t port, struct sluice_stream *st)
{
	struct sluice_stream_key key;

	make_key(addr, port, &key);
	assert_int_equal(bpf_map_lookup_elem(streams_fd, &key, st), 0);
}

static void read_rtp(const char *addr, uint16_t port, struct sluice_rtp_quality *q)
{
	struct sluice_stream_key key;

	make_key(addr, port, &key);
	assert_int_equal(bpf_map_lookup_elem(rtp_fd, &key, q), 0);
}

/* ---- independent checks of a forwarded packet ---- */

static const char *action_name(int action)
{
	static const char *const names[] = {"ABORTED", "DROP", "PASS", "TX", "REDIRECT"};

	return action >= 0 && action <= 4 ? names[action] : "?";
}

static void assert_bytes_equal(const uint8_t *got, size_t got_len, const uint8_t *want,
			       size_t want_len)
{
	if (got_len != want_len)
		fail_msg("output length %zu, expected %zu", got_len, want_len);
	for (size_t i = 0; i < want_len; i++) {
		if (got[i] != want[i])
			fail_msg("output byte %zu is 0x%02x, expected 0x%02x", i, got[i], want[i]);
	}
}

/* Verify the checksums of the output as they are, whatever the expected packet says. */
static void assert_checksums_valid(const uint8_t *pkt, size_t len)
{
	size_t off = 12;
	uint16_t type = pkt[off] << 8 | pkt[off + 1];
	const uint8_t *ip = pkt + off + 2, *udp;
	uint8_t check[2];
	uint8_t copy[1600];
	size_t udp_len;

	if (type == ETH_P_8021Q) {
		off += 4;
		type = pkt[off] << 8 | pkt[off + 1];
		ip = pkt + off + 2;
	}
	if (type == ETH_P_IP) {
		size_t ihl = (ip[0] & 0x0f) * 4;

		assert_int_equal(csum_finish(sum16(ip, ihl, 0)), 0);
		assert_int_equal(ip[8], SLUICE_FORWARD_TTL);
		udp = ip + ihl;
	} else {
		assert_int_equal(type, ETH_P_IPV6);
		assert_int_equal(ip[7], SLUICE_FORWARD_TTL);
		udp = ip + 40;
	}
	udp_len = udp[4] << 8 | udp[5];
	assert_true(udp + udp_len <= pkt + len);
	memcpy(check, udp + 6, 2);
	if (type == ETH_P_IP && !check[0] && !check[1])
		return; /* no checksum */
	memcpy(copy, udp, udp_len);
	copy[6] = copy[7] = 0;
	if (type == ETH_P_IP)
		assert_int_equal(udp_checksum(4, ip + 12, ip + 16, copy, udp_len),
				 check[0] << 8 | check[1]);
	else
		assert_int_equal(udp_checksum(6, ip + 8, ip + 24, copy, udp_len),
				 check[0] << 8 | check[1]);
}

/* ---- the runner ---- */

static void run_fixture(void **state)
{
	const struct fixture *f = *state;
	uint8_t in[1600], want[1600], data_in[META_LEN + 1600], out[META_LEN + 1600];
	uint8_t meta[META_LEN];
	size_t in_len, want_len;
	struct sluice_global_stats g0, g1;
	struct sluice_stream_stats s0, s1;
	struct sluice_stream_key dst_key;
	bool have_stats = false;
	struct xdp_md md;
	int drop = f->verdict == SLUICE_V_DROP ? f->drop : SLUICE_DROP_NONE;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if ((f->xsk || f->xsk_hdr) && !xsk_available)
		skip();
	if (!f->continues) {
		setup_streams(f);
		setup_xsk(f);
	}
	if (f->before)
		f->before(f);

	in_len = build_packet(&f->in, in, sizeof(in));
	want_len = build_expected(f, in, in_len, want, sizeof(want));
	memset(meta, META_BYTE, sizeof(meta));
	memcpy(data_in, meta, META_LEN);
	memcpy(data_in + META_LEN, in, in_len);

	if (f->in.family) {
		make_key(f->in.dst, f->in.dport, &dst_key);
		have_stats = read_stream_stats(&dst_key, &s0);
	}
	read_global_stats(&g0);

	memset(&md, 0, sizeof(md));
	md.data = META_LEN;
	md.data_end = META_LEN + in_len;
	md.ingress_ifindex = if_nametoindex(f->ingress ? f->ingress : "a0");
	md.rx_queue_index = f->rx_queue;
	assert_int_not_equal(md.ingress_ifindex, 0);
	opts.data_in = data_in;
	opts.data_size_in = META_LEN + in_len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.ctx_in = &md;
	opts.ctx_size_in = sizeof(md);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);

	if ((int)opts.retval != f->action)
		fail_msg("XDP action %s, expected %s", action_name(opts.retval),
			 action_name(f->action));
	/* The output starts at the metadata, which the program leaves alone. */
	assert_true(opts.data_size_out >= META_LEN);
	assert_memory_equal(out, meta, META_LEN);
	assert_bytes_equal(out + META_LEN, opts.data_size_out - META_LEN, want, want_len);
	/* A rewritten frame leaves with valid checksums; a frame for AF_XDP is the input as is. */
	if ((f->action == XDP_TX || f->action == XDP_REDIRECT) && !f->xsk_hdr)
		assert_checksums_valid(out + META_LEN, opts.data_size_out - META_LEN);

	/* Exactly one verdict, one drop reason (for drops) and nothing else. */
	read_global_stats(&g1);
	for (int v = 0; v < SLUICE_V_MAX; v++) {
		uint64_t want_pkts = v == f->verdict;

		if (g1.verdict_packets[v] - g0.verdict_packets[v] != want_pkts)
			fail_msg(
			    "verdict %d counted %llu times, expected %llu", v,
			    (unsigned long long)(g1.verdict_packets[v] - g0.verdict_packets[v]),
			    (unsigned long long)want_pkts);
		assert_int_equal(g1.verdict_bytes[v] - g0.verdict_bytes[v], want_pkts * in_len);
	}
	for (int r = 0; r < SLUICE_DROP_MAX; r++) {
		uint64_t want_drops = r == drop && f->verdict == SLUICE_V_DROP;

		if (g1.drops[r] - g0.drops[r] != want_drops)
			fail_msg("drop reason %d counted %llu times, expected %llu", r,
				 (unsigned long long)(g1.drops[r] - g0.drops[r]),
				 (unsigned long long)want_drops);
	}
	assert_int_equal(g1.fib_no_neigh - g0.fib_no_neigh, f->no_neigh ? 1 : 0);
	if (g1.xsk_redirects - g0.xsk_redirects != (f->xsk_hdr ? 1u : 0u))
		fail_msg("xsk_redirects counted %llu times, expected %d",
			 (unsigned long long)(g1.xsk_redirects - g0.xsk_redirects),
			 f->xsk_hdr ? 1 : 0);

	/* The destination stream's own counters, when it has an entry. */
	if (have_stats) {
		bool accepted = f->verdict == SLUICE_V_FORWARD || f->verdict == SLUICE_V_USERSPACE;
		size_t udp_payload = 0;

		assert_true(read_stream_stats(&dst_key, &s1));
		if (accepted) {
			size_t l3 = 14 + (f->in.vlan ? 4 : 0);

			if (f->in.family == 4)
				l3 += 20 + f->in.ip_opt_words * 4;
			else
				l3 += 40;
			udp_payload = (in[l3 + 4] << 8 | in[l3 + 5]) - 8;
			assert_int_not_equal(s1.last_seen_ns, 0);
		}
		assert_int_equal(s1.packets - s0.packets, accepted ? 1 : 0);
		assert_int_equal(s1.bytes - s0.bytes, udp_payload);
		for (int r = 0; r < SLUICE_DROP_MAX; r++)
			assert_int_equal(s1.drops[r] - s0.drops[r],
					 r == drop && f->verdict == SLUICE_V_DROP ? 1 : 0);
	}

	if (f->check)
		f->check(f);
}

/* ---- fixture checks ---- */

static void assert_latched_to(const char *addr, uint16_t port, const char *remote,
			      uint16_t remote_port)
{
	struct sluice_stream st;
	struct sluice_stream_key want;

	read_stream(addr, port, &st);
	make_key(remote, remote_port, &want);
	assert_true(st.flags & SLUICE_F_LATCHED);
	assert_memory_equal(st.remote_addr, want.addr, 16);
	assert_int_equal(st.remote_port, want.port);
}

static void check_latched_caller(const struct fixture *f)
{
	assert_latched_to("198.18.1.1", 30000, "198.18.1.2", 5000);
}

static void check_latched_caller6(const struct fixture *f)
{
	assert_latched_to("2001:db8:1::1", 30100, "2001:db8:1::2", 5000);
}

static void check_not_latched(const struct fixture *f)
{
	struct sluice_stream st;

	read_stream("198.18.1.1", 30000, &st);
	assert_false(st.flags & SLUICE_F_LATCHED);
}

/* The stream's entry is exactly what the fixture wrote: XDP changed nothing. */
static void assert_stream_as_written(const struct stream_spec *spec)
{
	struct sluice_stream_key key;
	struct sluice_stream want, got;

	build_stream(spec, &key, &want);
	assert_int_equal(bpf_map_lookup_elem(streams_fd, &key, &got), 0);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void check_srtp_unlatched(const struct fixture *f)
{
	assert_stream_as_written(&(const struct stream_spec)SRTP_UNLATCHED4);
}

static void check_srtp_latched(const struct fixture *f)
{
	assert_stream_as_written(&(const struct stream_spec)SRTP_LATCHED4);
}

/* ---- the worker's side of the map, through the daemon's code ---- */

static void store_latch(const char *remote, uint16_t remote_port, int want)
{
	struct sluice_stream_key stream, latch;
	struct session_maps maps;

	assert_int_equal(session_maps_init(&maps, streams_fd, stats_fd, rtp_fd, global_fd), 0);
	make_key("198.18.1.1", 30000, &stream);
	make_key(remote, remote_port, &latch);
	assert_int_equal(session_maps_store_latch(&maps, &stream, latch.addr, latch.port), want);
}

/* The worker authenticated the caller's first packet. */
static void worker_latches_caller(const struct fixture *f)
{
	store_latch("198.18.1.2", 5000, 0);
}

/* A worker's late latch, after the stream's entry is gone: refused, nothing created. */
static void worker_latches_deleted(const struct fixture *f)
{
	store_latch("198.18.1.2", 5000, -ENOENT);
}

/* A latch in the map never moves (the worker stores only its first, once). */
static void worker_latches_elsewhere(const struct fixture *f)
{
	store_latch("198.18.1.3", 5002, 0);
}

static void check_rtp_first(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.initialized, 1);
	assert_int_equal(q.ssrc, 0x11223344);
	assert_int_equal(q.received, 1);
	assert_int_equal(q.base_seq, 65534);
	assert_int_equal(q.max_seq, 65534);
	assert_int_equal(q.cycles, 0);
	assert_int_equal(q.jitter, 0);
}

/*
 * With a clock rate of 1 Hz the arrival clock is in seconds, so between two test runs it moves by
 * 0 or 1 while the timestamps move by 16000: |D| is 16000 or 15999 and the scaled jitter after
 * the second packet is |D| - ((0 + 8) >> 4) = |D|.
 */
static void check_rtp_second(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.received, 2);
	assert_int_equal(q.max_seq, 65535);
	assert_int_equal(q.cycles, 0);
	assert_in_range(q.jitter, 15999, 16000);
}

/* Across the wrap: a cycle counted; jitter J2 + |D| - ((J2 + 8) >> 4), about 31000. */
static void check_rtp_wrapped(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.received, 3);
	assert_int_equal(q.max_seq, 0);
	assert_int_equal(q.cycles, 65536);
	assert_int_equal(q.base_seq, 65534);
	assert_in_range(q.jitter, 30998, 31000);
}

/* A duplicate is counted as received (A.1) but moves nothing. */
static void check_rtp_duplicate(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.received, 4);
	assert_int_equal(q.max_seq, 0);
	assert_int_equal(q.cycles, 65536);
}

/* A large jump is not counted until the next packet confirms it; then the state restarts. */
static void check_rtp_jump(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.received, 4);
	assert_int_equal(q.max_seq, 0);
	assert_int_equal(q.bad_seq, 20001);
}

static void check_rtp_resync(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.received, 1);
	assert_int_equal(q.base_seq, 20001);
	assert_int_equal(q.max_seq, 20001);
	assert_int_equal(q.cycles, 0);
}

static void check_rtp_new_ssrc(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.ssrc, 0x55667788);
	assert_int_equal(q.received, 1);
	assert_int_equal(q.base_seq, 7);
	assert_int_equal(q.jitter, 0);
}

static void check_rtp_untouched(const struct fixture *f)
{
	struct sluice_rtp_quality q;

	read_rtp("198.18.1.1", 30000, &q);
	assert_int_equal(q.initialized, 0);
	assert_int_equal(q.received, 0);
}

/*
 * The fixture's packet once more as a live frame (BPF_F_TEST_XDP_LIVE_FRAMES): now the kernel
 * carries the redirect out, so the frame must arrive, header and all, in the RX ring of the
 * socket the program named (the ingress device's socket on the rx queue) and in no other. Live
 * runs always see rx queue 0 (their frames come from test_run's own rxq, registered as queue 0 of
 * the ingress device), so only queue-0 fixtures use this.
 */
static void check_xsk_delivered(const struct fixture *f)
{
	const char *ingress = f->ingress ? f->ingress : "a0";
	uint8_t in[1600], want[1600];
	size_t in_len, want_len;
	struct xdp_md md;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .repeat = 1);

	assert_int_equal(f->rx_queue, 0);
	in_len = build_packet(&f->in, in, sizeof(in));
	want_len = build_expected(f, in, in_len, want, sizeof(want));
	memset(&md, 0, sizeof(md));
	md.data_end = in_len;
	md.ingress_ifindex = if_nametoindex(ingress);
	opts.data_in = in;
	opts.data_size_in = in_len;
	opts.ctx_in = &md;
	opts.ctx_size_in = sizeof(md);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);

	for (size_t d = 0; d < NXSK_DEVS; d++) {
		for (uint32_t q = 0; q < NQUEUES; q++) {
			struct test_xsk *x = &xsks[d][q];
			bool target = strcmp(xsk_devs[d], ingress) == 0 && q == 0;
			uint32_t idx = 0, fill_idx = 0, n;
			const struct xdp_desc *desc;

			n = xsk_ring_cons__peek(&x->rx, XSK_FRAMES, &idx);
			if (n != (target ? 1u : 0u))
				fail_msg("%u frames in the RX ring of %s queue %u, expected %d", n,
					 xsk_devs[d], q, target ? 1 : 0);
			if (n == 0)
				continue;
			desc = xsk_ring_cons__rx_desc(&x->rx, idx);
			assert_bytes_equal(xsk_umem__get_data(x->area, desc->addr), desc->len, want,
					   want_len);
			/* The frame back on the fill ring, for the next delivery. */
			assert_int_equal(xsk_ring_prod__reserve(&x->fill, 1, &fill_idx), 1);
			*xsk_ring_prod__fill_addr(&x->fill, fill_idx) =
			    desc->addr - desc->addr % XSK_FRAME_SIZE;
			xsk_ring_prod__submit(&x->fill, 1);
			xsk_ring_cons__release(&x->rx, n);
		}
	}
}

/* ---- the fixtures ---- */

/* An unlatched internal RTP stream (user space), strict or not. */
#define UNLATCHED4(flags_)                                                                         \
	{                                                                                          \
		{                                                                                  \
			.addr = "198.18.1.1", .port = 30000, .kind = SLUICE_KIND_RTP,              \
			.action = SLUICE_ACT_USERSPACE, .flags = (flags_), .peer = "198.18.2.1",   \
			.peer_port = 30010                                                         \
		}                                                                                  \
	}
#define RTP_STREAM4(clock_rate_)                                                                   \
	{                                                                                          \
		{                                                                                  \
			.addr = "198.18.1.1", .port = 30000, .kind = SLUICE_KIND_RTP,              \
			.action = SLUICE_ACT_USERSPACE, .flags = SLUICE_F_LATCHED,                 \
			.remote = "198.18.1.2", .remote_port = 5000, .peer = "198.18.2.1",         \
			.peer_port = 30010, .clock_rate = (clock_rate_)                            \
		}                                                                                  \
	}

/* The gateway leg of an SRTP session (USERSPACE), IPv4, latched to remote:6000. */
#define GW4_USERSPACE(remote_)                                                                     \
	{                                                                                          \
		.addr = "198.18.2.1", .port = 30010, .kind = SLUICE_KIND_RTP,                      \
		.action = SLUICE_ACT_USERSPACE, .flags = LATCHED_STRICT, .remote = (remote_),      \
		.remote_port = 6000, .peer = "198.18.1.1", .peer_port = 30000                      \
	}
/* An SRTP session (both legs USERSPACE): internal leg as IN4/IN6, gateway leg latched to remote. */
#define SRTP4(gw_remote)                                                                           \
	{                                                                                          \
		IN4(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE, 30000, 30010), GW4_USERSPACE(gw_remote) \
	}
#define SRTP6(gw_remote)                                                                           \
	{                                                                                          \
		IN6(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE),                                        \
		{                                                                                  \
			.addr = "2001:db8:2::1", .port = 30110, .kind = SLUICE_KIND_RTP,           \
			.action = SLUICE_ACT_USERSPACE, .flags = LATCHED_STRICT,                   \
			.remote = (gw_remote), .remote_port = 6000, .peer = "2001:db8:1::1",       \
			.peer_port = 30100                                                         \
		}                                                                                  \
	}

/*
 * AF_XDP maps. Worker w's sockets are on queue w of every device; a0 has slot 1 and b0 slot 2,
 * so a socket sits at index 64 + q or 128 + q, and a wrong index is an empty entry.
 */
#define XSK_PORT_ID 0x5107 /* the stream's port handle on its worker */
#define XSK_A0(queues_)                                                                            \
	{                                                                                          \
		.dev = "a0", .slot = 1, .queues = (queues_)                                        \
	}
#define XSK_B0(queues_)                                                                            \
	{                                                                                          \
		.dev = "b0", .slot = 2, .queues = (queues_)                                        \
	}
#define XSK_ALL_QUEUES 0x3
#define XSK_PORT(addr_, port_, worker_)                                                            \
	{                                                                                          \
		.addr = (addr_), .port = (port_), .id = XSK_PORT_ID, .worker = (worker_)           \
	}

/* Everything in place for the internal IPv4 RTP stream on worker 1 / on worker 0. */
static const struct xsk_spec xsk_in4 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};
static const struct xsk_spec xsk_in4_worker0 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 0)},
};
static const struct xsk_spec xsk_in6 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("2001:db8:1::1", 30100, 1)},
};
static const struct xsk_spec xsk_in6_worker0 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("2001:db8:1::1", 30100, 0)},
};
/* Both streams of an SRTP call (the caller's and the gateway's), on worker 1. */
static const struct xsk_spec xsk_srtp_call4 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1), XSK_PORT("198.18.2.1", 30010, 1)},
};
/* The gateway leg's stream (packets arriving on b0). */
static const struct xsk_spec xsk_gw4 = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.2.1", 30010, 1)},
};
/* One precondition missing each. */
static const struct xsk_spec xsk_no_port = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(XSK_ALL_QUEUES)},
};
static const struct xsk_spec xsk_ingress_no_slot = {
    .devs = {XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};
static const struct xsk_spec xsk_ingress_no_socket = {
    .devs = {XSK_A0(0x1 /* queue 0 only */), XSK_B0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};
static const struct xsk_spec xsk_egress_no_slot = {
    .devs = {XSK_A0(XSK_ALL_QUEUES)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};
static const struct xsk_spec xsk_egress_no_socket = {
    .devs = {XSK_A0(XSK_ALL_QUEUES), XSK_B0(0x1 /* queue 0 only */)},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};
/*
 * a0's slot is out of range: 0x04000001 * 64 wraps (32 bits) to 64, slot 1's index, where b0's
 * sockets are; an index computed without the range check would find them.
 */
static const struct xsk_spec xsk_ingress_slot_wraps = {
    .devs = {{.dev = "a0", .slot = 0x04000001, .queues = 0},
	     {.dev = "b0", .slot = 1, .queues = XSK_ALL_QUEUES}},
    .ports = {XSK_PORT("198.18.1.1", 30000, 1)},
};

/* The headers XDP must prepend: the peer stream's remote, as the FIB answers for it. */
static const struct xsk_hdr_spec xsk_hdr_gw4 = {
    .port = XSK_PORT_ID,
    .egress = "b0",
    .dmac = MAC_GW,
    .smac = MAC_B0,
    .daddr = "198.18.2.2",
    .dport = 6000,
};
static const struct xsk_hdr_spec xsk_hdr_gw6 = {
    .port = XSK_PORT_ID,
    .egress = "b0",
    .dmac = MAC_GW,
    .smac = MAC_B0,
    .daddr = "2001:db8:2::2",
    .dport = 6000,
};
static const struct xsk_hdr_spec xsk_hdr_local4 = {
    .port = XSK_PORT_ID,
    .egress = "a0",
    .dmac = MAC_LOCAL,
    .smac = MAC_A0,
    .daddr = "198.18.1.3",
    .dport = 6000,
};
static const struct xsk_hdr_spec xsk_hdr_caller4 = {
    .port = XSK_PORT_ID,
    .egress = "a0",
    .dmac = MAC_CALLER,
    .smac = MAC_A0,
    .daddr = "198.18.1.2",
    .dport = 5000,
};

/* A packet from the gateway to the gateway leg's stream, arriving on b0. */
#define FROM_GW4                                                                                   \
	.family = 4, .src = "198.18.2.2", .dst = "198.18.2.1", .sport = 6000, .dport = 30010,      \
	.smac = MAC_GW, .dmac = MAC_B0

static const struct fixture fixtures[] = {
    /* -- PASS: not media -- */
    {
	.description = "ARP passes",
	.in = {.family = 0,
	       .ethertype = ETH_P_ARP,
	       .pl = {.type = PL_RAW, .raw = arp_request, .raw_len = sizeof(arp_request)}},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv4 TCP to a media port passes",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .proto = 6, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv4 UDP below the media range passes",
	.in = {TO_IN4, .dport = PORT_MIN - 1, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv6 UDP above the media range passes",
	.in = {TO_IN6, .dport = PORT_MAX + 1, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv4 first fragment (MF) to a media port passes",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .frag_off = 0x2000, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv4 later fragment (offset) to a media port passes",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .frag_off = 0x0010, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "IPv6 with an extension header (destination options) passes",
	.streams = {IN6(SLUICE_KIND_RTP, SLUICE_ACT_FORWARD), GW6("2001:db8:2::2")},
	.in = {TO_IN6, .proto = 60, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "QinQ (two VLAN tags) passes",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .vlan = 100, .qinq = true, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    /* -- PASS: truncated below UDP, cannot be classified -- */
    {
	.description = "truncated: Ethernet header only passes",
	.in = {TO_IN4, .pl = RTP(1, 0), .frame_cut = 14},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "truncated: inside the VLAN tag passes",
	.in = {TO_IN4, .vlan = 100, .pl = RTP(1, 0), .frame_cut = 16},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "truncated: inside the IPv4 header passes",
	.in = {TO_IN4, .pl = RTP(1, 0), .frame_cut = 14 + 19},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "truncated: inside the IPv4 options passes",
	.in = {TO_IN4, .ip_opt_words = 2, .pl = RTP(1, 0), .frame_cut = 14 + 24},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "truncated: inside the IPv6 header passes",
	.in = {TO_IN6, .pl = RTP(1, 0), .frame_cut = 14 + 39},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    {
	.description = "truncated: inside the UDP header passes",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = RTP(1, 0), .frame_cut = 14 + 20 + 7},
	.action = XDP_PASS,
	.verdict = SLUICE_V_PASS,
    },
    /* -- DROP: classification and lengths -- */
    {
	.description = "IPv4 media port without a stream: NO_SESSION",
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_SESSION,
    },
    {
	.description = "IPv6 media port without a stream: NO_SESSION",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN6, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_SESSION,
    },
    {
	.description = "UDP length above the IP payload: UDP_LENGTH",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .udp_len_adjust = 4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_UDP_LENGTH,
    },
    {
	.description = "IPv6 UDP length below the IP payload: UDP_LENGTH",
	.streams = SESSION6_RTP("2001:db8:2::2"),
	.in = {TO_IN6, .udp_len_adjust = -4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_UDP_LENGTH,
    },
    {
	.description = "frame ends inside the RTP header (IP length beyond it): UDP_LENGTH",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = RTP(1, 0), .frame_cut = 14 + 20 + 8 + 6},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_UDP_LENGTH,
    },
    /* -- DROP: RTP / RTCP sanity -- */
    {
	.description = "RTP version 1: RTP_VERSION",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .version = 1}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_VERSION,
    },
    {
	.description = "empty UDP payload on an RTP port: RTP_TRUNCATED",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, CUT(0)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
    },
    {
	.description = "RTP fixed header truncated (11 bytes): RTP_TRUNCATED",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, CUT(11)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
    },
    {
	.description = "RTP CSRC list truncated: RTP_TRUNCATED",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .cc = 3, CUT(12 + 8)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
    },
    {
	.description = "RTP extension header truncated: RTP_TRUNCATED",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .cc = 1, .ext = true, CUT(16 + 2)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
    },
    {
	.description = "RTP extension body truncated: RTP_TRUNCATED",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .ext = true, .ext_words = 3, CUT(12 + 4 + 11)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
    },
    {
	.description = "RTP with CSRCs and an extension that end the payload exactly forwards",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .cc = 2, .ext = true, .ext_words = 2, CUT(36)}},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(
	    struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW),
			     .pl = {.type = PL_RTP, .cc = 2, .ext = true, .ext_words = 2, CUT(36)}},
    },
    {
	.description = "RTCP version 1 on an RTCP port: RTCP_MALFORMED",
	.streams = {IN4(SLUICE_KIND_RTCP, SLUICE_ACT_FORWARD, 30001, 30011),
		    GW4(SLUICE_KIND_RTCP, 30011, 30001, "198.18.2.2")},
	.in = {TO_IN4, .dport = 30001, .pl = {.type = PL_RTCP, .version = 1}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTCP_MALFORMED,
    },
    {
	.description = "RTP (PT 0) on an RTCP port: RTCP_MALFORMED",
	.streams = {IN4(SLUICE_KIND_RTCP, SLUICE_ACT_FORWARD, 30001, 30011),
		    GW4(SLUICE_KIND_RTCP, 30011, 30001, "198.18.2.2")},
	.in = {TO_IN4, .dport = 30001, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTCP_MALFORMED,
    },
    {
	.description = "RTCP truncated below 8 bytes: RTCP_MALFORMED",
	.streams = {IN4(SLUICE_KIND_RTCP, SLUICE_ACT_FORWARD, 30001, 30011),
		    GW4(SLUICE_KIND_RTCP, 30011, 30001, "198.18.2.2")},
	.in = {TO_IN4, .dport = 30001, .pl = {.type = PL_RTCP, CUT(7)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTCP_MALFORMED,
    },
    {
	.description = "RTCP length field beyond the payload: RTCP_MALFORMED",
	.streams = {IN4(SLUICE_KIND_RTCP, SLUICE_ACT_FORWARD, 30001, 30011),
		    GW4(SLUICE_KIND_RTCP, 30011, 30001, "198.18.2.2")},
	.in = {TO_IN4, .dport = 30001,
	       .pl = {.type = PL_RTCP, .rtcp_len_set = true, .rtcp_len = 7}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTCP_MALFORMED,
    },
    {
	.description = "RTCP with a bad length on a MUX port: RTCP_MALFORMED",
	.streams = {IN4(SLUICE_KIND_MUX, SLUICE_ACT_FORWARD, 30000, 30010),
		    GW4(SLUICE_KIND_MUX, 30010, 30000, "198.18.2.2")},
	.in = {TO_IN4, .pl = {.type = PL_RTCP, .rtcp_len_set = true, .rtcp_len = 100}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTCP_MALFORMED,
    },
    {
	.description = "RTP version 0 on a MUX port: RTP_VERSION",
	.streams = {IN4(SLUICE_KIND_MUX, SLUICE_ACT_FORWARD, 30000, 30010),
		    GW4(SLUICE_KIND_MUX, 30010, 30000, "198.18.2.2")},
	.in = {TO_IN4, .pl = {.type = PL_RTP, .version = 4 /* 4 << 6 == 0 */, .pt = 96}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_VERSION,
    },
    /* -- DROP: forwarding -- */
    {
	.description = "forward, peer stream missing: PEER_UNKNOWN",
	.streams = {IN4(SLUICE_KIND_RTP, SLUICE_ACT_FORWARD, 30000, 30010)},
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_PEER_UNKNOWN,
    },
    {
	.description = "forward, peer stream not latched: PEER_UNKNOWN",
	.streams = {IN4(SLUICE_KIND_RTP, SLUICE_ACT_FORWARD, 30000, 30010),
		    {.addr = "198.18.2.1",
		     .port = 30010,
		     .kind = SLUICE_KIND_RTP,
		     .action = SLUICE_ACT_FORWARD,
		     .flags = SLUICE_F_STRICT_SOURCE,
		     .peer = "198.18.1.1",
		     .peer_port = 30000}},
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_PEER_UNKNOWN,
    },
    {
	.description = "forward, no route to the peer's remote: NO_ROUTE",
	.streams = SESSION4_RTP("203.0.113.9"),
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_ROUTE,
    },
    {
	.description = "IPv6 forward, no route to the peer's remote: NO_ROUTE",
	.streams = SESSION6_RTP("2001:db8:9::9"),
	.in = {TO_IN6, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_ROUTE,
    },
    {
	.description = "forward, IPv4 packet but the peer's remote is IPv6: NO_ROUTE",
	.streams = SESSION4_RTP("2001:db8:2::2"),
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_ROUTE,
    },
    /* -- FORWARD -- */
    {
	.description = "IPv4 RTP forward to the gateway link: REDIRECT",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = RTP(1, 160)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .pl = RTP(1, 160)},
    },
    {
	.description = "IPv4 RTP forward back out of the ingress link: TX",
	.streams = SESSION4_RTP("198.18.1.3"),
	.in = {TO_IN4, .pl = RTP(1, 160)},
	.action = XDP_TX,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.1.3", MAC_A0, MAC_LOCAL), .pl = RTP(1, 160)},
    },
    {
	.description = "IPv4 RTP from the gateway side forwards to the caller: REDIRECT",
	.streams = SESSION4_RTP("198.18.2.2"),
	.ingress = "b0",
	.in = {.family = 4,
	       .src = "198.18.2.2",
	       .dst = "198.18.2.1",
	       .sport = 6000,
	       .dport = 30010,
	       .smac = MAC_GW,
	       .dmac = MAC_B0,
	       .pl = RTP(9, 90)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){.family = 4,
				  .src = "198.18.1.1",
				  .dst = "198.18.1.2",
				  .sport = 30000,
				  .dport = 5000,
				  .ttl = 64,
				  .smac = MAC_A0,
				  .dmac = MAC_CALLER,
				  .pl = RTP(9, 90)},
    },
    {
	.description = "IPv6 RTP forward to the gateway link: REDIRECT",
	.streams = SESSION6_RTP("2001:db8:2::2"),
	.in = {TO_IN6, .pl = RTP(2, 320)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD6("2001:db8:2::2", MAC_B0, MAC_GW), .pl = RTP(2, 320)},
    },
    {
	.description = "IPv6 RTP forward back out of the ingress link: TX",
	.streams = SESSION6_RTP("2001:db8:1::3"),
	.in = {TO_IN6, .pl = RTP(2, 320)},
	.action = XDP_TX,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD6("2001:db8:1::3", MAC_A0, MAC_LOCAL), .pl = RTP(2, 320)},
    },
    {
	.description = "VLAN-tagged IPv4 forward keeps the tag",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .vlan = 42, .pl = RTP(3, 480)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out =
	    &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .vlan = 42, .pl = RTP(3, 480)},
    },
    {
	.description = "VLAN-tagged IPv6 forward keeps the tag",
	.streams = SESSION6_RTP("2001:db8:2::2"),
	.in = {TO_IN6, .vlan = 42, .pl = RTP(3, 480)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD6("2001:db8:2::2", MAC_B0, MAC_GW), .vlan = 42,
				  .pl = RTP(3, 480)},
    },
    {
	.description = "IPv4 with options forwards, options kept",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .ip_opt_words = 3, .pl = RTP(4, 640)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .ip_opt_words = 3,
				  .pl = RTP(4, 640)},
    },
    {
	.description = "IPv4 UDP checksum 0 stays 0",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .csum_zero = true, .pl = RTP(5, 800)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .csum_zero = true,
				  .pl = RTP(5, 800)},
    },
    {
	.description = "minimal RTP in a padded 60-byte frame forwards with its padding",
	.streams = SESSION4_RTP("198.18.2.2"),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .seq = 6, CUT(12)}, .pad_to = 60},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW),
				  .pl = {.type = PL_RTP, .seq = 6, CUT(12)}, .pad_to = 60},
    },
    {
	.description = "RTCP on an RTCP port forwards",
	.streams = {IN4(SLUICE_KIND_RTCP, SLUICE_ACT_FORWARD, 30001, 30011),
		    GW4(SLUICE_KIND_RTCP, 30011, 30001, "198.18.2.2")},
	.in = {TO_IN4, .dport = 30001, .pl = RTCP_SR},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out =
	    &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .sport = 30011, .pl = RTCP_SR},
    },
    {
	.description = "RTCP on a MUX port forwards",
	.streams = {IN4(SLUICE_KIND_MUX, SLUICE_ACT_FORWARD, 30000, 30010),
		    GW4(SLUICE_KIND_MUX, 30010, 30000, "198.18.2.2")},
	.in = {TO_IN4, .pl = {.type = PL_RTCP, .pt = 201}},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW),
				  .pl = {.type = PL_RTCP, .pt = 201}},
	.check = check_rtp_untouched,
    },
    {
	.description = "RTP (PT 96, marker) on a MUX port forwards",
	.streams = {IN4(SLUICE_KIND_MUX, SLUICE_ACT_FORWARD, 30000, 30010),
		    GW4(SLUICE_KIND_MUX, 30010, 30000, "198.18.2.2")},
	.in = {TO_IN4, .pl = {.type = PL_RTP, .pt = 0x80 | 96, .seq = 7}},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW),
				  .pl = {.type = PL_RTP, .pt = 0x80 | 96, .seq = 7}},
    },
    {
	.description = "forward without a neighbour entry: PASS to the daemon, fib_no_neigh",
	.streams = SESSION4_RTP("198.18.2.9"),
	.in = {TO_IN4, .pl = RTP(8, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.no_neigh = true,
    },
    {
	.description = "IPv6 forward without a neighbour entry: PASS to the daemon",
	.streams = SESSION6_RTP("2001:db8:2::9"),
	.in = {TO_IN6, .pl = RTP(8, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.no_neigh = true,
    },
    /* -- USERSPACE -- */
    {
	.description = "IPv4 USERSPACE stream: PASS unchanged",
	.streams = {IN4(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE, 30000, 30010)},
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "IPv6 USERSPACE stream on a VLAN: PASS unchanged",
	.streams = {IN6(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE)},
	.in = {TO_IN6, .vlan = 7, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    /* -- USERSPACE to the worker's AF_XDP socket -- */
    {
	.description = "AF_XDP: IPv4 SRTP leg to the worker's socket, header for the gateway",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 160)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw4,
    },
    {
	.description = "AF_XDP: IPv6 SRTP leg to the worker's socket, header for the gateway",
	.streams = SRTP6("2001:db8:2::2"),
	.xsk = &xsk_in6,
	.rx_queue = 1,
	.in = {TO_IN6, .pl = RTP(2, 320)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw6,
    },
    {
	.description = "AF_XDP: from the gateway side, header for the caller on a0",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_gw4,
	.ingress = "b0",
	.rx_queue = 1,
	.in = {FROM_GW4, .pl = RTP(9, 90)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_caller4,
    },
    {
	.description = "AF_XDP: the relayed packet leaves by the ingress device",
	.streams = SRTP4("198.18.1.3"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(3, 480)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_local4,
    },
    {
	.description = "AF_XDP: an unlatched stream latches, then redirects",
	.streams = {{.addr = "198.18.1.1",
		     .port = 30000,
		     .kind = SLUICE_KIND_RTP,
		     .action = SLUICE_ACT_USERSPACE,
		     .flags = SLUICE_F_STRICT_SOURCE,
		     .peer = "198.18.2.1",
		     .peer_port = 30010},
		    GW4(SLUICE_KIND_RTP, 30010, 30000, "198.18.2.2")},
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(4, 640)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw4,
	.check = check_latched_caller,
    },
    {
	.description = "AF_XDP: an SRTP stream's forged first packet goes to the worker, no latch",
	.streams = {SRTP_UNLATCHED4, GW4_USERSPACE("198.18.2.2")},
	.xsk = &xsk_srtp_call4,
	.rx_queue = 1,
	.in = {TO_IN4, .sport = 5002, .pl = RTP(4, 640)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw4,
	.check = check_srtp_unlatched,
    },
    {
	.description = "AF_XDP: SRTP caller not latched: the gateway's packet takes the UDP socket",
	.continues = true,
	.ingress = "b0",
	.rx_queue = 1,
	.in = {FROM_GW4, .pl = RTP(9, 90)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_srtp_unlatched,
    },
    {
	.description = "AF_XDP: the worker stored the caller's latch: gateway packets go to it",
	.continues = true,
	.before = worker_latches_caller,
	.ingress = "b0",
	.rx_queue = 1,
	.in = {FROM_GW4, .pl = RTP(10, 100)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_caller4,
	.check = check_srtp_latched,
    },
    {
	.description = "AF_XDP: IPv4 on queue 0, delivered live to a0's queue-0 socket",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4_worker0,
	.in = {TO_IN4, .pl = RTP(5, 800)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw4,
	.check = check_xsk_delivered,
    },
    {
	.description = "AF_XDP: IPv6 on queue 0, delivered live to a0's queue-0 socket",
	.streams = SRTP6("2001:db8:2::2"),
	.xsk = &xsk_in6_worker0,
	.in = {TO_IN6, .pl = RTP(6, 960)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw6,
	.check = check_xsk_delivered,
    },
    {
	.description = "AF_XDP: a 1400-byte payload still fits the egress MTU once protected",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = {.type = PL_RTP, .seq = 7, .body = 1400}},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_USERSPACE,
	.xsk_hdr = &xsk_hdr_gw4,
    },
    /* -- USERSPACE stays XDP_PASS unless every AF_XDP precondition holds -- */
    {
	.description = "AF_XDP: VLAN-tagged SRTP leg (the worker takes untagged frames): PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .vlan = 7, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: over the egress MTU once protected (1450-byte payload + 24): PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = {.type = PL_RTP, .seq = 8, .body = 1450}},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: stream without a sluice_xsk_ports entry: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_no_port,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: worker 1's stream arriving on queue 0: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 0,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: worker 0's stream arriving on queue 1: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4_worker0,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: ingress device without a slot: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_ingress_no_slot,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: ingress slot without a socket on the queue: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_ingress_no_socket,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: ingress slot out of range (its index would wrap): PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_ingress_slot_wraps,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: peer stream missing: PASS",
	.streams = {IN4(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE, 30000, 30010)},
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: peer stream not latched: PASS",
	.streams = {IN4(SLUICE_KIND_RTP, SLUICE_ACT_USERSPACE, 30000, 30010),
		    {.addr = "198.18.2.1",
		     .port = 30010,
		     .kind = SLUICE_KIND_RTP,
		     .action = SLUICE_ACT_USERSPACE,
		     .flags = SLUICE_F_STRICT_SOURCE,
		     .peer = "198.18.1.1",
		     .peer_port = 30000}},
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: no neighbour entry for the peer's remote (NO_NEIGH): PASS",
	.streams = SRTP4("198.18.2.9"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: IPv6, no neighbour entry for the peer's remote: PASS",
	.streams = SRTP6("2001:db8:2::9"),
	.xsk = &xsk_in6,
	.rx_queue = 1,
	.in = {TO_IN6, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: no route to the peer's remote: PASS",
	.streams = SRTP4("203.0.113.9"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: peer's remote of the other family: PASS",
	.streams = SRTP4("2001:db8:2::2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: egress device without a slot: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_egress_no_slot,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: egress slot without a socket on the queue: PASS",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_egress_no_socket,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "AF_XDP: strict source, another sender: SRC_NOT_LATCHED, no redirect",
	.streams = SRTP4("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .sport = 5002, .pl = RTP(1, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_SRC_NOT_LATCHED,
    },
    /* -- FORWARD streams ignore the AF_XDP maps -- */
    {
	.description = "AF_XDP maps set: an IPv4 FORWARD stream still forwards: REDIRECT",
	.streams = SESSION4_RTP("198.18.2.2"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 160)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.2.2", MAC_B0, MAC_GW), .pl = RTP(1, 160)},
    },
    {
	.description = "AF_XDP maps set: an IPv4 FORWARD stream still forwards: TX",
	.streams = SESSION4_RTP("198.18.1.3"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(1, 160)},
	.action = XDP_TX,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD4("198.18.1.3", MAC_A0, MAC_LOCAL), .pl = RTP(1, 160)},
    },
    {
	.description = "AF_XDP maps set: an IPv6 FORWARD stream still forwards: REDIRECT",
	.streams = SESSION6_RTP("2001:db8:2::2"),
	.xsk = &xsk_in6,
	.rx_queue = 1,
	.in = {TO_IN6, .pl = RTP(2, 320)},
	.action = XDP_REDIRECT,
	.verdict = SLUICE_V_FORWARD,
	.out = &(struct pkt_spec){FWD6("2001:db8:2::2", MAC_B0, MAC_GW), .pl = RTP(2, 320)},
    },
    {
	.description = "AF_XDP maps set: FORWARD without a neighbour entry: PASS, fib_no_neigh",
	.streams = SESSION4_RTP("198.18.2.9"),
	.xsk = &xsk_in4,
	.rx_queue = 1,
	.in = {TO_IN4, .pl = RTP(8, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.no_neigh = true,
    },
    /* -- latching -- */
    {
	.description = "latching: invalid first packet does not latch",
	.streams = UNLATCHED4(SLUICE_F_STRICT_SOURCE),
	.in = {TO_IN4, .pl = {.type = PL_RTP, .version = 1}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_VERSION,
	.check = check_not_latched,
    },
    {
	.description = "latching: the first valid packet latches its source",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_latched_caller,
    },
    {
	.description = "latching: strict, another source port: SRC_NOT_LATCHED",
	.continues = true,
	.in = {TO_IN4, .sport = 5002, .pl = RTP(2, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_SRC_NOT_LATCHED,
	.check = check_latched_caller,
    },
    {
	.description = "latching: strict, another source address: SRC_NOT_LATCHED",
	.continues = true,
	.in = {TO_IN4, .src = "198.18.1.3", .pl = RTP(3, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_SRC_NOT_LATCHED,
	.check = check_latched_caller,
    },
    {
	.description = "latching: strict, the latched source is accepted",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(4, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
    },
    {
	.description = "latching: not strict, the first packet latches",
	.streams = UNLATCHED4(0),
	.in = {TO_IN4, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_latched_caller,
    },
    {
	.description = "latching: not strict, another source is accepted, the latch stays",
	.continues = true,
	.in = {TO_IN4, .src = "198.18.1.3", .sport = 5002, .pl = RTP(2, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_latched_caller,
    },
    {
	.description = "latching: IPv6 strict stream latches, then drops another source",
	.streams = {{.addr = "2001:db8:1::1",
		     .port = 30100,
		     .kind = SLUICE_KIND_RTP,
		     .action = SLUICE_ACT_USERSPACE,
		     .flags = SLUICE_F_STRICT_SOURCE,
		     .peer = "2001:db8:2::1",
		     .peer_port = 30110}},
	.in = {TO_IN6, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_latched_caller6,
    },
    {
	.description = "latching: IPv6 strict, another source: SRC_NOT_LATCHED",
	.continues = true,
	.in = {TO_IN6, .src = "2001:db8:1::3", .pl = RTP(2, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_SRC_NOT_LATCHED,
	.check = check_latched_caller6,
    },
    /* -- latching of SRTP streams: their worker's, after authentication; never XDP's -- */
    {
	.description = "latching: SRTP, the first packet passes to the worker and latches nothing",
	.streams = {SRTP_UNLATCHED4},
	.in = {TO_IN4, .sport = 5002, .pl = RTP(1, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_srtp_unlatched,
    },
    {
	.description = "latching: SRTP, the next packet (the caller's) latches nothing either",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(2, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_srtp_unlatched,
    },
    {
	.description = "latching: SRTP, the worker's latch stored; another source still passes",
	.continues = true,
	.before = worker_latches_caller,
	.in = {TO_IN4, .src = "198.18.1.3", .sport = 5002, .pl = RTP(3, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_srtp_latched,
    },
    {
	.description = "latching: SRTP, a latch stored again does not move the first",
	.continues = true,
	.before = worker_latches_elsewhere,
	.in = {TO_IN4, .pl = RTP(4, 0)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_srtp_latched,
    },
    {
	.description = "latching: SRTP, a latch stored after a delete creates nothing: NO_SESSION",
	.before = worker_latches_deleted,
	.in = {TO_IN4, .pl = RTP(5, 0)},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_NO_SESSION,
    },
    /* -- RTP quality (RFC 3550 A.1, A.8) -- */
    {
	.description = "RTP quality: the first packet starts the statistics",
	.streams = RTP_STREAM4(1),
	.in = {TO_IN4, .pl = RTP(65534, 1000)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_first,
    },
    {
	.description = "RTP quality: next packet, jitter from a 16000-unit transit change",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(65535, 17000)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_second,
    },
    {
	.description = "RTP quality: sequence wrap counts a cycle",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(0, 33000)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_wrapped,
    },
    {
	.description = "RTP quality: a duplicate",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(0, 33000)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_duplicate,
    },
    {
	.description = "RTP quality: a large jump is held back",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(20000, 33160)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_jump,
    },
    {
	.description = "RTP quality: the jump confirmed restarts the sequence state",
	.continues = true,
	.in = {TO_IN4, .pl = RTP(20001, 33320)},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_resync,
    },
    {
	.description = "RTP quality: a new SSRC starts afresh",
	.continues = true,
	.in = {TO_IN4, .pl = {.type = PL_RTP, .seq = 7, .ssrc = 0x55667788}},
	.action = XDP_PASS,
	.verdict = SLUICE_V_USERSPACE,
	.check = check_rtp_new_ssrc,
    },
    {
	.description = "RTP quality: a dropped packet is not counted",
	.streams = RTP_STREAM4(8000),
	.in = {TO_IN4, .pl = {.type = PL_RTP, CUT(4)}},
	.action = XDP_DROP,
	.verdict = SLUICE_V_DROP,
	.drop = SLUICE_DROP_RTP_TRUNCATED,
	.check = check_rtp_untouched,
    },
};

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

/* ---- namespace and program ---- */

static const char *const netns_setup[] = {
    "ip link set lo up",
    /* Two queues each: AF_XDP sockets of workers 0 and 1. */
    "ip link add a0 numtxqueues 2 numrxqueues 2 address 02:00:00:00:0a:00 type veth"
    " peer name a1 numtxqueues 2 numrxqueues 2",
    "ip link add b0 numtxqueues 2 numrxqueues 2 address 02:00:00:00:0b:00 type veth"
    " peer name b1 numtxqueues 2 numrxqueues 2",
    "ip link set a0 up",
    "ip link set a1 up",
    "ip link set b0 up",
    "ip link set b1 up",
    "ip addr add 198.18.1.1/24 dev a0",
    "ip addr add 198.18.2.1/24 dev b0",
    "ip -6 addr add 2001:db8:1::1/64 dev a0 nodad",
    "ip -6 addr add 2001:db8:2::1/64 dev b0 nodad",
    "ip neigh replace 198.18.1.2 lladdr 02:00:00:00:0a:02 dev a0 nud permanent",
    "ip neigh replace 198.18.1.3 lladdr 02:00:00:00:0a:03 dev a0 nud permanent",
    "ip neigh replace 198.18.2.2 lladdr 02:00:00:00:0b:02 dev b0 nud permanent",
    "ip -6 neigh replace 2001:db8:1::3 lladdr 02:00:00:00:0a:03 dev a0 nud permanent",
    "ip -6 neigh replace 2001:db8:2::2 lladdr 02:00:00:00:0b:02 dev b0 nud permanent",
};

static int write_sysctl(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");
	int r;

	if (!f)
		return -errno;
	r = fputs(value, f) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* A fresh network namespace for this process; gone when it exits. */
static int setup_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "Failed to create a network namespace: %s\n", strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(netns_setup) / sizeof(netns_setup[0]); i++) {
		if (system(netns_setup[i]) != 0) {
			fprintf(stderr, "Failed to run '%s'\n", netns_setup[i]);
			return -EIO;
		}
	}
	/* bpf_fib_lookup() refuses to answer without forwarding. */
	if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") < 0 ||
	    write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1") < 0) {
		fprintf(stderr, "Failed to enable forwarding\n");
		return -EIO;
	}
	return 0;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Open and load the program with unpinned maps. Returns 0, -EPERM (no BPF here) or an error. */
static int load_program(void)
{
	struct bpf_map *map;
	int r;

	skel = relay_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(map, skel->obj)
	{
		r = bpf_map__set_pin_path(map, NULL);
		if (r < 0)
			return r;
	}
	skel->rodata->cfg_port_min = PORT_MIN;
	skel->rodata->cfg_port_max = PORT_MAX;
	r = relay_bpf__load(skel);
	if (r < 0)
		return r;

	prog_fd = bpf_program__fd(skel->progs.xdp_relay);
	streams_fd = bpf_map__fd(skel->maps.sluice_streams);
	stats_fd = bpf_map__fd(skel->maps.sluice_stream_stats);
	rtp_fd = bpf_map__fd(skel->maps.sluice_stream_rtp);
	global_fd = bpf_map__fd(skel->maps.sluice_global_stats);
	xsks_fd = bpf_map__fd(skel->maps.sluice_xsks);
	xsk_ifslots_fd = bpf_map__fd(skel->maps.sluice_xsk_ifslots);
	xsk_ports_fd = bpf_map__fd(skel->maps.sluice_xsk_ports);
	return 0;
}

/*
 * A copy-mode AF_XDP socket bound to a device queue: its own UMEM, an RX ring, every frame on the
 * fill ring. No XDP program is attached (test runs need none), and libxdp is told not to load
 * its own. Returns 0 or a negative errno.
 */
static int create_xsk(struct test_xsk *x, const char *dev, uint32_t queue)
{
	const struct xsk_umem_config umem_cfg = {
	    .fill_size = XSK_FRAMES,
	    .comp_size = XSK_FRAMES,
	    .frame_size = XSK_FRAME_SIZE,
	};
	const struct xsk_socket_config cfg = {
	    .rx_size = XSK_FRAMES,
	    .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	    .bind_flags = XDP_COPY,
	};
	size_t size = (size_t)XSK_FRAMES * XSK_FRAME_SIZE;
	uint32_t idx = 0;
	int r;

	x->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		return -errno;
	}
	r = xsk_umem__create(&x->umem, x->area, size, &x->fill, &x->comp, &umem_cfg);
	if (r < 0) {
		x->umem = NULL;
		return r;
	}
	r = xsk_socket__create(&x->socket, dev, queue, x->umem, &x->rx, NULL, &cfg);
	if (r < 0) {
		x->socket = NULL;
		return r;
	}
	if (xsk_ring_prod__reserve(&x->fill, XSK_FRAMES, &idx) != XSK_FRAMES)
		return -ENOSPC;
	for (uint32_t i = 0; i < XSK_FRAMES; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) = (uint64_t)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&x->fill, XSK_FRAMES);
	return 0;
}

static void destroy_xsks(void)
{
	for (size_t d = 0; d < NXSK_DEVS; d++) {
		for (uint32_t q = 0; q < NQUEUES; q++) {
			struct test_xsk *x = &xsks[d][q];

			if (x->socket)
				xsk_socket__delete(x->socket);
			if (x->umem)
				xsk_umem__delete(x->umem);
			if (x->area)
				munmap(x->area, (size_t)XSK_FRAMES * XSK_FRAME_SIZE);
			memset(x, 0, sizeof(*x));
		}
	}
}

/* All sockets, or none (then the AF_XDP fixtures are skipped). */
static void create_xsks(void)
{
	for (size_t d = 0; d < NXSK_DEVS; d++) {
		for (uint32_t q = 0; q < NQUEUES; q++) {
			int r = create_xsk(&xsks[d][q], xsk_devs[d], q);

			if (r < 0) {
				fprintf(stderr,
					"No AF_XDP socket on %s queue %u (%s): skipping those "
					"fixtures\n",
					xsk_devs[d], q, strerror(-r));
				destroy_xsks();
				return;
			}
		}
	}
	xsk_available = true;
}

int main(void)
{
	struct CMUnitTest tests[NFIXTURES];
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "Skipped: needs root\n");
		return SKIP_EXIT;
	}
	if (setup_netns() < 0)
		return SKIP_EXIT;

	libbpf_set_print(print_libbpf);
	r = load_program();
	if (r == -EPERM || r == -ENOSYS) {
		fprintf(stderr, "Skipped: BPF unavailable: %s\n", strerror(-r));
		return SKIP_EXIT;
	}
	if (r < 0) {
		fprintf(stderr, "Failed to load the relay program: %s\n", strerror(-r));
		return EXIT_FAILURE;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return EXIT_FAILURE;
	create_xsks();

	for (size_t i = 0; i < NFIXTURES; i++)
		tests[i] = (struct CMUnitTest){
		    .name = fixtures[i].description,
		    .test_func = run_fixture,
		    .initial_state = (void *)&fixtures[i],
		};
	r = _cmocka_run_group_tests("bpf-fixtures", tests, NFIXTURES, NULL, NULL);
	/* The sockets leave sluice_xsks as they close; the namespace goes with the process. */
	relay_bpf__destroy(skel);
	destroy_xsks();
	return r;
}
