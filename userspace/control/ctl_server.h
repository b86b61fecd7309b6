/* SPDX-License-Identifier: MIT */
/*
 * The control plane's transport: one thread with an epoll loop that owns the ng listeners, ng over
 * TLS with mandatory client certificates (the default) and ng over plain UDP for loopback and an
 * explicit allow-list, and hands each complete message to a handler callback. It never touches the
 * data path. It does not log: refusals come back as events (rate-limited per peer) and counters.
 *
 * Framing: a message is "<cookie> <bencode dict>" (rtpengine's ng). Over TCP the end of a message
 * is found by scanning the bencode structure (ctl_frame_*); whitespace between messages is skipped.
 * The handler sees the whole message, cookie included, and writes the whole reply, cookie
 * included; the server writes it back unchanged (TLS) or as one datagram (UDP).
 */
#ifndef SLUICE_CONTROL_CTL_SERVER_H
#define SLUICE_CONTROL_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "control/tls.h"

enum ctl_transport {
	CTL_TRANSPORT_UDP = 0,
	CTL_TRANSPORT_TLS = 1,
};

/* Who sent a message. subject is the verified client certificate's subject ("" over UDP). */
struct ctl_peer {
	enum ctl_transport transport;
	struct endpoint addr;
	const char *subject;	 /* RFC 2253, e.g. "CN=kamailio1,O=example" */
	const char *common_name; /* its single CN, "" if none */
};

/*
 * Handles one message; writes at most reply_cap bytes of reply and its length. Returns 0 (a reply
 * of length 0 sends nothing) or a negative errno (nothing sent, counted in handler_errors).
 * Runs on the control thread.
 */
typedef int (*ctl_handler_fn)(void *opaque, const uint8_t *msg, size_t len,
			      const struct ctl_peer *peer, uint8_t *reply, size_t reply_cap,
			      size_t *ret_reply_len);

enum ctl_event_type {
	CTL_EVENT_TLS_REFUSED = 0, /* handshake failed or subject not allowed; reason set */
	CTL_EVENT_TLS_OVER_CAP, /* refused: max_connections, or max_handshakes_per_peer (detail) */
	CTL_EVENT_UDP_NOT_ALLOWED, /* UDP request from a peer not on loopback or the allow-list */
	CTL_EVENT_OVERSIZED,	   /* message over max_message; TLS connection closed */
	CTL_EVENT_MALFORMED,	   /* not "<cookie> <bencode dict>"; TLS connection closed */
	CTL_EVENT_IDLE_TIMEOUT,	   /* TLS connection closed after idle_timeout_ms */
	CTL_EVENT_ACCEPT_FAILED,   /* accept() failed (e.g. EMFILE); errno_value set */
	CTL_EVENT__MAX,
};

/*
 * A thing worth one log line. Delivered on the control thread, at most once per (peer address,
 * type, reason) per event_interval_ms; suppressed counts the ones folded into this one since the
 * previous event of that key. Counters count every occurrence.
 */
struct ctl_event {
	enum ctl_event_type type;
	enum ctl_transport transport;
	enum tls_refusal reason; /* CTL_EVENT_TLS_REFUSED only */
	struct endpoint peer;
	const char *detail; /* OpenSSL error text, subject, ...; "" if none */
	int errno_value;
	uint64_t suppressed;
};

typedef void (*ctl_event_fn)(void *opaque, const struct ctl_event *ev);

/* "Refused TLS connection from 192.0.2.1:40000: unknown_ca (certificate verify error 20: ...)". */
const char *ctl_event_format(const struct ctl_event *ev, char *buf, size_t len);

/* Everything counts; read with ctl_server_get_counters() from any thread. */
struct ctl_counters {
	uint64_t tls_accepted;			/* TCP connections accepted under the cap */
	uint64_t tls_established;		/* handshakes completed and subject allowed */
	uint64_t tls_refused[TLS_REFUSAL__MAX]; /* handshake refusals by reason */
	uint64_t tls_over_cap;			/* connections refused at max_connections */
	uint64_t tls_peer_over_cap;		/* refused at max_handshakes_per_peer */
	uint64_t tls_idle_closed;
	uint64_t tls_reloads; /* successful ctl_server_reload_tls() */
	uint64_t tls_reload_failures;
	uint64_t udp_received;
	uint64_t udp_not_allowed; /* requests dropped: peer not allowed */
	uint64_t oversized;	  /* messages over max_message (TLS and UDP) */
	uint64_t malformed;	  /* messages that are not "<cookie> <dict>" */
	uint64_t requests;	  /* messages handed to the handler */
	uint64_t replies;
	uint64_t handler_errors;
	uint64_t send_failures; /* UDP sendto failed, reply dropped */
	uint64_t accept_failures;
	uint64_t events_suppressed; /* events not delivered: per-peer or global rate limit */
};

/* A CIDR of the UDP allow-list: IPv4 or IPv6 network and prefix length. */
struct ctl_cidr {
	int family;
	uint8_t addr[16]; /* network order, IPv4 in the first 4 bytes */
	uint8_t prefix_len;
};

/*
 * "10.0.0.0/8", "192.0.2.7" (/32), "2001:db8::/32", "::1" (/128). Host bits must be zero.
 * Returns 0 or -EINVAL (ret untouched).
 */
int ctl_cidr_parse(const char *s, struct ctl_cidr *ret);
/* IPv4 CIDRs also match IPv4-mapped IPv6 addresses (::ffff:a.b.c.d). */
bool ctl_cidr_match(const struct ctl_cidr *cidr, const struct endpoint *addr);
/* 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool ctl_addr_is_loopback(const struct endpoint *addr);
/* Loopback (when allow_loopback) or any of the CIDRs. */
bool ctl_udp_peer_allowed(const struct ctl_cidr *allow, size_t n_allow, bool allow_loopback,
			  const struct endpoint *peer);

/* ---- framing: finds where "<cookie> <bencode dict>" ends, without decoding it ---- */

#define CTL_COOKIE_MAX	    128
#define CTL_FRAME_MAX_DEPTH 32

/* Resumable: feed the same growing buffer again after more bytes arrived; scanning continues. */
struct ctl_frame_scanner {
	size_t pos;    /* bytes of the frame consumed */
	size_t num;    /* value of a string length being read */
	size_t digits; /* digits read of a number */
	uint8_t state;
	uint8_t depth;
	char stack[CTL_FRAME_MAX_DEPTH];    /* 'd' or 'l' */
	bool want_key[CTL_FRAME_MAX_DEPTH]; /* dict level expects a key next */
};

void ctl_frame_reset(struct ctl_frame_scanner *s);
/*
 * Scans buf[0..len) (the frame starts at buf[0]; skip whitespace before it yourself). Returns 1
 * with the frame's length in s->pos when complete, 0 when more bytes are needed, -EMSGSIZE when
 * the frame exceeds max_len (possibly before it has arrived), -EBADMSG when it is not a cookie, one
 * space and a bencode dict (dict keys must be strings), -ELOOP when nested deeper than
 * CTL_FRAME_MAX_DEPTH.
 */
int ctl_frame_scan(struct ctl_frame_scanner *s, const uint8_t *buf, size_t len, size_t max_len);

/* ---- the server ---- */

struct ctl_server_config {
	/* ng over TLS: "ADDR:PORT" (port 0: ephemeral), NULL for none. Needs the three files. */
	const char *tls_listen;
	struct tls_server_config tls;
	const char *const *allowed_subjects; /* see tls_subject_allowed(); NULL/0: any verified */
	size_t n_allowed_subjects;

	/* ng over plain UDP: "ADDR:PORT", NULL for none. */
	const char *udp_listen;
	const char *const *udp_allow; /* CIDR strings, checked by ctl_server_new() */
	size_t n_udp_allow;
	bool udp_deny_loopback; /* false (default): loopback is always allowed */

	/* Caps; 0 picks the default in brackets. */
	unsigned max_connections;	  /* [64] concurrent TLS connections */
	unsigned max_handshakes_per_peer; /* [8] unauthenticated connections from one address */
	size_t max_message;		  /* [65536] bytes of one request, cookie included */
	size_t max_reply;		  /* [262144] bytes of one reply */
	unsigned handshake_timeout_ms;	  /* [5000] */
	unsigned idle_timeout_ms;	  /* [300000] without a complete message */
	unsigned event_interval_ms;	  /* [60000] per-peer event rate limit */

	ctl_handler_fn handle;
	void *handle_opaque;
	ctl_event_fn event; /* may be NULL */
	void *event_opaque;
};

struct ctl_server;

/*
 * Validates the configuration, builds the TLS context, binds and listens (so address errors show at
 * start-up). Does not start the thread. Returns 0 and *ret, or a negative errno with reason set.
 */
int ctl_server_new(const struct ctl_server_config *cfg, struct ctl_server **ret, char *reason,
		   size_t reason_len);
/* Starts the control thread (all signals blocked in it). */
int ctl_server_start(struct ctl_server *srv);
/* Stops the thread (if started), closes every connection and socket, frees. NULL is fine. */
void ctl_server_free(struct ctl_server *srv);

/*
 * Re-reads certificate, key and CA from the configured paths and uses the new context for new
 * connections; existing connections keep theirs. On failure the old context stays, the reason is
 * returned, and a negative errno. Callable from any thread (sluiced: on SIGHUP).
 */
int ctl_server_reload_tls(struct ctl_server *srv, char *reason, size_t reason_len);

void ctl_server_get_counters(struct ctl_server *srv, struct ctl_counters *ret);
/* The bound addresses (useful with port 0). -ENOENT when that listener is not configured. */
int ctl_server_tls_endpoint(const struct ctl_server *srv, struct endpoint *ret);
int ctl_server_udp_endpoint(const struct ctl_server *srv, struct endpoint *ret);
/* Current number of TLS connections (handshaking or established). */
unsigned ctl_server_connection_count(struct ctl_server *srv);

#endif
