// SPDX-License-Identifier: MIT
/*
 * sluice-gen: an RTP (or RTCP) traffic generator and a verifying sink, for tests and benchmarks.
 * It knows nothing about the relay. The sender runs N streams, stream i from source port
 * BASE + i*step to destination port PORT + i*S, paced by the clock with sendmmsg batches. Every
 * packet carries, after its RTP (or RTCP APP) header, a probe header (magic, stream index, packet
 * number, CLOCK_MONOTONIC send time) and filler bytes derived from (stream, packet number), so
 * the sink can verify every byte, count loss, duplicates and reordering, and measure one-way
 * latency on the same host. `sink --echo` reflects every packet back to its source.
 *
 * SRTP: `send --srtp SUITE --key B64` protects what it sends, `--rx-srtp SUITE --rx-key B64`
 * unprotects what a sink (or `send --recv`) receives before verifying it, both with the libsrtp2
 * engine of sluice's SRTP library, so an end-to-end test checks the relay's engine against an
 * independent one on every packet. Fault injection for hostile tests sends, for every Nth packet
 * (--every N), an altered copy just before the genuine packet (bit flips, wrong key, changed
 * SSRC, absurd CSRC count or extension length, truncation), and --replay resends genuine packets.
 *
 * Transit: the latency above runs from the stamped send time, so it includes how late the sender
 * was. `sink --tap-iface DEV [--tap-netns NS]` also measures each packet's transit from kernel
 * timestamps only: an AF_PACKET ring on the sender's interface (possibly in another network
 * namespace) sees it leave, the sink's socket says when it arrived (SO_TIMESTAMPNS), both
 * CLOCK_REALTIME. Packets are matched by SSRC and RTP sequence number, which a relay keeps and
 * SRTP leaves in the clear, so they match across SRTP -> RTP and RTP -> SRTP.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "daemon/base64.h"
#include "srtp/srtp.h"

#define GEN_MAGIC	    0x534c474eu /* "SLGN", also the RTCP APP name */
#define GEN_PROBE_LEN	    20		/* magic, stream, packet number, send time */
#define GEN_RTP_HDR_LEN	    12
#define GEN_RTCP_HDR_LEN    8
#define GEN_RTCP_APP_PT	    204
#define GEN_MAX_PACKET	    1472		  /* one Ethernet frame of IPv4 UDP payload */
#define GEN_BUF_SIZE	    (GEN_MAX_PACKET + 64) /* room for the SRTP trailer */
#define GEN_COPIES	    3 /* per packet sent: hostile copy, genuine, replayed copy */
#define GEN_REPLAY_LAG_MAX  4096
#define GEN_MAX_STREAMS	    65536
#define GEN_BATCH_MAX	    256
#define GEN_BITMAP_MAX_BITS (1u << 27) /* per stream: 16 MiB; later packet numbers count as bad */
#define LAT_FINE_US	    10000      /* 1 us buckets below 10 ms */
#define LAT_COARSE_MS	    60000      /* then 1 ms buckets up to 60 s */
#define TAP_SNAPLEN	    128	       /* Ethernet, IPv6, UDP and RTP headers fit */
#define TAP_BLOCK_SIZE	    (1u << 20)
#define TAP_BLOCK_NR	    32 /* a 32 MiB ring: ~150000 packets between two reads */
#define TAP_FRAME_SIZE	    256
#define TAP_RETIRE_MS	    4	       /* a block is handed over this long after its first packet */
#define TAP_EVENT	    UINT32_MAX /* the tap's epoll data; stream indexes are below it */
#define TRANSIT_MAX_PACKETS (1ull << 25) /* --streams x --expect with a tap: 16 bytes each */
#define SINK_CONTROL_LEN    64		 /* room for one SCM_TIMESTAMPNS per received packet */

static volatile sig_atomic_t stop_requested;
/* --srtp-engine: libsrtp2 by default, an implementation independent of the relay's default. */
static enum sluice_srtp_engine gen_srtp_engine = SLUICE_SRTP_LIBSRTP;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {.tv_sec = deadline / 1000000000ull,
			      .tv_nsec = deadline % 1000000000ull};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR &&
	       !stop_requested)
		;
}

static double cpu_seconds(double *ret_user, double *ret_sys)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*ret_user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*ret_sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	return *ret_user + *ret_sys;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* The filler is a function of (stream, packet number, offset) only. */
static uint32_t filler_seed(uint32_t stream, uint32_t pktno)
{
	uint32_t x = stream * 2654435761u ^ (pktno + 1) * 40503u;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

static inline uint8_t filler_byte(uint32_t seed, size_t offset)
{
	return (uint8_t)((seed >> ((offset & 3) * 8)) + offset);
}

/* ---- options shared by both modes ---- */

struct gen_options {
	struct endpoint dst; /* send: destination of stream 0 */
	struct endpoint src; /* send: source address (and base port); sink: bind address */
	bool have_src;
	uint32_t streams;
	uint32_t dst_port_step;
	uint32_t src_port_step;
	double rate;	  /* send: packets/s over all streams */
	uint64_t count;	  /* send: per stream; sink: --expect per stream */
	double duration;  /* seconds; 0 = until count */
	double timeout;	  /* sink with --expect: give up after this long */
	uint32_t payload; /* RTP payload bytes (after the 12-byte RTP header) */
	uint32_t ssrc_base;
	bool have_ssrc_base;
	uint32_t pt;
	uint32_t batch;
	bool rtcp;
	bool json;
	bool echo;
	bool busy_poll;
	bool recv;	      /* send: also receive and verify on the sending sockets */
	uint64_t recv_expect; /* send: per stream, stop receiving when all arrived */
	double recv_timeout;  /* send: keep receiving this long after the last send */
	const char *ready_file;
	const char *start_after;
	uint32_t rtp_version; /* send: fault injection, the RTP/RTCP version bits (default 2) */
	uint32_t truncate;    /* send: fault injection, cut every packet to this many bytes */
	/* SRTP (libsrtp2 engine): tx protects what send sends, rx unprotects what is received */
	bool srtp;
	enum sluice_srtp_suite srtp_suite;
	const char *srtp_key;
	bool rx_srtp;
	enum sluice_srtp_suite rx_srtp_suite;
	const char *rx_srtp_key;
	/* send: hostile copies of every Nth packet, sent just before the genuine one */
	uint32_t every;
	bool inject;  /* some hostile copy is asked for */
	int flip_bit; /* 0 none, 1 payload, 2 tag */
	bool wrong_key;
	bool ssrc_change;
	uint32_t csrc_count; /* 0 none: else CC bits, packet cut 4 bytes short of the CSRC list */
	uint32_t ext_len;    /* 0 none: else X bit and an extension header of this length */
	bool have_ext_len;
	uint32_t replay;     /* send: resend every Nth packet (0 none) */
	uint32_t replay_lag; /* ... the one sent this many packets before */
	bool have_seq_start;
	uint32_t seq_start;
	uint32_t reorder_window; /* send: reverse blocks of K packets around each sequence wrap */
	bool precompute;	 /* send: build (and protect) every packet before the first send */
	const char *latency_cdf; /* sink: write the latency distribution to this file */
	const char *transit_cdf; /* sink, --tap-iface: the transit distribution */
	const char *tap_iface; /* sink: the sender's interface, where the tap sees packets leave */
	const char *tap_netns; /* ... in this network namespace (name in /run/netns, or a path) */
};

/* The unspecified address ("0.0.0.0" or "::") of family, with port. */
static struct endpoint endpoint_any(int family, uint16_t port)
{
	struct endpoint ep = {.family = family, .port = port};

	if (family == AF_INET6)
		ep.addr.v6 = in6addr_any;
	return ep;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t v;
	int r = parse_u64(s, min, max, &v);

	if (r == 0)
		*ret = (uint32_t)v;
	return r;
}

static int parse_seconds(const char *s, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 86400)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage:\n"
	    "  sluice-gen send --dst ADDR:PORT --streams N --rate PPS (--count N | --duration "
	    "SEC)\n"
	    "                  [--dst-port-step S] [--src ADDR[:PORT]] [--src-port BASE] "
	    "[--src-port-step S]\n"
	    "                  [--payload BYTES] [--ssrc-base X] [--pt N] [--rtcp] [--batch N] "
	    "[--json]\n"
	    "                  [--recv] [--recv-expect N] [--recv-timeout SEC] [--ready-file "
	    "PATH]\n"
	    "                  [--start-after PATH] [--rtp-version V] [--truncate BYTES]\n"
	    "                  [--srtp SUITE --key B64] [--rx-srtp SUITE --rx-key B64]\n"
	    "                  [--every N] [--flip-bit payload|tag] [--wrong-key] [--ssrc-change]\n"
	    "                  [--csrc-count N] [--ext-len N] [--replay N [--replay-lag L]]\n"
	    "                  [--seq-start S] [--reorder-window K] [--precompute]\n"
	    "                  [--srtp-engine openssl|libsrtp]\n"
	    "  sluice-gen sink --bind ADDR --port BASE --streams N [--port-step S]\n"
	    "                  (--duration SEC | --expect N [--timeout SEC]) [--ssrc-base X] "
	    "[--rtcp]\n"
	    "                  [--echo] [--busy-poll] [--ready-file PATH] [--json]\n"
	    "                  [--rx-srtp SUITE --rx-key B64] [--latency-cdf FILE]\n"
	    "                  [--srtp-engine openssl|libsrtp]\n"
	    "                  [--tap-iface DEV [--tap-netns NS] [--transit-cdf FILE]]\n"
	    "send: --rate is the total over all streams, --count is per stream; stream i sends "
	    "from\n"
	    "  source port BASE+i*step (ephemeral without --src-port) to PORT+i*S. --rtcp sends "
	    "RTCP APP\n"
	    "  packets instead of RTP. --payload is the RTP payload size (default 160, G.711 20 "
	    "ms).\n"
	    "  --recv also verifies what arrives on the sending sockets (a symmetric RTP endpoint: "
	    "the\n"
	    "  far side's stream i, or sink --echo), reported under \"rx\"; --recv-expect N stops\n"
	    "  receiving once every stream has N packets, else after --recv-timeout (default 3 "
	    "s).\n"
	    "  --ready-file is created once the sockets are bound; --start-after waits (up to 10 "
	    "s)\n"
	    "  for a file before sending: two endpoints start together without losing packets.\n"
	    "  Fault injection: --rtp-version sets the version bits, --truncate cuts every "
	    "packet.\n"
	    "  SRTP (libsrtp2): --srtp/--key protect what is sent (key||salt base64, SDES style);\n"
	    "  --rx-srtp/--rx-key unprotect what is received (failures count as srtp_errors).\n"
	    "  Hostile copies: with --every N, every Nth packet is preceded by an altered copy:\n"
	    "  --flip-bit payload|tag, --wrong-key (protected with another key), --ssrc-change,\n"
	    "  --csrc-count N (CC=N, cut 4 bytes short of the CSRCs), --ext-len N (X bit,\n"
	    "  extension length N), --truncate BYTES (with --every: a cut copy). --replay N sends\n"
	    "  every Nth packet again after it (--replay-lag L: the one L packets earlier).\n"
	    "  --seq-start S: first RTP sequence number; --reorder-window K reverses blocks of K\n"
	    "  packets around every sequence number wrap.\n"
	    "  --precompute builds and protects every packet before the first send (send times\n"
	    "  stamped are the scheduled ones; the timed loop only calls sendmmsg): the\n"
	    "  generator's own ceiling for benchmarks. Not with hostile copies or --replay. Its\n"
	    "  --ready-file then appears once the packets are built and holds the nanoseconds\n"
	    "  until the first send.\n"
	    "  --key/--rx-key @FILE: one key per line, line i for stream i. --srtp-engine\n"
	    "  openssl|libsrtp (default libsrtp, independent of the relay's default engine):\n"
	    "  a benchmark's sink decrypts ~6x cheaper with openssl.\n"
	    "sink: one socket per stream on BASE+i*step; verifies headers and every payload byte; "
	    "counts\n"
	    "  received, lost, duplicates, reordered and bad packets per stream; one-way latency\n"
	    "  percentiles from the embedded CLOCK_MONOTONIC send time. --expect N stops when "
	    "every\n"
	    "  stream has N packets (or after --timeout, default 10 s). SIGINT/SIGTERM stop and "
	    "report.\n"
	    "  --latency-cdf FILE writes \"microseconds cumulative-fraction\" lines.\n"
	    "  --tap-iface DEV: transit from kernel timestamps, without the sender's lag: an\n"
	    "  AF_PACKET tap on the sender's interface DEV (in network namespace NS, a name\n"
	    "  in /run/netns or a path, with --tap-netns) takes the time each RTP packet\n"
	    "  leaves, the sink's socket when it arrived (SO_TIMESTAMPNS); packets match\n"
	    "  by SSRC and sequence number (kept by a relay, in the clear with SRTP). Reports\n"
	    "  transit_p50/p99/max (us) and transit_matched (packets seen on both sides);\n"
	    "  --transit-cdf FILE writes their distribution like --latency-cdf.\n"
	    "  Needs --expect and --ssrc-base, RTP only, --streams x --expect up to 33554432;\n"
	    "  the tap opens before --ready-file appears (start the sender after it).\n");
}

enum {
	OPT_DST = 256,
	OPT_STREAMS,
	OPT_DST_PORT_STEP,
	OPT_SRC,
	OPT_SRC_PORT,
	OPT_SRC_PORT_STEP,
	OPT_RATE,
	OPT_COUNT,
	OPT_DURATION,
	OPT_PAYLOAD,
	OPT_SSRC_BASE,
	OPT_PT,
	OPT_JSON,
	OPT_BIND,
	OPT_PORT,
	OPT_PORT_STEP,
	OPT_EXPECT,
	OPT_TIMEOUT,
	OPT_ECHO,
	OPT_RTCP,
	OPT_BATCH,
	OPT_BUSY_POLL,
	OPT_READY_FILE,
	OPT_RECV,
	OPT_RECV_EXPECT,
	OPT_RECV_TIMEOUT,
	OPT_START_AFTER,
	OPT_RTP_VERSION,
	OPT_TRUNCATE,
	OPT_SRTP,
	OPT_KEY,
	OPT_RX_SRTP,
	OPT_RX_KEY,
	OPT_EVERY,
	OPT_FLIP_BIT,
	OPT_WRONG_KEY,
	OPT_SSRC_CHANGE,
	OPT_CSRC_COUNT,
	OPT_EXT_LEN,
	OPT_REPLAY,
	OPT_REPLAY_LAG,
	OPT_SEQ_START,
	OPT_REORDER_WINDOW,
	OPT_PRECOMPUTE,
	OPT_LATENCY_CDF,
	OPT_TRANSIT_CDF,
	OPT_SRTP_ENGINE,
	OPT_TAP_IFACE,
	OPT_TAP_NETNS,
	OPT_HELP,
};

static const struct option long_options[] = {
    {"dst", required_argument, NULL, OPT_DST},
    {"streams", required_argument, NULL, OPT_STREAMS},
    {"dst-port-step", required_argument, NULL, OPT_DST_PORT_STEP},
    {"src", required_argument, NULL, OPT_SRC},
    {"src-port", required_argument, NULL, OPT_SRC_PORT},
    {"src-port-step", required_argument, NULL, OPT_SRC_PORT_STEP},
    {"rate", required_argument, NULL, OPT_RATE},
    {"count", required_argument, NULL, OPT_COUNT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"ssrc-base", required_argument, NULL, OPT_SSRC_BASE},
    {"pt", required_argument, NULL, OPT_PT},
    {"json", no_argument, NULL, OPT_JSON},
    {"bind", required_argument, NULL, OPT_BIND},
    {"port", required_argument, NULL, OPT_PORT},
    {"port-step", required_argument, NULL, OPT_PORT_STEP},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"echo", no_argument, NULL, OPT_ECHO},
    {"rtcp", no_argument, NULL, OPT_RTCP},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"busy-poll", no_argument, NULL, OPT_BUSY_POLL},
    {"ready-file", required_argument, NULL, OPT_READY_FILE},
    {"recv", no_argument, NULL, OPT_RECV},
    {"recv-expect", required_argument, NULL, OPT_RECV_EXPECT},
    {"recv-timeout", required_argument, NULL, OPT_RECV_TIMEOUT},
    {"start-after", required_argument, NULL, OPT_START_AFTER},
    {"rtp-version", required_argument, NULL, OPT_RTP_VERSION},
    {"truncate", required_argument, NULL, OPT_TRUNCATE},
    {"srtp", required_argument, NULL, OPT_SRTP},
    {"key", required_argument, NULL, OPT_KEY},
    {"rx-srtp", required_argument, NULL, OPT_RX_SRTP},
    {"rx-key", required_argument, NULL, OPT_RX_KEY},
    {"every", required_argument, NULL, OPT_EVERY},
    {"flip-bit", required_argument, NULL, OPT_FLIP_BIT},
    {"wrong-key", no_argument, NULL, OPT_WRONG_KEY},
    {"ssrc-change", no_argument, NULL, OPT_SSRC_CHANGE},
    {"csrc-count", required_argument, NULL, OPT_CSRC_COUNT},
    {"ext-len", required_argument, NULL, OPT_EXT_LEN},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"replay-lag", required_argument, NULL, OPT_REPLAY_LAG},
    {"seq-start", required_argument, NULL, OPT_SEQ_START},
    {"reorder-window", required_argument, NULL, OPT_REORDER_WINDOW},
    {"precompute", no_argument, NULL, OPT_PRECOMPUTE},
    {"latency-cdf", required_argument, NULL, OPT_LATENCY_CDF},
    {"transit-cdf", required_argument, NULL, OPT_TRANSIT_CDF},
    {"srtp-engine", required_argument, NULL, OPT_SRTP_ENGINE},
    {"tap-iface", required_argument, NULL, OPT_TAP_IFACE},
    {"tap-netns", required_argument, NULL, OPT_TAP_NETNS},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

/* Checks --tap-iface/--tap-netns against the rest; 0, or -EINVAL after printing what is wrong. */
static int parse_tap_options(bool sending, const struct gen_options *o)
{
	const char *why = NULL;

	if (!o->tap_iface && !o->tap_netns && !o->transit_cdf)
		return 0;
	if (sending)
		why = "--tap-iface and --tap-netns are sink options";
	else if (!o->tap_iface)
		why = "--tap-netns and --transit-cdf need --tap-iface";
	else if (!o->count)
		why = "--tap-iface needs --expect (timestamps are kept per packet number)";
	else if (!o->have_ssrc_base)
		why = "--tap-iface needs --ssrc-base (the tap tells streams apart by SSRC)";
	else if (o->rtcp)
		why = "--tap-iface needs RTP (packets are matched by sequence number)";
	if (why) {
		fprintf(stderr, "sluice-gen: %s\n", why);
		return -EINVAL;
	}
	if ((uint64_t)o->streams * o->count > TRANSIT_MAX_PACKETS) {
		fprintf(stderr,
			"sluice-gen sink: --tap-iface keeps two timestamps per expected packet: "
			"--streams x --expect = %" PRIu64 " is above the cap of %llu\n",
			(uint64_t)o->streams * o->count, TRANSIT_MAX_PACKETS);
		return -EINVAL;
	}
	return 0;
}

/* Returns 0, or -EINVAL after printing what is wrong. */
static int parse_options(int argc, char **argv, bool sending, struct gen_options *o)
{
	bool have_dst = false, have_bind = false, have_port = false;
	uint32_t src_port = 0, port = 0;
	bool have_src_port = false;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_DST:
			r = endpoint_parse(optarg, false, &o->dst);
			have_dst = r == 0;
			break;
		case OPT_SRC:
		case OPT_BIND:
			r = endpoint_parse(optarg, true, &o->src);
			o->have_src = r == 0;
			have_bind = r == 0;
			break;
		case OPT_STREAMS:
			r = parse_u32(optarg, 1, GEN_MAX_STREAMS, &o->streams);
			break;
		case OPT_DST_PORT_STEP:
		case OPT_PORT_STEP:
			r = parse_u32(optarg, 0, 65535, &o->dst_port_step);
			break;
		case OPT_SRC_PORT:
			r = parse_u32(optarg, 1, 65535, &src_port);
			have_src_port = r == 0;
			break;
		case OPT_SRC_PORT_STEP:
			r = parse_u32(optarg, 0, 65535, &o->src_port_step);
			break;
		case OPT_PORT:
			r = parse_u32(optarg, 1, 65535, &port);
			have_port = r == 0;
			break;
		case OPT_RATE: {
			char *end;

			errno = 0;
			o->rate = strtod(optarg, &end);
			if (errno || *end || !(o->rate > 0) || o->rate > 1e8)
				r = -EINVAL;
			break;
		}
		case OPT_COUNT:
		case OPT_EXPECT:
			r = parse_u64(optarg, 1, UINT32_MAX, &o->count);
			break;
		case OPT_DURATION:
			r = parse_seconds(optarg, &o->duration);
			break;
		case OPT_TIMEOUT:
			r = parse_seconds(optarg, &o->timeout);
			break;
		case OPT_PAYLOAD:
			r = parse_u32(optarg, GEN_PROBE_LEN, GEN_MAX_PACKET - GEN_RTP_HDR_LEN,
				      &o->payload);
			break;
		case OPT_SSRC_BASE:
			r = parse_u32(optarg, 0, UINT32_MAX, &o->ssrc_base);
			o->have_ssrc_base = r == 0;
			break;
		case OPT_PT:
			r = parse_u32(optarg, 0, 127, &o->pt);
			break;
		case OPT_BATCH:
			r = parse_u32(optarg, 1, GEN_BATCH_MAX, &o->batch);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_ECHO:
			o->echo = true;
			break;
		case OPT_RTCP:
			o->rtcp = true;
			break;
		case OPT_BUSY_POLL:
			o->busy_poll = true;
			break;
		case OPT_READY_FILE:
			o->ready_file = optarg;
			break;
		case OPT_RECV:
			o->recv = true;
			break;
		case OPT_RECV_EXPECT:
			r = parse_u64(optarg, 1, UINT32_MAX, &o->recv_expect);
			o->recv = true;
			break;
		case OPT_RECV_TIMEOUT:
			r = parse_seconds(optarg, &o->recv_timeout);
			break;
		case OPT_START_AFTER:
			o->start_after = optarg;
			break;
		case OPT_RTP_VERSION:
			r = parse_u32(optarg, 0, 3, &o->rtp_version);
			break;
		case OPT_TRUNCATE:
			r = parse_u32(optarg, 1, GEN_MAX_PACKET, &o->truncate);
			break;
		case OPT_SRTP:
			r = sluice_srtp_suite_from_name(optarg, &o->srtp_suite);
			o->srtp = r == 0;
			break;
		case OPT_KEY:
			o->srtp_key = optarg;
			break;
		case OPT_RX_SRTP:
			r = sluice_srtp_suite_from_name(optarg, &o->rx_srtp_suite);
			o->rx_srtp = r == 0;
			break;
		case OPT_RX_KEY:
			o->rx_srtp_key = optarg;
			break;
		case OPT_EVERY:
			r = parse_u32(optarg, 1, UINT32_MAX, &o->every);
			break;
		case OPT_FLIP_BIT:
			if (strcmp(optarg, "payload") == 0)
				o->flip_bit = 1;
			else if (strcmp(optarg, "tag") == 0)
				o->flip_bit = 2;
			else
				r = -EINVAL;
			break;
		case OPT_WRONG_KEY:
			o->wrong_key = true;
			break;
		case OPT_SSRC_CHANGE:
			o->ssrc_change = true;
			break;
		case OPT_CSRC_COUNT:
			r = parse_u32(optarg, 1, 15, &o->csrc_count);
			break;
		case OPT_EXT_LEN:
			r = parse_u32(optarg, 0, 65535, &o->ext_len);
			o->have_ext_len = r == 0;
			break;
		case OPT_REPLAY:
			r = parse_u32(optarg, 1, UINT32_MAX, &o->replay);
			break;
		case OPT_REPLAY_LAG:
			r = parse_u32(optarg, 0, GEN_REPLAY_LAG_MAX, &o->replay_lag);
			break;
		case OPT_SEQ_START:
			r = parse_u32(optarg, 0, 65535, &o->seq_start);
			o->have_seq_start = r == 0;
			break;
		case OPT_REORDER_WINDOW:
			r = parse_u32(optarg, 2, 64, &o->reorder_window);
			break;
		case OPT_PRECOMPUTE:
			o->precompute = true;
			break;
		case OPT_LATENCY_CDF:
			o->latency_cdf = optarg;
			break;
		case OPT_TRANSIT_CDF:
			o->transit_cdf = optarg;
			break;
		case OPT_SRTP_ENGINE:
			if (strcmp(optarg, "libsrtp") == 0)
				gen_srtp_engine = SLUICE_SRTP_LIBSRTP;
			else if (strcmp(optarg, "openssl") == 0)
				gen_srtp_engine = SLUICE_SRTP_OPENSSL;
			else
				r = -EINVAL;
			break;
		case OPT_TAP_IFACE:
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE)
				r = -EINVAL;
			o->tap_iface = optarg;
			break;
		case OPT_TAP_NETNS:
			if (!*optarg)
				r = -EINVAL;
			o->tap_netns = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "sluice-gen: invalid value for --%s: '%s'\n",
				long_options[c - OPT_DST].name, optarg);
			return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluice-gen: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (o->streams == 0) {
		fprintf(stderr, "sluice-gen: --streams is required\n");
		return -EINVAL;
	}
	if (o->srtp != (o->srtp_key != NULL) || o->rx_srtp != (o->rx_srtp_key != NULL)) {
		fprintf(stderr, "sluice-gen: --srtp needs --key, --rx-srtp needs --rx-key\n");
		return -EINVAL;
	}
	o->inject = o->flip_bit || o->wrong_key || o->ssrc_change || o->csrc_count ||
		    o->have_ext_len || (o->every && o->truncate);
	if (o->inject && !o->every)
		o->every = 1;
	if (o->precompute && (o->inject || o->replay)) {
		fprintf(stderr, "sluice-gen: --precompute does not combine with hostile copies or "
				"--replay\n");
		return -EINVAL;
	}
	if ((o->flip_bit || o->wrong_key) && !o->srtp) {
		fprintf(stderr, "sluice-gen: --flip-bit and --wrong-key need --srtp\n");
		return -EINVAL;
	}
	if (sending) {
		if (!have_dst || o->rate == 0 || (o->count == 0 && o->duration == 0)) {
			fprintf(stderr,
				"sluice-gen send: needs --dst, --rate and --count or --duration\n");
			return -EINVAL;
		}
		if (o->have_src && o->src.family != o->dst.family) {
			fprintf(stderr,
				"sluice-gen send: --src and --dst are of different families\n");
			return -EINVAL;
		}
		if (have_src_port)
			o->src.port = (uint16_t)src_port;
		if (have_src_port && !o->have_src) {
			o->src = endpoint_any(o->dst.family, (uint16_t)src_port);
			o->have_src = true;
		}
		if (o->have_src && o->src.port && o->src_port_step == 0 && o->streams > 1) {
			fprintf(stderr, "sluice-gen send: several streams need --src-port-step "
					"with --src-port\n");
			return -EINVAL;
		}
		if ((uint64_t)o->dst.port + (uint64_t)(o->streams - 1) * o->dst_port_step > 65535 ||
		    (uint64_t)o->src.port + (uint64_t)(o->streams - 1) * o->src_port_step > 65535) {
			fprintf(stderr, "sluice-gen send: port range beyond 65535\n");
			return -EINVAL;
		}
		if (o->dst_port_step == 0 && o->streams > 1)
			fprintf(stderr, "sluice-gen send: warning: all streams go to one port\n");
	} else {
		if (!have_bind || !have_port || (o->count == 0 && o->duration == 0)) {
			fprintf(
			    stderr,
			    "sluice-gen sink: needs --bind, --port and --duration or --expect\n");
			return -EINVAL;
		}
		o->src.port = (uint16_t)port;
		if (o->dst_port_step == 0)
			o->dst_port_step = 1;
		if ((uint64_t)port + (uint64_t)(o->streams - 1) * o->dst_port_step > 65535) {
			fprintf(stderr, "sluice-gen sink: port range beyond 65535\n");
			return -EINVAL;
		}
	}
	return parse_tap_options(sending, o);
}

static int udp_socket_bound(const struct endpoint *ep, bool nonblocking)
{
	struct sockaddr_storage ss;
	socklen_t len = endpoint_to_sockaddr(ep, &ss);
	int one = 1, size = 4 << 20;
	int fd =
	    socket(ep->family, SOCK_DGRAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -errno;
	if (ep->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

struct latency_hist {
	uint64_t fine[LAT_FINE_US];
	uint64_t coarse[LAT_COARSE_MS + 1];
	uint64_t count, max_ns;
	double sum_us;
};

static void latency_add(struct latency_hist *h, uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (us < LAT_FINE_US)
		h->fine[us]++;
	else if (us / 1000 < LAT_COARSE_MS)
		h->coarse[us / 1000]++;
	else
		h->coarse[LAT_COARSE_MS]++;
	h->count++;
	h->sum_us += (double)ns / 1000.0;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Microseconds below which fraction q of the samples lie (bucket upper bound). */
static double latency_quantile(const struct latency_hist *h, double q)
{
	uint64_t want, seen = 0;
	size_t i;

	if (!h->count)
		return 0;
	want = (uint64_t)ceil(q * (double)h->count);
	if (want == 0)
		want = 1;
	for (i = 0; i < LAT_FINE_US; i++) {
		seen += h->fine[i];
		if (seen >= want)
			return (double)i + 1;
	}
	for (i = 0; i <= LAT_COARSE_MS; i++) {
		seen += h->coarse[i];
		if (seen >= want)
			return (double)(i + 1) * 1000.0;
	}
	return (double)h->max_ns / 1000.0;
}

/* ---- send ---- */

struct send_stream {
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint16_t seq_start;
	uint32_t ts_start;
	uint32_t ssrc;
	uint64_t sent;			  /* packets handed to the kernel (or failed) so far */
	struct sluice_srtp_ctx *srtp;	  /* --srtp: protects the genuine packets */
	struct sluice_srtp_ctx *wrong;	  /* --wrong-key: protects the hostile copies */
	uint8_t (*history)[GEN_BUF_SIZE]; /* --replay: the last replay_lag + 1 packets sent */
	size_t *history_len;
	uint8_t *pre;	   /* --precompute: packet at send position p at pre + p * stride */
	uint16_t *pre_len; /* ... and its length */
};

/* What a sender did besides sending its packets. */
struct send_totals {
	uint64_t errors;      /* sendmmsg failures */
	uint64_t injected;    /* hostile copies sent */
	uint64_t replayed;    /* replayed copies sent */
	uint64_t srtp_errors; /* packets that could not be protected (sent as they were) */
};

/* Sends msgs[0..n) with sendmmsg; one that fails (ECONNREFUSED, ENOBUFS...) is skipped and counted.
 */
static uint64_t sendmmsg_all(int fd, struct mmsghdr *msgs, unsigned int n)
{
	unsigned int done = 0;
	uint64_t failed = 0;

	while (done < n) {
		int sent = sendmmsg(fd, msgs + done, n - done, 0);

		if (sent < 0) {
			if (errno == EINTR)
				continue;
			failed++;
			done++;
			continue;
		}
		done += (unsigned int)sent;
	}
	return failed;
}

/* Points msg at one iovec bound for the stream's destination. */
static void send_msg_init(struct mmsghdr *msg, struct send_stream *s, struct iovec *iov)
{
	msg->msg_hdr = (struct msghdr){
	    .msg_name = &s->dst, .msg_namelen = s->dst_len, .msg_iov = iov, .msg_iovlen = 1};
}

/* The length of a plain (unprotected) packet: RTCP APP padded to 32-bit words, or RTP. */
static size_t plain_packet_len(const struct gen_options *o)
{
	return o->rtcp ? (GEN_RTCP_HDR_LEN + o->payload + 3) & ~(size_t)3
		       : GEN_RTP_HDR_LEN + o->payload;
}

/* Writes packet `pktno` of stream `index` into buf; returns its length. */
static size_t build_packet(const struct gen_options *o, const struct send_stream *s, uint32_t index,
			   uint32_t pktno, uint64_t send_ns, uint8_t *buf)
{
	size_t hdr, len = plain_packet_len(o), i;
	uint8_t *probe;
	uint32_t seed;

	if (o->rtcp) {
		/* RTCP APP (RFC 3550 6.7): V=2, subtype 0, PT 204, length, SSRC, name = magic. */
		buf[0] = 0x80;
		buf[1] = GEN_RTCP_APP_PT;
		put_be16(buf + 2, (uint16_t)(len / 4 - 1));
		put_be32(buf + 4, s->ssrc);
		hdr = GEN_RTCP_HDR_LEN;
	} else {
		buf[0] = 0x80;
		buf[1] =
		    (uint8_t)(o->pt | (pktno == 0 ? 0x80 : 0)); /* marker on the first packet */
		put_be16(buf + 2, (uint16_t)(s->seq_start + pktno));
		put_be32(buf + 4, s->ts_start + pktno * o->payload);
		put_be32(buf + 8, s->ssrc);
		hdr = GEN_RTP_HDR_LEN;
	}
	probe = buf + hdr;
	put_be32(probe, GEN_MAGIC);
	put_be32(probe + 4, index);
	put_be32(probe + 8, pktno);
	put_be64(probe + 12, send_ns);
	seed = filler_seed(index, pktno);
	for (i = hdr + GEN_PROBE_LEN; i < len; i++)
		buf[i] = filler_byte(seed, i);
	return len;
}

static size_t srtp_protect(const struct gen_options *o, struct sluice_srtp_ctx *ctx, uint8_t *buf,
			   size_t len, struct send_totals *totals)
{
	size_t n = len;
	int r = o->rtcp ? sluice_srtp_protect_rtcp(ctx, buf, &n, GEN_BUF_SIZE)
			: sluice_srtp_protect_rtp(ctx, buf, &n, GEN_BUF_SIZE);

	if (r < 0) {
		totals->srtp_errors++;
		return len;
	}
	return n;
}

/* The hostile copy of a genuine packet (protected: pkt/len; plain: plain/plain_len). */
static size_t make_hostile(const struct gen_options *o, struct send_stream *s, const uint8_t *pkt,
			   size_t len, const uint8_t *plain, size_t plain_len, uint8_t *out,
			   struct send_totals *totals)
{
	size_t hdr = o->rtcp ? GEN_RTCP_HDR_LEN : GEN_RTP_HDR_LEN, n = len;

	if (o->wrong_key) {
		memcpy(out, plain, plain_len);
		n = srtp_protect(o, s->wrong, out, plain_len, totals);
	} else {
		memcpy(out, pkt, len);
	}
	if (o->flip_bit == 1 && n > hdr + 4)
		out[hdr + 4] ^= 0x01; /* in the (encrypted) payload */
	else if (o->flip_bit == 2)
		out[n - 1] ^= 0x80; /* in the authentication tag */
	if (o->ssrc_change)
		out[o->rtcp ? 4 : 8] ^= 0x10;
	if (o->csrc_count) {
		size_t need = GEN_RTP_HDR_LEN + 4 * (size_t)o->csrc_count;

		out[0] = (uint8_t)((out[0] & 0xf0) | o->csrc_count);
		if (n > need - 4)
			n = need - 4; /* 4 bytes short of the CSRC list */
	}
	if (o->have_ext_len) {
		size_t at = GEN_RTP_HDR_LEN + 4 * (size_t)(out[0] & 0x0f);

		out[0] |= 0x10;
		if (at + 4 <= n)
			put_be16(out + at + 2, (uint16_t)o->ext_len);
	}
	if (o->truncate && o->truncate < n)
		n = o->truncate;
	return n;
}

/* The packet number sent at position pos: --reorder-window reverses blocks near a wrap. */
static uint32_t position_pktno(const struct gen_options *o, const struct send_stream *s,
			       uint64_t pos)
{
	uint64_t k = o->reorder_window, first, to_wrap;

	if (!k || !o->count)
		return (uint32_t)pos;
	first = pos - pos % k;
	if (first + k > o->count)
		return (uint32_t)pos;
	/* Packets from the block's first until the sequence number is 0 again. */
	to_wrap = (65536 - ((s->seq_start + first) & 0xffff)) & 0xffff;
	if (to_wrap < 2 * k || 65536 - to_wrap <= k)
		return (uint32_t)(first + (k - 1 - pos % k));
	return (uint32_t)pos;
}

/*
 * The key of stream i: the option's value, or with "@FILE" line i of FILE (one base64 key per
 * line; a relay that gives every call its own key, like rtpengine's SDES offers). NULL when the
 * file cannot be read or is too short.
 */
static const char *key_for_stream(const char *spec, uint32_t i)
{
	static const char *loaded_spec;
	static char **lines;
	static size_t nlines;

	if (!spec || spec[0] != '@')
		return spec;
	if (loaded_spec != spec) {
		FILE *f = fopen(spec + 1, "re");
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		if (!f) {
			fprintf(stderr, "sluice-gen: cannot read %s: %s\n", spec + 1,
				strerror(errno));
			return NULL;
		}
		loaded_spec = spec;
		while ((n = getline(&line, &cap, f)) > 0) {
			char **p = realloc(lines, (nlines + 1) * sizeof(*lines));

			if (!p)
				break;
			lines = p;
			while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = 0;
			lines[nlines++] = strdup(line);
		}
		free(line);
		fclose(f);
	}
	if (i >= nlines || !lines[i]) {
		fprintf(stderr, "sluice-gen: %s has no key for stream %u\n", spec + 1, i);
		return NULL;
	}
	return lines[i];
}

static int srtp_ctx_from_b64(enum sluice_srtp_suite suite, enum sluice_srtp_direction dir,
			     const char *b64, bool random_key, struct sluice_srtp_ctx **ret)
{
	size_t key_len = sluice_srtp_suite_key_len(suite),
	       salt_len = sluice_srtp_suite_salt_len(suite);
	uint8_t key[SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN];
	int r;

	if (random_key)
		r = getrandom(key, key_len + salt_len, 0) == (ssize_t)(key_len + salt_len) ? 0
											   : -EIO;
	else if (!b64)
		return -EINVAL;
	else
		r = base64_decode_exact(b64, key, key_len + salt_len);
	if (r == 0)
		r = sluice_srtp_ctx_new(gen_srtp_engine, suite, dir, key, key_len, key + key_len,
					salt_len, NULL, ret);
	explicit_bzero(key, sizeof(key));
	if (r < 0)
		fprintf(stderr, "sluice-gen: cannot set up SRTP (%s): %s\n",
			sluice_srtp_suite_name(suite),
			r == -EINVAL ? "bad key (base64 of key||salt of the suite's length)"
				     : strerror(-r));
	return r;
}

/* The SRTP context of stream i, keyed from --key/--rx-key (key_spec, maybe "@FILE"). */
static int srtp_ctx_for_stream(enum sluice_srtp_suite suite, enum sluice_srtp_direction dir,
			       const char *key_spec, uint32_t i, struct sluice_srtp_ctx **ret)
{
	return srtp_ctx_from_b64(suite, dir, key_for_stream(key_spec, i), false, ret);
}

/* A UDP socket bound to ep, or negative errno after saying so ("sluice-gen MODE: ..."). */
static int udp_socket_bound_logged(const struct endpoint *ep, bool nonblocking, const char *mode)
{
	int fd = udp_socket_bound(ep, nonblocking);

	if (fd < 0) {
		char buf[ENDPOINT_STR_MAX];

		fprintf(stderr, "sluice-gen %s: Failed to bind %s: %s\n", mode,
			endpoint_format(ep, buf, sizeof(buf)), strerror(-fd));
	}
	return fd;
}

static int send_open_streams(const struct gen_options *o, struct send_stream *streams)
{
	uint32_t rnd[2];
	uint32_t i;
	int r;

	for (i = 0; i < o->streams; i++) {
		struct send_stream *s = &streams[i];
		struct endpoint dst = o->dst, src;

		dst.port = (uint16_t)(o->dst.port + i * o->dst_port_step);
		s->dst_len = endpoint_to_sockaddr(&dst, &s->dst);
		if (o->have_src) {
			src = o->src;
			if (src.port)
				src.port = (uint16_t)(o->src.port + i * o->src_port_step);
		} else {
			src = endpoint_any(o->dst.family, 0);
		}
		s->fd = udp_socket_bound_logged(&src, false, "send");
		if (s->fd < 0)
			return s->fd;
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd[0] = rnd[1] = (uint32_t)now_ns() * (i + 1);
		s->seq_start = o->have_seq_start ? (uint16_t)o->seq_start : (uint16_t)rnd[0];
		s->ts_start = rnd[1];
		s->ssrc = o->ssrc_base + i;
		if (o->srtp) {
			r = srtp_ctx_for_stream(o->srtp_suite, SLUICE_SRTP_OUTBOUND, o->srtp_key, i,
						&s->srtp);
			if (r == 0 && o->wrong_key)
				r = srtp_ctx_from_b64(o->srtp_suite, SLUICE_SRTP_OUTBOUND, NULL,
						      true, &s->wrong);
			if (r < 0)
				return r;
		}
		if (o->replay) {
			s->history = calloc(o->replay_lag + 1, sizeof(*s->history));
			s->history_len = calloc(o->replay_lag + 1, sizeof(*s->history_len));
			if (!s->history || !s->history_len)
				return -ENOMEM;
		}
	}
	return 0;
}

static void send_close_streams(const struct gen_options *o, struct send_stream *streams)
{
	for (uint32_t i = 0; i < o->streams; i++) {
		if (streams[i].fd >= 0)
			close(streams[i].fd);
		sluice_srtp_ctx_free(streams[i].srtp);
		sluice_srtp_ctx_free(streams[i].wrong);
		free(streams[i].history);
		free(streams[i].history_len);
		free(streams[i].pre);
		free(streams[i].pre_len);
	}
}

/*
 * The packets of send position pos, in sending order, into bufs/iovs (up to GEN_COPIES): a hostile
 * copy, the genuine packet, a replayed one. Returns how many.
 */
static unsigned build_position(const struct gen_options *o, struct send_stream *s, uint32_t index,
			       uint64_t pos, uint64_t t, uint8_t (*bufs)[GEN_BUF_SIZE],
			       struct iovec *iovs, struct send_totals *totals)
{
	uint8_t plain[GEN_BUF_SIZE];
	uint8_t *genuine = bufs[o->inject ? 1 : 0];
	size_t plain_len, len;
	unsigned n = 0;

	plain_len = build_packet(o, s, index, position_pktno(o, s, pos), t, plain);
	memcpy(genuine, plain, plain_len);
	len = s->srtp ? srtp_protect(o, s->srtp, genuine, plain_len, totals) : plain_len;
	if (o->inject && pos % o->every == o->every - 1) {
		iovs[n].iov_base = bufs[0];
		iovs[n++].iov_len =
		    make_hostile(o, s, genuine, len, plain, plain_len, bufs[0], totals);
		totals->injected++;
	}
	/* Without --every, the version and truncation faults apply to every packet. */
	if (!o->every) {
		genuine[0] = (uint8_t)((genuine[0] & 0x3f) | o->rtp_version << 6);
		if (o->truncate && o->truncate < len)
			len = o->truncate;
	}
	iovs[n].iov_base = genuine;
	iovs[n++].iov_len = len;
	if (o->replay) {
		size_t slot = pos % (o->replay_lag + 1);

		memcpy(s->history[slot], genuine, len);
		s->history_len[slot] = len;
		if (pos % o->replay == o->replay - 1 && pos >= o->replay_lag) {
			slot = (pos - o->replay_lag) % (o->replay_lag + 1);
			memcpy(bufs[2], s->history[slot], s->history_len[slot]);
			iovs[n].iov_base = bufs[2];
			iovs[n++].iov_len = s->history_len[slot];
			totals->replayed++;
		}
	}
	return n;
}

/* Sends up to `want` due packets of one stream with one sendmmsg; returns packets consumed. */
static uint32_t send_stream_batch(const struct gen_options *o, struct send_stream *s,
				  uint32_t index, uint32_t want, uint8_t (*bufs)[GEN_BUF_SIZE],
				  struct mmsghdr *msgs, struct iovec *iovs,
				  struct send_totals *totals)
{
	uint64_t t = now_ns();
	uint32_t i, n = 0;

	for (i = 0; i < want; i++) {
		unsigned k = build_position(o, s, index, s->sent + i, t, bufs + i * GEN_COPIES,
					    iovs + n, totals);

		for (unsigned j = 0; j < k; j++, n++)
			send_msg_init(&msgs[n], s, &iovs[n]);
	}
	/* A packet that failed counts as sent. */
	totals->errors += sendmmsg_all(s->fd, msgs, n);
	s->sent += want;
	return want;
}

/* When stream i's packet at send position pos is due, in ns after the start: staggered. */
static uint64_t stream_due_ns(const struct gen_options *o, uint32_t i, uint64_t pos)
{
	double per_stream_rate = o->rate / o->streams;

	return (uint64_t)(((double)pos + (double)i / o->streams) / per_stream_rate * 1e9);
}

/*
 * --precompute: every packet the streams will send (count each), built, stamped with its
 * scheduled send time and protected before the first send, so the timed loop only hands
 * ready buffers to sendmmsg. Stream i's packet at send position p is due at
 * start + (p + i/N) / per-stream rate (the pacing below sends it then or a little later), and
 * SRTP is applied in sending order: sequence numbers, ROC and the SRTCP index are exactly those
 * of a live sender. Returns the stride between packets, or 0 when out of memory.
 */
static size_t precompute_streams(const struct gen_options *o, struct send_stream *streams,
				 uint64_t count, uint64_t start, struct send_totals *totals)
{
	size_t stride = (plain_packet_len(o) + SLUICE_SRTP_MAX_TRAILER_LEN + 15) & ~(size_t)15;
	static uint8_t bufs[GEN_COPIES][GEN_BUF_SIZE];
	struct iovec iovs[GEN_COPIES];

	for (uint32_t i = 0; i < o->streams; i++) {
		struct send_stream *s = &streams[i];

		s->pre = malloc(count * stride);
		s->pre_len = malloc(count * sizeof(*s->pre_len));
		if (!s->pre || !s->pre_len)
			return 0;
		for (uint64_t pos = 0; pos < count; pos++) {
			uint64_t t = start + stream_due_ns(o, i, pos);
			unsigned n = build_position(o, s, i, pos, t, bufs, iovs, totals);
			size_t len = n ? iovs[n - 1].iov_len : 0;

			if (len > stride)
				len = stride;
			memcpy(s->pre + pos * stride, iovs[n - 1].iov_base, len);
			s->pre_len[pos] = (uint16_t)len;
		}
	}
	return stride;
}

/* Frees what precompute_streams built and gives every stream fresh SRTP contexts. */
static int send_restart_streams(const struct gen_options *o, struct send_stream *streams)
{
	for (uint32_t i = 0; i < o->streams; i++) {
		struct send_stream *s = &streams[i];

		free(s->pre);
		free(s->pre_len);
		s->pre = NULL;
		s->pre_len = NULL;
		if (s->srtp) {
			int r;

			sluice_srtp_ctx_free(s->srtp);
			s->srtp = NULL;
			r = srtp_ctx_for_stream(o->srtp_suite, SLUICE_SRTP_OUTBOUND, o->srtp_key, i,
						&s->srtp);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* What precompute_streams will take per packet: builds and protects a few with a spare key. */
static double precompute_cost_ns(const struct gen_options *o)
{
	struct send_stream probe = {.ssrc = 0x7e57c0deu};
	static uint8_t bufs[GEN_COPIES][GEN_BUF_SIZE];
	uint8_t *scratch = malloc(256 * 256);
	struct send_totals totals = {0};
	struct iovec iovs[GEN_COPIES];
	uint64_t t0, t1;

	if (o->srtp &&
	    srtp_ctx_from_b64(o->srtp_suite, SLUICE_SRTP_OUTBOUND, NULL, true, &probe.srtp) < 0)
		probe.srtp = NULL;
	t0 = now_ns();
	for (uint32_t p = 0; p < 256; p++) {
		unsigned n = build_position(o, &probe, 0, p, t0, bufs, iovs, &totals);

		if (scratch && n)
			memcpy(scratch + p * 256, iovs[n - 1].iov_base,
			       iovs[n - 1].iov_len < 256 ? iovs[n - 1].iov_len : 256);
	}
	t1 = now_ns();
	sluice_srtp_ctx_free(probe.srtp);
	free(scratch);
	return (double)(t1 - t0) / 256.0;
}

/* Sends up to `want` precomputed packets of one stream with one sendmmsg. */
static uint32_t send_stream_precomputed(struct send_stream *s, uint32_t want, size_t stride,
					struct mmsghdr *msgs, struct iovec *iovs,
					struct send_totals *totals, uint64_t first_due,
					struct latency_hist *lag)
{
	uint64_t t = now_ns();
	uint32_t i;

	/* How late the batch's first packet leaves against the time stamped in it. */
	latency_add(lag, t > first_due ? t - first_due : 0);

	for (i = 0; i < want; i++) {
		iovs[i].iov_base = s->pre + (s->sent + i) * stride;
		iovs[i].iov_len = s->pre_len[s->sent + i];
		send_msg_init(&msgs[i], s, &iovs[i]);
	}
	totals->errors += sendmmsg_all(s->fd, msgs, want);
	s->sent += want;
	return want;
}

static void touch_ready_file(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

/* Creates path holding "NS\n" (written to a temporary name first: readers see all or nothing). */
static void touch_ready_file_ns(const char *path, uint64_t ns)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return;
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%" PRIu64 "\n", ns);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* Waits (bounded: 10 s) until path exists; returns -ETIMEDOUT otherwise. */
static int wait_for_file(const char *path)
{
	uint64_t deadline = now_ns() + 10000000000ull;

	while (path && access(path, F_OK) < 0) {
		if (now_ns() >= deadline || stop_requested)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return 0;
}

/* ---- sink ---- */

struct sink_stream {
	int fd;
	struct sluice_srtp_ctx *srtp; /* --rx-srtp: unprotects before verifying */
	uint64_t srtp_errors;	      /* packets that did not unprotect */
	uint16_t port;
	bool started;
	uint32_t ssrc;
	uint16_t seq_offset;  /* RTP seq - packet number, learned from the first packet */
	uint32_t ts_offset;   /* RTP timestamp - packet number * payload */
	uint32_t payload_len; /* learned from the first packet: the sender's --payload */
	uint8_t pt;	      /* RTP payload type of the first packet */
	uint64_t received;    /* unique valid packets */
	uint64_t duplicates, reordered, bad, foreign;
	uint32_t min_pktno, max_pktno;
	uint8_t *seen; /* bitmap of packet numbers */
	size_t seen_bytes;
	/* --tap-iface: kernel timestamps, CLOCK_REALTIME ns (0: none), --expect of each */
	uint64_t *rx_ns;     /* the socket's receive timestamp, by packet number */
	uint64_t *tap_tx_ns; /* departure seen by the tap, by sequence distance from tap_base_seq */
	bool tap_started;
	uint16_t tap_base_seq; /* of the first packet the tap saw */
	uint16_t tap_last_seq; /* ... and of the last, at tap_last_distance */
	int64_t tap_last_distance;
};

/* --latency-cdf: "upper bound in microseconds, fraction of samples at or below" per bucket used. */
static void latency_write_cdf(const struct latency_hist *h, const char *path)
{
	FILE *f = fopen(path, "we");
	uint64_t seen = 0;
	size_t i;

	if (!f) {
		fprintf(stderr, "sluice-gen: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# latency_us cumulative_fraction (%" PRIu64 " samples)\n", h->count);
	for (i = 0; h->count && i < LAT_FINE_US; i++) {
		if (!h->fine[i])
			continue;
		seen += h->fine[i];
		fprintf(f, "%zu %.6f\n", i + 1, (double)seen / (double)h->count);
	}
	for (i = 0; h->count && i <= LAT_COARSE_MS; i++) {
		if (!h->coarse[i])
			continue;
		seen += h->coarse[i];
		fprintf(f, "%zu %.6f\n", (i + 1) * 1000, (double)seen / (double)h->count);
	}
	fclose(f);
}

/* Marks pktno seen; returns 1 if new, 0 if a duplicate, -1 if out of the bitmap's range. */
static int seen_mark(struct sink_stream *s, uint32_t pktno)
{
	size_t byte = pktno / 8;

	if (pktno >= GEN_BITMAP_MAX_BITS)
		return -1;
	if (byte >= s->seen_bytes) {
		size_t n = s->seen_bytes ? s->seen_bytes : 4096;
		uint8_t *p;

		while (n <= byte)
			n *= 2;
		p = realloc(s->seen, n);
		if (!p)
			return -1;
		memset(p + s->seen_bytes, 0, n - s->seen_bytes);
		s->seen = p;
		s->seen_bytes = n;
	}
	if (s->seen[byte] & (1u << (pktno % 8)))
		return 0;
	s->seen[byte] |= (uint8_t)(1u << (pktno % 8));
	return 1;
}

/* Checks the RTP or RTCP header; returns the offset of the probe header, or 0 if invalid. */
static size_t check_header(const struct gen_options *o, const uint8_t *p, size_t len)
{
	if (o->rtcp) {
		if (len < GEN_RTCP_HDR_LEN + GEN_PROBE_LEN || (p[0] & 0xc0) != 0x80 ||
		    p[1] != GEN_RTCP_APP_PT || ((size_t)get_be16(p + 2) + 1) * 4 != len)
			return 0;
		return GEN_RTCP_HDR_LEN;
	}
	if (len < GEN_RTP_HDR_LEN + GEN_PROBE_LEN || p[0] != 0x80)
		return 0;
	return GEN_RTP_HDR_LEN;
}

/* Verifies one packet and accounts it to stream `index`; rx_ns: its kernel receive time, or 0. */
static void sink_account(const struct gen_options *o, struct sink_stream *streams, uint32_t index,
			 const uint8_t *p, size_t len, uint64_t now, uint64_t rx_ns,
			 struct latency_hist *lat)
{
	struct sink_stream *s = &streams[index];
	size_t hdr = check_header(o, p, len), i;
	uint32_t stream, pktno, seed, ssrc;
	const uint8_t *probe;
	int fresh;

	if (!hdr) {
		s->bad++;
		return;
	}
	probe = p + hdr;
	if (get_be32(probe) != GEN_MAGIC) {
		s->foreign++;
		return;
	}
	stream = get_be32(probe + 4);
	pktno = get_be32(probe + 8);
	ssrc = get_be32(p + (o->rtcp ? 4 : 8));
	if (stream != index || (o->have_ssrc_base && ssrc != o->ssrc_base + index)) {
		s->bad++;
		return;
	}
	seed = filler_seed(stream, pktno);
	for (i = hdr + GEN_PROBE_LEN; i < len; i++) {
		if (p[i] != filler_byte(seed, i)) {
			s->bad++;
			return;
		}
	}
	if (!o->rtcp) {
		uint32_t payload = (uint32_t)(len - GEN_RTP_HDR_LEN);
		uint16_t seq_offset = (uint16_t)(get_be16(p + 2) - pktno);
		uint32_t ts_offset = get_be32(p + 4) - pktno * payload;

		if (!s->started) {
			s->seq_offset = seq_offset;
			s->ts_offset = ts_offset;
			s->payload_len = payload;
			s->pt = p[1] & 0x7f;
		} else if (seq_offset != s->seq_offset || ts_offset != s->ts_offset ||
			   payload != s->payload_len || (p[1] & 0x7f) != s->pt) {
			s->bad++;
			return;
		}
	}
	if (!s->started) {
		s->ssrc = ssrc;
		s->min_pktno = s->max_pktno = pktno;
		s->started = true;
	} else if (ssrc != s->ssrc) {
		s->bad++;
		return;
	}
	fresh = seen_mark(s, pktno);
	if (fresh < 0) {
		s->bad++;
		return;
	}
	if (fresh == 0) {
		s->duplicates++;
		return;
	}
	s->received++;
	if (s->rx_ns && rx_ns && pktno < o->count)
		s->rx_ns[pktno] = rx_ns;
	if (pktno < s->max_pktno)
		s->reordered++;
	if (pktno > s->max_pktno)
		s->max_pktno = pktno;
	if (pktno < s->min_pktno)
		s->min_pktno = pktno;
	latency_add(lat, now - get_be64(probe + 12));
}

/* --rx-srtp: unprotect in place; false (counted) when the packet does not unprotect. */
static bool sink_unprotect(const struct gen_options *o, struct sink_stream *s, uint8_t *p,
			   size_t *len)
{
	int r = o->rtcp ? sluice_srtp_unprotect_rtcp(s->srtp, p, len)
			: sluice_srtp_unprotect_rtp(s->srtp, p, len);

	if (r < 0)
		s->srtp_errors++;
	return r == 0;
}

static int sink_open_srtp(const struct gen_options *o, struct sink_stream *streams)
{
	for (uint32_t i = 0; o->rx_srtp && i < o->streams; i++) {
		int r = srtp_ctx_for_stream(o->rx_srtp_suite, SLUICE_SRTP_INBOUND, o->rx_srtp_key,
					    i, &streams[i].srtp);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Sends a received batch back to where each packet came from (--echo). */
static void sink_echo(int fd, struct mmsghdr *msgs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_iov->iov_len = msgs[i].msg_len;
		msgs[i].msg_hdr.msg_control = NULL; /* the receive timestamps */
		msgs[i].msg_hdr.msg_controllen = 0;
	}
	sendmmsg_all(fd, msgs, n);
}

static bool sink_complete(const struct gen_options *o, const struct sink_stream *streams)
{
	uint32_t i;

	if (!o->count)
		return false;
	for (i = 0; i < o->streams; i++)
		if (streams[i].received < o->count)
			return false;
	return true;
}

static uint64_t sink_lost(const struct gen_options *o, const struct sink_stream *s)
{
	uint64_t expected;

	if (o->count)
		expected = o->count;
	else
		expected = s->started ? (uint64_t)s->max_pktno + 1 : 0;
	return expected > s->received ? expected - s->received : 0;
}

/* ---- transit: a tap on the sender's interface, the sink's receive timestamps ---- */

/* --tap-iface: what the tap saw, and the transit times joined from it. */
struct sink_transit {
	struct latency_hist hist; /* receive - tap departure, per packet seen by both */
	uint64_t tap_packets;	  /* packets of the sink's streams the tap saw leave */
	uint64_t tap_drops;	  /* packets the kernel could not put into the full ring */
};

/* The AF_PACKET socket and its TPACKET_V3 ring. */
struct sink_tap {
	int fd;
	uint8_t *ring;	/* TAP_BLOCK_NR blocks of TAP_BLOCK_SIZE */
	uint32_t block; /* the next block to read */
};

/*
 * The tap's socket filter: outgoing IPv4 or IPv6 UDP (no IPv6 extension headers), cut to
 * TAP_SNAPLEN bytes; everything else stays out of the ring.
 */
static const struct sock_filter tap_filter[] = {
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 8),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), /* EtherType */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 9), /* IPv4 protocol */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 3, 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 3),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN + 6), /* IPv6 next header */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, TAP_SNAPLEN),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

/* The tap's socket on interface `iface` of the current network namespace, its ring mapped. */
static int tap_socket_open(const char *iface, struct sink_tap *tap)
{
	struct sock_fprog prog = {.len = sizeof(tap_filter) / sizeof(tap_filter[0]),
				  .filter = (struct sock_filter *)tap_filter};
	struct tpacket_req3 req = {
	    .tp_block_size = TAP_BLOCK_SIZE,
	    .tp_block_nr = TAP_BLOCK_NR,
	    .tp_frame_size = TAP_FRAME_SIZE,
	    .tp_frame_nr = TAP_BLOCK_SIZE / TAP_FRAME_SIZE * TAP_BLOCK_NR,
	    .tp_retire_blk_tov = TAP_RETIRE_MS,
	};
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int version = TPACKET_V3, r;
	void *ring;
	/* Protocol 0: nothing is queued until bind, after the filter and the ring are in place. */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(iface);
	if (sll.sll_ifindex == 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		goto fail;
	ring = mmap(NULL, (size_t)TAP_BLOCK_SIZE * TAP_BLOCK_NR, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, 0);
	if (ring == MAP_FAILED)
		goto fail;
	/* ETH_P_ALL: only taps of every protocol see what the interface sends. */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = -errno;
		munmap(ring, (size_t)TAP_BLOCK_SIZE * TAP_BLOCK_NR);
		close(fd);
		return r;
	}
	tap->fd = fd;
	tap->ring = ring;
	tap->block = 0;
	return 0;
fail:
	r = -errno;
	close(fd);
	return r;
}

/* Reads the kernel's drop count into transit, then closes the tap (not opened: no-op). */
static void tap_close(struct sink_tap *tap, struct sink_transit *transit)
{
	struct tpacket_stats_v3 stats = {0};
	socklen_t len = sizeof(stats);

	if (tap->fd < 0)
		return;
	if (transit && getsockopt(tap->fd, SOL_PACKET, PACKET_STATISTICS, &stats, &len) == 0)
		transit->tap_drops += stats.tp_drops;
	munmap(tap->ring, (size_t)TAP_BLOCK_SIZE * TAP_BLOCK_NR);
	close(tap->fd);
	tap->fd = -1;
}

/*
 * Opens the tap (--tap-iface, in --tap-netns when given: enters that namespace for the socket
 * and returns to its own). 0, or negative errno after saying what failed.
 */
static int tap_open(const struct gen_options *o, struct sink_tap *tap)
{
	const char *what = "open the tap";
	char path[PATH_MAX];
	int self = -1, target = -1, r = 0;

	if (o->tap_netns) {
		snprintf(path, sizeof(path), "%s%s", strchr(o->tap_netns, '/') ? "" : "/run/netns/",
			 o->tap_netns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
			r = -errno;
			what = "enter the tap's network namespace";
			goto out;
		}
	}
	r = tap_socket_open(o->tap_iface, tap);
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0) {
		/* Its sockets are bound, but the sink must not go on in another namespace. */
		what = "return to the sink's network namespace";
		if (r == 0)
			tap_close(tap, NULL);
		r = -errno;
	}
out:
	if (r < 0)
		fprintf(stderr, "sluice-gen sink: Failed to %s (%s%s%s): %s\n", what,
			o->tap_netns ? o->tap_netns : "", o->tap_netns ? " " : "", o->tap_iface,
			strerror(-r));
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return r;
}

/*
 * One frame from the tap: an RTP packet of one of the sink's streams (by SSRC) gets its
 * departure time, at its sequence number's distance from the first one the tap saw (unwrapped
 * across sequence number wraps; a relay keeps sequence numbers, SRTP leaves them in the clear).
 */
static void tap_record(const struct gen_options *o, struct sink_stream *streams,
		       struct sink_transit *transit, const uint8_t *frame, size_t len, uint64_t ns)
{
	size_t rtp;
	struct sink_stream *s;
	uint32_t index;
	uint16_t seq;
	int64_t distance;

	if (len < ETH_HLEN + 40)
		return;
	if (get_be16(frame + 12) == ETH_P_IP) {
		/* Not a later fragment, and the whole IPv4 header before the UDP one. */
		if (frame[ETH_HLEN + 9] != IPPROTO_UDP ||
		    (get_be16(frame + ETH_HLEN + 6) & 0x1fff) || (frame[ETH_HLEN] & 0x0f) < 5)
			return;
		rtp = ETH_HLEN + (frame[ETH_HLEN] & 0x0fu) * 4 + 8;
	} else if (get_be16(frame + 12) == ETH_P_IPV6 && frame[ETH_HLEN + 6] == IPPROTO_UDP) {
		rtp = ETH_HLEN + 40 + 8;
	} else {
		return;
	}
	if (len < rtp + GEN_RTP_HDR_LEN || (frame[rtp] & 0xc0) != 0x80)
		return;
	index = get_be32(frame + rtp + 8) - o->ssrc_base;
	if (index >= o->streams)
		return;
	transit->tap_packets++;
	s = &streams[index];
	seq = get_be16(frame + rtp + 2);
	if (!s->tap_started) {
		s->tap_started = true;
		s->tap_base_seq = s->tap_last_seq = seq;
		s->tap_last_distance = 0;
	}
	distance = s->tap_last_distance + (int16_t)(uint16_t)(seq - s->tap_last_seq);
	s->tap_last_seq = seq;
	s->tap_last_distance = distance;
	if (distance >= 0 && (uint64_t)distance < o->count && !s->tap_tx_ns[distance])
		s->tap_tx_ns[distance] = ns;
}

/* Reads every block the kernel has handed over, and gives them back. */
static void tap_drain(const struct gen_options *o, struct sink_tap *tap,
		      struct sink_stream *streams, struct sink_transit *transit)
{
	for (;;) {
		struct tpacket_block_desc *block =
		    (struct tpacket_block_desc *)(tap->ring + (size_t)tap->block * TAP_BLOCK_SIZE);
		const uint8_t *at;

		if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		at = (const uint8_t *)block + block->hdr.bh1.offset_to_first_pkt;
		for (uint32_t i = 0; i < block->hdr.bh1.num_pkts; i++) {
			const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)at;

			tap_record(o, streams, transit, at + h->tp_mac, h->tp_snaplen,
				   (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec);
			at += h->tp_next_offset;
		}
		__atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		tap->block = (tap->block + 1) % TAP_BLOCK_NR;
	}
}

/*
 * After the last packet: the kernel hands over a partly filled block TAP_RETIRE_MS after its
 * first packet; waits (bounded) for the last ones, then reads them.
 */
static void tap_drain_last(const struct gen_options *o, struct sink_tap *tap,
			   struct sink_stream *streams, struct sink_transit *transit)
{
	uint64_t deadline = now_ns() + (3 * TAP_RETIRE_MS + 20) * 1000000ull;
	struct pollfd pfd = {.fd = tap->fd, .events = POLLIN};

	for (uint64_t t = now_ns(); t < deadline; t = now_ns()) {
		tap_drain(o, tap, streams, transit);
		poll(&pfd, 1, (int)((deadline - t) / 1000000 + 1));
	}
	tap_drain(o, tap, streams, transit);
}

/*
 * --tap-iface: the timestamp arrays of every stream and SO_TIMESTAMPNS on its socket. 0, or
 * negative errno (the arrays are freed with the stream).
 */
static int sink_transit_setup(const struct gen_options *o, struct sink_stream *streams)
{
	int one = 1;

	for (uint32_t i = 0; i < o->streams; i++) {
		streams[i].rx_ns = calloc(o->count, sizeof(uint64_t));
		streams[i].tap_tx_ns = calloc(o->count, sizeof(uint64_t));
		if (!streams[i].rx_ns || !streams[i].tap_tx_ns)
			return -ENOMEM;
		if (setsockopt(streams[i].fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Joins the tap's departure times with the sink's arrival times: transit = arrival - departure
 * for every packet seen on both sides. The first packet the tap saw of a stream is taken to be
 * among its first 65536 (the tap opens before the sender starts): its packet number is then its
 * sequence number minus that of packet 0, mod 65536.
 */
static void sink_transit_join(const struct gen_options *o, const struct sink_stream *streams,
			      struct sink_transit *transit)
{
	for (uint32_t i = 0; i < o->streams; i++) {
		const struct sink_stream *s = &streams[i];
		uint64_t first;

		if (!s->started || !s->tap_started)
			continue;
		first = (uint16_t)(s->tap_base_seq - s->seq_offset);
		for (uint64_t pktno = first; pktno < o->count; pktno++) {
			uint64_t tx = s->tap_tx_ns[pktno - first], rx = s->rx_ns[pktno];

			/* Both CLOCK_REALTIME: a clock step in between counts as 0. */
			if (tx && rx)
				latency_add(&transit->hist, rx > tx ? rx - tx : 0);
		}
	}
}

/* The report; transit: with --tap-iface, else NULL. */
static void sink_report(const struct gen_options *o, const struct sink_stream *streams,
			const struct latency_hist *lat, const struct sink_transit *transit,
			double elapsed, double cpu, bool complete, const char *prefix,
			const char *suffix)
{
	uint64_t received = 0, lost = 0, dups = 0, reordered = 0, bad = 0, foreign = 0, srtp = 0;
	double max_us = (double)lat->max_ns / 1000.0;
	double p50 = fmin(latency_quantile(lat, 0.5), max_us),
	       p99 = fmin(latency_quantile(lat, 0.99), max_us);
	double mean = lat->count ? lat->sum_us / lat->count : 0;
	double transit_max = 0, transit_p50 = 0, transit_p99 = 0;
	uint32_t i;

	if (transit) {
		transit_max = (double)transit->hist.max_ns / 1000.0;
		transit_p50 = fmin(latency_quantile(&transit->hist, 0.5), transit_max);
		transit_p99 = fmin(latency_quantile(&transit->hist, 0.99), transit_max);
	}
	for (i = 0; i < o->streams; i++) {
		received += streams[i].received;
		lost += sink_lost(o, &streams[i]);
		dups += streams[i].duplicates;
		reordered += streams[i].reordered;
		bad += streams[i].bad;
		foreign += streams[i].foreign;
		srtp += streams[i].srtp_errors;
	}
	if (!o->json) {
		printf("%sreceived %" PRIu64 " packets on %u streams in %.3f s: lost %" PRIu64
		       ", duplicates %" PRIu64 ", reordered %" PRIu64 ", bad %" PRIu64
		       ", foreign %" PRIu64 ", srtp errors %" PRIu64 "%s\n",
		       prefix, received, o->streams, elapsed, lost, dups, reordered, bad, foreign,
		       srtp,
		       o->count ? (complete ? " (all expected arrived)" : " (INCOMPLETE)") : "");
		printf("%sone-way latency (%s sink): p50 %.0f us, p99 %.0f us, max %.0f us, mean "
		       "%.1f us; "
		       "sink CPU %.3f s\n",
		       prefix, o->busy_poll ? "busy-polling" : "blocking", p50, p99, max_us, mean,
		       cpu);
		if (transit)
			printf(
			    "%stransit (kernel timestamps, tap on %s): p50 %.0f us, p99 %.0f us, "
			    "max %.1f us; %" PRIu64 " packets matched, the tap saw %" PRIu64
			    ", dropped %" PRIu64 "\n",
			    prefix, o->tap_iface, transit_p50, transit_p99, transit_max,
			    transit->hist.count, transit->tap_packets, transit->tap_drops);
		printf("%s", suffix);
		fflush(stdout);
		return;
	}
	printf("%s{\"mode\":\"sink\",\"streams\":%u,\"received\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"duplicates\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"bad\":%" PRIu64
	       ",\"foreign\":%" PRIu64 ",\"srtp_errors\":%" PRIu64
	       ",\"complete\":%s,\"elapsed_s\":%.6f,\"cpu_s\":%.6f,"
	       "\"sink_mode\":\"%s\",\"kind\":\"%s\",\"latency_us\":{\"p50\":%.0f,\"p99\":%.0f,"
	       "\"max\":%.1f,\"mean\":%.1f}",
	       prefix, o->streams, received, lost, dups, reordered, bad, foreign, srtp,
	       complete ? "true" : "false", elapsed, cpu, o->busy_poll ? "busy-poll" : "blocking",
	       o->rtcp ? "rtcp" : "rtp", p50, p99, max_us, mean);
	if (transit)
		printf(",\"transit_p50\":%.0f,\"transit_p99\":%.0f,\"transit_max\":%.1f,"
		       "\"transit_matched\":%" PRIu64 ",\"tap_packets\":%" PRIu64
		       ",\"tap_drops\":%" PRIu64,
		       transit_p50, transit_p99, transit_max, transit->hist.count,
		       transit->tap_packets, transit->tap_drops);
	printf(",\"per_stream\":[");
	for (i = 0; i < o->streams; i++) {
		const struct sink_stream *s = &streams[i];

		printf("%s{\"stream\":%u,\"port\":%u,\"received\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"duplicates\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"bad\":%" PRIu64
		       ",\"foreign\":%" PRIu64 ",\"ssrc\":%u}",
		       i ? "," : "", i, s->port, s->received, sink_lost(o, s), s->duplicates,
		       s->reordered, s->bad, s->foreign, s->ssrc);
	}
	printf("]}%s", suffix);
	fflush(stdout);
}

static int sink_open_streams(const struct gen_options *o, struct sink_stream *streams, int epfd)
{
	uint32_t i;

	for (i = 0; i < o->streams; i++) {
		struct endpoint ep = o->src;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

		ep.port = (uint16_t)(o->src.port + i * o->dst_port_step);
		streams[i].port = ep.port;
		streams[i].fd = udp_socket_bound_logged(&ep, true, "sink");
		if (streams[i].fd < 0)
			return streams[i].fd;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, streams[i].fd, &ev) < 0)
			return -errno;
	}
	return 0;
}

/* --tap-iface: timestamps on the sink's sockets, and the tap in the epoll set. */
static int sink_open_tap(const struct gen_options *o, struct sink_stream *streams,
			 struct sink_tap *tap, int epfd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = TAP_EVENT};
	int r = sink_transit_setup(o, streams);

	if (r < 0) {
		fprintf(stderr, "sluice-gen sink: Failed to set up receive timestamps: %s\n",
			strerror(-r));
		return r;
	}
	r = tap_open(o, tap);
	if (r < 0)
		return r;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, tap->fd, &ev) < 0)
		return -errno;
	return 0;
}

struct sink_buffers {
	uint8_t (*data)[GEN_BUF_SIZE + 1];
	uint8_t (*control)[SINK_CONTROL_LEN]; /* --tap-iface: the receive timestamps */
	struct sockaddr_storage *from;
	struct iovec *iovs;
	struct mmsghdr *msgs;
};

/* Room for one recvmmsg of `batch` packets; 0 or -ENOMEM (free with sink_buffers_free). */
static int sink_buffers_alloc(struct sink_buffers *b, uint32_t batch)
{
	b->data = malloc((size_t)batch * (GEN_BUF_SIZE + 1));
	b->control = calloc(batch, SINK_CONTROL_LEN);
	b->from = calloc(batch, sizeof(struct sockaddr_storage));
	b->iovs = calloc(batch, sizeof(struct iovec));
	b->msgs = calloc(batch, sizeof(struct mmsghdr));
	return b->data && b->control && b->from && b->iovs && b->msgs ? 0 : -ENOMEM;
}

static void sink_buffers_free(struct sink_buffers *b)
{
	free(b->msgs);
	free(b->iovs);
	free(b->from);
	free(b->control);
	free(b->data);
}

/* Frees what a sink stream allocated (its socket is closed by whoever opened it). */
static void sink_stream_release(struct sink_stream *s)
{
	sluice_srtp_ctx_free(s->srtp);
	free(s->seen);
	free(s->rx_ns);
	free(s->tap_tx_ns);
}

/* The kernel's receive time of a message (SO_TIMESTAMPNS, CLOCK_REALTIME ns), or 0. */
static uint64_t msg_rx_time_ns(struct msghdr *msg)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		struct timespec ts;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	return 0;
}

/* Drains one stream's socket; returns packets read. */
static uint64_t sink_drain(const struct gen_options *o, struct sink_stream *streams, uint32_t index,
			   struct sink_buffers *b, struct latency_hist *lat)
{
	uint64_t total = 0;
	uint32_t i;

	for (;;) {
		int n;
		uint64_t t;

		for (i = 0; i < o->batch; i++) {
			b->iovs[i] =
			    (struct iovec){.iov_base = b->data[i], .iov_len = GEN_BUF_SIZE + 1};
			b->msgs[i].msg_hdr = (struct msghdr){.msg_name = &b->from[i],
							     .msg_namelen = sizeof(b->from[i]),
							     .msg_iov = &b->iovs[i],
							     .msg_iovlen = 1};
			if (streams[index].rx_ns) {
				b->msgs[i].msg_hdr.msg_control = b->control[i];
				b->msgs[i].msg_hdr.msg_controllen = SINK_CONTROL_LEN;
			}
		}
		n = recvmmsg(streams[index].fd, b->msgs, o->batch, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		t = now_ns();
		for (i = 0; i < (uint32_t)n; i++) {
			size_t len = b->msgs[i].msg_len;

			if (streams[index].srtp &&
			    !sink_unprotect(o, &streams[index], b->data[i], &len))
				continue;
			sink_account(o, streams, index, b->data[i], len, t,
				     msg_rx_time_ns(&b->msgs[i].msg_hdr), lat);
		}
		if (o->echo)
			sink_echo(streams[index].fd, b->msgs, (unsigned int)n);
		total += (uint64_t)n;
		if ((uint32_t)n < o->batch)
			break;
	}
	return total;
}

static int run_sink(const struct gen_options *o)
{
	struct sink_stream *streams = calloc(o->streams, sizeof(*streams));
	struct latency_hist *lat = calloc(1, sizeof(*lat));
	struct sink_transit *transit = o->tap_iface ? calloc(1, sizeof(*transit)) : NULL;
	struct sink_tap tap = {.fd = -1};
	struct epoll_event events[64];
	struct sink_buffers b;
	int buffers_r = sink_buffers_alloc(&b, o->batch);
	double limit = o->duration > 0 ? o->duration : (o->timeout > 0 ? o->timeout : 10.0);
	double u0, s0, u1, s1, cpu0, cpu1;
	uint64_t start, deadline, end;
	bool complete = false;
	int epfd = -1, r = 0;
	uint32_t i;

	if (!streams || !lat || buffers_r < 0 || (o->tap_iface && !transit)) {
		r = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < o->streams; i++)
		streams[i].fd = -1;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		r = -errno;
		goto out_free;
	}
	r = sink_open_streams(o, streams, epfd);
	if (r == 0)
		r = sink_open_srtp(o, streams);
	if (r == 0 && o->tap_iface)
		r = sink_open_tap(o, streams, &tap, epfd);
	if (r < 0)
		goto out_close;
	touch_ready_file(o->ready_file);

	cpu0 = cpu_seconds(&u0, &s0);
	start = now_ns();
	deadline = start + (uint64_t)(limit * 1e9);
	while (!stop_requested) {
		uint64_t t = now_ns();
		int n, timeout_ms;

		if (t >= deadline)
			break;
		timeout_ms = o->busy_poll ? 0 : (int)((deadline - t) / 1000000 + 1);
		if (timeout_ms > 100)
			timeout_ms = 100;
		n = epoll_wait(epfd, events, 64, timeout_ms);
		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (events[k].data.u32 == TAP_EVENT)
				tap_drain(o, &tap, streams, transit);
			else
				sink_drain(o, streams, events[k].data.u32, &b, lat);
		}
		if (n > 0 && sink_complete(o, streams)) {
			complete = true;
			break;
		}
	}
	end = now_ns();
	if (transit) {
		tap_drain_last(o, &tap, streams, transit);
		tap_close(&tap, transit);
		sink_transit_join(o, streams, transit);
	}
	cpu1 = cpu_seconds(&u1, &s1);
	sink_report(o, streams, lat, transit, (double)(end - start) / 1e9, cpu1 - cpu0, complete,
		    "", "\n");
	if (o->latency_cdf)
		latency_write_cdf(lat, o->latency_cdf);
	if (o->transit_cdf && transit)
		latency_write_cdf(&transit->hist, o->transit_cdf);
out_close:
	tap_close(&tap, NULL);
	for (i = 0; i < o->streams; i++) {
		if (streams[i].fd >= 0)
			close(streams[i].fd);
		sink_stream_release(&streams[i]);
	}
	if (epfd >= 0)
		close(epfd);
out_free:
	sink_buffers_free(&b);
	free(transit);
	free(lat);
	free(streams);
	if (r < 0) {
		fprintf(stderr, "sluice-gen sink: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}

/* ---- send ---- */

/* Receive side of a sender (--recv): the sending sockets double as sink sockets. */
struct send_receiver {
	struct gen_options opts; /* the sink's view: count = recv_expect, no SSRC check */
	struct sink_stream *streams;
	struct latency_hist *lat;
	struct sink_buffers bufs;
	int epfd;
};

static int receiver_open(const struct gen_options *o, const struct send_stream *senders,
			 struct send_receiver *rx)
{
	uint32_t i;
	int r;

	rx->opts = *o;
	rx->opts.count = o->recv_expect;
	rx->opts.have_ssrc_base = false;
	rx->opts.echo = false;
	rx->streams = calloc(o->streams, sizeof(*rx->streams));
	rx->lat = calloc(1, sizeof(*rx->lat));
	r = sink_buffers_alloc(&rx->bufs, o->batch);
	rx->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!rx->streams || !rx->lat || r < 0 || rx->epfd < 0)
		return -ENOMEM;
	for (i = 0; i < o->streams; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct endpoint ep;

		rx->streams[i].fd = senders[i].fd;
		if (getsockname(senders[i].fd, (struct sockaddr *)&ss, &len) == 0 &&
		    endpoint_from_sockaddr((struct sockaddr *)&ss, len, &ep) == 0)
			rx->streams[i].port = ep.port;
		if (epoll_ctl(rx->epfd, EPOLL_CTL_ADD, senders[i].fd, &ev) < 0)
			return -errno;
	}
	return sink_open_srtp(o, rx->streams);
}

static void receiver_close(struct send_receiver *rx, uint32_t n)
{
	uint32_t i;

	if (rx->streams)
		for (i = 0; i < n; i++)
			sink_stream_release(&rx->streams[i]);
	if (rx->epfd >= 0)
		close(rx->epfd);
	sink_buffers_free(&rx->bufs);
	free(rx->lat);
	free(rx->streams);
}

/* Receives whatever is ready, waiting at most until deadline; returns true when complete. */
static bool receiver_poll(struct send_receiver *rx, uint64_t deadline)
{
	struct epoll_event events[64];
	uint64_t t = now_ns();
	struct timespec ts = {0};
	int n;

	if (deadline > t) {
		ts.tv_sec = (time_t)((deadline - t) / 1000000000ull);
		ts.tv_nsec = (long)((deadline - t) % 1000000000ull);
	}
	n = epoll_pwait2(rx->epfd, events, 64, &ts, NULL);
	for (int k = 0; k < n; k++)
		sink_drain(&rx->opts, rx->streams, events[k].data.u32, &rx->bufs, rx->lat);
	return sink_complete(&rx->opts, rx->streams);
}

static void send_report(const struct gen_options *o, uint64_t sent,
			const struct send_totals *totals, double elapsed, double u, double sy,
			const struct send_receiver *rx, double rx_elapsed, double pre_s,
			double pre_late_s, const struct latency_hist *lag)
{
	double rate = elapsed > 0 ? (double)sent / elapsed : 0;

	if (o->json)
		printf("{\"mode\":\"send\",\"streams\":%u,\"sent\":%" PRIu64
		       ",\"send_errors\":%" PRIu64 ",\"injected\":%" PRIu64 ",\"replayed\":%" PRIu64
		       ",\"srtp_errors\":%" PRIu64
		       ",\"elapsed_s\":%.6f,\"rate_pps\":%.1f,\"target_rate_pps\":%.1f,"
		       "\"cpu_s\":%.6f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,\"payload\":%u,"
		       "\"kind\":\"%s\",\"srtp\":%s",
		       o->streams, sent, totals->errors, totals->injected, totals->replayed,
		       totals->srtp_errors, elapsed, rate, o->rate, u + sy, u, sy, o->payload,
		       o->rtcp ? "rtcp" : "rtp", o->srtp ? "true" : "false");
	if (o->json && o->precompute)
		printf(",\"precompute_s\":%.6f,\"precompute_late_s\":%.6f,\"send_lag_us\":{"
		       "\"p50\":%.0f,\"p99\":%.0f,\"max\":%.1f}",
		       pre_s, pre_late_s, latency_quantile(lag, 0.5), latency_quantile(lag, 0.99),
		       (double)lag->max_ns / 1000.0);
	if (!o->json)
		printf("sent %" PRIu64 " packets (%" PRIu64
		       " errors) on %u streams in %.3f s: %.1f pps "
		       "(target %.1f), generator CPU %.3f s (user %.3f, sys %.3f)%s\n",
		       sent, totals->errors, o->streams, elapsed, rate, o->rate, u + sy, u, sy,
		       o->srtp ? ", SRTP" : "");
	if (rx)
		sink_report(&rx->opts, rx->streams, rx->lat, NULL, rx_elapsed, u + sy,
			    sink_complete(&rx->opts, rx->streams),
			    o->json ? ",\"rx\":" : "rx: ", o->json ? "}\n" : "");
	else if (o->json)
		printf("}\n");
	fflush(stdout);
}

/* What --precompute did before the first send. */
struct send_precomputed {
	uint64_t start; /* when the first packet is due (stamped in it) */
	size_t stride;	/* between packets in send_stream.pre; 0 when not precomputed */
	double build_s; /* building took this long */
	double late_s;	/* build time past the planned start, over all attempts */
};

/*
 * --precompute: builds count packets per stream, stamped from a start time ahead of now, then
 * says so in --ready-file and sleeps until that start. Returns 0 or negative errno.
 */
static int send_precompute(const struct gen_options *o, struct send_stream *streams, uint64_t count,
			   struct send_totals *totals, struct send_precomputed *ret)
{
	uint64_t t0 = now_ns(), lead, start, t;
	uint64_t bytes = count * o->streams * (GEN_RTP_HDR_LEN + o->payload + 64);
	size_t stride;
	int r;

	if (bytes > (8ull << 30)) {
		fprintf(stderr,
			"sluice-gen send: --precompute would need %" PRIu64
			" MiB; use fewer packets\n",
			bytes >> 20);
		return -ENOMEM;
	}
	/*
	 * The first packet is stamped with a start time this far ahead: the estimated build
	 * time, with a margin. When building took longer (a busy machine), it starts over with
	 * new SRTP contexts and twice the lead: late packets would carry stamps from before
	 * their send and inflate the latency.
	 */
	lead =
	    (uint64_t)(precompute_cost_ns(o) * 1.5 * (double)(count * o->streams)) + 100000000ull;
	for (int attempt = 0;; attempt++) {
		start = now_ns() + lead;
		stride = precompute_streams(o, streams, count, start, totals);
		if (!stride)
			return -ENOMEM;
		t = now_ns();
		if (t + 20000000ull <= start || attempt == 3)
			break;
		ret->late_s += (double)(t + 20000000ull - start) / 1e9;
		r = send_restart_streams(o, streams);
		if (r < 0)
			return r;
		lead *= 2;
	}
	ret->start = start;
	ret->stride = stride;
	ret->build_s = (double)(t - t0) / 1e9;
	if (t > start)
		fprintf(stderr,
			"sluice-gen send: warning: precomputing took %.3f s: the first "
			"packets leave %.3f s late\n",
			ret->build_s, (double)(t - start) / 1e9);
	/* With --precompute, --ready-file means: built; it holds the nanoseconds until the first
	 * send (a benchmark opens its measurement window then). */
	touch_ready_file_ns(o->ready_file, start > now_ns() ? start - now_ns() : 0);
	sleep_until_ns(start);
	return 0;
}

static int run_send(const struct gen_options *o)
{
	struct send_stream *streams = calloc(o->streams, sizeof(*streams));
	uint8_t(*bufs)[GEN_BUF_SIZE] = malloc((size_t)o->batch * GEN_COPIES * GEN_BUF_SIZE);
	struct mmsghdr *msgs = calloc((size_t)o->batch * GEN_COPIES, sizeof(*msgs));
	struct iovec *iovs = calloc((size_t)o->batch * GEN_COPIES, sizeof(*iovs));
	struct send_totals totals = {0};
	struct send_receiver rx = {.epfd = -1};
	double per_stream_rate = o->rate / o->streams, u0, s0, u1, s1, elapsed;
	uint64_t sent = 0, start, end_ns = UINT64_MAX, t, send_end;
	uint64_t interval_ns = (uint64_t)(1e9 / o->rate);
	uint64_t count = o->count; /* per stream; 0: until the duration ends */
	struct send_precomputed pre = {0};
	struct latency_hist *lag = calloc(1, sizeof(*lag)); /* --precompute: send - stamped */
	uint32_t i;
	int r = 0;

	if (!streams || !bufs || !msgs || !iovs || !lag) {
		r = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < o->streams; i++)
		streams[i].fd = -1;
	r = send_open_streams(o, streams);
	if (r < 0)
		goto out_close;
	if (o->recv) {
		r = receiver_open(o, streams, &rx);
		if (r < 0)
			goto out_close;
	}
	if (!o->precompute)
		touch_ready_file(o->ready_file);
	r = wait_for_file(o->start_after);
	if (r < 0) {
		fprintf(stderr, "sluice-gen send: %s did not appear within 10 s\n", o->start_after);
		goto out_close;
	}

	if (interval_ns < 20000)
		interval_ns = 20000; /* wake at most every 20 us; batches absorb the rest */
	if (o->precompute) {
		if (!count)
			count = (uint64_t)ceil(o->duration * per_stream_rate) + 1;
		r = send_precompute(o, streams, count, &totals, &pre);
		if (r < 0)
			goto out_close;
		cpu_seconds(&u0, &s0);
		start = pre.start;
	} else {
		cpu_seconds(&u0, &s0);
		start = now_ns();
	}
	if (o->duration > 0)
		end_ns = start + (uint64_t)(o->duration * 1e9);

	for (t = start; !stop_requested && t < end_ns; t = now_ns()) {
		double elapsed_s = (double)(t - start) / 1e9;
		bool all_done = count > 0, any_sent = false;

		for (i = 0; i < o->streams; i++) {
			struct send_stream *s = &streams[i];
			/* Stream i's packet k is due at (k + i/N) / per_stream_rate: staggered. */
			double due_f = elapsed_s * per_stream_rate - (double)i / o->streams + 1;
			uint64_t due = due_f > 0 ? (uint64_t)due_f : 0;

			if (count && due > count)
				due = count;
			if (count && s->sent < count)
				all_done = false;
			while (s->sent < due) {
				uint64_t want = due - s->sent;

				if (want > o->batch)
					want = o->batch;
				if (pre.stride)
					sent += send_stream_precomputed(
					    s, (uint32_t)want, pre.stride, msgs, iovs, &totals,
					    pre.start + stream_due_ns(o, i, s->sent), lag);
				else
					sent += send_stream_batch(o, s, i, (uint32_t)want, bufs,
								  msgs, iovs, &totals);
				any_sent = true;
			}
		}
		if (all_done)
			break;
		if (o->recv)
			receiver_poll(&rx, any_sent ? 0 : t + interval_ns);
		else if (!any_sent)
			sleep_until_ns(t + interval_ns);
	}
	send_end = now_ns();
	elapsed = (double)(send_end - start) / 1e9;
	if (o->recv) {
		uint64_t linger = (uint64_t)((o->recv_timeout > 0 ? o->recv_timeout : 3.0) * 1e9);

		while (!stop_requested && now_ns() < send_end + linger) {
			uint64_t step = now_ns() + 50000000ull;

			if (receiver_poll(&rx, step < send_end + linger ? step : send_end + linger))
				break;
		}
	}
	cpu_seconds(&u1, &s1);
	send_report(o, sent, &totals, elapsed, u1 - u0, s1 - s0, o->recv ? &rx : NULL,
		    (double)(now_ns() - start) / 1e9, pre.build_s, pre.late_s, lag);
out_close:
	if (o->recv)
		receiver_close(&rx, o->streams);
	send_close_streams(o, streams);
out_free:
	free(iovs);
	free(msgs);
	free(bufs);
	free(streams);
	free(lag);
	if (r < 0)
		return 1;
	return totals.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct gen_options o = {
	    .payload = 160,
	    .pt = 0,
	    .batch = 64,
	    .ssrc_base = 0x51c00000u,
	    .rtp_version = 2,
	};
	struct sigaction sa = {.sa_handler = on_stop_signal};
	bool sending;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "send"))
		sending = true;
	else if (!strcmp(argv[1], "sink"))
		sending = false;
	else {
		fprintf(stderr, "sluice-gen: unknown mode '%s' (send or sink)\n", argv[1]);
		return 2;
	}
	if (parse_options(argc - 1, argv + 1, sending, &o) < 0) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return sending ? run_send(&o) : run_sink(&o);
}
