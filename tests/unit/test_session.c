// SPDX-License-Identifier: MIT
/*
 * The session table without BPF: an in-memory fake of struct session_map_ops records every
 * open, close, update and delete, so the tests assert which streams were written and in which
 * order, that rejected or failed inserts leave nothing behind, and that adoption rebuilds the
 * table from a map dump.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "session/session_table.h"

#define MAX_OPS	    256
#define MAX_ENTRIES 64

struct fake_op {
	char what; /* 'O'pen, 'C'lose, 'U'pdate, 'D'elete */
	enum session_map_id map;
	uint16_t port;
	unsigned flags;
};

struct fake_map {
	unsigned n;
	struct session_map_entry entries[MAX_ENTRIES]; /* value unused for stats/rtp */
};

struct fake {
	struct fake_op ops[MAX_OPS];
	unsigned n_ops;
	struct fake_map maps[3];
	unsigned updates;
	unsigned fail_update_at; /* 1-based; 0: never */
	uint16_t fail_open_port;
	int open_streams;
	int attached; /* sessions on the (fake) data path */
};

static struct fake fake;

static void record(char what, enum session_map_id map, uint16_t port, unsigned flags)
{
	assert_true(fake.n_ops < MAX_OPS);
	fake.ops[fake.n_ops++] = (struct fake_op){what, map, port, flags};
}

static int find(struct fake_map *m, const struct sluice_stream_key *key)
{
	for (unsigned i = 0; i < m->n; i++)
		if (memcmp(&m->entries[i].key, key, sizeof(*key)) == 0)
			return (int)i;
	return -1;
}

static int fake_open(void *userdata, struct session_stream *stream)
{
	record('O', 0, stream->local.port, 0);
	if (stream->local.port == fake.fail_open_port)
		return -EADDRINUSE;
	fake.open_streams++;
	stream->media = &fake;
	return 0;
}

static void fake_close(void *userdata, struct session_stream *stream)
{
	record('C', 0, stream->local.port, 0);
	assert_ptr_equal(stream->media, &fake);
	fake.open_streams--;
}

static int fake_update(void *userdata, enum session_map_id map, const struct sluice_stream_key *key,
		       const struct sluice_stream *value, unsigned flags)
{
	struct fake_map *m = &fake.maps[map];
	int i;

	record('U', map, ntohs(key->port), flags);
	if (++fake.updates == fake.fail_update_at)
		return -ENOMEM;
	assert_true((map == SESSION_MAP_STREAMS) == (value != NULL));
	i = find(m, key);
	if (i >= 0 && (flags & SESSION_MAP_KEEP_EXISTING))
		return 0;
	if (i < 0) {
		assert_true(m->n < MAX_ENTRIES);
		i = (int)m->n++;
	}
	m->entries[i].key = *key;
	if (value)
		m->entries[i].value = *value;
	return 0;
}

static int fake_delete(void *userdata, enum session_map_id map, const struct sluice_stream_key *key)
{
	struct fake_map *m = &fake.maps[map];
	int i = find(m, key);

	record('D', map, ntohs(key->port), 0);
	if (i < 0)
		return -ENOENT;
	m->entries[i] = m->entries[--m->n];
	return 0;
}

static int fake_attach(void *userdata, struct session *s)
{
	fake.attached++;
	return 0;
}

static void fake_detach(void *userdata, struct session *s)
{
	fake.attached--;
}

static const struct session_map_ops fake_ops = {
    .stream_open = fake_open,
    .stream_close = fake_close,
    .session_attach = fake_attach,
    .session_detach = fake_detach,
    .map_update = fake_update,
    .map_delete = fake_delete,
};

static int setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static struct session_table *new_table(uint32_t max_sessions)
{
	struct session_table *t = NULL;

	assert_int_equal(session_table_new(30000, 30099, max_sessions, &fake_ops, NULL, &t), 0);
	return t;
}

static struct endpoint ep(const char *s)
{
	struct endpoint e;

	assert_int_equal(endpoint_parse(s, true, &e), 0);
	return e;
}

static struct session_params params(uint32_t id, const char *internal, const char *gateway,
				    bool mux)
{
	struct session_params p = {.id = id, .rtcp_mux = mux};

	p.legs[SLUICE_LEG_INTERNAL].local = ep(internal);
	p.legs[SLUICE_LEG_GATEWAY].local = ep(gateway);
	for (unsigned leg = 0; leg < 2; leg++) {
		p.legs[leg].strict_source = true;
		p.legs[leg].clock_rate = 8000;
		p.legs[leg].action = SLUICE_ACT_FORWARD;
	}
	return p;
}

static int insert(struct session_table *t, struct session_params p, char *error)
{
	return session_table_insert(t, &p, NULL, error, SESSION_ERROR_MAX);
}

static void expect_op(unsigned i, char what, enum session_map_id map, uint16_t port)
{
	assert_true(i < fake.n_ops);
	assert_int_equal(fake.ops[i].what, what);
	if (what == 'U' || what == 'D')
		assert_int_equal(fake.ops[i].map, map);
	assert_int_equal(fake.ops[i].port, port);
}

static const struct sluice_stream *stream_at(uint16_t port)
{
	struct fake_map *m = &fake.maps[SESSION_MAP_STREAMS];

	for (unsigned i = 0; i < m->n; i++)
		if (ntohs(m->entries[i].key.port) == port)
			return &m->entries[i].value;
	fail_msg("no stream on port %u", port);
	return NULL;
}

static void assert_maps_empty(void)
{
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(fake.maps[m].n, 0);
	assert_int_equal(fake.open_streams, 0);
}

/*
 * A reserved session (the ng offer's placeholder) holds its ports and media but is neither attached
 * nor in any map; replacing it writes the real streams on the same ports; deleting a reserved one
 * touches no map.
 */
static void test_reserved(void **state)
{
	struct session_table *t = new_table(16);
	struct session_params p = params(7, "198.18.1.1", "198.18.2.1", false);
	char error[SESSION_ERROR_MAX];
	const struct session *s;
	uint16_t ports[2];

	p.reserved = true;
	assert_int_equal(session_table_insert(t, &p, &s, error, sizeof(error)), 0);
	assert_true(s->reserved);
	assert_int_equal(fake.open_streams, 4);
	assert_int_equal(fake.attached, 0);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(fake.maps[m].n, 0);
	for (unsigned i = 0; i < fake.n_ops; i++)
		assert_int_equal(fake.ops[i].what, 'O');
	assert_int_equal(session_table_count(t), 1);
	ports[0] = s->legs[SLUICE_LEG_INTERNAL].local.port;
	ports[1] = s->legs[SLUICE_LEG_GATEWAY].local.port;

	/* Its ports are taken: another session gets others. */
	assert_int_equal(insert(t, params(8, "198.18.1.1", "198.18.2.1", false), error), 0);
	s = session_table_get(t, 8);
	assert_int_not_equal(s->legs[SLUICE_LEG_INTERNAL].local.port, ports[0]);
	assert_int_not_equal(s->legs[SLUICE_LEG_GATEWAY].local.port, ports[1]);
	assert_int_equal(fake.attached, 1);
	assert_int_equal(session_table_delete(t, 8), 0);
	assert_int_equal(fake.attached, 0);

	/* The commit: the real streams on the same ports, attached, in the maps. */
	p.reserved = false;
	p.legs[SLUICE_LEG_INTERNAL].local.port = ports[0];
	p.legs[SLUICE_LEG_GATEWAY].local.port = ports[1];
	assert_int_equal(session_table_replace(t, &p, &s, error, sizeof(error)), 0);
	assert_false(s->reserved);
	assert_int_equal(fake.attached, 1);
	assert_int_equal(fake.maps[SESSION_MAP_STREAMS].n, 4);
	assert_int_equal(stream_at(ports[0])->leg, SLUICE_LEG_INTERNAL);
	assert_int_equal(stream_at(ports[1] + 1)->kind, SLUICE_KIND_RTCP);
	assert_int_equal(session_table_total(t), 2);

	/* Back to a placeholder (a failed swap restores one): the entries go, the ports stay. */
	p.reserved = true;
	assert_int_equal(session_table_replace(t, &p, &s, error, sizeof(error)), 0);
	assert_int_equal(fake.attached, 0);
	for (unsigned m = 0; m < 3; m++)
		assert_int_equal(fake.maps[m].n, 0);
	assert_int_equal(fake.open_streams, 4);

	fake.n_ops = 0;
	assert_int_equal(session_table_delete(t, 7), 0);
	for (unsigned i = 0; i < fake.n_ops; i++)
		assert_int_equal(fake.ops[i].what, 'C');
	assert_maps_empty();
	assert_int_equal(session_table_count(t), 0);
	session_table_free(t);
}

/* Four streams: open all, stats/rtp for all, then the stream entries gateway-before-internal. */
static void test_insert_order(void **state)
{
	struct session_table *t = new_table(16);
	struct session_params p = params(1, "198.18.1.1:30010", "198.18.2.1:30020", false);
	char error[SESSION_ERROR_MAX];
	unsigned i = 0;

	p.legs[SLUICE_LEG_GATEWAY].remote = ep("198.18.2.2:40000");
	p.legs[SLUICE_LEG_GATEWAY].has_remote = true;
	assert_int_equal(insert(t, p, error), 0);
	expect_op(i++, 'O', 0, 30010);
	expect_op(i++, 'O', 0, 30011);
	expect_op(i++, 'O', 0, 30020);
	expect_op(i++, 'O', 0, 30021);
	expect_op(i++, 'U', SESSION_MAP_STATS, 30010);
	expect_op(i++, 'U', SESSION_MAP_RTP, 30010);
	expect_op(i++, 'U', SESSION_MAP_STATS, 30011);
	expect_op(i++, 'U', SESSION_MAP_STATS, 30020);
	expect_op(i++, 'U', SESSION_MAP_RTP, 30020);
	expect_op(i++, 'U', SESSION_MAP_STATS, 30021);
	expect_op(i++, 'U', SESSION_MAP_STREAMS, 30020);
	expect_op(i++, 'U', SESSION_MAP_STREAMS, 30010);
	expect_op(i++, 'U', SESSION_MAP_STREAMS, 30021);
	expect_op(i++, 'U', SESSION_MAP_STREAMS, 30011);
	assert_int_equal(fake.n_ops, i);
	assert_int_equal(fake.maps[SESSION_MAP_STREAMS].n, 4);
	assert_int_equal(fake.maps[SESSION_MAP_STATS].n, 4);
	assert_int_equal(fake.maps[SESSION_MAP_RTP].n, 2);
	assert_int_equal(session_table_count(t), 1);
	session_table_free(t);
	assert_int_equal(fake.open_streams, 0);
}

static void test_stream_values(void **state)
{
	struct session_table *t = new_table(16);
	struct session_params p = params(5, "198.18.1.1:30010", "198.18.2.1:30020", false);
	char error[SESSION_ERROR_MAX];
	const struct sluice_stream *in_rtp, *gw_rtp, *gw_rtcp, *in_rtcp;
	uint8_t mapped[16];

	p.legs[SLUICE_LEG_GATEWAY].remote = ep("198.18.2.2:40000");
	p.legs[SLUICE_LEG_GATEWAY].has_remote = true;
	p.legs[SLUICE_LEG_INTERNAL].strict_source = false;
	assert_int_equal(insert(t, p, error), 0);
	in_rtp = stream_at(30010);
	in_rtcp = stream_at(30011);
	gw_rtp = stream_at(30020);
	gw_rtcp = stream_at(30021);
	assert_int_equal(in_rtp->session_id, 5);
	assert_int_equal(in_rtp->kind, SLUICE_KIND_RTP);
	assert_int_equal(in_rtcp->kind, SLUICE_KIND_RTCP);
	assert_int_equal(in_rtp->leg, SLUICE_LEG_INTERNAL);
	assert_int_equal(gw_rtp->leg, SLUICE_LEG_GATEWAY);
	assert_int_equal(in_rtp->action, SLUICE_ACT_FORWARD);
	assert_int_equal(in_rtp->clock_rate, 8000);
	/* Peers: RTP <-> RTP, RTCP <-> RTCP across the legs. */
	assert_int_equal(ntohs(in_rtp->peer_port), 30020);
	assert_int_equal(ntohs(gw_rtp->peer_port), 30010);
	assert_int_equal(ntohs(in_rtcp->peer_port), 30021);
	assert_int_equal(ntohs(gw_rtcp->peer_port), 30011);
	endpoint_to_mapped(&p.legs[SLUICE_LEG_GATEWAY].local, mapped);
	assert_memory_equal(in_rtp->peer_addr, mapped, 16);
	/* Flags: strict source per leg, signalled remote latched, RTCP remote on port + 1. */
	assert_int_equal(in_rtp->flags, 0);
	assert_int_equal(gw_rtp->flags, SLUICE_F_STRICT_SOURCE | SLUICE_F_LATCHED);
	assert_int_equal(ntohs(gw_rtp->remote_port), 40000);
	assert_int_equal(ntohs(gw_rtcp->remote_port), 40001);
	session_table_free(t);
}

static void test_rtcp_mux(void **state)
{
	struct session_table *t = new_table(16);
	char error[SESSION_ERROR_MAX];
	const struct session *s;
	struct session_params p = params(2, "198.18.1.1:30011", "[2001:db8:2::1]:30013", true);

	p.legs[0].action = p.legs[1].action = SLUICE_ACT_USERSPACE;
	assert_int_equal(session_table_insert(t, &p, &s, error, sizeof(error)), 0);
	assert_int_equal(s->n_streams, 2);
	assert_int_equal(fake.maps[SESSION_MAP_STREAMS].n, 2);
	assert_int_equal(fake.maps[SESSION_MAP_RTP].n, 2);
	assert_int_equal(stream_at(30011)->kind, SLUICE_KIND_MUX);
	assert_int_equal(ntohs(stream_at(30013)->peer_port), 30011);
	/* Mux needs no port + 1: 30012 is still free. */
	assert_int_equal(insert(t, params(3, "198.18.1.1:30012", "198.18.2.1:30014", true), error),
			 0);
	session_table_free(t);
}

static void test_port_allocation(void **state)
{
	struct session_table *t = new_table(16);
	char error[SESSION_ERROR_MAX];
	const struct session *s;
	struct session_params p = params(1, "198.18.1.1", "198.18.2.1:0", false);

	assert_int_equal(session_table_insert(t, &p, &s, error, sizeof(error)), 0);
	assert_int_equal(s->legs[SLUICE_LEG_INTERNAL].local.port, 30000);
	assert_int_equal(s->legs[SLUICE_LEG_GATEWAY].local.port, 30002);
	/* Explicit ports are honoured first; allocation skips them and stays even. */
	p = params(2, "198.18.1.1:0", "198.18.2.1:30004", false);
	assert_int_equal(session_table_insert(t, &p, &s, error, sizeof(error)), 0);
	assert_int_equal(s->legs[SLUICE_LEG_GATEWAY].local.port, 30004);
	assert_int_equal(s->legs[SLUICE_LEG_INTERNAL].local.port, 30006);
	/* An odd explicit port makes the next even pair unusable. */
	assert_int_equal(insert(t, params(3, "198.18.1.1:30009", "198.18.2.1:30011", false), error),
			 0);
	p = params(4, "198.18.1.1", "198.18.2.1", false);
	assert_int_equal(session_table_insert(t, &p, &s, error, sizeof(error)), 0);
	assert_int_equal(s->legs[SLUICE_LEG_INTERNAL].local.port, 30014);
	assert_int_equal(s->legs[SLUICE_LEG_GATEWAY].local.port, 30016);
	session_table_free(t);
}

static void test_port_exhaustion(void **state)
{
	struct session_table *t = NULL;
	char error[SESSION_ERROR_MAX];

	assert_int_equal(session_table_new(30000, 30007, 16, &fake_ops, NULL, &t), 0);
	assert_int_equal(insert(t, params(1, "198.18.1.1", "198.18.2.1", false), error), 0);
	assert_int_equal(insert(t, params(2, "198.18.1.1", "198.18.2.1", false), error), 0);
	fake.n_ops = 0;
	assert_int_equal(insert(t, params(3, "198.18.1.1", "198.18.2.1", false), error),
			 -EADDRNOTAVAIL);
	assert_string_equal(error, "no free port in the media range");
	assert_int_equal(fake.n_ops, 0);
	assert_int_equal(session_table_delete(t, 1), 0);
	assert_int_equal(insert(t, params(3, "198.18.1.1", "198.18.2.1", false), error), 0);
	session_table_free(t);
}

/* A rejected insert must not have touched the ops at all. */
static void expect_rejected(struct session_table *t, struct session_params p, int r,
			    const char *message)
{
	char error[SESSION_ERROR_MAX] = "";
	unsigned ops = fake.n_ops;
	size_t count = session_table_count(t);

	assert_int_equal(insert(t, p, error), r);
	assert_string_equal(error, message);
	assert_int_equal(fake.n_ops, ops);
	assert_int_equal(session_table_count(t), count);
}

static void test_collisions(void **state)
{
	struct session_table *t = new_table(16);
	char error[SESSION_ERROR_MAX];

	assert_int_equal(insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 0);
	expect_rejected(t, params(2, "198.18.1.1:30010", "198.18.2.1:30030", false), -EADDRINUSE,
			"port 30010 in use");
	/* The RTCP port of a new stream hits an existing RTP port. */
	expect_rejected(t, params(2, "198.18.1.1:30030", "198.18.2.1:30019", false), -EADDRINUSE,
			"port 30020 in use");
	/* Ports are reserved by number, whatever the address. */
	expect_rejected(t, params(2, "198.18.9.9:30021", "198.18.2.1:30030", true), -EADDRINUSE,
			"port 30021 in use");
	/* The two legs of one session collide with each other. */
	expect_rejected(t, params(2, "198.18.1.1:30030", "198.18.2.1:30031", false), -EADDRINUSE,
			"port 30031 in use");
	expect_rejected(t, params(2, "198.18.1.1:30040", "198.18.2.1:30040", true), -EADDRINUSE,
			"port 30040 in use");
	expect_rejected(t, params(1, "198.18.1.1:30050", "198.18.2.1:30060", false), -EEXIST,
			"session 1 exists");
	session_table_free(t);
}

static void test_range(void **state)
{
	struct session_table *t = new_table(16);

	expect_rejected(t, params(1, "198.18.1.1:29999", "198.18.2.1:30020", false), -ERANGE,
			"port 29999 outside the media range");
	expect_rejected(t, params(1, "198.18.1.1:30100", "198.18.2.1:30020", true), -ERANGE,
			"port 30100 outside the media range");
	/* RTCP on port + 1 must fit too. */
	expect_rejected(t, params(1, "198.18.1.1:30099", "198.18.2.1:30020", false), -ERANGE,
			"port 30100 outside the media range");
	session_table_free(t);
}

static void test_cap(void **state)
{
	struct session_table *t = new_table(2);
	char error[SESSION_ERROR_MAX];

	assert_int_equal(insert(t, params(1, "198.18.1.1", "198.18.2.1", false), error), 0);
	assert_int_equal(insert(t, params(2, "198.18.1.1", "198.18.2.1", false), error), 0);
	expect_rejected(t, params(3, "198.18.1.1", "198.18.2.1", false), -ENOSPC,
			"session limit reached (2)");
	assert_int_equal(session_table_delete(t, 2), 0);
	assert_int_equal(insert(t, params(3, "198.18.1.1", "198.18.2.1", false), error), 0);
	assert_int_equal(session_table_total(t), 3);
	session_table_free(t);
}

static void test_family_mix(void **state)
{
	struct session_table *t = new_table(16);
	struct session_params p = params(1, "198.18.1.1", "[2001:db8:2::1]", false);
	char error[SESSION_ERROR_MAX];

	expect_rejected(t, p, -EINVAL, "IPv4/IPv6 mix between the legs needs action=userspace");
	p.legs[SLUICE_LEG_GATEWAY].action = SLUICE_ACT_USERSPACE;
	expect_rejected(t, p, -EINVAL, "IPv4/IPv6 mix between the legs needs action=userspace");
	p.legs[SLUICE_LEG_INTERNAL].action = SLUICE_ACT_USERSPACE;
	assert_int_equal(insert(t, p, error), 0);
	/* A remote must be of its leg's family. */
	p = params(2, "198.18.1.1", "198.18.2.1", false);
	p.legs[SLUICE_LEG_GATEWAY].remote = ep("[2001:db8:2::2]:40000");
	p.legs[SLUICE_LEG_GATEWAY].has_remote = true;
	expect_rejected(t, p, -EINVAL, "gateway: remote and local address families differ");
	p = params(2, "0.0.0.0", "198.18.2.1", false);
	expect_rejected(t, p, -EINVAL, "internal: local address must not be unspecified");
	session_table_free(t);
}

/* Fail the n-th map update of an insert: everything written is undone, ports are free again. */
static void test_rollback_on_map_failure(void **state)
{
	char error[SESSION_ERROR_MAX];

	for (unsigned n = 1; n <= 10; n++) {
		struct session_table *t = new_table(16);

		memset(&fake, 0, sizeof(fake));
		fake.fail_update_at = n;
		assert_int_equal(
		    insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
		    -ENOMEM);
		assert_non_null(strstr(error, "cannot write sluice_"));
		assert_maps_empty();
		assert_int_equal(session_table_count(t), 0);
		assert_null(session_table_get(t, 1));
		/* Stream entries that were written are deleted before the stats/rtp entries. */
		for (unsigned i = 0, seen_side_delete = 0; i < fake.n_ops; i++) {
			if (fake.ops[i].what != 'D')
				continue;
			if (fake.ops[i].map == SESSION_MAP_STREAMS)
				assert_false(seen_side_delete);
			else
				seen_side_delete = 1;
		}
		fake.fail_update_at = 0;
		assert_int_equal(
		    insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error), 0);
		session_table_free(t);
	}
}

static void test_rollback_on_open_failure(void **state)
{
	struct session_table *t = new_table(16);
	char error[SESSION_ERROR_MAX];

	fake.fail_open_port = 30021;
	assert_int_equal(insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 -EADDRINUSE);
	assert_string_equal(error, "cannot bind 198.18.2.1:30021: Address already in use");
	assert_maps_empty();
	assert_int_equal(fake.updates, 0);
	fake.fail_open_port = 0;
	assert_int_equal(insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 0);
	session_table_free(t);
}

static void test_delete(void **state)
{
	struct session_table *t = new_table(16);
	char error[SESSION_ERROR_MAX];
	unsigned i;

	assert_int_equal(insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 0);
	assert_int_equal(insert(t, params(2, "198.18.1.1:30030", "198.18.2.1:30040", true), error),
			 0);
	fake.n_ops = 0;
	assert_int_equal(session_table_delete(t, 1), 0);
	/* Stream entries first, in reverse write order; then stats/rtp; then close. */
	i = 0;
	expect_op(i++, 'D', SESSION_MAP_STREAMS, 30011);
	expect_op(i++, 'D', SESSION_MAP_STREAMS, 30021);
	expect_op(i++, 'D', SESSION_MAP_STREAMS, 30010);
	expect_op(i++, 'D', SESSION_MAP_STREAMS, 30020);
	for (; i < 10; i++)
		assert_int_not_equal(fake.ops[i].map, SESSION_MAP_STREAMS);
	for (; i < 14; i++)
		assert_int_equal(fake.ops[i].what, 'C');
	assert_int_equal(fake.n_ops, 14);
	assert_int_equal(fake.maps[SESSION_MAP_STREAMS].n, 2);
	assert_int_equal(fake.maps[SESSION_MAP_STATS].n, 2);
	assert_int_equal(fake.maps[SESSION_MAP_RTP].n, 2);
	assert_int_equal(session_table_delete(t, 1), -ENOENT);
	assert_int_equal(session_table_delete(t, 2), 0);
	assert_maps_empty();
	/* The ports are free again. */
	assert_int_equal(insert(t, params(3, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 0);
	session_table_free(t);
}

static void test_list_sorted(void **state)
{
	struct session_table *t = new_table(16);
	const struct session **list;
	char error[SESSION_ERROR_MAX];
	const uint32_t ids[] = {900, 3, 77, 4000000000u};

	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(insert(t, params(ids[i], "198.18.1.1", "198.18.2.1", true), error),
				 0);
	assert_int_equal(session_table_list(t, &list), 4);
	assert_int_equal(list[0]->id, 3);
	assert_int_equal(list[1]->id, 77);
	assert_int_equal(list[2]->id, 900);
	assert_int_equal(list[3]->id, 4000000000u);
	free(list);
	assert_non_null(session_table_get(t, 77));
	assert_null(session_table_get(t, 78));
	session_table_free(t);
}

static unsigned warnings;
static uint32_t warned_id;

static void count_warning(void *userdata, uint32_t id, const char *reason)
{
	warnings++;
	warned_id = id;
}

/* A copy of the streams map, as a restarted daemon reads it. */
static size_t dump_streams(struct session_map_entry *out)
{
	memcpy(out, fake.maps[SESSION_MAP_STREAMS].entries,
	       fake.maps[SESSION_MAP_STREAMS].n * sizeof(*out));
	return fake.maps[SESSION_MAP_STREAMS].n;
}

static void test_adopt(void **state)
{
	struct session_map_entry dump[MAX_ENTRIES];
	struct session_table *t = new_table(16), *t2;
	struct session_params p = params(1, "198.18.1.1:30010", "198.18.2.1:30020", false);
	char error[SESSION_ERROR_MAX];
	const struct session *s;
	size_t n;

	p.legs[SLUICE_LEG_INTERNAL].remote = ep("198.18.1.2:5004");
	p.legs[SLUICE_LEG_INTERNAL].has_remote = true;
	assert_int_equal(insert(t, p, error), 0);
	assert_int_equal(
	    insert(t, params(2, "[2001:db8:1::1]:30030", "[2001:db8:2::1]:30040", true), error), 0);
	/* The daemon dies: its table goes, the maps stay. */
	session_table_free(t);
	fake.open_streams = 0;
	n = dump_streams(dump);
	fake.maps[SESSION_MAP_RTP].n = 0; /* a crash lost some rtp entries */
	fake.n_ops = 0;
	t2 = new_table(16);
	assert_int_equal(session_table_adopt(t2, dump, n, count_warning, NULL), 2);
	assert_int_equal(warnings, 0);
	for (unsigned i = 0; i < fake.n_ops; i++) {
		if (fake.ops[i].what == 'U')
			assert_int_equal(fake.ops[i].flags, SESSION_MAP_KEEP_EXISTING);
		assert_false(fake.ops[i].what == 'U' && fake.ops[i].map == SESSION_MAP_STREAMS);
		assert_int_not_equal(fake.ops[i].what, 'D');
	}
	assert_int_equal(fake.maps[SESSION_MAP_RTP].n, 4);
	assert_int_equal(fake.open_streams, 6);
	s = session_table_get(t2, 1);
	assert_non_null(s);
	assert_false(s->rtcp_mux);
	assert_int_equal(s->legs[SLUICE_LEG_INTERNAL].local.port, 30010);
	assert_true(s->legs[SLUICE_LEG_INTERNAL].has_remote);
	assert_int_equal(s->legs[SLUICE_LEG_INTERNAL].remote.port, 5004);
	assert_true(session_table_get(t2, 2)->rtcp_mux);
	/* Adopted sessions own their ports and can be deleted. */
	assert_int_equal(insert(t2, params(3, "198.18.1.1:30011", "198.18.2.1", true), error),
			 -EADDRINUSE);
	assert_int_equal(session_table_delete(t2, 1), 0);
	assert_int_equal(session_table_delete(t2, 2), 0);
	assert_maps_empty();
	session_table_free(t2);
}

static void test_adopt_drops_broken_sessions(void **state)
{
	struct session_map_entry dump[MAX_ENTRIES];
	struct session_table *t = new_table(16), *t2;
	char error[SESSION_ERROR_MAX];
	size_t n;

	assert_int_equal(insert(t, params(1, "198.18.1.1:30010", "198.18.2.1:30020", false), error),
			 0);
	assert_int_equal(insert(t, params(2, "198.18.1.1:30030", "198.18.2.1:30040", false), error),
			 0);
	session_table_free(t);
	fake.open_streams = 0;
	/* Session 2 lost its gateway RTCP stream (a crash in the middle of a delete). */
	fake_delete(NULL, SESSION_MAP_STREAMS,
		    &(struct sluice_stream_key){.addr = {[10] = 0xff, [11] = 0xff, 198, 18, 2, 1},
						.port = htons(30041)});
	n = dump_streams(dump);
	warnings = 0;
	t2 = new_table(16);
	assert_int_equal(session_table_adopt(t2, dump, n, count_warning, NULL), 1);
	assert_int_equal(warnings, 1);
	assert_int_equal(warned_id, 2);
	assert_null(session_table_get(t2, 2));
	assert_int_equal(fake.maps[SESSION_MAP_STREAMS].n, 4);
	assert_int_equal(fake.maps[SESSION_MAP_STATS].n, 4 + 1); /* the orphan's stats stay */
	assert_int_equal(session_table_delete(t2, 1), 0);
	session_table_free(t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_insert_order, setup),
	    cmocka_unit_test_setup(test_reserved, setup),
	    cmocka_unit_test_setup(test_stream_values, setup),
	    cmocka_unit_test_setup(test_rtcp_mux, setup),
	    cmocka_unit_test_setup(test_port_allocation, setup),
	    cmocka_unit_test_setup(test_port_exhaustion, setup),
	    cmocka_unit_test_setup(test_collisions, setup),
	    cmocka_unit_test_setup(test_range, setup),
	    cmocka_unit_test_setup(test_cap, setup),
	    cmocka_unit_test_setup(test_family_mix, setup),
	    cmocka_unit_test_setup(test_rollback_on_map_failure, setup),
	    cmocka_unit_test_setup(test_rollback_on_open_failure, setup),
	    cmocka_unit_test_setup(test_delete, setup),
	    cmocka_unit_test_setup(test_list_sorted, setup),
	    cmocka_unit_test_setup(test_adopt, setup),
	    cmocka_unit_test_setup(test_adopt_drops_broken_sessions, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
