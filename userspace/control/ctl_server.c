// SPDX-License-Identifier: MIT
/*
 * The control thread's transport: an epoll loop over a TLS listener, a UDP socket, an eventfd to
 * stop it and up to max_connections TLS connections (edge-triggered, one fixed slot each). Every
 * connection runs a small state machine: HANDSHAKE (deadline handshake_timeout_ms) -> OPEN
 * (deadline idle_timeout_ms, reset by each complete message) -> CLOSING (after a refusal: our
 * alert is sent, the write side shut, the peer's bytes drained for up to a second so the peer reads
 * the alert instead of a reset). See ctl_server.h for the contract.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "control/ctl_server.h"

#define DEFAULT_MAX_CONNECTIONS	     64
#define DEFAULT_HANDSHAKES_PER_PEER  8
#define DEFAULT_MAX_MESSAGE	     65536
#define DEFAULT_MAX_REPLY	     262144
#define DEFAULT_HANDSHAKE_TIMEOUT_MS 5000
#define DEFAULT_IDLE_TIMEOUT_MS	     300000
#define DEFAULT_EVENT_INTERVAL_MS    60000
#define LIMIT_MAX_CONNECTIONS	     4096
#define LIMIT_MAX_MESSAGE	     (16u << 20)
#define LIMIT_MAX_SUBJECTS	     256
#define LIMIT_MAX_CIDRS		     256
#define LISTEN_BACKLOG		     64
#define CLOSING_LINGER_MS	     1000
#define TICK_MS			     100 /* timeout sweep granularity */
#define ACCEPT_BUDGET		     16	 /* accepts per wake-up */
#define UDP_BUDGET		     64	 /* datagrams per wake-up */
#define CONN_BUDGET		     32	 /* messages per connection per wake-up */
#define EVENT_SLOTS		     128 /* per-peer event rate-limit table */
#define EVENT_BURST		     20	 /* events per second over all peers */
#define RX_INITIAL		     4096

/* epoll tags: the listeners and the stop eventfd; connections are TAG_CONN + slot. */
enum { TAG_STOP = 0, TAG_TLS_LISTEN = 1, TAG_UDP = 2, TAG_CONN = 16 };

enum conn_state { CONN_FREE = 0, CONN_HANDSHAKE, CONN_OPEN, CONN_CLOSING };

struct conn {
	enum conn_state state;
	int fd;
	SSL *ssl;
	struct endpoint peer;
	uint64_t deadline_ms;
	bool more; /* budget ran out: service again without waiting for epoll */
	uint8_t *rx;
	size_t rx_len, rx_cap;
	struct ctl_frame_scanner scan;
	uint8_t *tx; /* unsent rest of a reply, retried as is */
	size_t tx_len, tx_off;
	char subject[TLS_SUBJECT_MAX];
	char common_name[TLS_SUBJECT_MAX];
};

struct event_slot {
	bool used;
	uint8_t type, reason;
	struct endpoint addr; /* port 0 */
	uint64_t last_ms;
	uint64_t suppressed;
};

struct ctl_server {
	/* configuration, owned copies */
	struct tls_server_config tls;
	char **allowed_subjects;
	size_t n_allowed_subjects;
	struct ctl_cidr *udp_allow;
	size_t n_udp_allow;
	bool udp_allow_loopback;
	unsigned max_connections, max_handshakes_per_peer;
	size_t max_message, max_reply;
	unsigned handshake_timeout_ms, idle_timeout_ms, event_interval_ms;
	ctl_handler_fn handle;
	void *handle_opaque;
	ctl_event_fn event;
	void *event_opaque;

	int epoll_fd, stop_fd, tls_fd, udp_fd;
	struct endpoint tls_ep, udp_ep;

	pthread_mutex_t ctx_lock; /* guards ctx: swapped by reload, read by accept */
	SSL_CTX *ctx;

	pthread_t thread;
	bool started;
	bool accept_paused;
	uint64_t accept_resume_ms;

	struct conn *conns;
	unsigned n_conns; /* atomic: read by ctl_server_connection_count() */
	uint8_t *reply_buf;
	uint8_t *udp_buf;

	struct event_slot events[EVENT_SLOTS];
	uint64_t event_window_ms;
	unsigned event_window_count;

	struct ctl_counters counters; /* every field updated atomically */
};

#define COUNT(srv, field) __atomic_fetch_add(&(srv)->counters.field, 1, __ATOMIC_RELAXED)

_Static_assert(sizeof(struct ctl_counters) % sizeof(uint64_t) == 0, "counters are all uint64_t");

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- allow-list */

int ctl_cidr_parse(const char *s, struct ctl_cidr *ret)
{
	char host[INET6_ADDRSTRLEN];
	struct ctl_cidr c = {0};
	const char *slash;
	unsigned long prefix;
	unsigned max_prefix, i;
	size_t host_len;
	char *end;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	host_len = slash ? (size_t)(slash - s) : strlen(s);
	if (host_len == 0 || host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, host_len);
	host[host_len] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		max_prefix = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		max_prefix = 128;
	} else {
		return -EINVAL;
	}
	prefix = max_prefix;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || *end || prefix > max_prefix)
			return -EINVAL;
	}
	/* Host bits set ("10.1.2.3/8") is a typo more often than not: refuse it. */
	for (i = 0; i < max_prefix / 8; i++) {
		unsigned bit = i * 8;
		uint8_t mask = bit >= prefix	   ? 0
			       : bit + 8 <= prefix ? 0xff
						   : (uint8_t)(0xff << (8 - (prefix - bit)));

		if (c.addr[i] & (uint8_t)~mask)
			return -EINVAL;
	}
	c.prefix_len = (uint8_t)prefix;
	*ret = c;
	return 0;
}

/* The address as (family, bytes), IPv4-mapped IPv6 folded to IPv4. */
static int addr_bytes(const struct endpoint *ep, uint8_t bytes[static 16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (ep->family == AF_INET) {
		memcpy(bytes, &ep->addr.v4, 4);
		return AF_INET;
	}
	if (ep->family != AF_INET6)
		return AF_UNSPEC;
	if (memcmp(ep->addr.v6.s6_addr, mapped, sizeof(mapped)) == 0) {
		memcpy(bytes, ep->addr.v6.s6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(bytes, ep->addr.v6.s6_addr, 16);
	return AF_INET6;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix_len)
{
	unsigned full = prefix_len / 8, rest = prefix_len % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool ctl_cidr_match(const struct ctl_cidr *cidr, const struct endpoint *addr)
{
	uint8_t bytes[16];

	if (addr_bytes(addr, bytes) != cidr->family)
		return false;
	return prefix_equal(cidr->addr, bytes, cidr->prefix_len);
}

bool ctl_addr_is_loopback(const struct endpoint *addr)
{
	uint8_t bytes[16];

	switch (addr_bytes(addr, bytes)) {
	case AF_INET:
		return bytes[0] == 127;
	case AF_INET6:
		return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)bytes);
	default:
		return false;
	}
}

bool ctl_udp_peer_allowed(const struct ctl_cidr *allow, size_t n_allow, bool allow_loopback,
			  const struct endpoint *peer)
{
	size_t i;

	if (allow_loopback && ctl_addr_is_loopback(peer))
		return true;
	for (i = 0; i < n_allow; i++)
		if (ctl_cidr_match(&allow[i], peer))
			return true;
	return false;
}

/* ---------------------------------------------------------------- framing */

enum {
	SCAN_COOKIE = 0,
	SCAN_TOP,
	SCAN_VALUE,
	SCAN_STRLEN,
	SCAN_STRBODY,
	SCAN_INT_SIGN,
	SCAN_INT,
	SCAN_DONE
};

void ctl_frame_reset(struct ctl_frame_scanner *s)
{
	memset(s, 0, sizeof(*s));
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* A value finished inside the current container: a dict alternates key and value. */
static void scan_value_done(struct ctl_frame_scanner *s)
{
	s->state = SCAN_VALUE;
	if (s->depth && s->stack[s->depth - 1] == 'd')
		s->want_key[s->depth - 1] = !s->want_key[s->depth - 1];
}

static int scan_push(struct ctl_frame_scanner *s, char kind)
{
	if (s->depth >= CTL_FRAME_MAX_DEPTH)
		return -ELOOP;
	s->stack[s->depth] = kind;
	s->want_key[s->depth] = kind == 'd';
	s->depth++;
	s->state = SCAN_VALUE;
	return 0;
}

/* One byte in SCAN_VALUE: what starts here (the byte is consumed unless a string starts). */
static int scan_value_start(struct ctl_frame_scanner *s, uint8_t c)
{
	bool in_dict = s->stack[s->depth - 1] == 'd';
	bool want_key = in_dict && s->want_key[s->depth - 1];

	if (c == 'e') {
		if (in_dict && !want_key)
			return -EBADMSG; /* a key without a value */
		s->pos++;
		s->depth--;
		if (s->depth == 0) {
			s->state = SCAN_DONE;
			return 1;
		}
		scan_value_done(s);
		return 0;
	}
	if (is_digit(c)) {
		s->num = 0;
		s->digits = 0;
		s->state = SCAN_STRLEN;
		return 0;
	}
	if (want_key)
		return -EBADMSG; /* dict keys are strings */
	s->pos++;
	if (c == 'i') {
		s->digits = 0;
		s->state = SCAN_INT_SIGN;
		return 0;
	}
	if (c == 'l' || c == 'd')
		return scan_push(s, (char)c);
	return -EBADMSG;
}

static int scan_byte(struct ctl_frame_scanner *s, uint8_t c, size_t max_len)
{
	switch (s->state) {
	case SCAN_COOKIE:
		if (c == ' ' && s->pos > 0) {
			s->pos++;
			s->state = SCAN_TOP;
			return 0;
		}
		if (c <= ' ' || c >= 0x7f || s->pos >= CTL_COOKIE_MAX)
			return -EBADMSG;
		s->pos++;
		return 0;
	case SCAN_TOP:
		if (c != 'd')
			return -EBADMSG;
		s->pos++;
		return scan_push(s, 'd');
	case SCAN_VALUE:
		return scan_value_start(s, c);
	case SCAN_STRLEN:
		if (is_digit(c)) {
			if (s->digits >= 9)
				return -EMSGSIZE; /* >= 10^9 bytes: over any cap */
			s->num = s->num * 10 + (size_t)(c - '0');
			s->digits++;
			s->pos++;
			return 0;
		}
		if (c != ':')
			return -EBADMSG;
		s->pos++;
		if (s->num > max_len || s->num > max_len - s->pos)
			return -EMSGSIZE; /* announced: refuse before it arrives */
		if (s->num == 0)
			scan_value_done(s);
		else
			s->state = SCAN_STRBODY;
		return 0;
	case SCAN_INT_SIGN:
		s->state = SCAN_INT;
		if (c == '-') {
			s->pos++;
			return 0;
		}
		/* fall through */
	case SCAN_INT:
		if (is_digit(c) && s->digits < 20) {
			s->digits++;
			s->pos++;
			return 0;
		}
		if (c == 'e' && s->digits > 0) {
			s->pos++;
			scan_value_done(s);
			return 0;
		}
		return -EBADMSG;
	default:
		return -EBADMSG;
	}
}

int ctl_frame_scan(struct ctl_frame_scanner *s, const uint8_t *buf, size_t len, size_t max_len)
{
	int r;

	if (s->state == SCAN_DONE)
		return 1;
	while (s->pos < len) {
		if (s->pos >= max_len)
			return -EMSGSIZE;
		if (s->state == SCAN_STRBODY) {
			size_t take = len - s->pos < s->num ? len - s->pos : s->num;

			s->pos += take;
			s->num -= take;
			if (s->num == 0)
				scan_value_done(s);
			continue;
		}
		r = scan_byte(s, buf[s->pos], max_len);
		if (r != 0)
			return r;
	}
	return s->pos >= max_len ? -EMSGSIZE : 0;
}

/* ---------------------------------------------------------------- events */

const char *ctl_event_format(const struct ctl_event *ev, char *buf, size_t len)
{
	char peer[ENDPOINT_STR_MAX] = "?";
	char more[48] = "";
	const char *detail = ev->detail && *ev->detail ? ev->detail : NULL;
	const char *tr = ev->transport == CTL_TRANSPORT_TLS ? "TLS" : "UDP";

	if (ev->peer.family)
		endpoint_format(&ev->peer, peer, sizeof(peer));
	if (ev->suppressed)
		snprintf(more, sizeof(more), " [%llu more since last]",
			 (unsigned long long)ev->suppressed);
	switch (ev->type) {
	case CTL_EVENT_TLS_REFUSED:
		snprintf(buf, len, "Refused TLS connection from %s: %s%s%s%s%s", peer,
			 tls_refusal_to_string(ev->reason), detail ? " (" : "",
			 detail ? detail : "", detail ? ")" : "", more);
		break;
	case CTL_EVENT_TLS_OVER_CAP:
		snprintf(buf, len, "Refused TLS connection from %s: %s%s", peer,
			 detail ? detail : "connection limit reached", more);
		break;
	case CTL_EVENT_UDP_NOT_ALLOWED:
		snprintf(buf, len, "Dropped ng request over UDP from %s: peer not allowed%s", peer,
			 more);
		break;
	case CTL_EVENT_OVERSIZED:
		snprintf(buf, len, "Refused oversized ng message over %s from %s%s", tr, peer,
			 more);
		break;
	case CTL_EVENT_MALFORMED:
		snprintf(buf, len, "Refused malformed ng message over %s from %s%s%s%s", tr, peer,
			 detail ? ": " : "", detail ? detail : "", more);
		break;
	case CTL_EVENT_IDLE_TIMEOUT:
		snprintf(buf, len, "Closed idle TLS connection from %s%s", peer, more);
		break;
	case CTL_EVENT_ACCEPT_FAILED:
		snprintf(buf, len, "Failed to accept a TLS connection: %s%s",
			 strerror(ev->errno_value), more);
		break;
	default:
		snprintf(buf, len, "Unknown control event %d from %s", (int)ev->type, peer);
		break;
	}
	return buf;
}

static bool event_key_equal(const struct event_slot *slot, const struct endpoint *addr,
			    uint8_t type, uint8_t reason)
{
	return slot->used && slot->type == type && slot->reason == reason &&
	       endpoint_equal(&slot->addr, addr);
}

/* Rate limit per (address, type, reason), and globally EVENT_BURST per second. */
static void emit_event(struct ctl_server *srv, enum ctl_event_type type,
		       enum ctl_transport transport, enum tls_refusal reason,
		       const struct endpoint *peer, const char *detail, int errno_value)
{
	struct ctl_event ev = {.type = type,
			       .transport = transport,
			       .reason = reason,
			       .detail = detail ? detail : "",
			       .errno_value = errno_value};
	struct endpoint addr = {0};
	struct event_slot *slot = NULL, *oldest = &srv->events[0];
	uint64_t now = now_ms();
	size_t i;

	if (!srv->event)
		return;
	if (peer) {
		addr = *peer;
		addr.port = 0;
		ev.peer = *peer;
	}
	for (i = 0; i < EVENT_SLOTS; i++) {
		struct event_slot *s = &srv->events[i];

		if (event_key_equal(s, &addr, (uint8_t)type, (uint8_t)reason)) {
			slot = s;
			break;
		}
		if (!s->used || (oldest->used && s->last_ms < oldest->last_ms))
			oldest = s;
	}
	if (slot && now - slot->last_ms < srv->event_interval_ms) {
		slot->suppressed++;
		COUNT(srv, events_suppressed);
		return;
	}
	if (now - srv->event_window_ms >= 1000) {
		srv->event_window_ms = now;
		srv->event_window_count = 0;
	}
	if (srv->event_window_count >= EVENT_BURST) {
		COUNT(srv, events_suppressed);
		return;
	}
	srv->event_window_count++;
	if (!slot) {
		slot = oldest;
		memset(slot, 0, sizeof(*slot));
		slot->used = true;
		slot->type = (uint8_t)type;
		slot->reason = (uint8_t)reason;
		slot->addr = addr;
	}
	ev.suppressed = slot->suppressed;
	slot->suppressed = 0;
	slot->last_ms = now;
	srv->event(srv->event_opaque, &ev);
}

/* ---------------------------------------------------------------- connections */

static void conn_release(struct ctl_server *srv, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	SSL_free(c->ssl);
	free(c->rx);
	free(c->tx);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	__atomic_fetch_sub(&srv->n_conns, 1, __ATOMIC_RELAXED);
}

/*
 * After a refusal: the alert OpenSSL wrote is on its way; shut our side and read what the peer
 * still sends, so closing does not reset the connection before the peer reads the alert.
 */
static void conn_linger(struct ctl_server *srv, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	SSL_free(c->ssl);
	c->ssl = NULL;
	c->state = CONN_CLOSING;
	c->deadline_ms = now_ms() + CLOSING_LINGER_MS;
	c->more = true;
}

static void conn_refuse(struct ctl_server *srv, struct conn *c, enum tls_refusal reason,
			const char *detail)
{
	COUNT(srv, tls_refused[reason]);
	emit_event(srv, CTL_EVENT_TLS_REFUSED, CTL_TRANSPORT_TLS, reason, &c->peer, detail, 0);
	conn_linger(srv, c);
}

/* Sends close_notify (once, non-blocking) and frees the slot. */
static void conn_close_graceful(struct ctl_server *srv, struct conn *c)
{
	if (c->ssl && c->state == CONN_OPEN) {
		ERR_clear_error();
		SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	conn_release(srv, c);
}

/* 1 established, 0 in progress, -1 refused (slot lingering). */
static int conn_handshake(struct ctl_server *srv, struct conn *c)
{
	char detail[256];
	enum tls_refusal reason;
	int r, err;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r != 1) {
		err = SSL_get_error(c->ssl, r);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
			return 0;
		reason = tls_classify_handshake_failure(c->ssl, err, detail, sizeof(detail));
		conn_refuse(srv, c, reason, detail);
		return -1;
	}
	r = tls_peer_subject(c->ssl, c->subject, c->common_name);
	if (r < 0) {
		conn_refuse(srv, c, TLS_REFUSAL_BAD_CERT,
			    r == -ENAMETOOLONG ? "subject too long" : "no peer certificate");
		return -1;
	}
	if (!tls_subject_allowed((const char *const *)srv->allowed_subjects,
				 srv->n_allowed_subjects, c->subject, c->common_name)) {
		COUNT(srv, tls_refused[TLS_REFUSAL_SUBJECT_NOT_ALLOWED]);
		emit_event(srv, CTL_EVENT_TLS_REFUSED, CTL_TRANSPORT_TLS,
			   TLS_REFUSAL_SUBJECT_NOT_ALLOWED, &c->peer, c->subject, 0);
		ERR_clear_error();
		SSL_shutdown(c->ssl); /* close_notify: the peer sees an orderly refusal */
		ERR_clear_error();
		conn_linger(srv, c);
		return -1;
	}
	c->state = CONN_OPEN;
	c->deadline_ms = now_ms() + srv->idle_timeout_ms;
	COUNT(srv, tls_established);
	return 1;
}

/* Writes buf; keeps an unsent rest in c->tx. 1 all sent, 0 pending, -1 connection failed. */
static int conn_write(struct conn *c, const uint8_t *buf, size_t len, size_t *ret_off)
{
	size_t off = *ret_off;
	int n, err;

	while (off < len) {
		size_t chunk = len - off > INT32_MAX ? INT32_MAX : len - off;

		ERR_clear_error();
		n = SSL_write(c->ssl, buf + off, (int)chunk);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		*ret_off = off;
		err = SSL_get_error(c->ssl, n);
		ERR_clear_error();
		if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
			return 0;
		return -1;
	}
	*ret_off = off;
	return 1;
}

static int conn_send_reply(struct conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int r = conn_write(c, buf, len, &off);

	if (r != 0)
		return r;
	/* Retried later with the same bytes (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). */
	c->tx = malloc(len - off);
	if (!c->tx)
		return -1;
	memcpy(c->tx, buf + off, len - off);
	c->tx_len = len - off;
	c->tx_off = 0;
	return 0;
}

static int conn_flush(struct conn *c)
{
	int r = conn_write(c, c->tx, c->tx_len, &c->tx_off);

	if (r == 1) {
		free(c->tx);
		c->tx = NULL;
		c->tx_len = c->tx_off = 0;
	}
	return r;
}

/* Hands one message to the handler. Returns the reply length (0: none) or a negative errno. */
static ssize_t deliver(struct ctl_server *srv, const struct ctl_peer *peer, const uint8_t *msg,
		       size_t len)
{
	size_t reply_len = 0;
	int r;

	COUNT(srv, requests);
	r = srv->handle(srv->handle_opaque, msg, len, peer, srv->reply_buf, srv->max_reply,
			&reply_len);
	if (r < 0 || reply_len > srv->max_reply) {
		COUNT(srv, handler_errors);
		return r < 0 ? r : -EMSGSIZE;
	}
	if (reply_len)
		COUNT(srv, replies);
	return (ssize_t)reply_len;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 handled a message, 0 needs more bytes, -1 connection closed. */
static int conn_next_frame(struct ctl_server *srv, struct conn *c)
{
	struct ctl_peer peer = {.transport = CTL_TRANSPORT_TLS,
				.addr = c->peer,
				.subject = c->subject,
				.common_name = c->common_name};
	size_t skip = 0, len;
	ssize_t reply_len;
	int r;

	if (c->scan.pos == 0) {
		while (skip < c->rx_len && is_space(c->rx[skip]))
			skip++;
		if (skip) {
			memmove(c->rx, c->rx + skip, c->rx_len - skip);
			c->rx_len -= skip;
		}
	}
	if (c->rx_len == 0)
		return 0;
	r = ctl_frame_scan(&c->scan, c->rx, c->rx_len, srv->max_message);
	if (r == 0)
		return 0;
	if (r < 0) {
		if (r == -EMSGSIZE) {
			COUNT(srv, oversized);
			emit_event(srv, CTL_EVENT_OVERSIZED, CTL_TRANSPORT_TLS, 0, &c->peer, NULL,
				   0);
		} else {
			COUNT(srv, malformed);
			emit_event(srv, CTL_EVENT_MALFORMED, CTL_TRANSPORT_TLS, 0, &c->peer,
				   r == -ELOOP ? "nested too deep" : "not <cookie> <bencode dict>",
				   0);
		}
		conn_close_graceful(srv, c);
		return -1;
	}
	len = c->scan.pos;
	c->deadline_ms = now_ms() + srv->idle_timeout_ms;
	reply_len = deliver(srv, &peer, c->rx, len);
	memmove(c->rx, c->rx + len, c->rx_len - len);
	c->rx_len -= len;
	ctl_frame_reset(&c->scan);
	if (reply_len > 0 && conn_send_reply(c, srv->reply_buf, (size_t)reply_len) < 0) {
		conn_release(srv, c);
		return -1;
	}
	return 1;
}

/* 1 read bytes, 0 would block, -1 connection closed. */
static int conn_read(struct ctl_server *srv, struct conn *c)
{
	int n, err;

	if (c->rx_len == c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap * 2 : RX_INITIAL;
		uint8_t *rx;

		if (cap > srv->max_message)
			cap = srv->max_message;
		if (cap <= c->rx_len) { /* the scanner refuses before this; belt and braces */
			conn_close_graceful(srv, c);
			return -1;
		}
		rx = realloc(c->rx, cap);
		if (!rx) {
			conn_release(srv, c);
			return -1;
		}
		c->rx = rx;
		c->rx_cap = cap;
	}
	ERR_clear_error();
	n = SSL_read(c->ssl, c->rx + c->rx_len, (int)(c->rx_cap - c->rx_len));
	if (n > 0) {
		c->rx_len += (size_t)n;
		return 1;
	}
	err = SSL_get_error(c->ssl, n);
	ERR_clear_error();
	if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
		return 0;
	if (err == SSL_ERROR_ZERO_RETURN)
		conn_close_graceful(srv, c);
	else
		conn_release(srv, c);
	return -1;
}

static void conn_drain(struct ctl_server *srv, struct conn *c)
{
	uint8_t sink[4096];
	int i;

	c->more = false;
	for (i = 0; i < CONN_BUDGET; i++) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_release(srv, c); /* EOF or error */
		return;
	}
	c->more = true;
}

/* Runs a connection until it would block or its budget is spent. */
static void conn_service(struct ctl_server *srv, struct conn *c)
{
	int budget, r;

	if (c->state == CONN_CLOSING) {
		conn_drain(srv, c);
		return;
	}
	c->more = false;
	if (c->state == CONN_HANDSHAKE && conn_handshake(srv, c) <= 0)
		return;
	for (budget = CONN_BUDGET; budget > 0; budget--) {
		if (c->tx_len) {
			r = conn_flush(c);
			if (r < 0) {
				conn_release(srv, c);
				return;
			}
			if (r == 0)
				return; /* EPOLLOUT brings us back */
		}
		r = conn_next_frame(srv, c);
		if (r < 0)
			return;
		if (r > 0)
			continue;
		r = conn_read(srv, c);
		if (r <= 0)
			return;
	}
	c->more = true;
}

static struct conn *conn_slot_free(struct ctl_server *srv, unsigned *ret_idx)
{
	unsigned i;

	for (i = 0; i < srv->max_connections; i++) {
		if (srv->conns[i].state == CONN_FREE) {
			*ret_idx = i;
			return &srv->conns[i];
		}
	}
	return NULL;
}

static void pause_accept(struct ctl_server *srv)
{
	struct epoll_event ev = {.events = 0, .data.u64 = TAG_TLS_LISTEN};

	epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, srv->tls_fd, &ev);
	srv->accept_paused = true;
	srv->accept_resume_ms = now_ms() + TICK_MS;
}

static void resume_accept(struct ctl_server *srv)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_TLS_LISTEN};

	epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, srv->tls_fd, &ev);
	srv->accept_paused = false;
}

static bool same_address(const struct endpoint *a, const struct endpoint *b)
{
	uint8_t ba[16], bb[16];
	int fa = addr_bytes(a, ba);

	return fa != AF_UNSPEC && fa == addr_bytes(b, bb) &&
	       memcmp(ba, bb, fa == AF_INET ? 4 : 16) == 0;
}

/* Connections from peer's address that have not authenticated (handshaking or being refused). */
static unsigned unauthenticated_from(const struct ctl_server *srv, const struct endpoint *peer)
{
	unsigned i, n = 0;

	for (i = 0; i < srv->max_connections; i++) {
		const struct conn *c = &srv->conns[i];

		if ((c->state == CONN_HANDSHAKE || c->state == CONN_CLOSING) &&
		    same_address(&c->peer, peer))
			n++;
	}
	return n;
}

static void conn_start(struct ctl_server *srv, int fd, const struct endpoint *peer)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
	struct conn *c;
	unsigned idx;
	SSL *ssl;

	c = conn_slot_free(srv, &idx);
	if (!c || __atomic_load_n(&srv->n_conns, __ATOMIC_RELAXED) >= srv->max_connections) {
		COUNT(srv, tls_over_cap);
		emit_event(srv, CTL_EVENT_TLS_OVER_CAP, CTL_TRANSPORT_TLS, 0, peer, NULL, 0);
		close(fd);
		return;
	}
	/* One address cannot hold every slot with handshakes it never finishes. */
	if (unauthenticated_from(srv, peer) >= srv->max_handshakes_per_peer) {
		COUNT(srv, tls_peer_over_cap);
		emit_event(srv, CTL_EVENT_TLS_OVER_CAP, CTL_TRANSPORT_TLS, 0, peer,
			   "too many handshakes in progress from this address", 0);
		close(fd);
		return;
	}
	pthread_mutex_lock(&srv->ctx_lock);
	ssl = SSL_new(srv->ctx); /* holds its own reference to the context */
	pthread_mutex_unlock(&srv->ctx_lock);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
		COUNT(srv, accept_failures);
		return;
	}
	SSL_set_accept_state(ssl);
	ev.data.u64 = TAG_CONN + idx;
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		SSL_free(ssl);
		close(fd);
		COUNT(srv, accept_failures);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->state = CONN_HANDSHAKE;
	c->fd = fd;
	c->ssl = ssl;
	c->peer = *peer;
	c->deadline_ms = now_ms() + srv->handshake_timeout_ms;
	c->more = true;
	__atomic_fetch_add(&srv->n_conns, 1, __ATOMIC_RELAXED);
	COUNT(srv, tls_accepted);
}

static void accept_connections(struct ctl_server *srv)
{
	struct sockaddr_storage ss;
	struct endpoint peer;
	socklen_t sl;
	int i, fd;

	for (i = 0; i < ACCEPT_BUDGET; i++) {
		sl = sizeof(ss);
		fd =
		    accept4(srv->tls_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			/* EMFILE, ENFILE, ENOBUFS: back off one tick instead of spinning. */
			COUNT(srv, accept_failures);
			emit_event(srv, CTL_EVENT_ACCEPT_FAILED, CTL_TRANSPORT_TLS, 0, NULL, NULL,
				   errno);
			pause_accept(srv);
			return;
		}
		if (endpoint_from_sockaddr((struct sockaddr *)&ss, sl, &peer) < 0)
			memset(&peer, 0, sizeof(peer));
		conn_start(srv, fd, &peer);
	}
}

static void sweep_timeouts(struct ctl_server *srv, uint64_t now)
{
	unsigned i;

	if (srv->accept_paused && now >= srv->accept_resume_ms)
		resume_accept(srv);
	for (i = 0; i < srv->max_connections; i++) {
		struct conn *c = &srv->conns[i];

		if (c->state == CONN_FREE || now < c->deadline_ms)
			continue;
		switch (c->state) {
		case CONN_HANDSHAKE:
			ERR_clear_error();
			conn_refuse(srv, c, TLS_REFUSAL_HANDSHAKE_TIMEOUT, NULL);
			/* Nothing to wait for: a silent peer does not need our alert. */
			conn_release(srv, c);
			break;
		case CONN_OPEN:
			COUNT(srv, tls_idle_closed);
			emit_event(srv, CTL_EVENT_IDLE_TIMEOUT, CTL_TRANSPORT_TLS, 0, &c->peer,
				   NULL, 0);
			conn_close_graceful(srv, c);
			break;
		default:
			conn_release(srv, c);
			break;
		}
	}
}

/* ---------------------------------------------------------------- UDP */

static void udp_request(struct ctl_server *srv, size_t n, const struct sockaddr_storage *ss,
			socklen_t sl)
{
	struct ctl_peer peer = {.transport = CTL_TRANSPORT_UDP, .subject = "", .common_name = ""};
	struct ctl_frame_scanner scan;
	size_t start = 0, end = n;
	ssize_t reply_len;

	COUNT(srv, udp_received);
	if (endpoint_from_sockaddr((const struct sockaddr *)ss, sl, &peer.addr) < 0)
		return;
	if (!ctl_udp_peer_allowed(srv->udp_allow, srv->n_udp_allow, srv->udp_allow_loopback,
				  &peer.addr)) {
		COUNT(srv, udp_not_allowed);
		emit_event(srv, CTL_EVENT_UDP_NOT_ALLOWED, CTL_TRANSPORT_UDP, 0, &peer.addr, NULL,
			   0);
		return;
	}
	if (n > srv->max_message) {
		COUNT(srv, oversized);
		emit_event(srv, CTL_EVENT_OVERSIZED, CTL_TRANSPORT_UDP, 0, &peer.addr, NULL, 0);
		return;
	}
	while (start < end && is_space(srv->udp_buf[start]))
		start++;
	while (end > start && is_space(srv->udp_buf[end - 1]))
		end--;
	ctl_frame_reset(&scan);
	if (ctl_frame_scan(&scan, srv->udp_buf + start, end - start, srv->max_message) != 1 ||
	    scan.pos != end - start) {
		COUNT(srv, malformed);
		emit_event(srv, CTL_EVENT_MALFORMED, CTL_TRANSPORT_UDP, 0, &peer.addr,
			   "not one <cookie> <bencode dict>", 0);
		return;
	}
	reply_len = deliver(srv, &peer, srv->udp_buf + start, end - start);
	if (reply_len <= 0)
		return;
	if (sendto(srv->udp_fd, srv->reply_buf, (size_t)reply_len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)ss, sl) < 0)
		COUNT(srv, send_failures);
}

static void udp_receive(struct ctl_server *srv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t n;
	int i;

	for (i = 0; i < UDP_BUDGET; i++) {
		sl = sizeof(ss);
		/* MSG_TRUNC: the datagram's real length, so oversized ones are seen as such. */
		n = recvfrom(srv->udp_fd, srv->udp_buf, srv->max_message + 1,
			     MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error of an earlier reply */
		}
		udp_request(srv, (size_t)n, &ss, sl);
	}
}

/* ---------------------------------------------------------------- the thread */

static void *server_thread(void *arg)
{
	struct ctl_server *srv = arg;
	struct epoll_event evs[64];
	uint64_t next_sweep = now_ms() + TICK_MS;
	bool more = false;
	unsigned i;
	int n, k;

	for (;;) {
		n = epoll_wait(srv->epoll_fd, evs, 64, more ? 0 : TICK_MS);
		if (n < 0 && errno != EINTR)
			break;
		for (k = 0; k < n; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == TAG_STOP)
				return NULL;
			if (tag == TAG_TLS_LISTEN)
				accept_connections(srv);
			else if (tag == TAG_UDP)
				udp_receive(srv);
			else if (tag >= TAG_CONN && tag - TAG_CONN < srv->max_connections &&
				 srv->conns[tag - TAG_CONN].state != CONN_FREE)
				conn_service(srv, &srv->conns[tag - TAG_CONN]);
		}
		more = false;
		for (i = 0; i < srv->max_connections; i++) {
			struct conn *c = &srv->conns[i];

			if (c->state != CONN_FREE && c->more)
				conn_service(srv, c);
			if (c->state != CONN_FREE && c->more)
				more = true;
		}
		if (now_ms() >= next_sweep) {
			sweep_timeouts(srv, now_ms());
			next_sweep = now_ms() + TICK_MS;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- set-up */

static int listen_socket(const char *spec, int type, struct endpoint *ret_ep, char *reason,
			 size_t reason_len)
{
	struct sockaddr_storage ss;
	struct endpoint ep;
	socklen_t sl;
	int fd, one = 1, r;

	if (endpoint_parse(spec, false, &ep) < 0) {
		snprintf(reason, reason_len, "Invalid listen address '%s'", spec);
		return -EINVAL;
	}
	fd = socket(ep.family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail_errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail_close;
	if (ep.family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail_close;
	sl = endpoint_to_sockaddr(&ep, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail_close;
	if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)
		goto fail_close;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    endpoint_from_sockaddr((struct sockaddr *)&ss, sl, ret_ep) < 0)
		goto fail_close;
	return fd;

fail_close:
	r = -errno;
	close(fd);
	snprintf(reason, reason_len, "Cannot listen on %s (%s): %s", spec,
		 type == SOCK_STREAM ? "tcp" : "udp", strerror(-r));
	return r;
fail_errno:
	r = -errno;
	snprintf(reason, reason_len, "Cannot create socket for %s: %s", spec, strerror(-r));
	return r;
}

static int copy_config(struct ctl_server *srv, const struct ctl_server_config *cfg, char *reason,
		       size_t reason_len)
{
	size_t i;

	srv->max_connections = cfg->max_connections ?: DEFAULT_MAX_CONNECTIONS;
	srv->max_handshakes_per_peer = cfg->max_handshakes_per_peer ?: DEFAULT_HANDSHAKES_PER_PEER;
	srv->max_message = cfg->max_message ?: DEFAULT_MAX_MESSAGE;
	srv->max_reply = cfg->max_reply ?: DEFAULT_MAX_REPLY;
	srv->handshake_timeout_ms = cfg->handshake_timeout_ms ?: DEFAULT_HANDSHAKE_TIMEOUT_MS;
	srv->idle_timeout_ms = cfg->idle_timeout_ms ?: DEFAULT_IDLE_TIMEOUT_MS;
	srv->event_interval_ms = cfg->event_interval_ms ?: DEFAULT_EVENT_INTERVAL_MS;
	srv->udp_allow_loopback = !cfg->udp_deny_loopback;
	srv->handle = cfg->handle;
	srv->handle_opaque = cfg->handle_opaque;
	srv->event = cfg->event;
	srv->event_opaque = cfg->event_opaque;
	if (!cfg->handle || (!cfg->tls_listen && !cfg->udp_listen) ||
	    srv->max_connections > LIMIT_MAX_CONNECTIONS || srv->max_message > LIMIT_MAX_MESSAGE ||
	    srv->max_handshakes_per_peer > srv->max_connections ||
	    srv->max_reply > LIMIT_MAX_MESSAGE || cfg->n_allowed_subjects > LIMIT_MAX_SUBJECTS ||
	    cfg->n_udp_allow > LIMIT_MAX_CIDRS || srv->max_message < 64) {
		snprintf(reason, reason_len, "Invalid control server configuration");
		return -EINVAL;
	}
	srv->tls.fips = cfg->tls.fips;
	if ((cfg->tls.cert_file && !(srv->tls.cert_file = strdup(cfg->tls.cert_file))) ||
	    (cfg->tls.key_file && !(srv->tls.key_file = strdup(cfg->tls.key_file))) ||
	    (cfg->tls.ca_file && !(srv->tls.ca_file = strdup(cfg->tls.ca_file))))
		goto nomem;
	srv->allowed_subjects = calloc(cfg->n_allowed_subjects + 1, sizeof(char *));
	if (!srv->allowed_subjects)
		goto nomem;
	for (i = 0; i < cfg->n_allowed_subjects; i++) {
		if (!cfg->allowed_subjects[i] || !*cfg->allowed_subjects[i]) {
			snprintf(reason, reason_len, "Empty entry in the subject allow-list");
			return -EINVAL;
		}
		srv->allowed_subjects[i] = strdup(cfg->allowed_subjects[i]);
		if (!srv->allowed_subjects[i])
			goto nomem;
		srv->n_allowed_subjects++;
	}
	srv->udp_allow = calloc(cfg->n_udp_allow + 1, sizeof(*srv->udp_allow));
	if (!srv->udp_allow)
		goto nomem;
	for (i = 0; i < cfg->n_udp_allow; i++) {
		if (ctl_cidr_parse(cfg->udp_allow[i], &srv->udp_allow[i]) < 0) {
			snprintf(reason, reason_len, "Invalid UDP allow-list entry '%s'",
				 cfg->udp_allow[i] ? cfg->udp_allow[i] : "(null)");
			return -EINVAL;
		}
		srv->n_udp_allow++;
	}
	return 0;

nomem:
	snprintf(reason, reason_len, "Out of memory");
	return -ENOMEM;
}

static int epoll_add(int epoll_fd, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup_sockets(struct ctl_server *srv, const struct ctl_server_config *cfg, char *reason,
			 size_t reason_len)
{
	int r;

	srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->epoll_fd < 0 || srv->stop_fd < 0) {
		r = -errno;
		snprintf(reason, reason_len, "Cannot create epoll/eventfd: %s", strerror(errno));
		return r;
	}
	r = epoll_add(srv->epoll_fd, srv->stop_fd, TAG_STOP);
	if (r < 0)
		goto fail_epoll;
	if (cfg->tls_listen) {
		r = tls_server_ctx_new(&srv->tls, &srv->ctx, reason, reason_len);
		if (r < 0)
			return r;
		r = srv->tls_fd =
		    listen_socket(cfg->tls_listen, SOCK_STREAM, &srv->tls_ep, reason, reason_len);
		if (r < 0)
			return r;
		r = epoll_add(srv->epoll_fd, srv->tls_fd, TAG_TLS_LISTEN);
		if (r < 0)
			goto fail_epoll;
	}
	if (cfg->udp_listen) {
		r = srv->udp_fd =
		    listen_socket(cfg->udp_listen, SOCK_DGRAM, &srv->udp_ep, reason, reason_len);
		if (r < 0)
			return r;
		r = epoll_add(srv->epoll_fd, srv->udp_fd, TAG_UDP);
		if (r < 0)
			goto fail_epoll;
	}
	return 0;

fail_epoll:
	snprintf(reason, reason_len, "Cannot register with epoll: %s", strerror(-r));
	return r;
}

int ctl_server_new(const struct ctl_server_config *cfg, struct ctl_server **ret, char *reason,
		   size_t reason_len)
{
	struct ctl_server *srv;
	unsigned i;
	int r;

	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(reason, reason_len, "Out of memory");
		return -ENOMEM;
	}
	srv->epoll_fd = srv->stop_fd = srv->tls_fd = srv->udp_fd = -1;
	pthread_mutex_init(&srv->ctx_lock, NULL);
	r = copy_config(srv, cfg, reason, reason_len);
	if (r < 0)
		goto free_srv;
	srv->conns = calloc(srv->max_connections, sizeof(*srv->conns));
	srv->reply_buf = malloc(srv->max_reply);
	srv->udp_buf = malloc(srv->max_message + 1);
	if (!srv->conns || !srv->reply_buf || !srv->udp_buf) {
		snprintf(reason, reason_len, "Out of memory");
		r = -ENOMEM;
		goto free_srv;
	}
	for (i = 0; i < srv->max_connections; i++)
		srv->conns[i].fd = -1;
	r = setup_sockets(srv, cfg, reason, reason_len);
	if (r < 0)
		goto free_srv;
	*ret = srv;
	return 0;

free_srv:
	ctl_server_free(srv);
	return r;
}

int ctl_server_start(struct ctl_server *srv)
{
	sigset_t all, old;
	int r;

	if (srv->started)
		return -EALREADY;
	/* The control thread takes no signals (SIGPIPE included: writes to a closed peer fail). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&srv->thread, NULL, server_thread, srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	srv->started = true;
	return 0;
}

void ctl_server_free(struct ctl_server *srv)
{
	uint64_t one = 1;
	size_t i;

	if (!srv)
		return;
	if (srv->started) {
		if (write(srv->stop_fd, &one, sizeof(one)) < 0) {
			/* eventfd write cannot fail short of overflow; join regardless */
		}
		pthread_join(srv->thread, NULL);
	}
	for (i = 0; srv->conns && i < srv->max_connections; i++)
		conn_release(srv, &srv->conns[i]);
	if (srv->tls_fd >= 0)
		close(srv->tls_fd);
	if (srv->udp_fd >= 0)
		close(srv->udp_fd);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	if (srv->epoll_fd >= 0)
		close(srv->epoll_fd);
	SSL_CTX_free(srv->ctx);
	pthread_mutex_destroy(&srv->ctx_lock);
	for (i = 0; i < srv->n_allowed_subjects; i++)
		free(srv->allowed_subjects[i]);
	free(srv->allowed_subjects);
	free(srv->udp_allow);
	free((char *)srv->tls.cert_file);
	free((char *)srv->tls.key_file);
	free((char *)srv->tls.ca_file);
	free(srv->conns);
	free(srv->reply_buf);
	free(srv->udp_buf);
	free(srv);
}

int ctl_server_reload_tls(struct ctl_server *srv, char *reason, size_t reason_len)
{
	SSL_CTX *ctx, *old;
	int r;

	if (!srv->ctx) {
		snprintf(reason, reason_len, "No TLS listener configured");
		return -ENOENT;
	}
	r = tls_server_ctx_new(&srv->tls, &ctx, reason, reason_len);
	if (r < 0) {
		COUNT(srv, tls_reload_failures);
		return r;
	}
	pthread_mutex_lock(&srv->ctx_lock);
	old = srv->ctx;
	srv->ctx = ctx;
	pthread_mutex_unlock(&srv->ctx_lock);
	SSL_CTX_free(old); /* live connections hold their own references */
	COUNT(srv, tls_reloads);
	return 0;
}

void ctl_server_get_counters(struct ctl_server *srv, struct ctl_counters *ret)
{
	const uint64_t *src = (const uint64_t *)&srv->counters;
	uint64_t *dst = (uint64_t *)ret;
	size_t i;

	for (i = 0; i < sizeof(*ret) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int ctl_server_tls_endpoint(const struct ctl_server *srv, struct endpoint *ret)
{
	if (srv->tls_fd < 0)
		return -ENOENT;
	*ret = srv->tls_ep;
	return 0;
}

int ctl_server_udp_endpoint(const struct ctl_server *srv, struct endpoint *ret)
{
	if (srv->udp_fd < 0)
		return -ENOENT;
	*ret = srv->udp_ep;
	return 0;
}

unsigned ctl_server_connection_count(struct ctl_server *srv)
{
	return __atomic_load_n(&srv->n_conns, __ATOMIC_RELAXED);
}
