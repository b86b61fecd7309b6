// SPDX-License-Identifier: MIT
/*
 * The control plane's transport (userspace/control/ctl_server.c, tls.c, fips.c): ng over TLS with
 * client certificates and over allow-listed UDP, end to end on 127.0.0.1 with certificates made by
 * scripts/gen-test-certs and an OpenSSL client written here; the refusal matrix (each refusal
 * counted under its reason, the server still serving a good client afterwards), caps, reload, the
 * bencode frame scanner, the CIDR allow-list, the FIPS suite selection and the FIPS refusal.
 *
 * `test_tls --serve CERTDIR [SECONDS]` runs the same server with a ping/echo handler for
 * tests/net/tls_matrix.sh: prints "tls_port=N udp_port=N", logs events to stderr, and on SIGTERM
 * (or after SECONDS, default 60) prints its counters as "name=value" lines and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "control/ctl_server.h"
#include "control/fips.h"
#include "control/tls.h"

#ifndef SLUICE_SRC_DIR
#define SLUICE_SRC_DIR "."
#endif

#define PING	   "5323_1 d7:command4:pinge"
#define PONG	   "5323_1 d6:result4:ponge"
#define IO_TIMEOUT 3 /* seconds, every client socket operation */

static char cert_dir[256];

/* ------------------------------------------------------------------ handler and events */

struct seen {
	pthread_mutex_t lock;
	char subject[TLS_SUBJECT_MAX];
	enum ctl_transport transport;
	unsigned events[CTL_EVENT__MAX];
	bool print_events;
};

static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ng ping answers pong; anything else is echoed. The cookie is kept as ng wants it. */
static int echo_handler(void *opaque, const uint8_t *msg, size_t len, const struct ctl_peer *peer,
			uint8_t *reply, size_t reply_cap, size_t *ret_reply_len)
{
	const uint8_t *space = memchr(msg, ' ', len);
	static const char ping_dict[] = "d7:command4:pinge", pong_dict[] = "d6:result4:ponge";
	size_t cookie_len;

	if (!space)
		return -EBADMSG;
	cookie_len = (size_t)(space - msg) + 1;
	pthread_mutex_lock(&seen.lock);
	snprintf(seen.subject, sizeof(seen.subject), "%s", peer->subject);
	seen.transport = peer->transport;
	pthread_mutex_unlock(&seen.lock);
	if (len - cookie_len == strlen(ping_dict) &&
	    !memcmp(space + 1, ping_dict, strlen(ping_dict))) {
		if (cookie_len + strlen(pong_dict) > reply_cap)
			return -ENOBUFS;
		memcpy(reply, msg, cookie_len);
		memcpy(reply + cookie_len, pong_dict, strlen(pong_dict));
		*ret_reply_len = cookie_len + strlen(pong_dict);
		return 0;
	}
	if (len > reply_cap)
		return -ENOBUFS;
	memcpy(reply, msg, len);
	*ret_reply_len = len;
	return 0;
}

static void event_cb(void *opaque, const struct ctl_event *ev)
{
	char line[512];

	pthread_mutex_lock(&seen.lock);
	seen.events[ev->type]++;
	pthread_mutex_unlock(&seen.lock);
	if (seen.print_events || getenv("SLUICE_TEST_VERBOSE"))
		fprintf(stderr, "event: %s\n", ctl_event_format(ev, line, sizeof(line)));
}

static unsigned events_of(enum ctl_event_type t)
{
	unsigned n;

	pthread_mutex_lock(&seen.lock);
	n = seen.events[t];
	pthread_mutex_unlock(&seen.lock);
	return n;
}

/* ------------------------------------------------------------------ server fixture */

static char *path(const char *dir, const char *name)
{
	static char bufs[16][320];
	static unsigned next;
	char *p = bufs[next++ % 16];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

struct fixture {
	struct ctl_server *srv;
	uint16_t tls_port, udp_port;
};

static void base_config(struct ctl_server_config *cfg, const char *dir)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tls_listen = "127.0.0.1:0";
	cfg->udp_listen = "127.0.0.1:0";
	cfg->tls.cert_file = strdup(path(dir, "server.pem"));
	cfg->tls.key_file = strdup(path(dir, "server.key"));
	cfg->tls.ca_file = strdup(path(dir, "ca.pem"));
	cfg->handle = echo_handler;
	cfg->event = event_cb;
	cfg->handshake_timeout_ms = 2000;
}

static void free_config(struct ctl_server_config *cfg)
{
	free((char *)cfg->tls.cert_file);
	free((char *)cfg->tls.key_file);
	free((char *)cfg->tls.ca_file);
}

static void fixture_start(struct fixture *f, struct ctl_server_config *cfg)
{
	char reason[512] = "";
	struct endpoint ep;
	int r;

	memset(f, 0, sizeof(*f));
	r = ctl_server_new(cfg, &f->srv, reason, sizeof(reason));
	if (r < 0)
		fail_msg("ctl_server_new: %d %s", r, reason);
	if (ctl_server_tls_endpoint(f->srv, &ep) == 0)
		f->tls_port = ep.port;
	if (ctl_server_udp_endpoint(f->srv, &ep) == 0)
		f->udp_port = ep.port;
	assert_int_equal(ctl_server_start(f->srv), 0);
}

static struct ctl_counters counters(struct fixture *f)
{
	struct ctl_counters c;

	ctl_server_get_counters(f->srv, &c);
	return c;
}

/* Polls (10 ms steps, at most 3 s) until cond holds. */
#define WAIT_UNTIL(cond)                                                                           \
	do {                                                                                       \
		for (int wait_i_ = 0; wait_i_ < 300 && !(cond); wait_i_++)                         \
			usleep(10000);                                                             \
	} while (0)

/* ------------------------------------------------------------------ client */

struct client_opts {
	const char *cert, *key, *ca; /* file names inside dir; cert NULL: none */
	const char *dir;
	int min_version, max_version; /* 0: library default */
	int security_level;	      /* -1: library default */
	const char *cipher_list, *ciphersuites, *groups;
};

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {.tv_sec = IO_TIMEOUT};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void client_close(struct client *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	ERR_clear_error();
}

static const struct client_opts good_client = {
    .cert = "client.pem", .key = "client.key", .ca = "ca.pem", .security_level = -1};

/* 0: handshake completed (from the client's view), -1: failed. *c is always closable. */
static int client_connect(uint16_t port, const struct client_opts *o, struct client *c)
{
	const char *dir = o->dir ? o->dir : cert_dir;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(c->ctx);
	if (o->security_level >= 0)
		SSL_CTX_set_security_level(c->ctx, o->security_level);
	if (o->min_version)
		assert_true(SSL_CTX_set_min_proto_version(c->ctx, o->min_version));
	if (o->max_version)
		assert_true(SSL_CTX_set_max_proto_version(c->ctx, o->max_version));
	if (o->cipher_list)
		assert_true(SSL_CTX_set_cipher_list(c->ctx, o->cipher_list));
	if (o->ciphersuites)
		assert_true(SSL_CTX_set_ciphersuites(c->ctx, o->ciphersuites));
	if (o->groups)
		assert_true(SSL_CTX_set1_groups_list(c->ctx, o->groups));
	assert_int_equal(SSL_CTX_load_verify_locations(c->ctx, path(dir, o->ca), NULL), 1);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (o->cert) {
		assert_int_equal(SSL_CTX_use_certificate_chain_file(c->ctx, path(dir, o->cert)), 1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(c->ctx, path(dir, o->key), SSL_FILETYPE_PEM), 1);
	}
	c->fd = tcp_connect(port);
	if (c->fd < 0)
		return -1;
	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	SSL_set1_host(c->ssl, "localhost");
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

/* Reads one "<cookie> <dict>" reply. Returns its length or -1 (closed, refused, timed out). */
static int read_frame(SSL *ssl, char *buf, size_t cap)
{
	struct ctl_frame_scanner scan;
	size_t len = 0;
	int n, r;

	ctl_frame_reset(&scan);
	for (int i = 0; i < 1000; i++) {
		r = len ? ctl_frame_scan(&scan, (uint8_t *)buf, len, cap) : 0;
		if (r == 1)
			return (int)scan.pos;
		if (r < 0 || len == cap)
			return -1;
		n = SSL_read(ssl, buf + len, (int)(cap - len));
		if (n <= 0) {
			ERR_clear_error();
			return -1;
		}
		len += (size_t)n;
	}
	return -1;
}

static int client_request(struct client *c, const char *msg, size_t msg_len, char *reply,
			  size_t cap)
{
	if (SSL_write(c->ssl, msg, (int)msg_len) != (int)msg_len) {
		ERR_clear_error();
		return -1;
	}
	return read_frame(c->ssl, reply, cap);
}

static void assert_ping(struct client *c)
{
	char reply[256];
	int n = client_request(c, PING, strlen(PING), reply, sizeof(reply));

	assert_int_equal(n, (int)strlen(PONG));
	assert_memory_equal(reply, PONG, strlen(PONG));
}

/* A good client does a full request/reply on its own connection. */
static void assert_serves_good_client(struct fixture *f)
{
	struct client c;

	assert_int_equal(client_connect(f->tls_port, &good_client, &c), 0);
	assert_ping(&c);
	client_close(&c);
}

/*
 * The client is refused: its handshake fails, or (TLS 1.3: the server checks the client certificate
 * after the client has finished) its first request gets no reply. Counted under reason.
 */
static void assert_refused(struct fixture *f, const struct client_opts *o, enum tls_refusal reason)
{
	struct ctl_counters before = counters(f), after;
	uint64_t sum_before = 0, sum_after = 0;
	struct client c;
	char reply[256];
	int i;

	if (client_connect(f->tls_port, o, &c) == 0)
		assert_true(client_request(&c, PING, strlen(PING), reply, sizeof(reply)) < 0);
	client_close(&c);
	WAIT_UNTIL(counters(f).tls_refused[reason] > before.tls_refused[reason]);
	after = counters(f);
	for (i = 0; i < TLS_REFUSAL__MAX; i++) {
		sum_before += before.tls_refused[i];
		sum_after += after.tls_refused[i];
	}
	if (after.tls_refused[reason] != before.tls_refused[reason] + 1)
		fail_msg("expected one refusal '%s'", tls_refusal_to_string(reason));
	assert_int_equal(sum_after, sum_before + 1); /* and under no other reason */
	assert_int_equal(after.tls_established, before.tls_established);
	assert_serves_good_client(f);
}

/* ------------------------------------------------------------------ pure functions */

static int scan_all(const char *s, size_t max)
{
	struct ctl_frame_scanner scan;
	int r;

	ctl_frame_reset(&scan);
	r = ctl_frame_scan(&scan, (const uint8_t *)s, strlen(s), max);
	if (r == 1 && scan.pos != strlen(s))
		return 2; /* complete before the end */
	return r;
}

static void test_frame_scanner(void **state)
{
	static const char msg[] = "a1_b2_3 d7:command5:offer3:sdp10:v=0\r\no=- 1"
				  "5:flagsl7:trusted3:SIPe8:rtp-modei-12e1:xi0e1:yd1:ad1:bleeee";
	struct ctl_frame_scanner scan;
	char deep[200];
	size_t i;
	int r = 0;

	assert_int_equal(scan_all(PING, 1024), 1);
	assert_int_equal(scan_all(msg, 1024), 1);
	/* Byte by byte, resumed: complete exactly at the last byte. */
	ctl_frame_reset(&scan);
	for (i = 1; i <= strlen(msg); i++) {
		r = ctl_frame_scan(&scan, (const uint8_t *)msg, i, 1024);
		if (i < strlen(msg))
			assert_int_equal(r, 0);
	}
	assert_int_equal(r, 1);
	assert_int_equal(scan.pos, strlen(msg));
	/* Two messages back to back: the first ends where it ends. */
	ctl_frame_reset(&scan);
	assert_int_equal(ctl_frame_scan(&scan, (const uint8_t *)PING PING, 2 * strlen(PING), 1024),
			 1);
	assert_int_equal(scan.pos, strlen(PING));

	assert_int_equal(scan_all("5323_1 d7:command4:ping", 1024), 0); /* incomplete */
	/* No cookie: the dict reads as a cookie still waiting for its space (refused at the cap).
	 */
	assert_int_equal(scan_all("d7:command4:pinge", 1024), 0);
	assert_int_equal(scan_all(" x d1:ai1ee", 1024), -EBADMSG); /* empty cookie */
	assert_int_equal(scan_all("c\x01 de", 1024), -EBADMSG);	   /* control byte */
	assert_int_equal(scan_all("c l1:ae", 1024), -EBADMSG);	   /* not a dict */
	assert_int_equal(scan_all("c di1ei2ee", 1024), -EBADMSG);  /* key not a string */
	assert_int_equal(scan_all("c d1:ae", 1024), -EBADMSG);	   /* key without value */
	assert_int_equal(scan_all("c d1:aiee", 1024), -EBADMSG);   /* empty integer */
	assert_int_equal(scan_all("c d1:ai1xe", 1024), -EBADMSG);  /* bad integer */
	assert_int_equal(scan_all("c d1:ax", 1024), -EBADMSG);	   /* bad value */
	assert_int_equal(scan_all("c d1:a1x", 1024), -EBADMSG);	   /* bad length */
	assert_int_equal(scan_all("c d1:ai-5ee", 1024), 1);
	assert_int_equal(scan_all("c de", 1024), 1);
	assert_int_equal(scan_all("c d0:0:e", 1024), 1);
	/* Oversized: announced by a length prefix (refused before the bytes come), or grown. */
	assert_int_equal(scan_all("c d1:a2000:", 1024), -EMSGSIZE);
	assert_int_equal(scan_all("c d1:a9999999999:", 1 << 20), -EMSGSIZE);
	assert_int_equal(scan_all("c d1:ad1:ad1:ad1:ad1:ad1:ad1:ad1:a", 16), -EMSGSIZE);
	/* Cookie length cap. */
	memset(deep, 'k', CTL_COOKIE_MAX + 1);
	strcpy(deep + CTL_COOKIE_MAX + 1, " de");
	assert_int_equal(scan_all(deep, 1024), -EBADMSG);
	/* Depth cap: 32 levels fine, 33 refused. */
	strcpy(deep, "c d1:a");
	for (i = 0; i < CTL_FRAME_MAX_DEPTH - 1; i++)
		strcat(deep, "l");
	for (i = 0; i < CTL_FRAME_MAX_DEPTH; i++)
		strcat(deep, "e");
	assert_int_equal(scan_all(deep, 1024), 1);
	strcpy(deep, "c d1:a");
	for (i = 0; i < CTL_FRAME_MAX_DEPTH; i++)
		strcat(deep, "l");
	assert_int_equal(scan_all(deep, 1024), -ELOOP);
}

static struct endpoint ep(const char *s)
{
	struct endpoint e;

	assert_int_equal(endpoint_parse(s, true, &e), 0);
	return e;
}

static void test_cidr_allow_list(void **state)
{
	struct ctl_cidr c, list[3];
	struct endpoint mapped;

	assert_int_equal(ctl_cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix_len, 8);
	assert_true(ctl_cidr_match(&c, &(struct endpoint){0}) == false);
	assert_true(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0x0a010203)}));
	assert_false(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0x0b000001)}));
	/* IPv4-mapped IPv6 peers match IPv4 CIDRs. */
	mapped = ep("::ffff:10.9.8.7");
	assert_int_equal(mapped.family, AF_INET6);
	assert_true(ctl_cidr_match(&c, &mapped));

	assert_int_equal(ctl_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.prefix_len, 32);
	assert_true(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0xc0000207)}));
	assert_false(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0xc0000206)}));

	assert_int_equal(ctl_cidr_parse("2001:db8:a0::/44", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_true(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET6, .addr.v6 = ep("2001:db8:af:1::5").addr.v6}));
	assert_false(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET6, .addr.v6 = ep("2001:db8:b0::5").addr.v6}));
	mapped = ep("::ffff:10.9.8.7");
	assert_false(ctl_cidr_match(&c, &mapped)); /* family mismatch */

	assert_int_equal(ctl_cidr_parse("0.0.0.0/0", &c), 0);
	assert_true(ctl_cidr_match(
	    &c, &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0x01020304)}));
	assert_int_equal(ctl_cidr_parse("::/0", &c), 0);
	mapped = ep("2001:db8::1");
	assert_true(ctl_cidr_match(&c, &mapped));

	/* Refused: host bits set, prefix too long, junk. */
	assert_int_equal(ctl_cidr_parse("10.1.2.3/8", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("2001:db8::1/32", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("10.0.0.0/33", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("::/129", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("10.0.0.0/", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("10.0.0.0/-1", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("10.0.0.0/8x", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("example.org", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("", &c), -EINVAL);
	assert_int_equal(ctl_cidr_parse("10.0.0.0/08", &c), 0); /* leading zero is still 8 */

	/* Loopback, and the allow decision. */
	assert_true(ctl_addr_is_loopback(
	    &(struct endpoint){.family = AF_INET, .addr.v4.s_addr = htonl(0x7f000002)}));
	mapped = ep("::1");
	assert_true(ctl_addr_is_loopback(&mapped));
	mapped = ep("::ffff:127.0.0.1");
	assert_true(ctl_addr_is_loopback(&mapped));
	mapped = ep("::2");
	assert_false(ctl_addr_is_loopback(&mapped));

	assert_int_equal(ctl_cidr_parse("198.51.100.0/24", &list[0]), 0);
	assert_int_equal(ctl_cidr_parse("2001:db8:1::/48", &list[1]), 0);
	assert_int_equal(ctl_cidr_parse("203.0.113.9", &list[2]), 0);
	mapped = ep("127.0.0.1");
	assert_true(ctl_udp_peer_allowed(list, 3, true, &mapped));
	assert_false(ctl_udp_peer_allowed(list, 3, false, &mapped));
	assert_false(ctl_udp_peer_allowed(NULL, 0, false, &mapped));
	mapped = ep("198.51.100.200");
	assert_true(ctl_udp_peer_allowed(list, 3, true, &mapped));
	mapped = ep("198.51.101.1");
	assert_false(ctl_udp_peer_allowed(list, 3, true, &mapped));
	mapped = ep("2001:db8:1:ffff::1");
	assert_true(ctl_udp_peer_allowed(list, 3, true, &mapped));
	mapped = ep("2001:db8:2::1");
	assert_false(ctl_udp_peer_allowed(list, 3, true, &mapped));
	mapped = ep("203.0.113.9");
	assert_true(ctl_udp_peer_allowed(list, 3, false, &mapped));
	mapped = ep("203.0.113.10");
	assert_false(ctl_udp_peer_allowed(list, 3, false, &mapped));
}

static void test_subject_allow_list(void **state)
{
	const char *allow[] = {"kamailio1", "CN=opensips,O=example"};

	assert_true(tls_subject_allowed(NULL, 0, "CN=anyone", "anyone"));
	assert_true(tls_subject_allowed(allow, 2, "CN=kamailio1,O=x", "kamailio1"));
	assert_false(tls_subject_allowed(allow, 2, "CN=kamailio2,O=x", "kamailio2"));
	assert_true(tls_subject_allowed(allow, 2, "CN=opensips,O=example", "opensips"));
	/* A full-subject entry does not match on CN alone, nor a CN entry on a subject. */
	assert_false(tls_subject_allowed(allow, 2, "CN=opensips,O=evil", "opensips"));
	assert_false(tls_subject_allowed(allow, 2, "CN=x,OU=kamailio1", ""));
	assert_false(tls_subject_allowed(allow, 2, "O=kamailio1", ""));
}

static bool list_has(const char *list, const char *item)
{
	return strstr(list, item) != NULL;
}

static void test_suites_fips_builder(void **state)
{
	STACK_OF(SSL_CIPHER) * ciphers;
	struct tls_suites s;
	char reason[256];
	bool chacha = false;
	SSL_CTX *ctx;
	int i;

	tls_suites_select(false, &s);
	assert_true(list_has(s.tls13_ciphersuites, "CHACHA20"));
	assert_true(list_has(s.groups, "X25519"));
	assert_true(strncmp(s.tls13_ciphersuites, "TLS_AES_256_GCM_SHA384", 22) == 0);

	tls_suites_select(true, &s);
	assert_false(list_has(s.tls13_ciphersuites, "CHACHA"));
	assert_false(list_has(s.tls12_ciphers, "CHACHA"));
	assert_false(list_has(s.groups, "X25519"));
	assert_false(list_has(s.groups, "X448"));
	assert_true(list_has(s.groups, "P-256") && list_has(s.groups, "P-384"));
	assert_non_null(s.sigalgs);
	assert_false(list_has(s.sigalgs, "ed25519"));

	/* Applied to a context (default provider here): only AES-GCM, TLS 1.2 minimum. */
	for (int fips = 0; fips <= 1; fips++) {
		ctx = SSL_CTX_new(TLS_server_method());
		assert_non_null(ctx);
		assert_int_equal(tls_ctx_apply_policy(ctx, fips, reason, sizeof(reason)), 0);
		assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
		assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
		assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION);
		assert_true(SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE);
		ciphers = SSL_CTX_get_ciphers(ctx);
		chacha = false;
		for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
			const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));

			if (list_has(name, "CHACHA"))
				chacha = true;
			else if (!list_has(name, "GCM"))
				fail_msg("cipher %s offered", name);
			if (!list_has(name, "TLS_"))
				assert_true(list_has(name, "ECDHE"));
		}
		assert_int_equal(chacha, !fips);
		assert_string_equal(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, 0)),
				    "TLS_AES_256_GCM_SHA384");
		SSL_CTX_free(ctx);
	}
}

/* ------------------------------------------------------------------ end to end */

static void test_request_reply(void **state)
{
	const char *allow[] = {"sluice-client", "CN=unused,O=x"};
	static const char query[] = "q_1 d7:command5:query7:call-id5:abcdee";
	struct ctl_server_config cfg;
	struct fixture f;
	struct client c;
	char reply[512], two[128];
	int n;

	base_config(&cfg, cert_dir);
	cfg.allowed_subjects = allow;
	cfg.n_allowed_subjects = 2;
	fixture_start(&f, &cfg);

	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_ping(&c);
	pthread_mutex_lock(&seen.lock);
	assert_string_equal(seen.subject, "CN=sluice-client,O=sluice test");
	assert_int_equal(seen.transport, CTL_TRANSPORT_TLS);
	pthread_mutex_unlock(&seen.lock);
	n = client_request(&c, query, strlen(query), reply, sizeof(reply));
	assert_int_equal(n, (int)strlen(query));
	assert_memory_equal(reply, query, strlen(query));
	/* Two messages in one write, whitespace between: two replies, in order. */
	snprintf(two, sizeof(two), "%s\r\n%s\n", PING, query);
	n = client_request(&c, two, strlen(two), reply, sizeof(reply));
	assert_int_equal(n, (int)strlen(PONG));
	assert_int_equal(read_frame(c.ssl, reply, sizeof(reply)), (int)strlen(query));
	/* One message in three writes. */
	assert_int_equal(SSL_write(c.ssl, "5323_1 d7:com", 13), 13);
	usleep(20000);
	assert_int_equal(SSL_write(c.ssl, "mand4:pi", 8), 8);
	usleep(20000);
	n = client_request(&c, "nge", 3, reply, sizeof(reply));
	assert_int_equal(n, (int)strlen(PONG));
	assert_memory_equal(reply, PONG, strlen(PONG));
	client_close(&c);

	assert_int_equal(counters(&f).tls_established, 1);
	assert_int_equal(counters(&f).requests, 5);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static void test_protocol_versions_ok(void **state)
{
	struct client_opts o12 = good_client, o13 = good_client;
	struct ctl_server_config cfg;
	struct fixture f;
	struct client c;

	base_config(&cfg, cert_dir);
	fixture_start(&f, &cfg);
	o12.min_version = o12.max_version = TLS1_2_VERSION;
	assert_int_equal(client_connect(f.tls_port, &o12, &c), 0);
	assert_int_equal(SSL_version(c.ssl), TLS1_2_VERSION);
	/* Server preference: strongest first, even if the client prefers otherwise. */
	assert_string_equal(SSL_get_cipher_name(c.ssl), "ECDHE-ECDSA-AES256-GCM-SHA384");
	assert_ping(&c);
	client_close(&c);
	o12.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384";
	assert_int_equal(client_connect(f.tls_port, &o12, &c), 0);
	assert_string_equal(SSL_get_cipher_name(c.ssl), "ECDHE-ECDSA-AES256-GCM-SHA384");
	client_close(&c);

	o13.min_version = o13.max_version = TLS1_3_VERSION;
	o13.ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
	assert_int_equal(client_connect(f.tls_port, &o13, &c), 0);
	assert_int_equal(SSL_version(c.ssl), TLS1_3_VERSION);
	assert_string_equal(SSL_get_cipher_name(c.ssl), "TLS_AES_256_GCM_SHA384");
	assert_ping(&c);
	client_close(&c);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static void test_refusal_matrix(void **state)
{
	const char *allow[] = {"sluice-client"};
	struct client_opts o;
	struct ctl_server_config cfg;
	struct ctl_counters before;
	struct fixture f;
	char buf[64];
	int fd, i;

	base_config(&cfg, cert_dir);
	cfg.allowed_subjects = allow;
	cfg.n_allowed_subjects = 1;
	fixture_start(&f, &cfg);
	assert_serves_good_client(&f);

	o = good_client;
	o.cert = o.key = NULL;
	assert_refused(&f, &o, TLS_REFUSAL_NO_CLIENT_CERT);
	o.min_version = o.max_version = TLS1_2_VERSION; /* refused in the handshake proper */
	assert_refused(&f, &o, TLS_REFUSAL_NO_CLIENT_CERT);

	o = good_client;
	o.cert = "client-other-ca.pem";
	o.key = "client-other-ca.key";
	assert_refused(&f, &o, TLS_REFUSAL_UNKNOWN_CA);

	o = good_client;
	o.cert = "client-expired.pem";
	o.key = "client-expired.key";
	assert_refused(&f, &o, TLS_REFUSAL_CERT_EXPIRED);

	/* Old protocols: the client's own floor lowered (SECLEVEL=0), so the refusal is ours. */
	o = good_client;
	o.security_level = 0;
	o.cipher_list = "DEFAULT@SECLEVEL=0";
	o.min_version = o.max_version = TLS1_VERSION;
	assert_refused(&f, &o, TLS_REFUSAL_PROTOCOL_VERSION);
	o.min_version = o.max_version = TLS1_1_VERSION;
	assert_refused(&f, &o, TLS_REFUSAL_PROTOCOL_VERSION);

	o = good_client;
	o.cert = "client2.pem";
	o.key = "client2.key";
	assert_refused(&f, &o, TLS_REFUSAL_SUBJECT_NOT_ALLOWED);

	/* Plain ng (no TLS) to the TLS port: closed without a reply. */
	before = counters(&f);
	fd = tcp_connect(f.tls_port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, PING, strlen(PING), MSG_NOSIGNAL), (ssize_t)strlen(PING));
	for (i = 0; i < 10; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		/* at most a TLS alert record comes back, never a pong */
		assert_true(memcmp(buf, "5323", 4) != 0);
	}
	assert_true(i < 10);
	close(fd);
	WAIT_UNTIL(counters(&f).tls_refused[TLS_REFUSAL_NOT_TLS] >
		   before.tls_refused[TLS_REFUSAL_NOT_TLS]);
	assert_int_equal(counters(&f).tls_refused[TLS_REFUSAL_NOT_TLS],
			 before.tls_refused[TLS_REFUSAL_NOT_TLS] + 1);
	assert_serves_good_client(&f);

	/* An HTTP request too. */
	before = counters(&f);
	fd = tcp_connect(f.tls_port);
	assert_int_equal(send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL), 18);
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
	WAIT_UNTIL(counters(&f).tls_refused[TLS_REFUSAL_NOT_TLS] >
		   before.tls_refused[TLS_REFUSAL_NOT_TLS]);
	assert_int_equal(counters(&f).tls_refused[TLS_REFUSAL_NOT_TLS],
			 before.tls_refused[TLS_REFUSAL_NOT_TLS] + 1);

	assert_true(events_of(CTL_EVENT_TLS_REFUSED) >= 6); /* repeats of a reason: rate-limited */
	WAIT_UNTIL(ctl_server_connection_count(f.srv) == 0);
	assert_int_equal(ctl_server_connection_count(f.srv), 0);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

/* FIPS mode's TLS offer, live (default provider, the FIPS selection): no X25519, no ChaCha20. */
static void test_fips_suites_live(void **state)
{
	struct ctl_server_config cfg;
	struct client_opts o;
	struct fixture f;
	struct client c;

	base_config(&cfg, cert_dir);
	cfg.tls.fips = true;
	fixture_start(&f, &cfg);

	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_string_equal(SSL_get_cipher_name(c.ssl), "TLS_AES_256_GCM_SHA384");
	assert_int_equal(SSL_get_negotiated_group(c.ssl), NID_X9_62_prime256v1);
	assert_ping(&c);
	client_close(&c);

	o = good_client;
	o.groups = "X25519";
	assert_refused(&f, &o, TLS_REFUSAL_NO_SHARED_CIPHER);
	o = good_client;
	o.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
	assert_refused(&f, &o, TLS_REFUSAL_NO_SHARED_CIPHER);
	o = good_client;
	o.min_version = o.max_version = TLS1_2_VERSION;
	o.cipher_list = "ECDHE-ECDSA-CHACHA20-POLY1305";
	assert_refused(&f, &o, TLS_REFUSAL_NO_SHARED_CIPHER);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static void test_oversized_and_malformed(void **state)
{
	struct ctl_server_config cfg;
	struct ctl_counters before;
	struct fixture f;
	struct client c;
	char reply[256], *big;
	size_t big_len = 70000;

	base_config(&cfg, cert_dir);
	fixture_start(&f, &cfg); /* max_message: the default 64 KiB */

	/* A message growing past the cap without announcing it (many small strings). */
	big = malloc(big_len + 64);
	assert_non_null(big);
	strcpy(big, "big_1 d7:command4:ping5:junkl");
	while (strlen(big) < big_len)
		strcat(big, "3:abc");
	strcat(big, "ee");
	before = counters(&f);
	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_true(client_request(&c, big, strlen(big), reply, sizeof(reply)) < 0);
	client_close(&c);
	WAIT_UNTIL(counters(&f).oversized > before.oversized);
	assert_int_equal(counters(&f).oversized, before.oversized + 1);
	assert_int_equal(counters(&f).requests, before.requests);

	/* Announced: a 100000-byte string is refused on its length prefix. */
	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_true(client_request(&c, "x d1:a100000:", 13, reply, sizeof(reply)) < 0);
	client_close(&c);
	WAIT_UNTIL(counters(&f).oversized > before.oversized + 1);
	assert_int_equal(counters(&f).oversized, before.oversized + 2);

	/* Exactly at the cap is fine: 65536 bytes in all. */
	snprintf(big, big_len, "cap_1 d1:x65519:"); /* 16 + 65519 + "e" */
	memset(big + strlen(big), 'z', 65519);
	big[65536 - 1] = 'e';
	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_int_equal(client_request(&c, big, 65536, big, 65536 + 64), 65536);
	assert_ping(&c);
	client_close(&c);

	/* Malformed framing closes the connection. */
	assert_int_equal(client_connect(f.tls_port, &good_client, &c), 0);
	assert_true(client_request(&c, "x l1:ae", 7, reply, sizeof(reply)) < 0);
	client_close(&c);
	WAIT_UNTIL(counters(&f).malformed > before.malformed);
	assert_int_equal(counters(&f).malformed, before.malformed + 1);
	assert_serves_good_client(&f);
	free(big);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static void test_caps_and_timeouts(void **state)
{
	struct ctl_server_config cfg;
	struct ctl_counters before;
	struct client c[5];
	struct fixture f;
	char buf[16];
	int fd, i, silent[2];

	base_config(&cfg, cert_dir);
	cfg.max_connections = 4;
	cfg.handshake_timeout_ms = 300;
	cfg.idle_timeout_ms = 700;
	cfg.max_handshakes_per_peer = 2;
	fixture_start(&f, &cfg);

	for (i = 0; i < 4; i++) {
		assert_int_equal(client_connect(f.tls_port, &good_client, &c[i]), 0);
		assert_ping(&c[i]);
	}
	before = counters(&f);
	assert_int_not_equal(client_connect(f.tls_port, &good_client, &c[4]), 0);
	client_close(&c[4]);
	WAIT_UNTIL(counters(&f).tls_over_cap > before.tls_over_cap);
	assert_int_equal(counters(&f).tls_over_cap, before.tls_over_cap + 1);
	assert_true(events_of(CTL_EVENT_TLS_OVER_CAP) >= 1);
	client_close(&c[0]);
	WAIT_UNTIL(ctl_server_connection_count(f.srv) == 3);
	assert_int_equal(client_connect(f.tls_port, &good_client, &c[0]), 0);
	assert_ping(&c[0]);
	for (i = 0; i < 4; i++)
		client_close(&c[i]);
	WAIT_UNTIL(ctl_server_connection_count(f.srv) == 0);

	/* One address may hold 2 unfinished handshakes; the third is refused at once. */
	before = counters(&f);
	silent[0] = tcp_connect(f.tls_port);
	silent[1] = tcp_connect(f.tls_port);
	WAIT_UNTIL(ctl_server_connection_count(f.srv) == 2);
	fd = tcp_connect(f.tls_port);
	assert_true(fd >= 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
	close(fd);
	assert_int_equal(counters(&f).tls_peer_over_cap, before.tls_peer_over_cap + 1);
	close(silent[0]);
	close(silent[1]);
	WAIT_UNTIL(ctl_server_connection_count(f.srv) == 0);

	/* A silent TCP connection: refused at the handshake deadline. */
	before = counters(&f);
	fd = tcp_connect(f.tls_port);
	assert_true(fd >= 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed by the server within 3 s */
	close(fd);
	assert_int_equal(counters(&f).tls_refused[TLS_REFUSAL_HANDSHAKE_TIMEOUT],
			 before.tls_refused[TLS_REFUSAL_HANDSHAKE_TIMEOUT] + 1);

	/* An idle established connection: closed (close_notify) after idle_timeout_ms. */
	assert_int_equal(client_connect(f.tls_port, &good_client, &c[0]), 0);
	assert_ping(&c[0]);
	assert_true(read_frame(c[0].ssl, buf, sizeof(buf)) < 0);
	client_close(&c[0]);
	assert_int_equal(counters(&f).tls_idle_closed, before.tls_idle_closed + 1);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static int udp_socket_bound(const char *addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct timeval tv = {.tv_sec = 1};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void udp_send(int fd, uint16_t port, const void *msg, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* Sends msg to 127.0.0.1:port; returns the reply length (-1: none within 1 s). */
static ssize_t udp_exchange(int fd, uint16_t port, const void *msg, size_t len, char *reply,
			    size_t cap)
{
	udp_send(fd, port, msg, len);
	return recv(fd, reply, cap, 0);
}

static void test_udp(void **state)
{
	const char *allow[] = {"127.0.0.2/32", "2001:db8::/32"};
	struct ctl_server_config cfg;
	struct ctl_counters before;
	struct fixture f;
	char reply[256], *big;
	unsigned ev_before;
	int fd, fd2, i;

	base_config(&cfg, cert_dir);
	cfg.tls_listen = NULL;
	cfg.max_message = 1024;
	fixture_start(&f, &cfg);
	fd = udp_socket_bound("127.0.0.1");
	assert_int_equal(udp_exchange(fd, f.udp_port, PING, strlen(PING), reply, sizeof(reply)),
			 (ssize_t)strlen(PONG));
	assert_memory_equal(reply, PONG, strlen(PONG));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.transport, CTL_TRANSPORT_UDP);
	assert_string_equal(seen.subject, "");
	pthread_mutex_unlock(&seen.lock);
	/* Trailing newline tolerated; malformed and oversized dropped and counted. */
	assert_int_equal(
	    udp_exchange(fd, f.udp_port, PING "\n", strlen(PING) + 1, reply, sizeof(reply)),
	    (ssize_t)strlen(PONG));
	before = counters(&f);
	assert_true(udp_exchange(fd, f.udp_port, "garbage", 7, reply, sizeof(reply)) < 0);
	assert_int_equal(counters(&f).malformed, before.malformed + 1);
	big = calloc(1, 2000);
	memset(big, 'a', 1999);
	assert_true(udp_exchange(fd, f.udp_port, big, 1999, reply, sizeof(reply)) < 0);
	assert_int_equal(counters(&f).oversized, before.oversized + 1);
	free(big);
	ctl_server_free(f.srv);
	close(fd);

	/* Loopback not trusted, allow-list only: 127.0.0.1 dropped (and logged once), 127.0.0.2 ok.
	 */
	cfg.udp_deny_loopback = true;
	cfg.udp_allow = allow;
	cfg.n_udp_allow = 2;
	fixture_start(&f, &cfg);
	fd = udp_socket_bound("127.0.0.1");
	fd2 = udp_socket_bound("127.0.0.2");
	ev_before = events_of(CTL_EVENT_UDP_NOT_ALLOWED);
	for (i = 0; i < 4; i++)
		udp_send(fd, f.udp_port, PING, strlen(PING));
	assert_true(udp_exchange(fd, f.udp_port, PING, strlen(PING), reply, sizeof(reply)) < 0);
	WAIT_UNTIL(counters(&f).udp_not_allowed == 5);
	assert_int_equal(counters(&f).udp_not_allowed, 5);
	assert_int_equal(counters(&f).requests, 0);
	assert_int_equal(events_of(CTL_EVENT_UDP_NOT_ALLOWED), ev_before + 1);
	assert_int_equal(udp_exchange(fd2, f.udp_port, PING, strlen(PING), reply, sizeof(reply)),
			 (ssize_t)strlen(PONG));
	ctl_server_free(f.srv);
	close(fd);
	close(fd2);
	free_config(&cfg);
}

static void test_udp_ipv6(void **state)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct timeval tv = {.tv_sec = 1};
	struct ctl_server_config cfg;
	struct fixture f;
	char reason[256], reply[64];
	struct ctl_server *probe;
	int fd;

	base_config(&cfg, cert_dir);
	cfg.tls_listen = NULL;
	cfg.udp_listen = "[::1]:0";
	if (ctl_server_new(&cfg, &probe, reason, sizeof(reason)) < 0) {
		free_config(&cfg);
		skip(); /* no IPv6 on lo */
	}
	ctl_server_free(probe);
	fixture_start(&f, &cfg);
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	to.sin6_port = htons(f.udp_port);
	assert_int_equal(sendto(fd, PING, strlen(PING), 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)strlen(PING));
	assert_int_equal(recv(fd, reply, sizeof(reply), 0), (ssize_t)strlen(PONG));
	close(fd);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void test_reload(void **state)
{
	char live[300], next[300], reason[512];
	struct client_opts new_client = good_client, old_client = good_client;
	struct ctl_server_config cfg;
	struct fixture f;
	struct client old_conn, c;

	snprintf(live, sizeof(live), "%s/live", cert_dir);
	snprintf(next, sizeof(next), "%s/next", cert_dir);
	assert_int_equal(
	    run("mkdir -p '%s' && cp '%s'/*.pem '%s'/*.key '%s'/", live, cert_dir, cert_dir, live),
	    0);
	assert_int_equal(
	    run("'%s/scripts/gen-test-certs' --prefix next '%s' >/dev/null", SLUICE_SRC_DIR, next),
	    0);
	base_config(&cfg, live);
	fixture_start(&f, &cfg);
	old_client.dir = cert_dir; /* live/ gets overwritten; these are its original files */
	new_client.dir = next;

	assert_int_equal(client_connect(f.tls_port, &old_client, &old_conn), 0);
	assert_ping(&old_conn);
	assert_int_not_equal(client_connect(f.tls_port, &new_client, &c), 0);
	client_close(&c);

	/* A failed reload (key does not match) keeps the old context and says why. */
	assert_int_equal(run("cp '%s/ca.key' '%s/server.key'", live, live), 0);
	reason[0] = '\0';
	assert_true(ctl_server_reload_tls(f.srv, reason, sizeof(reason)) < 0);
	assert_non_null(strstr(reason, "server.key"));
	assert_int_equal(counters(&f).tls_reload_failures, 1);
	assert_serves_good_client(&f);

	/* New CA and server certificate: new connections use them, the old one keeps working. */
	assert_int_equal(
	    run("cp '%s/ca.pem' '%s/server.pem' '%s/server.key' '%s'/", next, next, next, live), 0);
	assert_int_equal(ctl_server_reload_tls(f.srv, reason, sizeof(reason)), 0);
	assert_int_equal(counters(&f).tls_reloads, 1);
	assert_int_equal(client_connect(f.tls_port, &new_client, &c), 0);
	assert_ping(&c);
	pthread_mutex_lock(&seen.lock);
	assert_string_equal(seen.subject, "CN=next-client,O=sluice test");
	pthread_mutex_unlock(&seen.lock);
	client_close(&c);
	assert_ping(&old_conn);
	/* A new connection with the old CA's certificate is now a stranger. */
	assert_int_not_equal(client_connect(f.tls_port, &old_client, &c), 0);
	client_close(&c);
	assert_ping(&old_conn);
	client_close(&old_conn);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

/* Last: loading the fips provider is a process-wide act (it fails here: Debian ships none). */
static void test_fips_refusal(void **state)
{
	static const char prefix[] = "OpenSSL FIPS provider not available: ";
	static const char suffix[] = "; FIPS mode needs it installed and configured";
	char *reason = NULL;
	int r;

	r = fips_enable(&reason);
	if (r == 0) {
		assert_true(fips_enabled());
		skip(); /* a FIPS provider is installed on this machine */
	}
	assert_int_equal(r, -ENOENT);
	assert_non_null(reason);
	print_message("fips_enable: %s\n", reason);
	assert_true(strncmp(reason, prefix, strlen(prefix)) == 0);
	assert_true(strlen(reason) > strlen(prefix) + strlen(suffix));
	assert_string_equal(reason + strlen(reason) - strlen(suffix), suffix);
	assert_false(fips_enabled());
	free(reason);
	/* Nothing changed: TLS with the default provider still works. */
	struct ctl_server_config cfg;
	struct fixture f;

	base_config(&cfg, cert_dir);
	fixture_start(&f, &cfg);
	assert_serves_good_client(&f);
	ctl_server_free(f.srv);
	free_config(&cfg);
}

/* ------------------------------------------------------------------ set-up and serve mode */

static int make_certs(const char *dir)
{
	if (run("command -v openssl >/dev/null 2>&1") != 0)
		return 77;
	return run("'%s/scripts/gen-test-certs' '%s' >/dev/null", SLUICE_SRC_DIR, dir);
}

static int serve(const char *dir, unsigned seconds)
{
	struct ctl_server_config cfg;
	struct ctl_counters c;
	struct fixture f;
	struct timespec ts = {.tv_sec = seconds};
	sigset_t set;
	int i;

	seen.print_events = true;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	base_config(&cfg, dir);
	cfg.handshake_timeout_ms = 3000;
	fixture_start(&f, &cfg);
	printf("tls_port=%u udp_port=%u\n", f.tls_port, f.udp_port);
	fflush(stdout);
	sigtimedwait(&set, NULL, &ts);
	ctl_server_get_counters(f.srv, &c);
	printf("tls_established=%llu\n", (unsigned long long)c.tls_established);
	for (i = 0; i < TLS_REFUSAL__MAX; i++)
		printf("refused.%s=%llu\n", tls_refusal_to_string(i),
		       (unsigned long long)c.tls_refused[i]);
	printf("requests=%llu\nreplies=%llu\n", (unsigned long long)c.requests,
	       (unsigned long long)c.replies);
	fflush(stdout);
	ctl_server_free(f.srv);
	free_config(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame_scanner),
	    cmocka_unit_test(test_cidr_allow_list),
	    cmocka_unit_test(test_subject_allow_list),
	    cmocka_unit_test(test_suites_fips_builder),
	    cmocka_unit_test(test_request_reply),
	    cmocka_unit_test(test_protocol_versions_ok),
	    cmocka_unit_test(test_refusal_matrix),
	    cmocka_unit_test(test_fips_suites_live),
	    cmocka_unit_test(test_oversized_and_malformed),
	    cmocka_unit_test(test_caps_and_timeouts),
	    cmocka_unit_test(test_udp),
	    cmocka_unit_test(test_udp_ipv6),
	    cmocka_unit_test(test_reload),
	    cmocka_unit_test(test_fips_refusal),
	};
	int r;

	signal(SIGPIPE, SIG_IGN); /* the client writes to connections the server refused */
	if (argc >= 3 && strcmp(argv[1], "--serve") == 0)
		return serve(argv[2], argc >= 4 ? (unsigned)atoi(argv[3]) : 60);

	snprintf(cert_dir, sizeof(cert_dir), "%s/sluice-tls-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(cert_dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = make_certs(cert_dir);
	if (r != 0) {
		fprintf(stderr, "test_tls: cannot make test certificates (%d)%s\n", r,
			r == 77 ? ": openssl CLI missing, skipped" : "");
		run("rm -rf '%s'", cert_dir);
		return r == 77 ? 77 : 1;
	}
	r = cmocka_run_group_tests(tests, NULL, NULL);
	run("rm -rf '%s'", cert_dir);
	return r;
}
