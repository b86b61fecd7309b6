// SPDX-License-Identifier: MIT
/*
 * Adoption: a restarted daemon rebuilds its session table from the pinned sluice_streams map.
 * Entries are grouped by session id; a group becomes a session again only if it is exactly what
 * session_table_insert() would have written (same keys, kinds, legs and peer links). Any other
 * group (a crash mid-insert or mid-delete, a changed port range) is removed from the maps, since
 * nothing could ever delete it otherwise. Sessions with userspace streams are removed too: their
 * SRTP keys lived only in the dead daemon's contexts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "session/session_internal.h"

static int compare_entries(const void *a, const void *b)
{
	const struct session_map_entry *x = a, *y = b;

	if (x->value.session_id != y->value.session_id)
		return x->value.session_id < y->value.session_id ? -1 : 1;
	if (x->value.leg != y->value.leg)
		return x->value.leg < y->value.leg ? -1 : 1;
	return x->value.kind < y->value.kind ? -1 : x->value.kind > y->value.kind;
}

/* The leg parameters as recorded in the leg's RTP (or MUX) stream entry. */
static int leg_from_entries(const struct session_map_entry *group, size_t n, enum sluice_leg leg,
			    struct session_leg *ret_leg, bool *ret_mux)
{
	for (size_t i = 0; i < n; i++) {
		const struct sluice_stream *v = &group[i].value;
		struct session_leg l = {0};

		if (v->leg != leg || v->kind == SLUICE_KIND_RTCP)
			continue;
		endpoint_from_mapped(group[i].key.addr, ntohs(group[i].key.port), &l.local);
		l.has_remote = v->flags & SLUICE_F_LATCHED;
		if (l.has_remote)
			endpoint_from_mapped(v->remote_addr, ntohs(v->remote_port), &l.remote);
		l.strict_source = v->flags & SLUICE_F_STRICT_SOURCE;
		l.clock_rate = v->clock_rate;
		l.action = (enum sluice_action)v->action;
		*ret_leg = l;
		*ret_mux = v->kind == SLUICE_KIND_MUX;
		return 0;
	}
	return -ENOENT;
}

static const struct session_map_entry *find_entry(const struct session_map_entry *group, size_t n,
						  const struct sluice_stream_key *key)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&group[i].key, key, sizeof(*key)) == 0)
			return &group[i];
	return NULL;
}

/* Does the built stream match its map entry in everything but XDP's latch? */
static bool stream_matches(const struct sluice_stream *built, const struct sluice_stream *found)
{
	return built->session_id == found->session_id && built->kind == found->kind &&
	       built->leg == found->leg && built->action == found->action &&
	       built->clock_rate == found->clock_rate && built->peer_port == found->peer_port &&
	       memcmp(built->peer_addr, found->peer_addr, 16) == 0;
}

static int rebuild_session(const struct session_map_entry *group, size_t n, struct session *s,
			   char *error, size_t len)
{
	bool mux[2];

	s->id = group[0].value.session_id;
	for (unsigned leg = 0; leg < 2; leg++) {
		if (leg_from_entries(group, n, (enum sluice_leg)leg, &s->legs[leg], &mux[leg]) <
		    0) {
			snprintf(error, len, "%s leg has no RTP stream",
				 session_leg_name((enum sluice_leg)leg));
			return -EINVAL;
		}
	}
	s->rtcp_mux = mux[0];
	session_build_streams(s);
	if (mux[0] != mux[1] || n != s->n_streams) {
		snprintf(error, len, "incomplete or inconsistent streams");
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n_streams; i++) {
		const struct session_map_entry *e = find_entry(group, n, &s->streams[i].key);

		if (!e || !stream_matches(&s->streams[i].value, &e->value)) {
			snprintf(error, len, "incomplete or inconsistent streams");
			return -EINVAL;
		}
		s->streams[i].value = e->value;
	}
	return 0;
}

static int adopt_group(struct session_table *t, const struct session_map_entry *group, size_t n,
		       char *error, size_t len)
{
	struct session *s;
	int r;

	if (t->count >= t->max_sessions) {
		snprintf(error, len, "session limit reached (%u)", t->max_sessions);
		return -ENOSPC;
	}
	for (size_t i = 0; i < n; i++) {
		if (group[i].value.action != SLUICE_ACT_FORWARD) {
			snprintf(error, len,
				 "a userspace (SRTP) session cannot be adopted: its keys were "
				 "never in the pinned maps");
			return -EPERM;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(error, len, "out of memory");
		return -ENOMEM;
	}
	r = rebuild_session(group, n, s, error, len);
	if (r == 0)
		r = session_install(t, s, true, error, len);
	if (r < 0)
		free(s);
	return r;
}

static void remove_group(struct session_table *t, const struct session_map_entry *group, size_t n)
{
	for (size_t i = 0; i < n; i++)
		t->ops->map_delete(t->userdata, SESSION_MAP_STREAMS, &group[i].key);
	for (size_t i = 0; i < n; i++) {
		t->ops->map_delete(t->userdata, SESSION_MAP_STATS, &group[i].key);
		t->ops->map_delete(t->userdata, SESSION_MAP_RTP, &group[i].key);
	}
}

int session_table_adopt(struct session_table *t, const struct session_map_entry *entries,
			size_t n_entries, session_adopt_warn_fn warn, void *userdata)
{
	struct session_map_entry *sorted;
	char error[SESSION_ERROR_MAX];
	int adopted = 0;

	if (n_entries == 0)
		return 0;
	sorted = malloc(n_entries * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, entries, n_entries * sizeof(*sorted));
	qsort(sorted, n_entries, sizeof(*sorted), compare_entries);
	for (size_t i = 0, j; i < n_entries; i = j) {
		for (j = i + 1; j < n_entries; j++)
			if (sorted[j].value.session_id != sorted[i].value.session_id)
				break;
		if (adopt_group(t, sorted + i, j - i, error, sizeof(error)) == 0) {
			adopted++;
			continue;
		}
		if (warn)
			warn(userdata, sorted[i].value.session_id, error);
		remove_group(t, sorted + i, j - i);
	}
	free(sorted);
	return adopted;
}
