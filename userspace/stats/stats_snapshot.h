/* SPDX-License-Identifier: MIT */
/*
 * The stats snapshot: plain structs that say everything the stats socket can show, filled by a
 * provider the daemon implements (struct stats_provider), and rendered as JSON or Prometheus text
 * (stats_render.h). Label values (drop reasons, commands, TLS refusals, paths) come from the name
 * tables below; the renderers never spell a reason themselves.
 *
 * Also here: the helpers that turn raw sources into snapshot fields, so the daemon calls them
 * instead of re-deriving them: summing per-CPU BPF values (include/sluice/relay.h), RFC 3550 loss
 * and jitter from sluice_rtp_quality, the log2 buckets of the processing-time histogram, and the
 * global loss/jitter aggregates over streams.
 *
 * Nothing here allocates, blocks or logs.
 */
#ifndef SLUICE_STATS_SNAPSHOT_H
#define SLUICE_STATS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/relay.h>

#include "common/addr.h"

/* ---- name tables: the label values ---- */

/* An index -> name table; a NULL name is a slot that is never rendered (e.g. SLUICE_DROP_NONE). */
struct stats_names {
	const char *const *names;
	unsigned count;
};

/* Where a packet ended: one disjoint path per packet (docs/stats.md). */
enum stats_path {
	STATS_PATH_XDP_FORWARD = 0, /* forwarded by XDP (verdict FORWARD) */
	STATS_PATH_USERSPACE,	    /* relayed by an io_uring worker (sent) */
	STATS_PATH_DROPPED,	    /* dropped by XDP or by userspace, any reason */
	STATS_PATH__MAX,
};

/* Who dropped a packet: the `source` label of drops. */
enum stats_drop_source {
	STATS_SOURCE_XDP = 0,	    /* enum sluice_drop_reason, from the BPF maps */
	STATS_SOURCE_USERSPACE = 1, /* enum stats_userspace_drop, from the workers' handler */
	STATS_SOURCE__MAX,
};

/* XDP drop reasons: the index is enum sluice_drop_reason. */
#define STATS_XDP_DROP_MAX SLUICE_DROP_MAX

/*
 * Userspace drop reasons of the SRTP hop (DESIGN.md "The SRTP hop"). Numbered like the worker
 * handler's enum relay_drop (datapath/relay_handler.h), 0 being "not a drop", so its counters
 * copy across index for index. Append only, together with relay_drop.
 */
enum stats_userspace_drop {
	STATS_US_DROP_NONE = 0,
	STATS_US_DROP_SRTP_AUTH = 1,		 /* SRTP/SRTCP authentication tag wrong */
	STATS_US_DROP_SRTP_REPLAY_DUPLICATE = 2, /* replay window: seen already */
	STATS_US_DROP_SRTP_REPLAY_OLD = 3,	 /* replay window: older than the window */
	STATS_US_DROP_SRTP_MALFORMED = 4,	 /* too short, bad header */
	STATS_US_DROP_SRTP_NO_KEY = 5,		 /* unknown MKI, no key (yet) for this direction */
	STATS_US_DROP_SRC_NOT_LATCHED = 6,	 /* strict source: not from the latched remote */
	STATS_US_DROP_PEER_UNKNOWN = 7,		 /* the other leg has no remote yet */
	STATS_US_DROP_SEND_ERROR = 8,		 /* could not be protected or sent */
	STATS_US_DROP__MAX,
};

/* SRTP/SRTCP unprotect failures: the `reason` label of sluice_srtp_unprotect_failures_total. */
enum stats_srtp_failure {
	STATS_SRTP_FAIL_AUTH = 0,
	STATS_SRTP_FAIL_REPLAY_DUPLICATE,
	STATS_SRTP_FAIL_REPLAY_OLD,
	STATS_SRTP_FAIL__MAX,
};

/* Control requests: the command index is enum ng_command (control/ng.h; 0 = unknown). */
#define STATS_CTL_CMD_MAX 8
enum stats_ctl_result {
	STATS_CTL_OK = 0,
	STATS_CTL_ERROR = 1,
	STATS_CTL_RESULT__MAX,
};

/* TLS handshake failures: the index is enum tls_refusal (control/tls.h). */
#define STATS_TLS_REFUSAL_MAX 11

extern const struct stats_names stats_path_names;
extern const struct stats_names stats_source_names;
extern const struct stats_names stats_xdp_drop_names;
extern const struct stats_names stats_userspace_drop_names;
extern const struct stats_names stats_srtp_failure_names;
extern const struct stats_names stats_ctl_command_names;
extern const struct stats_names stats_ctl_result_names;
extern const struct stats_names stats_tls_refusal_names;
/* The drop reason table of a source. */
const struct stats_names *stats_drop_names(enum stats_drop_source source);
/* names->names[i], or NULL when i is out of range or the slot is unnamed. */
const char *stats_name(const struct stats_names *names, unsigned i);
/* "internal"/"gateway", "rtp"/"rtcp"/"mux"; "unknown" for anything else. */
const char *stats_leg_name(unsigned leg);
const char *stats_kind_name(unsigned kind);

/* ---- the userspace processing-time histogram ---- */

/*
 * Fixed log2 buckets: bucket i counts samples of at most 2^(STATS_HIST_SHIFT + i) ns, i.e. 128 ns
 * up to 2^22 ns (4.2 ms); the last bucket counts everything above. Counts are per bucket (not
 * cumulative) in the snapshot; the Prometheus renderer makes them cumulative.
 */
#define STATS_HIST_SHIFT   7
#define STATS_HIST_BOUNDED 16
#define STATS_HIST_BUCKETS (STATS_HIST_BOUNDED + 1)

struct stats_histogram {
	uint64_t buckets[STATS_HIST_BUCKETS]; /* the count is their sum */
	uint64_t sum_ns;
};

/* Upper bound of bucket i in ns; UINT64_MAX for the last (+Inf). */
uint64_t stats_hist_bound_ns(unsigned i);

/* The bucket of a sample: cheap enough for the packet path (one clz). */
static inline unsigned stats_hist_bucket(uint64_t ns)
{
	unsigned bits;

	if (ns <= (1ull << STATS_HIST_SHIFT))
		return 0;
	/* Smallest b with ns <= 2^b is 64 - clz(ns - 1). */
	bits = 64 - (unsigned)__builtin_clzll(ns - 1);
	return bits - STATS_HIST_SHIFT < STATS_HIST_BOUNDED ? bits - STATS_HIST_SHIFT
							    : STATS_HIST_BOUNDED;
}

/* Single-writer recording (a worker's own histogram); readers sum copies with stats_hist_add. */
static inline void stats_hist_record(struct stats_histogram *h, uint64_t ns)
{
	h->buckets[stats_hist_bucket(ns)]++;
	h->sum_ns += ns;
}

void stats_hist_add(struct stats_histogram *dst, const struct stats_histogram *src);

/* ---- the global snapshot ---- */

#define STATS_MAX_WORKERS 256

struct stats_worker {
	uint64_t busy_ns; /* CPU time of the worker thread (dp_worker_thread_cpu_ns) */
	uint64_t wall_ns; /* wall time since the worker started */
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t af_xdp_rx_packets; /* frames received on its AF_XDP sockets (good ones: rx too) */
	uint64_t af_xdp_tx_packets; /* of those, sent from an AF_XDP socket (also in tx_packets) */
	bool af_xdp;		    /* the worker owns AF_XDP sockets (config af_xdp) */
};

/*
 * The workers' AF_XDP sockets (config af_xdp), summed over the workers: their own counters
 * (dp_counters xsk_*) and the kernel's (XDP_STATISTICS of every socket).
 */
struct stats_af_xdp {
	uint64_t workers;	   /* gauge: workers owning AF_XDP sockets */
	uint64_t rx_packets;	   /* frames received on them, bad_frames included */
	uint64_t tx_packets;	   /* of those, sent from an AF_XDP socket */
	uint64_t fallback_packets; /* of those, sent from the port's UDP socket instead */
	uint64_t bad_frames;	   /* of those, no valid header or of a port now gone */
	/* The kernel's counters: */
	uint64_t kernel_rx_dropped;	 /* frames too big for a UMEM frame, or no fill buffer */
	uint64_t kernel_rx_ring_full;	 /* the RX ring was full: the worker fell behind */
	uint64_t kernel_fill_ring_empty; /* times the kernel found the fill ring empty */
	uint64_t kernel_rx_invalid;	 /* invalid RX descriptors */
	uint64_t kernel_tx_invalid;	 /* invalid TX descriptors the worker submitted */
};

/* The stats server's own counters; the server fills them, the provider leaves them zero. */
struct stats_server_counters {
	uint64_t clients;	    /* gauge: connected now (UNIX and HTTP) */
	uint64_t accepted;	    /* connections accepted under the cap */
	uint64_t refused;	    /* connections refused: max_clients */
	uint64_t slow_disconnects;  /* clients dropped: output over the cap or no write progress */
	uint64_t requests;	    /* requests served (UNIX lines and HTTP requests) */
	uint64_t request_errors;    /* malformed, unknown or failed requests */
	uint64_t provider_failures; /* provider callbacks that returned an error */
};

struct stats_global {
	uint64_t time_unix_ms; /* when collected; 0: the server stamps it */
	uint64_t sessions_active;
	uint64_t sessions_total; /* created since start */
	uint64_t sessions_max;	 /* configured cap */

	uint64_t packets[STATS_PATH__MAX];
	uint64_t bytes[STATS_PATH__MAX];
	uint64_t xdp_pass_packets;  /* non-media UDP/IP the program passed to the stack */
	uint64_t xdp_fib_no_neigh;  /* forward packets handed to the kernel: neighbour unknown */
	uint64_t xdp_xsk_redirects; /* userspace packets redirected to a worker's AF_XDP socket */

	uint64_t xdp_drops[STATS_XDP_DROP_MAX];
	uint64_t userspace_drops[STATS_US_DROP__MAX];

	/* SRTP and SRTCP unprotect failures: the same events as the matching srtp_* drops. */
	uint64_t srtp_failures[STATS_SRTP_FAIL__MAX];

	uint64_t control_requests[STATS_CTL_CMD_MAX][STATS_CTL_RESULT__MAX];
	uint64_t tls_handshake_failures[STATS_TLS_REFUSAL_MAX];

	unsigned n_workers;
	struct stats_worker workers[STATS_MAX_WORKERS];
	struct stats_af_xdp af_xdp;
	struct stats_histogram userspace_processing; /* per packet, summed over workers */

	/* RFC 3550 aggregates over the live RTP streams (stats_global_add_stream). */
	uint64_t rtp_streams;
	uint64_t rtp_expected;
	int64_t rtp_lost;
	double rtp_jitter_max_seconds;
	double rtp_jitter_sum_seconds; /* mean = sum / rtp_streams */

	struct stats_server_counters server;
};

/* ---- sessions ---- */

#define STATS_SUITE_MAX		  48
#define STATS_SESSION_MAX_STREAMS 4 /* 2 legs x (RTP + RTCP), or 2 x MUX */

enum stats_stream_path {
	STATS_STREAM_KERNEL = 0,    /* forwarded in XDP (action forward) */
	STATS_STREAM_USERSPACE = 1, /* relayed by a worker (action userspace) */
};

struct stats_stream {
	uint8_t leg;  /* enum sluice_leg */
	uint8_t kind; /* enum sluice_kind */
	uint8_t path; /* enum stats_stream_path */
	bool has_remote;
	bool has_rtp; /* RTP or MUX stream with a sluice_stream_rtp entry */
	bool seen;    /* a packet was accepted; last_seen_age_seconds valid */
	struct endpoint local;
	struct endpoint remote;	     /* valid with has_remote (latched or signalled) */
	char suite[STATS_SUITE_MAX]; /* SDES suite name; "" for plain RTP */
	uint64_t packets;	     /* XDP sluice_stream_stats.packets (summed over CPUs) */
	uint64_t bytes;
	uint64_t xdp_drops[STATS_XDP_DROP_MAX];
	uint64_t userspace_drops[STATS_US_DROP__MAX];
	uint64_t expected; /* RFC 3550 A.3, has_rtp only */
	int64_t lost;	   /* may be negative (duplicates) */
	double jitter_seconds;
	double last_seen_age_seconds;
};

struct stats_session {
	uint32_t id;
	unsigned n_streams;
	struct stats_stream streams[STATS_SESSION_MAX_STREAMS];
};

/* Folds one stream into the global RTP aggregates (rtp_streams, expected, lost, jitter). */
void stats_global_add_stream(struct stats_global *g, const struct stats_stream *st);

/* ---- what the daemon implements ---- */

/* Called per session by foreach_session: 0 continues, anything else stops the iteration. */
typedef int (*stats_session_visit_fn)(void *arg, const struct stats_session *s);

/*
 * The daemon's side. All callbacks run on the stats server's thread and must be cheap: they copy
 * from counters the daemon collects outside the packet path (docs/stats.md); they must not block
 * on the packet path or take locks a worker holds while it handles packets.
 */
struct stats_provider {
	void *opaque;
	/* Fill *ret (zeroed by the caller). Returns 0 or a negative errno. */
	int (*global)(void *opaque, struct stats_global *ret);
	/*
	 * Call visit for each session (any order), stopping when it returns non-zero. Returns 0 or
	 * a negative errno. The struct passed may be reused by the provider after visit returns.
	 */
	int (*foreach_session)(void *opaque, stats_session_visit_fn visit, void *arg);
	/* Fill *ret (zeroed by the caller) for one session: 0, -ENOENT or a negative errno. */
	int (*session)(void *opaque, uint32_t id, struct stats_session *ret);
};

/* ---- from the BPF maps ---- */

/*
 * Sums per-CPU values of a BPF_MAP_TYPE_PERCPU_* lookup as libbpf returns them: n_cpus values,
 * each `stride` bytes apart (round_up(value_size, 8)), each starting with n_u64 __u64 counters.
 * ret gets n_u64 sums.
 */
void stats_percpu_sum_u64(const void *values, size_t stride, unsigned n_cpus, size_t n_u64,
			  uint64_t *ret);

/* sluice_global_stats over n_cpus CPUs (every field is a counter: summed). */
void stats_sum_global_percpu(const struct sluice_global_stats *percpu, unsigned n_cpus,
			     struct sluice_global_stats *ret);
/* sluice_stream_stats over n_cpus CPUs: counters summed, last_seen_ns the latest of all CPUs. */
void stats_sum_stream_percpu(const struct sluice_stream_stats *percpu, unsigned n_cpus,
			     struct sluice_stream_stats *ret);

/*
 * XDP's global counters into the snapshot: packets/bytes of xdp_forward, xdp's share of dropped,
 * xdp_drops, xdp_pass_packets, xdp_fib_no_neigh, xdp_xsk_redirects. Adds (so userspace shares can
 * be added too).
 */
void stats_global_add_xdp(struct stats_global *g, const struct sluice_global_stats *sum);

/*
 * One stream's XDP counters into a stats_stream: packets, bytes, xdp_drops, seen and
 * last_seen_age_seconds (against now_ns, CLOCK_MONOTONIC like bpf_ktime_get_ns).
 */
void stats_stream_set_xdp(struct stats_stream *st, const struct sluice_stream_stats *sum,
			  uint64_t now_ns);

/*
 * RFC 3550 A.3/A.8 from a sluice_stream_rtp entry: has_rtp, expected, lost and jitter_seconds
 * (jitter needs clock_rate; 0 leaves it 0). An uninitialised entry gives has_rtp with zeros.
 */
void stats_stream_set_rtp(struct stats_stream *st, const struct sluice_rtp_quality *q,
			  uint32_t clock_rate);

#endif
