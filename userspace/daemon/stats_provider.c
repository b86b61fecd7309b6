// SPDX-License-Identifier: MIT
/*
 * sluiced's stats provider (see stats_provider.h). The global snapshot comes from the program's
 * per-CPU global counters, the workers' single-writer counters (relaxed atomic loads) and, for
 * the RTP loss and jitter aggregates, one batched dump of sluice_streams and sluice_stream_rtp:
 * no lock and no per-session syscall. Sessions are copied out of the session table under its lock
 * a few hundred at a time (holding a reference on each session's relay state), and their map
 * entries are read after the lock is dropped, so a long session list never holds up the admin
 * socket or the ng control thread for long, and never touches a worker.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "common/log.h"
#include "daemon/stats_provider.h"
#include "stats/stats_server.h"

/* Sessions copied per lock hold while walking the table. */
#define WALK_BATCH 256
/* Entries per BPF batch lookup. */
#define MAP_BATCH 4096

_Static_assert((int)STATS_US_DROP__MAX == (int)RELAY_DROP_MAX, "userspace drop codes line up");
_Static_assert(STATS_HIST_BUCKETS == DP_PROC_HIST_BUCKETS, "one histogram layout");

struct daemon_stats {
	const struct sluice_config *config;
	struct session_table *table;
	struct session_maps *maps;
	struct media_sockets *media;
	struct stats_server *server;
	/* Stats thread only: reused between global snapshots. */
	struct clock_slot *clocks; /* stream key -> clock rate, open addressing */
	size_t clocks_cap;	   /* a power of two */
	size_t clocks_used;
	struct sluice_stream_key *keys;
	void *values;
};

/* ---- the control plane's counters ---- */

static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;
static stats_control_source_fn control_fn;
static void *control_opaque;

void stats_provider_set_control_source(stats_control_source_fn fn, void *opaque)
{
	pthread_mutex_lock(&control_lock);
	control_fn = fn;
	control_opaque = opaque;
	pthread_mutex_unlock(&control_lock);
}

static void add_control(struct stats_global *g)
{
	struct stats_control_counters c = {0};

	pthread_mutex_lock(&control_lock);
	if (control_fn)
		control_fn(control_opaque, &c);
	pthread_mutex_unlock(&control_lock);
	memcpy(g->control_requests, c.requests, sizeof(g->control_requests));
	memcpy(g->tls_handshake_failures, c.tls_handshake_failures,
	       sizeof(g->tls_handshake_failures));
}

/* ---- the global snapshot ---- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The workers' AF_XDP totals: their counters and the kernel's, summed by media_sockets. */
static void add_af_xdp(const struct media_counters *us, struct stats_af_xdp *x)
{
	*x = (struct stats_af_xdp){
	    .workers = us->xsk_workers,
	    .rx_packets = us->xsk_rx,
	    .tx_packets = us->xsk_tx,
	    .fallback_packets = us->xsk_fallback,
	    .bad_frames = us->xsk_bad,
	    .kernel_rx_dropped = us->xsk_kernel.rx_dropped,
	    .kernel_rx_ring_full = us->xsk_kernel.rx_ring_full,
	    .kernel_fill_ring_empty = us->xsk_kernel.fill_ring_empty,
	    .kernel_rx_invalid = us->xsk_kernel.rx_invalid,
	    .kernel_tx_invalid = us->xsk_kernel.tx_invalid,
	};
}

static void add_workers(struct daemon_stats *d, struct stats_global *g)
{
	struct media_counters us;
	unsigned n = media_sockets_workers(d->media);

	media_sockets_counters(d->media, &us);
	/* Relayed: sent by a worker. Dropped: the handler's drops and the sends that failed. */
	g->packets[STATS_PATH_USERSPACE] += us.tx;
	g->bytes[STATS_PATH_USERSPACE] += us.tx_bytes;
	for (unsigned r = 1; r < RELAY_DROP_MAX; r++)
		g->userspace_drops[r] = us.drops[r];
	g->userspace_drops[STATS_US_DROP_SEND_ERROR] += us.send_errors;
	for (unsigned r = 1; r < STATS_US_DROP__MAX; r++)
		g->packets[STATS_PATH_DROPPED] += g->userspace_drops[r];
	g->srtp_failures[STATS_SRTP_FAIL_AUTH] = us.drops[RELAY_DROP_SRTP_AUTH];
	g->srtp_failures[STATS_SRTP_FAIL_REPLAY_DUPLICATE] =
	    us.drops[RELAY_DROP_SRTP_REPLAY_DUPLICATE];
	g->srtp_failures[STATS_SRTP_FAIL_REPLAY_OLD] = us.drops[RELAY_DROP_SRTP_REPLAY_OLD];
	add_af_xdp(&us, &g->af_xdp);

	g->n_workers = n < STATS_MAX_WORKERS ? n : STATS_MAX_WORKERS;
	for (unsigned i = 0; i < g->n_workers; i++) {
		struct media_worker_stats w;

		media_sockets_worker_stats(d->media, i, &w);
		g->workers[i] = (struct stats_worker){
		    .busy_ns = w.busy_ns,
		    .wall_ns = w.wall_ns,
		    .rx_packets = w.counters.rx,
		    .tx_packets = w.counters.tx,
		    .af_xdp_rx_packets = w.counters.xsk_rx,
		    .af_xdp_tx_packets = w.counters.xsk_tx,
		    .af_xdp = w.has_xsk,
		};
		for (unsigned b = 0; b < STATS_HIST_BUCKETS; b++)
			g->userspace_processing.buckets[b] += w.counters.proc_hist[b];
		g->userspace_processing.sum_ns += w.counters.proc_ns;
	}
}

/* The clock-rate table: a stream key's RTP clock rate, for the jitter in seconds. */
struct clock_slot {
	struct sluice_stream_key key;
	uint32_t clock_rate;
	bool used;
};

static size_t key_hash(const struct sluice_stream_key *key, size_t mask)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	const uint8_t *p = (const uint8_t *)key;

	for (size_t i = 0; i < sizeof(*key); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)h & mask;
}

static void clock_put(struct daemon_stats *d, const struct sluice_stream_key *key, uint32_t rate)
{
	size_t mask = d->clocks_cap - 1, i = key_hash(key, mask);

	/* Sessions added since the table was sized: their jitter reads 0 this once. */
	if (2 * (d->clocks_used + 1) > d->clocks_cap)
		return;
	while (d->clocks[i].used)
		i = (i + 1) & mask;
	d->clocks[i] = (struct clock_slot){.key = *key, .clock_rate = rate, .used = true};
	d->clocks_used++;
}

static uint32_t clock_get(const struct daemon_stats *d, const struct sluice_stream_key *key)
{
	size_t mask = d->clocks_cap - 1, i = key_hash(key, mask);

	for (; d->clocks[i].used; i = (i + 1) & mask)
		if (memcmp(&d->clocks[i].key, key, sizeof(*key)) == 0)
			return d->clocks[i].clock_rate;
	return 0;
}

typedef void (*batch_fn)(struct daemon_stats *d, const struct sluice_stream_key *key,
			 const void *value, void *arg);

/* Every entry of a hash map keyed by sluice_stream_key, MAP_BATCH at a time. */
static int dump_map(struct daemon_stats *d, int fd, size_t value_size, __u64 elem_flags,
		    batch_fn fn, void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = elem_flags);
	__u32 token = 0;
	bool first = true;

	for (;;) {
		__u32 count = MAP_BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, d->keys, d->values,
					     &count, &opts);

		if (r < 0 && r != -ENOENT)
			return r;
		for (__u32 i = 0; i < count; i++)
			fn(d, &d->keys[i], (const uint8_t *)d->values + (size_t)i * value_size,
			   arg);
		if (r == -ENOENT)
			return 0;
		first = false;
	}
}

static void put_stream_clock(struct daemon_stats *d, const struct sluice_stream_key *key,
			     const void *value, void *arg)
{
	const struct sluice_stream *st = value;

	if (st->kind != SLUICE_KIND_RTCP)
		clock_put(d, key, st->clock_rate);
}

static void add_rtp(struct daemon_stats *d, const struct sluice_stream_key *key, const void *value,
		    void *arg)
{
	struct stats_stream st = {0};

	stats_stream_set_rtp(&st, value, clock_get(d, key));
	stats_global_add_stream(arg, &st);
}

/*
 * The RFC 3550 aggregates over every live RTP stream: two batched map dumps and a hash join,
 * the table sized for the sessions there are (at most half full).
 */
static int add_rtp_aggregates(struct daemon_stats *d, struct stats_global *g, size_t sessions)
{
	size_t want = 64;
	int r;

	if (!d->keys) {
		d->keys = calloc(MAP_BATCH, sizeof(*d->keys));
		d->values = calloc(MAP_BATCH,
				   sizeof(struct sluice_rtp_quality) > sizeof(struct sluice_stream)
				       ? sizeof(struct sluice_rtp_quality)
				       : sizeof(struct sluice_stream));
		if (!d->keys || !d->values)
			return -ENOMEM;
	}
	/* Twice the streams, with room for sessions added meanwhile; grown, never shrunk. */
	while (want < 2 * (sessions + 64) * SESSION_MAX_STREAMS)
		want *= 2;
	d->clocks_used = 0;
	if (d->clocks_cap < want) {
		free(d->clocks);
		d->clocks = calloc(want, sizeof(*d->clocks));
		if (!d->clocks) {
			d->clocks_cap = 0;
			return -ENOMEM;
		}
		d->clocks_cap = want;
	} else {
		memset(d->clocks, 0, d->clocks_cap * sizeof(*d->clocks));
	}
	r = dump_map(d, d->maps->streams_fd, sizeof(struct sluice_stream), 0, put_stream_clock,
		     NULL);
	if (r < 0)
		return r;
	return dump_map(d, d->maps->rtp_fd, sizeof(struct sluice_rtp_quality), BPF_F_LOCK, add_rtp,
			g);
}

static int provide_global(void *opaque, struct stats_global *g)
{
	struct daemon_stats *d = opaque;
	struct sluice_global_stats xdp;
	int r;

	session_table_lock(d->table);
	g->sessions_active = session_table_count(d->table);
	g->sessions_total = session_table_total(d->table);
	session_table_unlock(d->table);
	g->sessions_max = d->config->max_sessions;

	r = session_maps_read_global(d->maps, &xdp);
	if (r < 0)
		return r;
	stats_global_add_xdp(g, &xdp);
	add_workers(d, g);
	add_control(g);
	return add_rtp_aggregates(d, g, g->sessions_active);
}

/* ---- sessions ---- */

/* What the provider needs of a session, copied under the table's lock. */
struct session_copy {
	uint32_t id;
	unsigned n_streams;
	struct session_stream streams[SESSION_MAX_STREAMS];
	struct relay_session *relay; /* a reference of our own, or NULL */
};

struct copy_batch {
	struct session_copy items[WALK_BATCH + 64];
	size_t n;
};

static void copy_session(const struct session *s, struct session_copy *ret)
{
	ret->id = s->id;
	ret->n_streams = s->n_streams;
	memcpy(ret->streams, s->streams, sizeof(ret->streams));
	ret->relay = s->relay;
	if (ret->relay)
		relay_session_ref(ret->relay);
}

static void fill_stream(struct daemon_stats *d, const struct session_copy *c, unsigned i,
			uint64_t now, struct stats_stream *st)
{
	const struct session_stream *ss = &c->streams[i];
	const struct relay_session *rs = c->relay;
	struct sluice_stream_stats xdp = {0};
	struct sluice_rtp_quality q;
	struct sluice_stream live;

	st->leg = ss->value.leg;
	st->kind = ss->value.kind;
	st->path =
	    ss->value.action == SLUICE_ACT_USERSPACE ? STATS_STREAM_USERSPACE : STATS_STREAM_KERNEL;
	st->local = ss->local;
	if (ss->value.action == SLUICE_ACT_USERSPACE && rs)
		st->has_remote = relay_stream_remote(&rs->streams[i], &st->remote);
	else if (session_maps_read_stream(d->maps, &ss->key, &live) == 0 &&
		 (live.flags & SLUICE_F_LATCHED)) {
		endpoint_from_mapped(live.remote_addr, ntohs(live.remote_port), &st->remote);
		st->has_remote = true;
	}
	if (rs && rs->legs[st->leg & 1].srtp)
		snprintf(st->suite, sizeof(st->suite), "%s",
			 sluice_srtp_suite_name(rs->legs[st->leg & 1].suite));
	session_maps_read_stats(d->maps, &ss->key, &xdp);
	stats_stream_set_xdp(st, &xdp, now);
	if (rs) {
		struct relay_counters_snapshot us;

		relay_counters_read(&rs->streams[i].counters, &us);
		memcpy(st->userspace_drops, us.drops, sizeof(st->userspace_drops));
	}
	if (ss->value.kind != SLUICE_KIND_RTCP && session_maps_read_rtp(d->maps, &ss->key, &q) == 0)
		stats_stream_set_rtp(st, &q, ss->value.clock_rate);
}

static void fill_session(struct daemon_stats *d, const struct session_copy *c,
			 struct stats_session *ret)
{
	uint64_t now = monotonic_ns();

	*ret = (struct stats_session){.id = c->id, .n_streams = c->n_streams};
	for (unsigned i = 0; i < c->n_streams && i < STATS_SESSION_MAX_STREAMS; i++)
		fill_stream(d, c, i, now, &ret->streams[i]);
}

static void collect(void *arg, const struct session *s)
{
	struct copy_batch *b = arg;

	/* A bucket is visited whole: its chain may carry a few past the batch. */
	if (b->n < sizeof(b->items) / sizeof(b->items[0]))
		copy_session(s, &b->items[b->n++]);
}

static int provide_foreach(void *opaque, stats_session_visit_fn visit, void *arg)
{
	struct daemon_stats *d = opaque;
	struct stats_session *out;
	struct copy_batch *b;
	size_t cursor = 0, done_to;
	bool more = true;
	int stop = 0;

	b = malloc(sizeof(*b));
	out = malloc(sizeof(*out));
	if (!b || !out) {
		free(b);
		free(out);
		return -ENOMEM;
	}
	while (more && !stop) {
		b->n = 0;
		session_table_lock(d->table);
		/* Stop short of the batch so a long chain still fits the copy array. */
		done_to = cursor;
		more = session_table_walk(d->table, &done_to, WALK_BATCH, collect, b);
		session_table_unlock(d->table);
		cursor = done_to;
		for (size_t i = 0; i < b->n; i++) {
			if (!stop) {
				fill_session(d, &b->items[i], out);
				stop = visit(arg, out);
			}
			relay_session_unref(b->items[i].relay);
		}
	}
	free(b);
	free(out);
	return 0;
}

static int provide_session(void *opaque, uint32_t id, struct stats_session *ret)
{
	struct daemon_stats *d = opaque;
	struct session_copy c;
	const struct session *s;

	session_table_lock(d->table);
	s = session_table_get(d->table, id);
	if (s)
		copy_session(s, &c);
	session_table_unlock(d->table);
	if (!s)
		return -ENOENT;
	fill_session(d, &c, ret);
	relay_session_unref(c.relay);
	return 0;
}

/* ---- start and stop ---- */

/* The socket's folder, like the admin socket's: created 0755 when missing. */
static void make_parent(const char *path)
{
	char dir[CONFIG_SOCKET_PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0755);
}

int daemon_stats_start(const struct sluice_config *config, struct session_table *table,
		       struct session_maps *maps, struct media_sockets *media,
		       struct daemon_stats **ret)
{
	struct stats_server_config sc = {
	    .socket_path = config->stats_socket[0] ? config->stats_socket : NULL,
	    .socket_group = config->stats_socket_group[0] ? config->stats_socket_group : NULL,
	    .socket_mode = config->stats_socket_mode,
	    .http_listen = config->stats_http_listen[0] ? config->stats_http_listen : NULL,
	    .max_clients = config->stats_max_clients,
	    .per_session_metrics = (enum stats_per_session)config->stats_per_session_metrics,
	};
	struct stats_provider provider = {
	    .global = provide_global,
	    .foreach_session = provide_foreach,
	    .session = provide_session,
	};
	struct daemon_stats *d;
	int r;

	*ret = NULL;
	if (!sc.socket_path && !sc.http_listen) {
		log_info("Stats socket and /metrics disabled");
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*d = (struct daemon_stats){.config = config, .table = table, .maps = maps, .media = media};
	provider.opaque = d;
	if (sc.socket_path)
		make_parent(sc.socket_path);
	r = stats_server_new(&sc, &provider, &d->server);
	if (r < 0) {
		log_error("Failed to open the stats socket %s%s%s: %s",
			  sc.socket_path ? sc.socket_path : "", sc.http_listen ? " / http " : "",
			  sc.http_listen ? sc.http_listen : "",
			  r == -EADDRINUSE ? "another sluiced is serving it"
			  : r == -ENOENT   ? "no such group (stats_socket_group)"
					   : strerror(-r));
		goto free_stats;
	}
	r = stats_server_start(d->server);
	if (r < 0) {
		log_error("Failed to start the stats thread: %s", strerror(-r));
		goto free_stats;
	}
	log_info("Stats socket %s, /metrics %s%s (per-session series: %s)",
		 sc.socket_path ? sc.socket_path : "off", sc.http_listen ? "http://" : "off",
		 sc.http_listen ? sc.http_listen : "",
		 stats_per_session_to_string(sc.per_session_metrics));
	*ret = d;
	return 0;

free_stats:
	daemon_stats_stop(d);
	return r;
}

void daemon_stats_stop(struct daemon_stats *d)
{
	if (!d)
		return;
	stats_server_free(d->server);
	free(d->clocks);
	free(d->keys);
	free(d->values);
	free(d);
}
