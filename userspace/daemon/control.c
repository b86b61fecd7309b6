// SPDX-License-Identifier: MIT
/*
 * The control plane in sluiced (control.h): the ng layer's backend on the session table, the
 * ctl_server that carries ng over UDP and MTLS, SIGHUP reloads and the transport's events as log
 * lines.
 *
 * The backend (docs/ng.md, "The backend"): allocate inserts a reserved placeholder session that
 * holds the relay ports of both legs (sockets bound) but has no map entry and no worker, so
 * nothing is relayed before the answer (XDP drops its packets as no_session); commit and update
 * swap it for the full session with session_table_replace() (same id, same ports), except a change
 * of keys only, which is a rekey of the running SRTP contexts; release deletes it. Each backend
 * session remembers the parameters it was last installed with, so a failed swap puts the previous
 * session back. Keys are wiped wherever they are dropped.
 *
 * Threads: ng_handle() runs on the ctl_server thread under session_table_lock(), the admin
 * socket's requests under the same lock on the main thread.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "control/ctl_server.h"
#include "control/fips.h"
#include "control/ng_commands.h"
#include "control/policy.h"
#include "daemon/control.h"
#include "daemon/interfaces.h"
#include "daemon/stats_provider.h"

/* ng sessions take ids from here up, away from the small ids operators give `session add`. */
#define CONTROL_FIRST_ID 0x80000000u
/* Binds tried for one allocation when ports turn out to be taken outside sluice. */
#define ALLOCATE_ATTEMPTS 8

/* One backend session: what it was last installed with (the placeholder, or the committed). */
struct backend_session {
	uint32_t id;
	struct ng_session_params params;
	bool reserved; /* params is the offer's placeholder, installed reserved */
	struct backend_session *next;
};

struct control {
	const struct sluice_config *config;
	struct session_table *table;
	struct session_maps *maps;
	struct media_sockets *media;
	struct endpoint addrs[2][CONFIG_NG_MAX_MEDIA_ADDRS]; /* by leg */
	unsigned n_addrs[2];
	uint32_t next_id;
	size_t n_buckets; /* power of two */
	struct backend_session **buckets;
	struct ng_ctx *ng;
	struct ctl_server *srv;
	const char *subjects[CONFIG_NG_MAX_SUBJECTS];
	const char *udp_allow[CONFIG_NG_MAX_ALLOW];
};

/* ---- backend sessions ---- */

static struct backend_session **bucket_of(struct control *c, uint32_t id)
{
	return &c->buckets[(id * 2654435761u) & (c->n_buckets - 1)];
}

static struct backend_session *backend_get(struct control *c, uint32_t id)
{
	for (struct backend_session *b = *bucket_of(c, id); b; b = b->next)
		if (b->id == id)
			return b;
	return NULL;
}

static void backend_forget(struct control *c, uint32_t id)
{
	struct backend_session **link = bucket_of(c, id), *b;

	while (*link && (*link)->id != id)
		link = &(*link)->next;
	b = *link;
	if (!b)
		return;
	*link = b->next;
	explicit_bzero(b, sizeof(*b));
	free(b);
}

/* ---- building a session from ng parameters ---- */

static int srtp_ctx(const struct control *c, const struct ng_leg_srtp *srtp,
		    enum sluice_srtp_direction direction, const uint8_t *key_salt,
		    const struct sluice_srtp_mki *mki, struct sluice_srtp_ctx **ret)
{
	size_t key_len = sluice_srtp_suite_key_len(srtp->suite),
	       salt_len = sluice_srtp_suite_salt_len(srtp->suite);

	if (key_len + salt_len != srtp->key_len)
		return -EINVAL;
	return sluice_srtp_ctx_new((enum sluice_srtp_engine)c->config->srtp_engine, srtp->suite,
				   direction, key_salt, key_len, key_salt + key_len, salt_len,
				   mki && mki->len ? mki : NULL, ret);
}

/* The relay state with the legs' SRTP contexts; NULL (*ret) when neither leg is SRTP. */
static int make_relay(const struct control *c, uint32_t id, const struct ng_session_params *p,
		      struct relay_session **ret)
{
	struct relay_session *rs = NULL;
	int r;

	*ret = NULL;
	if (!p->legs[SLUICE_LEG_INTERNAL].srtp.enabled && !p->legs[SLUICE_LEG_GATEWAY].srtp.enabled)
		return 0;
	r = relay_session_new(id, false, &rs);
	if (r < 0)
		return r;
	for (unsigned leg = 0; leg < 2; leg++) {
		const struct ng_leg_srtp *srtp = &p->legs[leg].srtp;
		struct sluice_srtp_ctx *rx = NULL, *tx = NULL;

		if (!srtp->enabled)
			continue;
		r = srtp_ctx(c, srtp, SLUICE_SRTP_INBOUND, srtp->rx_key, &srtp->rx_mki, &rx);
		if (r == 0)
			r = srtp_ctx(c, srtp, SLUICE_SRTP_OUTBOUND, srtp->tx_key, &srtp->tx_mki,
				     &tx);
		if (r < 0) {
			sluice_srtp_ctx_free(rx);
			relay_session_unref(rs);
			return r;
		}
		r = relay_session_set_srtp(rs, (enum sluice_leg)leg, srtp->suite, rx, tx);
		if (r < 0) {
			relay_session_unref(rs);
			return r;
		}
	}
	*ret = rs;
	return 0;
}

static void session_params_from_ng(const struct control *c, uint32_t id,
				   const struct ng_session_params *p, struct session_params *ret)
{
	bool srtp =
	    p->legs[SLUICE_LEG_INTERNAL].srtp.enabled || p->legs[SLUICE_LEG_GATEWAY].srtp.enabled;
	/* XDP rewrites in place: it cannot turn IPv4 into IPv6, a worker can. */
	bool mixed =
	    p->legs[SLUICE_LEG_INTERNAL].local.family != p->legs[SLUICE_LEG_GATEWAY].local.family;

	*ret = (struct session_params){.id = id, .rtcp_mux = p->rtcp_mux};
	for (unsigned leg = 0; leg < 2; leg++) {
		const struct ng_leg_params *l = &p->legs[leg];

		ret->legs[leg] = (struct session_leg){
		    .local = l->local,
		    .remote = l->remote,
		    .has_remote = l->has_remote,
		    .strict_source = p->strict_source,
		    .clock_rate = p->clock_rate ? p->clock_rate : 8000,
		    .action = srtp || mixed ? SLUICE_ACT_USERSPACE : SLUICE_ACT_FORWARD,
		    .srtp = l->srtp.enabled,
		};
	}
}

/* Installs p as session id: a new session (insert) or in place of the current one (replace). */
static int install(struct control *c, uint32_t id, const struct ng_session_params *p, bool replace,
		   bool reserved, char *error, size_t error_len)
{
	char reason[SESSION_ERROR_MAX] = "";
	struct session_params params;
	struct relay_session *rs;
	int r;

	r = make_relay(c, id, p, &rs);
	if (r < 0) {
		snprintf(error, error_len, "cannot set up SRTP: %s", strerror(-r));
		return r;
	}
	session_params_from_ng(c, id, p, &params);
	params.reserved = reserved;
	params.relay = rs;
	r = replace ? session_table_replace(c->table, &params, NULL, reason, sizeof(reason))
		    : session_table_insert(c->table, &params, NULL, reason, sizeof(reason));
	/* The session (if any) holds its own reference now. */
	if (rs)
		relay_session_unref(rs);
	if (r < 0)
		snprintf(error, error_len, "%s", reason);
	return r;
}

/* ---- the backend ---- */

/* The relay's address on a leg for a peer of family (0: unknown). */
static const struct endpoint *leg_address(const struct control *c, enum sluice_leg leg, int family)
{
	for (unsigned i = 0; family && i < c->n_addrs[leg]; i++)
		if (c->addrs[leg][i].family == family)
			return &c->addrs[leg][i];
	return family ? NULL : &c->addrs[leg][0];
}

static uint32_t fresh_id(struct control *c)
{
	while (session_table_get(c->table, c->next_id) || backend_get(c, c->next_id))
		c->next_id = c->next_id == UINT32_MAX ? CONTROL_FIRST_ID : c->next_id + 1;
	return c->next_id++;
}

static int backend_allocate(void *opaque, const struct ng_alloc_params *params,
			    struct ng_alloc_result *ret, char *error, size_t error_len)
{
	struct control *c = opaque;
	struct backend_session *b;
	const struct session *s;
	int r;

	if (session_table_count(c->table) >= c->config->max_sessions)
		return -ENOSPC;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->id = fresh_id(c);
	b->reserved = true;
	b->params.strict_source = c->config->strict_source;
	for (unsigned leg = 0; leg < 2; leg++) {
		int family = params->family[leg] ? params->family[leg] : params->family[!leg];
		const struct endpoint *addr = leg_address(c, (enum sluice_leg)leg, family);

		if (!addr && !params->family[leg])
			addr = leg_address(c, (enum sluice_leg)leg, 0);
		if (!addr) {
			snprintf(error, error_len,
				 "no %s relay address on the %s side (%s_address)",
				 family == AF_INET6 ? "IPv6" : "IPv4",
				 policy_leg_name((enum sluice_leg)leg),
				 policy_leg_name((enum sluice_leg)leg));
			free(b);
			return -EAFNOSUPPORT;
		}
		b->params.legs[leg].local = *addr;
		b->params.legs[leg].local.port = 0;
	}
	/*
	 * A port the allocator thinks free may be bound by someone else on the host (a client's
	 * ephemeral port inside the media range): the allocator is next-fit, so try further on.
	 */
	for (unsigned attempt = 0; attempt < ALLOCATE_ATTEMPTS; attempt++) {
		r = install(c, b->id, &b->params, false, true, error, error_len);
		if (r != -EADDRINUSE)
			break;
	}
	if (r < 0) {
		free(b);
		return r == -ENOSPC || r == -EADDRNOTAVAIL ? r : -EIO;
	}
	s = session_table_get(c->table, b->id);
	for (unsigned leg = 0; leg < 2; leg++)
		b->params.legs[leg].local = s->legs[leg].local;
	b->next = *bucket_of(c, b->id);
	*bucket_of(c, b->id) = b;
	ret->session_id = b->id;
	ret->local[SLUICE_LEG_INTERNAL] = s->legs[SLUICE_LEG_INTERNAL].local;
	ret->local[SLUICE_LEG_GATEWAY] = s->legs[SLUICE_LEG_GATEWAY].local;
	return 0;
}

/* Replaces the session with p; on failure puts the previous one back. */
static int swap_session(struct control *c, struct backend_session *b,
			const struct ng_session_params *p, char *error, size_t error_len)
{
	char again[SESSION_ERROR_MAX];
	int r;

	r = install(c, b->id, p, true, false, error, error_len);
	if (r == 0) {
		explicit_bzero(&b->params, sizeof(b->params));
		b->params = *p;
		b->reserved = false;
		return 0;
	}
	if (install(c, b->id, &b->params, false, b->reserved, again, sizeof(again)) < 0)
		log_warning("Failed to restore session %u after a failed change (%s): %s", b->id,
			    error, again);
	return r;
}

static int backend_commit(void *opaque, uint32_t session_id, const struct ng_session_params *p,
			  char *error, size_t error_len)
{
	struct control *c = opaque;
	struct backend_session *b = backend_get(c, session_id);

	if (!b)
		return -ENOENT;
	return swap_session(c, b, p, error, error_len);
}

/* Only keys of SRTP legs changed, suites the same: a rekey of the running contexts. */
static bool keys_only(const struct backend_session *b, const struct ng_session_params *p,
		      uint32_t changed)
{
	if (changed & ~(NG_CHANGED_KEYS(SLUICE_LEG_INTERNAL) | NG_CHANGED_KEYS(SLUICE_LEG_GATEWAY)))
		return false;
	for (unsigned leg = 0; leg < 2; leg++) {
		const struct ng_leg_srtp *old = &b->params.legs[leg].srtp,
					 *now = &p->legs[leg].srtp;

		if (!(changed & NG_CHANGED_KEYS(leg)))
			continue;
		if (!old->enabled || !now->enabled || old->suite != now->suite ||
		    old->key_len != now->key_len)
			return false;
	}
	return true;
}

static int rekey(struct control *c, struct backend_session *b, const struct ng_session_params *p,
		 uint32_t changed, char *error, size_t error_len)
{
	const struct session *s = session_table_get(c->table, b->id);
	struct relay_session *rs = s ? s->relay : NULL;

	if (!rs)
		return -ENOENT;
	for (unsigned leg = 0; leg < 2; leg++) {
		const struct ng_leg_srtp *old = &b->params.legs[leg].srtp,
					 *now = &p->legs[leg].srtp;
		struct sluice_srtp_ctx *rx = NULL, *tx = NULL;
		bool new_rx, new_tx;
		int r = 0;

		if (!(changed & NG_CHANGED_KEYS(leg)))
			continue;
		new_rx = memcmp(old->rx_key, now->rx_key, now->key_len) != 0 ||
			 memcmp(&old->rx_mki, &now->rx_mki, sizeof(now->rx_mki)) != 0;
		new_tx = memcmp(old->tx_key, now->tx_key, now->key_len) != 0;
		if (new_rx)
			r = srtp_ctx(c, now, SLUICE_SRTP_INBOUND, now->rx_key, &now->rx_mki, &rx);
		if (r == 0 && new_tx)
			r = srtp_ctx(c, now, SLUICE_SRTP_OUTBOUND, now->tx_key, &now->tx_mki, &tx);
		if (r < 0) {
			sluice_srtp_ctx_free(rx);
			snprintf(error, error_len, "cannot set up SRTP: %s", strerror(-r));
			return r;
		}
		/* Handed over without waiting: the worker takes each with its next packet. */
		if (rx)
			relay_crypto_replace(&rs->legs[leg].rx, rx, 0);
		if (tx)
			relay_crypto_replace(&rs->legs[leg].tx, tx, 0);
	}
	explicit_bzero(&b->params, sizeof(b->params));
	b->params = *p;
	return 0;
}

static int backend_update(void *opaque, uint32_t session_id, const struct ng_session_params *p,
			  uint32_t changed, char *error, size_t error_len)
{
	struct control *c = opaque;
	struct backend_session *b = backend_get(c, session_id);

	if (!b)
		return -ENOENT;
	if (!b->reserved && keys_only(b, p, changed))
		return rekey(c, b, p, changed, error, error_len);
	return swap_session(c, b, p, error, error_len);
}

static void backend_release(void *opaque, uint32_t session_id)
{
	struct control *c = opaque;

	session_table_delete(c->table, session_id);
	backend_forget(c, session_id);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* XDP counts every packet it accepted (forwarded or handed up); errors are XDP's and the worker's
 * drops. */
static int backend_query(void *opaque, uint32_t session_id, struct ng_leg_counters ret[2])
{
	struct control *c = opaque;
	const struct session *s = session_table_get(c->table, session_id);
	const struct relay_session *rs;
	uint64_t last_ns[2] = {0, 0}, now_mono = clock_ns(CLOCK_MONOTONIC);

	if (!s)
		return -ENOENT;
	rs = s->relay;
	memset(ret, 0, 2 * sizeof(*ret));
	for (unsigned i = 0; i < s->n_streams; i++) {
		const struct session_stream *st = &s->streams[i];
		struct sluice_stream_stats xdp = {0};
		struct relay_counters_snapshot us = {0};
		struct ng_leg_counters *leg = &ret[st->value.leg & 1];
		struct ng_counters *n = st->value.kind == SLUICE_KIND_RTCP ? &leg->rtcp : &leg->rtp;

		session_maps_read_stats(c->maps, &st->key, &xdp);
		if (rs)
			relay_counters_read(&rs->streams[i].counters, &us);
		n->packets += xdp.packets;
		n->bytes += xdp.bytes;
		for (unsigned d = SLUICE_DROP_NONE + 1; d < SLUICE_DROP_MAX; d++)
			n->errors += xdp.drops[d];
		for (unsigned d = RELAY_DROP_NONE + 1; d < RELAY_DROP_MAX; d++)
			n->errors += us.drops[d];
		if (xdp.last_seen_ns > last_ns[st->value.leg & 1])
			last_ns[st->value.leg & 1] = xdp.last_seen_ns;
	}
	for (unsigned leg = 0; leg < 2; leg++)
		if (last_ns[leg] && last_ns[leg] <= now_mono)
			ret[leg].last_packet_s =
			    (clock_ns(CLOCK_REALTIME) - (now_mono - last_ns[leg])) / 1000000000ull;
	return 0;
}

static void backend_stats(void *opaque, struct ng_backend_stats *ret)
{
	struct control *c = opaque;
	struct sluice_global_stats g = {0};
	struct media_counters m;

	*ret = (struct ng_backend_stats){
	    .sessions_current = session_table_count(c->table),
	    .sessions_max = c->config->max_sessions,
	    .sessions_total = session_table_total(c->table),
	};
	/* The program's verdicts do not tell RTP from RTCP: everything counts as RTP. */
	if (session_maps_read_global(c->maps, &g) == 0) {
		ret->rtp.packets =
		    g.verdict_packets[SLUICE_V_FORWARD] + g.verdict_packets[SLUICE_V_USERSPACE];
		ret->rtp.bytes =
		    g.verdict_bytes[SLUICE_V_FORWARD] + g.verdict_bytes[SLUICE_V_USERSPACE];
		ret->rtp.errors = g.verdict_packets[SLUICE_V_DROP];
	}
	media_sockets_counters(c->media, &m);
	for (unsigned d = RELAY_DROP_NONE + 1; d < RELAY_DROP_MAX; d++)
		ret->rtp.errors += m.drops[d];
}

static int backend_random(void *opaque, uint8_t *buf, size_t len)
{
	return RAND_priv_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

static const struct ng_backend_ops backend_ops = {
    .allocate = backend_allocate,
    .commit = backend_commit,
    .update = backend_update,
    .release = backend_release,
    .query = backend_query,
    .stats = backend_stats,
    .random = backend_random,
};

/* ---- transport glue ---- */

/* The ctl_server handler: one ng request, whole, under the session table's lock. */
static int handle_locked(void *opaque, const uint8_t *msg, size_t len, const struct ctl_peer *peer,
			 uint8_t *reply, size_t reply_cap, size_t *ret_reply_len)
{
	struct control *c = opaque;
	int r;

	session_table_lock(c->table);
	r = ng_handle(c->ng, msg, len, peer, reply, reply_cap, ret_reply_len);
	session_table_unlock(c->table);
	return r;
}

static void log_event(void *opaque, const struct ctl_event *ev)
{
	char line[768];

	log_warning("%s", ctl_event_format(ev, line, sizeof(line)));
}

/* The stats provider's control source: ng requests by command and result, TLS refusals. */
_Static_assert(NG_CTX_COMMANDS == STATS_CTL_CMD_MAX, "both indexed by enum ng_command");
_Static_assert((int)NG_CTX_OK == (int)STATS_CTL_OK && (int)NG_CTX_ERROR == (int)STATS_CTL_ERROR &&
		   (int)NG_CTX_RESULT__MAX == (int)STATS_CTL_RESULT__MAX,
	       "same result indices");
_Static_assert(TLS_REFUSAL__MAX == STATS_TLS_REFUSAL_MAX, "both indexed by enum tls_refusal");

static void control_counters(void *opaque, struct stats_control_counters *ret)
{
	struct control *c = opaque;
	struct ng_ctx_counters ng;
	struct ctl_counters ctl;

	ng_ctx_get_counters(c->ng, &ng);
	memcpy(ret->requests, ng.by_command, sizeof(ret->requests));
	ctl_server_get_counters(c->srv, &ctl);
	memcpy(ret->tls_handshake_failures, ctl.tls_refused, sizeof(ret->tls_handshake_failures));
}

/* Map the daemon's policy enums onto the ng layer's (they are ordered differently). */
static enum policy_encryption_level policy_level(enum encryption_level level)
{
	switch (level) {
	case ENCRYPTION_REQUIRE:
		return POLICY_ENCRYPTION_REQUIRE;
	case ENCRYPTION_SUPPORT:
		return POLICY_ENCRYPTION_SUPPORT;
	case ENCRYPTION_NONE:
		return POLICY_ENCRYPTION_NONE;
	}
	return POLICY_ENCRYPTION_REQUIRE;
}

static enum policy_gateway_srtp policy_gateway(enum gateway_srtp_mode mode)
{
	switch (mode) {
	case GATEWAY_SRTP_REQUIRED:
		return POLICY_GATEWAY_REQUIRED;
	case GATEWAY_SRTP_OPTIONAL:
		return POLICY_GATEWAY_OPTIONAL;
	case GATEWAY_SRTP_NOT_SUPPORTED:
		return POLICY_GATEWAY_NOT_SUPPORTED;
	}
	return POLICY_GATEWAY_NOT_SUPPORTED;
}

/* The first IPv4 and the first non-link-local IPv6 address of an interface. */
static unsigned interface_addresses(const char *name, struct endpoint ret[2])
{
	struct ifaddrs *all, *ifa;
	unsigned n = 0;
	bool v4 = false, v6 = false;

	if (getifaddrs(&all) < 0)
		return 0;
	for (ifa = all; ifa && n < 2; ifa = ifa->ifa_next) {
		struct endpoint ep;

		if (!ifa->ifa_addr || strcmp(ifa->ifa_name, name) != 0)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET && !v4) {
			endpoint_from_sockaddr(ifa->ifa_addr, sizeof(struct sockaddr_in), &ep);
			v4 = true;
		} else if (ifa->ifa_addr->sa_family == AF_INET6 && !v6) {
			const struct sockaddr_in6 *sin6 = (const void *)ifa->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
				continue;
			endpoint_from_sockaddr(ifa->ifa_addr, sizeof(*sin6), &ep);
			v6 = true;
		} else {
			continue;
		}
		ep.port = 0;
		ret[n++] = ep;
	}
	freeifaddrs(all);
	return n;
}

/*
 * internal_address / gateway_address, or by default the addresses of the first configured
 * interface (internal) and of the second (gateway; the first again when there is only one).
 */
static int media_addresses(struct control *c)
{
	char names[CONFIG_MAX_INTERFACES][IF_NAMESIZE], buf[ENDPOINT_STR_MAX];
	unsigned n_names = 0;

	for (unsigned leg = 0; leg < 2; leg++) {
		const char *what = policy_leg_name((enum sluice_leg)leg);

		c->n_addrs[leg] = c->config->ng.n_media_addrs[leg];
		memcpy(c->addrs[leg], c->config->ng.media_addrs[leg], sizeof(c->addrs[leg]));
		if (c->n_addrs[leg] == 0) {
			if (n_names == 0 && interfaces_resolve(c->config, names, &n_names) < 0)
				n_names = 0;
			if (n_names > 0)
				c->n_addrs[leg] = interface_addresses(
				    names[leg < n_names ? leg : 0], c->addrs[leg]);
		}
		if (c->n_addrs[leg] == 0) {
			log_error("Failed to find the relay's %s media address: set %s_address",
				  what, what);
			return -EADDRNOTAVAIL;
		}
		for (unsigned i = 0; i < c->n_addrs[leg]; i++)
			log_info("ng: %s media address %s%s", what,
				 endpoint_format_addr(&c->addrs[leg][i], buf, sizeof(buf)),
				 c->config->ng.n_media_addrs[leg] ? "" : " (from its interface)");
	}
	return 0;
}

int control_enable_fips(const struct sluice_config *config)
{
	char *reason = NULL;
	int r;

	if (!config->ng.fips)
		return 0;
	r = fips_enable(&reason);
	if (r < 0) {
		log_error("%s", reason ? reason : "Failed to enable FIPS mode");
		free(reason);
		return r;
	}
	log_info("FIPS mode: all crypto through the OpenSSL FIPS provider");
	return 0;
}

static int start_server(struct control *c)
{
	const struct config_ng *ng = &c->config->ng;
	struct ctl_server_config cfg = {
	    .tls_listen = config_ng_tls_listen(ng),
	    .tls = {.cert_file = ng->tls_cert,
		    .key_file = ng->tls_key,
		    .ca_file = ng->tls_ca,
		    .fips = ng->fips},
	    .allowed_subjects = c->subjects,
	    .n_allowed_subjects = ng->n_subjects,
	    .udp_listen = ng->listen[0] ? ng->listen : NULL,
	    .udp_allow = c->udp_allow,
	    .n_udp_allow = ng->n_udp_allow,
	    .max_connections = ng->max_connections,
	    .max_handshakes_per_peer = ng->max_handshakes_per_peer,
	    .max_message = ng->max_message,
	    .handshake_timeout_ms = ng->handshake_timeout_ms,
	    .idle_timeout_ms = ng->idle_timeout_ms,
	    .handle = handle_locked,
	    .handle_opaque = c,
	    .event = log_event,
	};
	char reason[512];
	int r;

	for (unsigned i = 0; i < ng->n_subjects; i++)
		c->subjects[i] = ng->subjects[i];
	for (unsigned i = 0; i < ng->n_udp_allow; i++)
		c->udp_allow[i] = ng->udp_allow[i];
	r = ctl_server_new(&cfg, &c->srv, reason, sizeof(reason));
	if (r < 0) {
		log_error("Failed to start the control server: %s", reason);
		return r;
	}
	r = ctl_server_start(c->srv);
	if (r < 0) {
		log_error("Failed to start the control thread: %s", strerror(-r));
		return r;
	}
	if (cfg.udp_listen)
		log_info("ng over UDP on %s (loopback%s%u CIDR(s))", cfg.udp_listen,
			 ng->n_udp_allow ? " and " : ", ", ng->n_udp_allow);
	if (cfg.tls_listen)
		log_info("ng over TLS on %s (client certificates from %s%s)", cfg.tls_listen,
			 ng->tls_ca, ng->n_subjects ? ", subject allow-list" : "");
	else
		log_info("ng over TLS off%s",
			 ng->tls_listen_set ? "" : " (ng_tls_cert, ng_tls_key, ng_tls_ca not set)");
	return 0;
}

int control_start(const struct sluice_config *config, struct session_table *table,
		  struct session_maps *maps, struct media_sockets *media, struct control **ret)
{
	struct ng_config ng_cfg = {
	    .policy = {.encryption_level = policy_level(config->encryption_level),
		       .gateway_srtp_mode = policy_gateway(config->gateway_srtp_mode),
		       .gateway_tls = config->gateway_tls,
		       .suite_mask = policy_suite_mask(config->ng.fips)},
	    .strict_source = config->strict_source,
	    .max_calls = config->ng.max_calls ? config->ng.max_calls : config->max_sessions,
	    .ops = &backend_ops,
	};
	struct control *c;
	int r;

	*ret = NULL;
	if (!config->ng.listen[0] && !config_ng_tls_listen(&config->ng)) {
		log_info("ng control plane off (ng_listen and ng_tls_listen empty)");
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct control){.config = config, .table = table, .maps = maps, .media = media};
	c->next_id = CONTROL_FIRST_ID;
	c->n_buckets = 64;
	while (c->n_buckets < config->max_sessions && c->n_buckets < (1u << 16))
		c->n_buckets *= 2;
	c->buckets = calloc(c->n_buckets, sizeof(*c->buckets));
	r = c->buckets ? media_addresses(c) : -ENOMEM;
	if (r < 0)
		goto fail;
	ng_cfg.opaque = c;
	r = ng_ctx_new(&ng_cfg, &c->ng);
	if (r < 0) {
		log_error("Failed to create the ng command layer: %s", strerror(-r));
		goto fail;
	}
	r = start_server(c);
	if (r < 0)
		goto fail;
	stats_provider_set_control_source(control_counters, c);
	*ret = c;
	return 0;
fail:
	control_stop(c);
	return r;
}

void control_reload(struct control *c)
{
	char reason[512];

	if (!c || !c->srv)
		return;
	if (!config_ng_tls_listen(&c->config->ng)) {
		log_info("Received SIGHUP: no ng TLS listener, nothing to reload");
		return;
	}
	if (ctl_server_reload_tls(c->srv, reason, sizeof(reason)) < 0)
		log_error("Failed to reload TLS certificates (keeping the old ones): %s", reason);
	else
		log_info("Reloaded the ng TLS certificate, key and CA from %s, %s, %s",
			 c->config->ng.tls_cert, c->config->ng.tls_key, c->config->ng.tls_ca);
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	/* Once this returns, the stats thread no longer reads c's counters. */
	if (c->srv && c->ng)
		stats_provider_set_control_source(NULL, NULL);
	/* The thread first: no request runs while the layer goes. */
	ctl_server_free(c->srv);
	ng_ctx_free(c->ng);
	for (size_t i = 0; c->buckets && i < c->n_buckets; i++)
		while (c->buckets[i])
			backend_forget(c, c->buckets[i]->id);
	free(c->buckets);
	free(c);
}
