/* SPDX-License-Identifier: MIT */
/*
 * The ng command layer: ping, offer, answer, delete, query, list and statistics as Kamailio's and
 * OpenSIPS's rtpengine modules send them, on top of the pure libraries (ng framing and parsing, the
 * reply cache, SDP, SDES) and a narrow backend that owns the relay's sessions. ng_handle() has the
 * ctl_server handler signature: it gets "<cookie> <dict>" and writes "<cookie> <dict>".
 *
 * One media section of a call is one backend session: two legs (internal and gateway), each with a
 * relay address and RTP port (RTCP on port + 1, or on the RTP port with rtcp-mux). The offer
 * allocates the relay ports (ops->allocate); the answer commits the whole session (ops->commit:
 * remotes, SRTP suite and keys per leg, rtcp-mux, strict source); a later offer/answer on the same
 * call changes it (ops->update, with a mask of what changed); delete releases it (ops->release).
 *
 * Not thread-safe: one ng_ctx belongs to the control thread. The layer never logs; every refusal is
 * an error reply whose error-reason names the problem, and leaves nothing created behind.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/relay.h>

#include "common/addr.h"
#include "control/policy.h"
#include "srtp/srtp.h"

struct ctl_peer;

#define NG_SRTP_KEY_SALT_MAX (SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN)

/* SRTP of one leg. Keys are master key || master salt of the suite (key_len bytes). */
struct ng_leg_srtp {
	bool enabled;
	enum sluice_srtp_suite suite;
	size_t key_len;
	uint8_t rx_key[NG_SRTP_KEY_SALT_MAX]; /* the remote's key: it protects what it sends us */
	uint8_t tx_key[NG_SRTP_KEY_SALT_MAX]; /* ours: we protect what we send to the remote */
	struct sluice_srtp_mki rx_mki;	      /* MKI the remote puts in its packets; len 0: none */
	struct sluice_srtp_mki tx_mki;	      /* always len 0: sluice sends no MKI */
};

struct ng_leg_params {
	struct endpoint local;	     /* relay address and RTP port, as allocate returned them */
	bool has_remote;	     /* false: on hold with 0.0.0.0, or no address yet: latch */
	struct endpoint remote;	     /* RTP, from c= and m= */
	struct endpoint remote_rtcp; /* from a=rtcp, else RTP port + 1; equals remote with mux */
	struct ng_leg_srtp srtp;
};

struct ng_session_params {
	bool rtcp_mux; /* both legs: the relay does not mix muxed and demuxed legs */
	bool strict_source;
	uint32_t clock_rate;	      /* of the first format; 0 unknown */
	struct ng_leg_params legs[2]; /* by enum sluice_leg */
};

struct ng_alloc_params {
	const char *call_id; /* NUL-terminated, for logs */
	unsigned int media_index;
	const char *media_type; /* "audio", "video", ... */
	int family[2];		/* by leg: AF_INET / AF_INET6 of the peer on that side, 0 unknown */
};

struct ng_alloc_result {
	uint32_t session_id;
	struct endpoint local[2]; /* by leg: relay address and RTP port; RTCP is port + 1 */
};

/* update(): what changed since the last commit/update. */
#define NG_CHANGED_REMOTE(leg) (1u << (leg))	   /* remote address/port of that leg */
#define NG_CHANGED_KEYS(leg)   (1u << (2 + (leg))) /* suite, rx or tx key of that leg */
#define NG_CHANGED_OTHER       (1u << 4)	   /* rtcp-mux, strict source, SRTP on/off */

struct ng_counters {
	uint64_t packets, bytes, errors;
};

/* What the relay received from one leg's remote. */
struct ng_leg_counters {
	struct ng_counters rtp, rtcp;
	uint64_t last_packet_s; /* wall clock seconds; 0 never */
};

struct ng_backend_stats {
	uint64_t sessions_current;
	uint64_t sessions_max; /* the cap; 0: none */
	uint64_t sessions_total;
	struct ng_counters rtp, rtcp; /* everything relayed since start */
};

/*
 * The backend: the relay's session table. Functions return 0 or a negative errno; where error
 * and error_len are given, a failing call may write a reason (NUL-terminated) that the error
 * reply quotes. Each is called on the control thread only.
 */
struct ng_backend_ops {
	/*
	 * Reserve relay ports for both legs of one media stream (RTP port and port + 1 on each
	 * leg). -ENOSPC: the session cap is reached (answered "load limit"); -EADDRNOTAVAIL: no
	 * free port.
	 */
	int (*allocate)(void *opaque, const struct ng_alloc_params *params,
			struct ng_alloc_result *ret, char *error, size_t error_len);
	/* First full parameters of an allocated session: from now on media flows. */
	int (*commit)(void *opaque, uint32_t session_id, const struct ng_session_params *params,
		      char *error, size_t error_len);
	/* New parameters of a committed session; changed is NG_CHANGED_*. On failure the old stay.
	 */
	int (*update)(void *opaque, uint32_t session_id, const struct ng_session_params *params,
		      uint32_t changed, char *error, size_t error_len);
	/* Releases the ports and the session (committed or not); wipes its keys. */
	void (*release)(void *opaque, uint32_t session_id);
	/* Counters by leg; -ENOENT for an unknown session. Optional (NULL: zeros). */
	int (*query)(void *opaque, uint32_t session_id, struct ng_leg_counters ret[2]);
	/* Global numbers. Optional (NULL: the layer's own count of sessions, no cap). */
	void (*stats)(void *opaque, struct ng_backend_stats *ret);
	/* len bytes from a CSPRNG (RAND_priv_bytes in the daemon). */
	int (*random)(void *opaque, uint8_t *buf, size_t len);
	/* Clocks. Optional (NULL: CLOCK_MONOTONIC and CLOCK_REALTIME). */
	uint64_t (*monotonic_ms)(void *opaque);
	uint64_t (*wall_s)(void *opaque);
};

struct ng_config {
	struct ng_policy policy;
	bool strict_source;	/* default for sessions whose request has no "strict-source" flag */
	unsigned int max_calls; /* [16384] calls held at once */
	unsigned int cache_capacity; /* [NG_CACHE_CAPACITY] replies cached for retransmissions */
	size_t cache_max_bytes;	     /* [NG_CACHE_MAX_BYTES] */
	unsigned int cache_ttl_ms;   /* [NG_CACHE_TTL_MS] */
	const struct ng_backend_ops *ops; /* allocate, commit, update, release, random required */
	void *opaque;
};

/* by_command's first index: enum ng_command (control/ng.h), 0 = unknown or unparsable. */
#define NG_CTX_COMMANDS 8
enum ng_ctx_result {
	NG_CTX_OK = 0,
	NG_CTX_ERROR, /* an error reply, or "load limit" */
	NG_CTX_RESULT__MAX,
};

/*
 * Counted by the layer, reported by "statistics" and the stats socket. Only uint64_t members:
 * ng_ctx_get_counters() copies them one by one with atomic loads, so any thread may read them.
 */
struct ng_ctx_counters {
	uint64_t requests, errors, cache_hits, load_limited;
	uint64_t offers, answers, deletes, queries;
	uint64_t calls_created, calls_deleted;
	/* Requests answered by the layer (retransmissions answered from the cache excluded). */
	uint64_t by_command[NG_CTX_COMMANDS][NG_CTX_RESULT__MAX];
};

struct ng_ctx;

/* Returns 0, -EINVAL (missing ops), -ENOMEM. */
int ng_ctx_new(const struct ng_config *cfg, struct ng_ctx **ret);
/* Frees calls and wipes their keys without calling the backend (it goes away too). NULL is fine. */
void ng_ctx_free(struct ng_ctx *ctx);

/*
 * The ctl_server handler (ctl_handler_fn): opaque is the struct ng_ctx. Writes the reply, cookie
 * included. Returns 0 with a reply, 0 with *ret_reply_len 0 when no reply is possible (no cookie),
 * or -ENOSPC when even an error reply does not fit reply_cap.
 */
int ng_handle(void *opaque, const uint8_t *msg, size_t len, const struct ctl_peer *peer,
	      uint8_t *reply, size_t reply_cap, size_t *ret_reply_len);

size_t ng_ctx_call_count(const struct ng_ctx *ctx);
/* Backend sessions the layer holds (allocated or committed). */
size_t ng_ctx_session_count(const struct ng_ctx *ctx);
void ng_ctx_get_counters(const struct ng_ctx *ctx, struct ng_ctx_counters *ret);
