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
 * Fixtures run in order; one marked "continues" keeps the maps of the one before (latching and
 * RTP sequence tests), every other one starts from empty stream maps. Exit 77: not root, or no BPF.
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
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>

#include <sluice/relay.h>
#include "relay.skel.h"

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
static int ncpus;

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

static void setup_streams(const struct fixture *f)
{
	struct sluice_stream_stats *stats = calloc(ncpus, sizeof(*stats));

	assert_non_null(stats);
	clear_map(streams_fd, sizeof(struct sluice_stream_key));
	clear_map(stats_fd, sizeof(struct sluice_stream_key));
	clear_map(rtp_fd, sizeof(struct sluice_stream_key));
	for (int i = 0; i < MAX_STREAMS && f->streams[i].addr; i++) {
		const struct stream_spec *s = &f->streams[i];
		struct sluice_stream_key key, peer;
		struct sluice_stream st;
		struct sluice_rtp_quality q;

		memset(&st, 0, sizeof(st));
		make_key(s->addr, s->port, &key);
		if (s->remote) {
			struct sluice_stream_key remote;

			make_key(s->remote, s->remote_port, &remote);
			memcpy(st.remote_addr, remote.addr, 16);
			st.remote_port = remote.port;
		}
		make_key(s->peer, s->peer_port, &peer);
		memcpy(st.peer_addr, peer.addr, 16);
		st.peer_port = peer.port;
		st.session_id = 7;
		st.clock_rate = s->clock_rate;
		st.action = s->action;
		st.kind = s->kind;
		st.flags = s->flags;
		assert_int_equal(bpf_map_update_elem(streams_fd, &key, &st, BPF_NOEXIST), 0);
		assert_int_equal(bpf_map_update_elem(stats_fd, &key, stats, BPF_NOEXIST), 0);
		if (s->kind != SLUICE_KIND_RTCP && !s->no_rtp) {
			memset(&q, 0, sizeof(q));
			assert_int_equal(bpf_map_update_elem(rtp_fd, &key, &q, BPF_NOEXIST), 0);
		}
	}
	free(stats);
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
	uint8_t in[1600], want[1600], out[1600];
	size_t in_len, want_len;
	struct sluice_global_stats g0, g1;
	struct sluice_stream_stats s0, s1;
	struct sluice_stream_key dst_key;
	bool have_stats = false;
	struct xdp_md md;
	int drop = f->verdict == SLUICE_V_DROP ? f->drop : SLUICE_DROP_NONE;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (!f->continues)
		setup_streams(f);

	in_len = build_packet(&f->in, in, sizeof(in));
	if (f->out)
		want_len = build_packet(f->out, want, sizeof(want));
	else
		memcpy(want, in, want_len = in_len);

	if (f->in.family) {
		make_key(f->in.dst, f->in.dport, &dst_key);
		have_stats = read_stream_stats(&dst_key, &s0);
	}
	read_global_stats(&g0);

	memset(&md, 0, sizeof(md));
	md.data_end = in_len;
	md.ingress_ifindex = if_nametoindex(f->ingress ? f->ingress : "a0");
	assert_int_not_equal(md.ingress_ifindex, 0);
	opts.data_in = in;
	opts.data_size_in = in_len;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.ctx_in = &md;
	opts.ctx_size_in = sizeof(md);
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &opts), 0);

	if ((int)opts.retval != f->action)
		fail_msg("XDP action %s, expected %s", action_name(opts.retval),
			 action_name(f->action));
	assert_bytes_equal(out, opts.data_size_out, want, want_len);
	if (f->action == XDP_TX || f->action == XDP_REDIRECT)
		assert_checksums_valid(out, opts.data_size_out);

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
    "ip link add a0 address 02:00:00:00:0a:00 type veth peer name a1",
    "ip link add b0 address 02:00:00:00:0b:00 type veth peer name b1",
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
	return 0;
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

	for (size_t i = 0; i < NFIXTURES; i++)
		tests[i] = (struct CMUnitTest){
		    .name = fixtures[i].description,
		    .test_func = run_fixture,
		    .initial_state = (void *)&fixtures[i],
		};
	r = _cmocka_run_group_tests("bpf-fixtures", tests, NFIXTURES, NULL, NULL);
	relay_bpf__destroy(skel);
	return r;
}
