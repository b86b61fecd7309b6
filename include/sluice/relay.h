/* SPDX-License-Identifier: MIT */
/*
 * What the XDP program and the daemon share: map keys and values, actions, verdicts and drop
 * reasons. One definition for both sides; userspace asserts every struct's size
 * (userspace/common/abi_check.c). Only fixed-width kernel types and explicit padding here.
 *
 * Addresses are 16 bytes in network order; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
 */
#ifndef SLUICE_RELAY_H
#define SLUICE_RELAY_H

#include <linux/types.h>
#include <linux/bpf.h>

/* Default capacity of the stream maps; the daemon resizes them before load (max_sessions * 4). */
#ifndef SLUICE_MAX_STREAMS
#define SLUICE_MAX_STREAMS 65536
#endif

#define SLUICE_RTP_VERSION	  2
#define SLUICE_RTP_HDR_LEN	  12
#define SLUICE_RTCP_HDR_LEN	  8
/* RFC 5761: on a muxed port, a second octet in 192..223 is RTCP. */
#define SLUICE_RTCP_PT_MIN	  192
#define SLUICE_RTCP_PT_MAX	  223
/* Forwarded packets leave as new packets of the relay. */
#define SLUICE_FORWARD_TTL	  64

/* What a stream's packets need: decided by the daemon per stream. */
enum sluice_action {
	SLUICE_ACT_FORWARD = 1, /* no crypto on either side: rewrite and forward in XDP */
	SLUICE_ACT_USERSPACE = 2, /* SRTP work: hand to the daemon's socket for the port */
};

/* What a stream's port carries. */
enum sluice_kind {
	SLUICE_KIND_RTP = 1,
	SLUICE_KIND_RTCP = 2,
	SLUICE_KIND_MUX = 3, /* RTP and RTCP on one port (rtcp-mux) */
};

enum sluice_leg {
	SLUICE_LEG_INTERNAL = 0,
	SLUICE_LEG_GATEWAY = 1,
};

/* sluice_stream.flags */
#define SLUICE_F_STRICT_SOURCE (1u << 0) /* drop packets not from the latched remote */
#define SLUICE_F_LATCHED       (1u << 1) /* remote_addr/port are valid (signalled or learned) */
#define SLUICE_F_SRTP	       (1u << 2) /* speaks SRTP: latched by its worker, never by XDP */

/* Final verdicts, counted per CPU in sluice_global_stats. */
enum sluice_verdict {
	SLUICE_V_FORWARD = 0,
	SLUICE_V_USERSPACE = 1,
	SLUICE_V_DROP = 2,
	SLUICE_V_PASS = 3,
	SLUICE_V_MAX,
};

/* Why a packet was dropped. Append only: the numbers are part of the pinned maps' ABI. */
enum sluice_drop_reason {
	SLUICE_DROP_NONE = 0,
	SLUICE_DROP_NO_SESSION = 1,	   /* UDP to the media port range, no stream */
	SLUICE_DROP_SRC_NOT_LATCHED = 2,  /* strict source: not from the latched remote */
	SLUICE_DROP_UDP_LENGTH = 3,	   /* UDP length disagrees with the IP payload */
	SLUICE_DROP_RTP_TRUNCATED = 4,	   /* header, CSRCs or extension do not fit */
	SLUICE_DROP_RTP_VERSION = 5,	   /* RTP version is not 2 */
	SLUICE_DROP_RTCP_MALFORMED = 6,	   /* RTCP: version, payload type or length wrong */
	SLUICE_DROP_PEER_UNKNOWN = 7,	   /* forward: the other leg has no remote yet */
	SLUICE_DROP_NO_ROUTE = 8,	   /* forward: no route to the other leg's remote */
	SLUICE_DROP_MAX,
};

/* Key of every per-stream map: the relay's own address and UDP port. */
struct sluice_stream_key {
	__u8 addr[16];
	__be16 port;
	__u16 pad; /* must be zero */
};

/*
 * One relay port of one leg. Written by the daemon. The latch (remote_addr/port and
 * SLUICE_F_LATCHED) is also written by XDP for plain streams and by the session's worker for
 * SLUICE_F_SRTP streams.
 */
struct sluice_stream {
	__u8 remote_addr[16]; /* the leg's remote endpoint, valid with SLUICE_F_LATCHED */
	__u8 peer_addr[16];   /* the other leg's stream (its key): where forwarded packets leave from */
	__be16 remote_port;
	__be16 peer_port;
	__u32 session_id;
	__u32 clock_rate; /* RTP clock rate of the leg's payload, Hz; 0 disables jitter */
	__u8 action;	  /* enum sluice_action */
	__u8 kind;	  /* enum sluice_kind */
	__u8 flags;	  /* SLUICE_F_* */
	__u8 leg;	  /* enum sluice_leg */
};

/* Per-CPU counters of one stream. Written by XDP; created and deleted by the daemon. */
struct sluice_stream_stats {
	__u64 packets; /* accepted (forwarded or handed to userspace) */
	__u64 bytes;   /* UDP payload bytes of those */
	__u64 last_seen_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the last accepted packet */
	__u64 drops[SLUICE_DROP_MAX];
};

/* RFC 3550 receiver state of one RTP stream (A.1 sequence tracking, A.8 jitter). */
struct sluice_rtp_quality {
	struct bpf_spin_lock lock;
	__u32 ssrc;
	__u32 received;	  /* packets counted into the loss statistics */
	__u32 cycles;	  /* sequence number cycles, shifted left 16 */
	__u32 base_seq;	  /* first sequence number seen */
	__u32 max_seq;	  /* highest sequence number seen (16 bits used) */
	__u32 bad_seq;	  /* RFC 3550 A.1: next seq expected after a large jump */
	__u32 transit;	  /* relative transit time of the previous packet, clock units */
	__u32 jitter;	  /* interarrival jitter in clock units, scaled by 16 */
	__u32 initialized; /* 0 until the first packet */
};

/* Machine-wide per-CPU counters (single entry array). */
struct sluice_global_stats {
	__u64 verdict_packets[SLUICE_V_MAX];
	__u64 verdict_bytes[SLUICE_V_MAX];
	__u64 drops[SLUICE_DROP_MAX];
	__u64 fib_no_neigh; /* forward packets handed to the kernel: next hop MAC unknown */
	__u64 xsk_redirects; /* userspace packets redirected to a worker's AF_XDP socket */
};

/*
 * AF_XDP for the crypto legs (docs/datapath.md). A worker may own one AF_XDP socket per relay
 * device, all on the device queue whose number is the worker's index. A USERSPACE stream's packet
 * goes to that socket instead of the UDP stack when its session's worker owns the queue it
 * arrived on and XDP can name where the relayed packet goes (the peer stream's latched remote, a
 * FIB hit); otherwise it passes to the stream's UDP socket as before.
 */
#define SLUICE_XSK_MAX_IFACES 16
#define SLUICE_XSK_MAX_QUEUES 64
#define SLUICE_XSK_MAGIC      0x534c5843u /* "SLXC" */

/* sluice_xsk_ports value, keyed by the stream key: where the stream's worker knows it. */
struct sluice_xsk_port {
	__u32 port;   /* the stream's port handle on its worker (dp_port_id) */
	__u32 worker; /* the worker's index = the device queue its AF_XDP sockets are bound to */
};

/*
 * What XDP prepends to a packet it redirects to an AF_XDP socket (before the Ethernet header):
 * the stream and the FIB lookup's answer for the peer stream's remote.
 */
struct sluice_xsk_hdr {
	__u32 magic;	  /* SLUICE_XSK_MAGIC */
	__u32 port;	  /* sluice_xsk_port.port of the stream the packet arrived on */
	__u32 ifindex;	  /* egress device of the relayed packet */
	__u8 dmac[6];	  /* next hop */
	__u8 smac[6];	  /* egress device's address */
	__u8 daddr[16];	  /* the destination the lookup was for (IPv4-mapped for IPv4) */
	__be16 dport;	  /* and its port */
	__u16 pad;
	__u32 pad2;
};

#endif /* SLUICE_RELAY_H */
