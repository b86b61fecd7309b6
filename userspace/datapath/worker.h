/* SPDX-License-Identifier: MIT */
/*
 * The userspace packet engine of the SRTP hop. XDP hands packets of legs that need crypto to the
 * daemon's UDP socket for that port; a worker owns such sockets, receives with one multishot
 * recvmsg per socket into a provided-buffer ring, calls a crypto-agnostic handler that transforms
 * the packet in place, and sends the same buffer from the other leg's socket (no copy). One
 * io_uring and one thread per worker; the control side hands ports over through a small command
 * queue, so nothing in the packet path allocates, locks or logs.
 *
 * The types above the worker API (dp_tx, dp_handler_fn, dp_limits, dp_counters) are shared with
 * the epoll + recvmmsg/sendmmsg engine in mmsg_relay.h, which exists to be measured against.
 */
#ifndef SLUICE_DATAPATH_WORKER_H
#define SLUICE_DATAPATH_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/*
 * A port handle: the socket's slot in its engine (low 16 bits) and the slot's generation (high 16
 * bits), so a handle that outlives its port is refused rather than sending from a stranger's
 * socket.
 */
typedef uint32_t dp_port_id;
#define DP_PORT_INVALID ((dp_port_id)UINT32_MAX)

/* Limits of one engine; zero fields take the defaults below (so {0} means all defaults). */
struct dp_limits {
	unsigned max_ports; /* sockets one engine may own (<= 65534) */
	unsigned buf_count; /* receive buffers, a power of two (io_uring: the provided ring) */
	unsigned buf_size;  /* bytes per buffer, including the engine's receive header */
	bool pin_cpu;	    /* pin the engine's thread to cpu */
	unsigned cpu;
	unsigned ring_mode; /* io_uring only: enum dp_ring_mode */
	/* io_uring only: 1..99 runs the thread SCHED_FIFO at this priority; 0 keeps its policy */
	unsigned rt_priority;
};

#define DP_DEFAULT_MAX_PORTS 1024
#define DP_DEFAULT_BUF_COUNT 2048
#define DP_DEFAULT_BUF_SIZE  2048
#define DP_MIN_BUF_SIZE	     256
#define DP_MAX_RT_PRIORITY   99 /* SCHED_FIFO's range on Linux is 1..99 */

/*
 * How the worker's ring runs deferred work. COOP_TASKRUN is the default: DEFER_TASKRUN measured
 * the same or slightly worse here (docs/datapath.md), so it is kept only as an option.
 */
enum dp_ring_mode {
	/* COOP_TASKRUN + TASKRUN_FLAG. */
	DP_RING_COOP_TASKRUN = 0,
	/* SINGLE_ISSUER + DEFER_TASKRUN; falls back to COOP_TASKRUN if the kernel refuses. */
	DP_RING_DEFER_TASKRUN = 1,
};

/* Leading bytes of every buffer the engine keeps for itself; the handler's packet follows. */
#define DP_RX_HEADROOM 48

/* A destination: IPv4 or IPv6. */
union dp_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/*
 * One packet's hand-off between engine and handler. The engine fills src/src_len (where the packet
 * came from, for latching and strict-source checks) before the call; the handler fills the rest
 * when it returns DP_SEND.
 */
struct dp_tx {
	const struct sockaddr *src; /* in: the packet's source, valid during the call only */
	socklen_t src_len;	    /* in */
	dp_port_id out_port;	    /* out: send from this port's socket (same engine) */
	uint32_t len;		    /* out: new packet length, <= cap */
	socklen_t dst_len;	    /* out: sizeof(dst.in) or sizeof(dst.in6) */
	union dp_sockaddr dst;	    /* out: where to send */
};

/* Handler verdicts: DP_SEND, or a drop code in 1..DP_DROP_CODES-1 chosen by the handler's owner. */
#define DP_SEND	      0
#define DP_DROP_CODES 16

/*
 * Called on the engine's thread for every received packet of a port: transform pkt[0..len) in
 * place (it may grow up to cap bytes, e.g. for an SRTP auth tag) and fill ret_tx, or return a drop
 * code. Must not block. A return outside 0..DP_DROP_CODES-1 counts as drop code DP_DROP_CODES-1.
 */
typedef int (*dp_handler_fn)(void *port_ctx, uint8_t *pkt, size_t len, size_t cap,
			     struct dp_tx *ret_tx);

/*
 * Called once on the engine's thread (or in *_free) when a removed port is gone: its socket is
 * closed and the engine will never touch port_ctx again, so the caller may wipe and free it.
 */
typedef void (*dp_removed_fn)(void *port_ctx, void *arg);

/* Buckets of the processing-time histogram (STATS_HIST_BUCKETS, asserted in worker.c). */
#define DP_PROC_HIST_BUCKETS 17

/*
 * Counters of one engine. Single writer (the engine's thread); read them from any thread with
 * relaxed atomic loads (dp_counters_read).
 */
struct dp_counters {
	_Atomic uint64_t rx; /* packets handed to the handler */
	_Atomic uint64_t rx_bytes;
	_Atomic uint64_t tx; /* sends completed */
	_Atomic uint64_t tx_bytes;
	_Atomic uint64_t drops[DP_DROP_CODES]; /* by handler drop code ([0] unused) */
	_Atomic uint64_t bad_tx;	       /* handler asked for an unknown port or len > cap */
	_Atomic uint64_t truncated;	       /* packet larger than a buffer (MSG_TRUNC) */
	_Atomic uint64_t enobufs;	       /* io_uring: buffer ring ran dry, receive re-armed */
	_Atomic uint64_t send_errors;	       /* send failed (e.g. EAGAIN, ENETUNREACH) */
	_Atomic uint64_t recv_errors; /* receive failed with something other than ENOBUFS */
	_Atomic uint64_t bufs_held;   /* gauge: buffers out of the ring (received, in flight) */
	_Atomic uint64_t batches;     /* completion batches (io_uring) or epoll wakeups */
	/*
	 * io_uring only: userspace time per received packet, from one clock reading before and
	 * one after each completion batch that handled packets (batch time / packets), in the
	 * log2 buckets of struct stats_histogram (stats/stats_snapshot.h): bucket i holds
	 * samples of at most 2^(7+i) ns, the last everything above 2^22 ns.
	 */
	_Atomic uint64_t proc_hist[DP_PROC_HIST_BUCKETS];
	_Atomic uint64_t proc_ns; /* the batches' time summed */
	/* AF_XDP (also counted in rx/tx and the drops above): */
	_Atomic uint64_t xsk_rx;       /* packets received on the worker's AF_XDP sockets */
	_Atomic uint64_t xsk_tx;       /* of those, queued on an AF_XDP socket's TX ring */
	_Atomic uint64_t xsk_fallback; /* of those, sent from the port's UDP socket instead */
	_Atomic uint64_t xsk_bad;      /* frames without a valid header or of a port now gone */
};

/* A plain copy of the counters, for readers. */
struct dp_counters_snapshot {
	uint64_t rx, rx_bytes, tx, tx_bytes, drops[DP_DROP_CODES];
	uint64_t bad_tx, truncated, enobufs, send_errors, recv_errors, bufs_held, batches;
	uint64_t proc_hist[DP_PROC_HIST_BUCKETS], proc_ns;
	uint64_t xsk_rx, xsk_tx, xsk_fallback, xsk_bad;
};

void dp_counters_read(const struct dp_counters *c, struct dp_counters_snapshot *ret);

/* The io_uring worker. */
struct dp_worker;

/* A worker per online CPU is the daemon's default. */
unsigned dp_worker_default_count(void);

/* Allocates buffers and sets the ring up (not yet running). Returns 0 or negative errno. */
int dp_worker_new(const struct dp_limits *limits, dp_handler_fn handler,
		  struct dp_worker **ret_worker);
/*
 * Starts the thread, which becomes the ring's only submitter. A worker runs once: a second start
 * (also after stop) returns -EALREADY.
 */
int dp_worker_start(struct dp_worker *w);
/* Stops and joins the thread; ports stay attached. Idempotent. */
void dp_worker_stop(struct dp_worker *w);
/*
 * Stops, closes every socket still attached and runs the completion of every pending removal.
 * Contexts of ports never removed belong to the caller again once this returns. Accepts NULL.
 */
void dp_worker_free(struct dp_worker *w);

/*
 * Hands a bound UDP socket to the worker, which owns it from then on (closed on failure too).
 * Thread-safe; the worker starts receiving at its next wake-up. Returns 0 with the port's handle
 * in ret_port, -ENOTSOCK/-EINVAL for a socket that is not UDP, -ENOSPC when max_ports are in use,
 * -EAGAIN when the command queue is full.
 */
int dp_worker_add_port(struct dp_worker *w, int fd, void *port_ctx, dp_port_id *ret_port);
/*
 * Detaches a port: the worker cancels its receive, closes the socket and then calls
 * removed(port_ctx, arg) exactly once. Thread-safe. Returns 0, -ENOENT for an unknown handle,
 * -EAGAIN when the command queue is full.
 */
int dp_worker_remove_port(struct dp_worker *w, dp_port_id port, dp_removed_fn removed, void *arg);

/*
 * AF_XDP for the crypto legs (docs/datapath.md): sockets bound to one queue of each of the relay's
 * devices, sharing one UMEM. XDP redirects a packet to them (with a struct sluice_xsk_hdr in
 * front) instead of passing it to the port's UDP socket; the worker hands its UDP payload to the
 * same handler and sends the result from the socket on the egress device, or from the port's UDP
 * socket when the handler's destination is not the one XDP looked up.
 */
#define DP_XSK_MAX_IFACES 16

struct dp_xsk_opts {
	unsigned n_ifaces;
	char ifname[DP_XSK_MAX_IFACES][16];
	unsigned queue; /* the device queue every socket binds to */
	unsigned ring;	/* entries of each ring (power of two; 0: 1024) */
	bool generic;	/* the XDP program runs in generic (SKB) mode */
};

/*
 * Before dp_worker_start: creates the sockets. ret_fds[i] is the socket of opts->ifname[i], for
 * the XSKMAP. Returns 0 or negative errno (nothing created; the worker stays on UDP sockets), with
 * what failed in ret_error.
 */
int dp_worker_enable_xsk(struct dp_worker *w, const struct dp_xsk_opts *opts, int ret_fds[],
			 char *ret_error, size_t error_len);
bool dp_worker_has_xsk(const struct dp_worker *w);

/* The kernel's counters of the worker's AF_XDP sockets (XDP_STATISTICS), summed. */
struct dp_xsk_kstats {
	uint64_t rx_dropped;	  /* no room: rx ring full or no fill buffer */
	uint64_t rx_invalid;	  /* frames too big for a UMEM frame */
	uint64_t tx_invalid;	  /* bad transmit descriptors */
	uint64_t rx_ring_full;	  /* the worker fell behind */
	uint64_t fill_ring_empty; /* receive found no fill buffer */
};
void dp_worker_xsk_kstats(const struct dp_worker *w, struct dp_xsk_kstats *ret);

const struct dp_counters *dp_worker_counters(const struct dp_worker *w);
/* CPU time of the worker thread in ns (0 when not running). */
uint64_t dp_worker_thread_cpu_ns(const struct dp_worker *w);
/* Wall time since the worker's thread started in ns (0 when not running). */
uint64_t dp_worker_wall_ns(const struct dp_worker *w);
/* The ring mode in effect (after any fall-back). */
enum dp_ring_mode dp_worker_ring_mode(const struct dp_worker *w);

#endif
