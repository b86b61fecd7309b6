/* SPDX-License-Identifier: MIT */
/*
 * The media hop of one session in userspace: what a worker does with a packet XDP handed to a
 * stream's socket. Per packet: source check, SRTP/SRTCP unprotect with the receiving leg's rx
 * context, protect with the other leg's tx context, and send from the peer stream's socket to the
 * peer stream's remote. A relay_session holds the legs' crypto and the per-stream state and
 * counters; the port context of each stream's socket is its struct relay_stream.
 *
 * Threads: after attach, only the owning worker's thread runs the handler and writes the stream
 * state (latches, counters, active contexts); control threads read counters and latches with
 * atomic loads and hand new contexts over through relay_crypto_replace(). A session is reference
 * counted: its creator, the session table's entry and each attached port hold one; the last
 * reference wipes the keys (sluice_srtp_ctx_free) and frees it, so contexts are freed only after
 * the worker's removed-callback of the last port. Nothing here allocates, locks or logs per packet;
 * the map callbacks (struct relay_maps) run only for a stream that is not latched yet.
 */
#ifndef SLUICE_DATAPATH_RELAY_HANDLER_H
#define SLUICE_DATAPATH_RELAY_HANDLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sluice/relay.h>

#include "common/addr.h"
#include "datapath/worker.h"
#include "srtp/srtp.h"

/* Why the handler dropped a packet: its drop code for the worker (1..DP_DROP_CODES-1). */
enum relay_drop {
	RELAY_DROP_NONE = 0,
	RELAY_DROP_SRTP_AUTH = 1,	      /* tag does not verify (wrong key, altered packet) */
	RELAY_DROP_SRTP_REPLAY_DUPLICATE = 2, /* inside the replay window, already seen */
	RELAY_DROP_SRTP_REPLAY_OLD = 3,	      /* behind the replay window */
	RELAY_DROP_SRTP_MALFORMED = 4,	      /* too short, bad header, CSRC/extension overrun */
	RELAY_DROP_SRTP_NO_KEY = 5,	      /* unknown MKI, no SSRC slot, SRTCP index exhausted */
	RELAY_DROP_SRC_NOT_LATCHED = 6,	      /* strict source: not from the leg's remote */
	RELAY_DROP_PEER_UNKNOWN = 7,	      /* the other leg has no remote (or no socket) yet */
	RELAY_DROP_SEND_ERROR = 8,	      /* could not be re-protected for the other leg */
	RELAY_DROP_MAX,
};
_Static_assert(RELAY_DROP_MAX <= DP_DROP_CODES, "relay drop codes fit the worker's");

/* "srtp_auth", ... ; "unknown" out of range. */
const char *relay_drop_name(unsigned reason);

/* Per-stream counters: single writer (the owning worker), relaxed atomic readers. */
struct relay_counters {
	_Atomic uint64_t rx;	   /* packets handed to the handler on this stream's socket */
	_Atomic uint64_t rx_bytes; /* their UDP payload bytes, as received */
	_Atomic uint64_t tx;	   /* packets sent from this stream's socket */
	_Atomic uint64_t tx_bytes; /* their UDP payload bytes, as sent */
	_Atomic uint64_t drops[RELAY_DROP_MAX];
};

struct relay_counters_snapshot {
	uint64_t rx, rx_bytes, tx, tx_bytes, drops[RELAY_DROP_MAX];
};

/*
 * One direction's SRTP context of a leg. `active` belongs to the worker once the session is
 * attached; a replacement goes through `pending` (control -> worker) and the context it
 * replaces comes back through `retired` (worker -> control), which frees it.
 */
struct relay_crypto {
	struct sluice_srtp_ctx *active;
	_Atomic(struct sluice_srtp_ctx *) pending;
	_Atomic(struct sluice_srtp_ctx *) retired;
};

struct relay_leg {
	bool srtp;
	enum sluice_srtp_suite suite;
	struct relay_crypto rx; /* unprotects what the leg's remote sends us */
	struct relay_crypto tx; /* protects what we send to the leg's remote */
};

struct relay_session;

/* A stream's port context. */
struct relay_stream {
	struct relay_session *session;
	struct relay_stream *peer; /* the other leg's stream of the same component */
	enum sluice_leg leg;
	enum sluice_kind kind;
	bool strict_source;
	bool latch_to_map; /* SLUICE_F_SRTP: not latched by XDP; relay_maps.store_latch writes it */
	struct sluice_stream_key key; /* the stream's map key (peer lookups, latch write-back) */
	_Atomic dp_port_id port; /* the socket's handle on the worker; DP_PORT_INVALID before */
	/* The remote: signalled, or latched by the worker. remote* are written once, before the
	 * release store of latched, and never change after. */
	_Atomic bool latched;
	union dp_sockaddr remote;
	socklen_t remote_len;
	struct relay_counters counters;
};

/*
 * Forward sessions: where XDP latched a stream's remote (the sluice_streams entry). Called on the
 * worker thread for a peer whose remote the worker has not learned yet; returns true and fills
 * the address when the entry is latched.
 */
typedef bool (*relay_lookup_fn)(void *arg, const struct sluice_stream_key *key,
				union dp_sockaddr *ret_addr, socklen_t *ret_len);
/*
 * SRTP streams (SLUICE_F_SRTP), which XDP does not latch: the worker latched the stream on its
 * first authenticated packet, from src; the callee writes that latch into the stream's
 * sluice_streams entry, so XDP can route toward it (the AF_XDP path). Called on the worker thread,
 * once per stream: it must not block for long, and it must not re-create a deleted entry.
 */
typedef void (*relay_store_latch_fn)(void *arg, const struct sluice_stream_key *key,
				     const struct sockaddr *src, socklen_t src_len);

/* The worker's access to the BPF stream maps; any callback may be NULL. */
struct relay_maps {
	relay_lookup_fn lookup;
	relay_store_latch_fn store_latch;
	void *arg;
};

struct relay_session {
	uint32_t id;
	/*
	 * A plain session forwarded by XDP: the handler relays only what XDP handed up (fib
	 * NO_NEIGH); XDP already checked the source, and the peer's remote is XDP's latch.
	 */
	bool forward;
	struct relay_leg legs[2]; /* by enum sluice_leg */
	unsigned n_streams;
	struct relay_stream streams[4];
	struct relay_maps maps;
	_Atomic unsigned refs;
	_Atomic unsigned ports; /* ports on a worker: removed-callbacks still to come */
	unsigned worker;	/* index of the owning worker, set by attach */
};

/* A session with one reference (the caller's), no streams, plain legs. */
int relay_session_new(uint32_t id, bool forward, struct relay_session **ret);
void relay_session_ref(struct relay_session *rs);
/* Drops a reference; the last one frees every context (wiping the keys) and the session. */
void relay_session_unref(struct relay_session *rs);

/*
 * Makes a leg SRTP with these contexts, which the session owns from now on (also on error). rx
 * may be NULL (the remote's key is not known yet: its packets are dropped as srtp_no_key until a
 * rekey brings it); tx may not.
 */
int relay_session_set_srtp(struct relay_session *rs, enum sluice_leg leg,
			   enum sluice_srtp_suite suite, struct sluice_srtp_ctx *rx,
			   struct sluice_srtp_ctx *tx);

/*
 * Fills stream i (the session table's order: internal RTP, internal RTCP, gateway RTP, gateway
 * RTCP; muxed: internal, gateway) from the map value it will have. A signalled remote
 * (SLUICE_F_LATCHED) starts the stream latched. Call for every stream, then relay_session_link.
 */
void relay_session_set_stream(struct relay_session *rs, unsigned i,
			      const struct sluice_stream_key *key,
			      const struct sluice_stream *value, bool strict_source);
/* Pairs each stream with the other leg's stream of the same component. */
void relay_session_link(struct relay_session *rs, unsigned n_streams, bool rtcp_mux);

/* The worker's handler (dp_handler_fn); port_ctx is a struct relay_stream. */
int relay_handle_packet(void *port_ctx, uint8_t *pkt, size_t len, size_t cap, struct dp_tx *ret_tx);
/* The worker's removed-callback (dp_removed_fn) of a stream's port. */
void relay_port_removed(void *port_ctx, void *arg);

/*
 * Control side: replace a context of an attached session. The worker picks the new one up at
 * its next packet of that leg, so the other direction and the other leg never pause; the old
 * one is freed (wiped) once the worker has let go of it. Waits up to wait_ms for the hand-over.
 * Takes ownership of ctx. Returns true when the worker took it within wait_ms.
 */
bool relay_crypto_replace(struct relay_crypto *c, struct sluice_srtp_ctx *ctx, unsigned wait_ms);

void relay_counters_read(const struct relay_counters *c, struct relay_counters_snapshot *ret);
/* The stream's remote as the worker knows it; false when not latched yet. */
bool relay_stream_remote(const struct relay_stream *st, struct endpoint *ret);

#endif
