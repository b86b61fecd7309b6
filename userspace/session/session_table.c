// SPDX-License-Identifier: MIT
/*
 * Session table: validation, port assignment, and the ordered projection of each session into
 * the stream maps. A session's stats and rtp entries go in before any of its stream entries, and
 * stream entries (what XDP looks up) go out first on delete, so XDP never sees half a session.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "session/session_internal.h"

#define MAX_BUCKETS (1u << 16)

int session_table_new(uint16_t port_min, uint16_t port_max, uint32_t max_sessions,
		      const struct session_map_ops *ops, void *userdata, struct session_table **ret)
{
	struct session_table *t;
	int r;

	if (!ops || !ops->map_update || !ops->map_delete || max_sessions == 0)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ops = ops;
	t->userdata = userdata;
	t->max_sessions = max_sessions;
	t->n_buckets = 64;
	while (t->n_buckets < max_sessions && t->n_buckets < MAX_BUCKETS)
		t->n_buckets *= 2;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		r = -ENOMEM;
		goto free_table;
	}
	r = port_alloc_new(port_min, port_max, &t->ports);
	if (r < 0)
		goto free_buckets;
	pthread_mutex_init(&t->lock, NULL);
	*ret = t;
	return 0;

free_buckets:
	free(t->buckets);
free_table:
	free(t);
	return r;
}

static struct session **bucket_of(const struct session_table *t, uint32_t id)
{
	return &t->buckets[(id * 2654435761u) & (t->n_buckets - 1)];
}

static void detach_session(struct session_table *t, struct session *s)
{
	if (!s->reserved && t->ops->session_detach)
		t->ops->session_detach(t->userdata, s);
}

static void close_streams(struct session_table *t, struct session *s, unsigned n)
{
	while (n-- > 0)
		if (t->ops->stream_close)
			t->ops->stream_close(t->userdata, &s->streams[n]);
}

struct session_table *session_table_free(struct session_table *t)
{
	if (!t)
		return NULL;
	for (size_t b = 0; b < t->n_buckets; b++) {
		struct session *s = t->buckets[b];

		while (s) {
			struct session *next = s->bucket_next;

			detach_session(t, s);
			close_streams(t, s, s->n_streams);
			free(s);
			s = next;
		}
	}
	port_alloc_free(t->ports);
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t);
	return NULL;
}

void session_table_lock(struct session_table *t)
{
	pthread_mutex_lock(&t->lock);
}

void session_table_unlock(struct session_table *t)
{
	pthread_mutex_unlock(&t->lock);
}

bool session_table_walk(const struct session_table *t, size_t *cursor, size_t batch,
			session_visit_fn visit, void *arg)
{
	size_t b = *cursor, seen = 0;

	for (; b < t->n_buckets && seen < batch; b++) {
		for (const struct session *s = t->buckets[b]; s; s = s->bucket_next) {
			visit(arg, s);
			seen++;
		}
	}
	*cursor = b;
	return b < t->n_buckets;
}

const struct session *session_table_get(const struct session_table *t, uint32_t id)
{
	for (struct session *s = *bucket_of(t, id); s; s = s->bucket_next)
		if (s->id == id)
			return s;
	return NULL;
}

size_t session_table_count(const struct session_table *t)
{
	return t->count;
}

uint64_t session_table_total(const struct session_table *t)
{
	return t->total;
}

static void fill_stream(struct session *s, enum sluice_leg leg, unsigned component)
{
	const struct session_leg *l = &s->legs[leg];
	struct session_stream *st = &s->streams[session_stream_index(s->rtcp_mux, leg, component)];
	uint16_t remote_port = (uint16_t)(l->remote.port + component);

	memset(st, 0, sizeof(*st));
	st->local = l->local;
	st->local.port = (uint16_t)(l->local.port + component);
	endpoint_to_mapped(&st->local, st->key.addr);
	st->key.port = htons(st->local.port);
	st->value.session_id = s->id;
	st->value.clock_rate = l->clock_rate;
	st->value.action = (uint8_t)l->action;
	st->value.kind = s->rtcp_mux ? SLUICE_KIND_MUX
			 : component ? SLUICE_KIND_RTCP
				     : SLUICE_KIND_RTP;
	st->value.leg = (uint8_t)leg;
	if (l->srtp)
		st->value.flags |= SLUICE_F_SRTP;
	else if (l->strict_source)
		st->value.flags |= SLUICE_F_STRICT_SOURCE;
	if (l->has_remote) {
		endpoint_to_mapped(&l->remote, st->value.remote_addr);
		st->value.remote_port = htons(remote_port);
		st->value.flags |= SLUICE_F_LATCHED;
	}
}

void session_build_streams(struct session *s)
{
	unsigned components = s->rtcp_mux ? 1 : 2;

	for (unsigned c = 0; c < components; c++) {
		struct session_stream *in, *gw;

		fill_stream(s, SLUICE_LEG_INTERNAL, c);
		fill_stream(s, SLUICE_LEG_GATEWAY, c);
		in = &s->streams[session_stream_index(s->rtcp_mux, SLUICE_LEG_INTERNAL, c)];
		gw = &s->streams[session_stream_index(s->rtcp_mux, SLUICE_LEG_GATEWAY, c)];
		memcpy(in->value.peer_addr, gw->key.addr, 16);
		in->value.peer_port = gw->key.port;
		memcpy(gw->value.peer_addr, in->key.addr, 16);
		gw->value.peer_port = in->key.port;
	}
	s->n_streams = 2 * components;
}

static int failf(char *error, size_t len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int failf(char *error, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	if (error && len > 0) {
		va_start(ap, fmt);
		vsnprintf(error, len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int validate_leg(const struct session_params *p, enum sluice_leg leg, char *error,
			size_t len)
{
	const struct session_leg *l = &p->legs[leg];
	const char *name = session_leg_name(leg);

	if (l->local.family != AF_INET && l->local.family != AF_INET6)
		return failf(error, len, -EINVAL, "%s: missing local address", name);
	if (endpoint_addr_is_any(&l->local))
		return failf(error, len, -EINVAL, "%s: local address must not be unspecified",
			     name);
	if (l->action != SLUICE_ACT_FORWARD && l->action != SLUICE_ACT_USERSPACE)
		return failf(error, len, -EINVAL, "%s: bad action", name);
	if (!l->has_remote)
		return 0;
	if (l->remote.family != l->local.family)
		return failf(error, len, -EINVAL, "%s: remote and local address families differ",
			     name);
	if (l->remote.port == 0 || (!p->rtcp_mux && l->remote.port == 65535))
		return failf(error, len, -EINVAL, "%s: bad remote port", name);
	return 0;
}

static int validate_params(const struct session_table *t, const struct session_params *p,
			   char *error, size_t len)
{
	const struct session_leg *in = &p->legs[SLUICE_LEG_INTERNAL];
	const struct session_leg *gw = &p->legs[SLUICE_LEG_GATEWAY];
	int r;

	if (session_table_get(t, p->id))
		return failf(error, len, -EEXIST, "session %u exists", p->id);
	if (t->count >= t->max_sessions)
		return failf(error, len, -ENOSPC, "session limit reached (%u)", t->max_sessions);
	for (unsigned leg = 0; leg < 2; leg++) {
		r = validate_leg(p, (enum sluice_leg)leg, error, len);
		if (r < 0)
			return r;
	}
	/* XDP rewrites addresses in place: it cannot turn IPv4 into IPv6. */
	if ((in->action == SLUICE_ACT_FORWARD || gw->action == SLUICE_ACT_FORWARD) &&
	    in->local.family != gw->local.family)
		return failf(error, len, -EINVAL,
			     "IPv4/IPv6 mix between the legs needs action=userspace");
	return 0;
}

/* Check an explicitly requested port (and its RTCP port) against the range and the table. */
static int check_port(const struct session_table *t, uint16_t port, bool pair,
		      const uint16_t *taken, unsigned n_taken, char *error, size_t len)
{
	unsigned n = pair ? 2 : 1;

	for (unsigned i = 0; i < n; i++) {
		uint32_t q = (uint32_t)port + i;

		if (q > 65535 || !port_alloc_in_range(t->ports, (uint16_t)q))
			return failf(error, len, -ERANGE, "port %u outside the media range", q);
		if (port_alloc_is_used(t->ports, (uint16_t)q))
			return failf(error, len, -EADDRINUSE, "port %u in use", q);
		for (unsigned j = 0; j < n_taken; j++)
			if (taken[j] == q)
				return failf(error, len, -EADDRINUSE, "port %u in use", q);
	}
	return 0;
}

/* Give every leg its RTP port: requested ones are checked, 0 is allocated. */
static int assign_ports(struct session_table *t, struct session *s, char *error, size_t len)
{
	bool pair = !s->rtcp_mux;
	uint16_t taken[SESSION_MAX_STREAMS];
	unsigned n_taken = 0;
	int r;

	for (unsigned pass = 0; pass < 2; pass++) {
		for (unsigned leg = 0; leg < 2; leg++) {
			uint16_t *port = &s->legs[leg].local.port;

			if ((pass == 0) != (*port != 0))
				continue;
			if (pass == 0)
				r = check_port(t, *port, pair, taken, n_taken, error, len);
			else
				r = port_alloc_find(t->ports, pair, taken, n_taken, port);
			if (r == -EADDRNOTAVAIL)
				return failf(error, len, r, "no free port in the media range");
			if (r < 0)
				return r;
			taken[n_taken++] = *port;
			if (pair)
				taken[n_taken++] = (uint16_t)(*port + 1);
		}
	}
	return 0;
}

static void release_ports(struct session_table *t, struct session *s, unsigned n)
{
	while (n-- > 0)
		port_alloc_release(t->ports, s->streams[n].local.port);
}

/* The order stream entries are written in: per component, gateway then internal. */
static unsigned stream_write_order(const struct session *s, unsigned i)
{
	unsigned component = i / 2;
	enum sluice_leg leg = i % 2 ? SLUICE_LEG_INTERNAL : SLUICE_LEG_GATEWAY;

	return session_stream_index(s->rtcp_mux, leg, component);
}

static bool stream_has_rtp(const struct session_stream *st)
{
	return st->value.kind != SLUICE_KIND_RTCP;
}

static void delete_entries(struct session_table *t, struct session *s, unsigned n_streams,
			   unsigned n_side)
{
	/* Stream entries first (reverse of the write order), then stats and rtp. */
	while (n_streams-- > 0)
		t->ops->map_delete(t->userdata, SESSION_MAP_STREAMS,
				   &s->streams[stream_write_order(s, n_streams)].key);
	while (n_side-- > 0) {
		const struct session_stream *st = &s->streams[n_side];

		if (stream_has_rtp(st))
			t->ops->map_delete(t->userdata, SESSION_MAP_RTP, &st->key);
		t->ops->map_delete(t->userdata, SESSION_MAP_STATS, &st->key);
	}
}

static const char *const map_names[] = {
    [SESSION_MAP_STREAMS] = "sluice_streams",
    [SESSION_MAP_STATS] = "sluice_stream_stats",
    [SESSION_MAP_RTP] = "sluice_stream_rtp",
};

static int write_side_entries(struct session_table *t, const struct session_stream *st, bool adopt,
			      char *error, size_t len)
{
	unsigned flags = adopt ? SESSION_MAP_KEEP_EXISTING : 0;
	int r;

	r = t->ops->map_update(t->userdata, SESSION_MAP_STATS, &st->key, NULL, flags);
	if (r < 0)
		return failf(error, len, r, "cannot write %s: %s", map_names[SESSION_MAP_STATS],
			     strerror(-r));
	if (!stream_has_rtp(st))
		return 0;
	r = t->ops->map_update(t->userdata, SESSION_MAP_RTP, &st->key, NULL, flags);
	if (r < 0) {
		t->ops->map_delete(t->userdata, SESSION_MAP_STATS, &st->key);
		return failf(error, len, r, "cannot write %s: %s", map_names[SESSION_MAP_RTP],
			     strerror(-r));
	}
	return 0;
}

static void link_session(struct session_table *t, struct session *s)
{
	struct session **bucket = bucket_of(t, s->id);

	s->bucket_next = *bucket;
	*bucket = s;
	t->count++;
	t->total++;
}

int session_install(struct session_table *t, struct session *s, bool adopt, char *error, size_t len)
{
	unsigned taken = 0, opened = 0, side = 0, written = 0;
	char where[ENDPOINT_STR_MAX];
	int r;

	for (; taken < s->n_streams; taken++) {
		r = port_alloc_take(t->ports, s->streams[taken].local.port);
		if (r < 0) {
			failf(error, len, r, "port %u %s", s->streams[taken].local.port,
			      r == -ERANGE ? "outside the media range" : "in use");
			goto release_ports;
		}
	}
	for (; t->ops->stream_open && opened < s->n_streams; opened++) {
		r = t->ops->stream_open(t->userdata, &s->streams[opened]);
		if (r < 0) {
			failf(error, len, r, "cannot bind %s: %s",
			      endpoint_format(&s->streams[opened].local, where, sizeof(where)),
			      strerror(-r));
			goto close_streams;
		}
	}
	if (s->reserved) {
		/* Ports and media held; nothing reaches the data path or the maps. */
		link_session(t, s);
		return 0;
	}
	if (t->ops->session_attach) {
		r = t->ops->session_attach(t->userdata, s);
		if (r < 0) {
			failf(error, len, r, "cannot attach the streams to the data path: %s",
			      strerror(-r));
			goto close_streams;
		}
	}
	for (; side < s->n_streams; side++) {
		r = write_side_entries(t, &s->streams[side], adopt, error, len);
		if (r < 0)
			goto delete_entries;
	}
	for (; !adopt && written < s->n_streams; written++) {
		const struct session_stream *st = &s->streams[stream_write_order(s, written)];

		r = t->ops->map_update(t->userdata, SESSION_MAP_STREAMS, &st->key, &st->value, 0);
		if (r < 0) {
			failf(error, len, r, "cannot write %s: %s", map_names[SESSION_MAP_STREAMS],
			      strerror(-r));
			goto delete_entries;
		}
	}
	link_session(t, s);
	return 0;

delete_entries:
	delete_entries(t, s, written, side);
	detach_session(t, s);
close_streams:
	close_streams(t, s, opened);
release_ports:
	release_ports(t, s, taken);
	return r;
}

int session_table_insert(struct session_table *t, const struct session_params *params,
			 const struct session **ret_session, char *error, size_t len)
{
	struct session *s;
	int r;

	r = validate_params(t, params, error, len);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return failf(error, len, -ENOMEM, "out of memory");
	s->id = params->id;
	s->rtcp_mux = params->rtcp_mux;
	s->reserved = params->reserved;
	memcpy(s->legs, params->legs, sizeof(s->legs));
	s->relay = params->relay;
	r = assign_ports(t, s, error, len);
	if (r < 0)
		goto free_session;
	session_build_streams(s);
	r = session_install(t, s, false, error, len);
	if (r < 0)
		goto free_session;
	if (ret_session)
		*ret_session = s;
	return 0;

free_session:
	free(s);
	return r;
}

/*
 * Unlinks s from the table and undoes what installing it did (map entries, worker attachment,
 * sockets, ports). s itself is left to the caller to free; the sessions-ever total is not touched
 * (a replace keeps counting the session once).
 */
static void remove_session(struct session_table *t, struct session *s)
{
	struct session **link = bucket_of(t, s->id);

	while (*link != s)
		link = &(*link)->bucket_next;
	*link = s->bucket_next;
	t->count--;
	if (!s->reserved)
		delete_entries(t, s, s->n_streams, s->n_streams);
	detach_session(t, s);
	close_streams(t, s, s->n_streams);
	release_ports(t, s, s->n_streams);
}

int session_table_delete(struct session_table *t, uint32_t id)
{
	struct session *s = (struct session *)session_table_get(t, id);

	if (!s)
		return -ENOENT;
	remove_session(t, s);
	free(s);
	return 0;
}

int session_table_replace(struct session_table *t, const struct session_params *params,
			  const struct session **ret_session, char *error, size_t len)
{
	struct session *old = (struct session *)session_table_get(t, params->id);
	int r;

	if (!old)
		return failf(error, len, -ENOENT, "no session %u", params->id);
	remove_session(t, old);
	free(old);
	r = session_table_insert(t, params, ret_session, error, len);
	if (r == 0)
		t->total--;
	return r;
}

static int compare_sessions(const void *a, const void *b)
{
	const struct session *x = *(const struct session *const *)a;
	const struct session *y = *(const struct session *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int session_table_list(const struct session_table *t, const struct session ***ret_sessions)
{
	const struct session **list;
	size_t n = 0;

	list = calloc(t->count ? t->count : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (size_t b = 0; b < t->n_buckets; b++)
		for (const struct session *s = t->buckets[b]; s; s = s->bucket_next)
			list[n++] = s;
	qsort(list, n, sizeof(*list), compare_sessions);
	*ret_sessions = list;
	return (int)n;
}

const char *session_kind_name(enum sluice_kind kind)
{
	switch (kind) {
	case SLUICE_KIND_RTP:
		return "rtp";
	case SLUICE_KIND_RTCP:
		return "rtcp";
	case SLUICE_KIND_MUX:
		return "mux";
	}
	return "unknown";
}

const char *session_leg_name(enum sluice_leg leg)
{
	return leg == SLUICE_LEG_INTERNAL ? "internal" : "gateway";
}

const char *session_action_name(enum sluice_action action)
{
	switch (action) {
	case SLUICE_ACT_FORWARD:
		return "forward";
	case SLUICE_ACT_USERSPACE:
		return "userspace";
	}
	return "unknown";
}
