// SPDX-License-Identifier: MIT
/* The session table's projection into the pinned BPF maps, and the counters read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "session/session_maps.h"
#include "stats/stats_snapshot.h"

int session_maps_init(struct session_maps *ret, int streams_fd, int stats_fd, int rtp_fd,
		      int global_fd)
{
	int n_cpus = libbpf_num_possible_cpus();

	if (n_cpus <= 0)
		return n_cpus < 0 ? n_cpus : -EINVAL;
	*ret = (struct session_maps){
	    .streams_fd = streams_fd,
	    .stats_fd = stats_fd,
	    .rtp_fd = rtp_fd,
	    .global_fd = global_fd,
	    .n_cpus = (unsigned)n_cpus,
	};
	return 0;
}

static int map_fd(const struct session_maps *m, enum session_map_id map)
{
	switch (map) {
	case SESSION_MAP_STREAMS:
		return m->streams_fd;
	case SESSION_MAP_STATS:
		return m->stats_fd;
	case SESSION_MAP_RTP:
		return m->rtp_fd;
	}
	return -1;
}

int session_maps_update(struct session_maps *m, enum session_map_id map,
			const struct sluice_stream_key *key, const struct sluice_stream *value,
			unsigned flags)
{
	__u64 bpf_flags = flags & SESSION_MAP_KEEP_EXISTING ? BPF_NOEXIST : BPF_ANY;
	struct sluice_rtp_quality rtp = {0};
	void *zero_stats;
	int r;

	switch (map) {
	case SESSION_MAP_STREAMS:
		return bpf_map_update_elem(m->streams_fd, key, value, BPF_ANY);
	case SESSION_MAP_RTP:
		r = bpf_map_update_elem(m->rtp_fd, key, &rtp, bpf_flags);
		return r == -EEXIST ? 0 : r;
	case SESSION_MAP_STATS:
		zero_stats = calloc(m->n_cpus, sizeof(struct sluice_stream_stats));
		if (!zero_stats)
			return -ENOMEM;
		r = bpf_map_update_elem(m->stats_fd, key, zero_stats, bpf_flags);
		free(zero_stats);
		return r == -EEXIST ? 0 : r;
	}
	return -EINVAL;
}

int session_maps_delete(struct session_maps *m, enum session_map_id map,
			const struct sluice_stream_key *key)
{
	int r = bpf_map_delete_elem(map_fd(m, map), key);

	return r == -ENOENT ? 0 : r;
}

int session_maps_dump_streams(const struct session_maps *m, struct session_map_entry **ret_entries,
			      size_t *ret_n)
{
	struct session_map_entry *entries = NULL, *grown;
	struct sluice_stream_key key, next;
	size_t n = 0, capacity = 0;
	const void *prev = NULL;
	int r;

	while ((r = bpf_map_get_next_key(m->streams_fd, prev, &next)) == 0) {
		key = next;
		prev = &key;
		if (n == capacity) {
			capacity = capacity ? capacity * 2 : 64;
			grown = realloc(entries, capacity * sizeof(*entries));
			if (!grown) {
				r = -ENOMEM;
				goto free_entries;
			}
			entries = grown;
		}
		entries[n].key = key;
		r = bpf_map_lookup_elem(m->streams_fd, &key, &entries[n].value);
		if (r == -ENOENT)
			continue; /* deleted meanwhile */
		if (r < 0)
			goto free_entries;
		n++;
	}
	if (r != -ENOENT)
		goto free_entries;
	*ret_entries = entries;
	*ret_n = n;
	return 0;

free_entries:
	free(entries);
	return r;
}

int session_maps_read_stream(const struct session_maps *m, const struct sluice_stream_key *key,
			     struct sluice_stream *ret)
{
	return bpf_map_lookup_elem(m->streams_fd, key, ret);
}

int session_maps_store_latch(const struct session_maps *m, const struct sluice_stream_key *key,
			     const uint8_t remote_addr[static 16], __be16 remote_port)
{
	struct sluice_stream value;
	int r;

	r = bpf_map_lookup_elem(m->streams_fd, key, &value);
	if (r < 0)
		return r;
	if (value.flags & SLUICE_F_LATCHED)
		return 0;
	memcpy(value.remote_addr, remote_addr, sizeof(value.remote_addr));
	value.remote_port = remote_port;
	value.flags |= SLUICE_F_LATCHED;
	/*
	 * Not atomic with the lookup: BPF_EXIST keeps an entry deleted in between deleted. The
	 * caller makes sure nobody else changes the entry in between (see daemon_store_latch).
	 */
	return bpf_map_update_elem(m->streams_fd, key, &value, BPF_EXIST);
}

int session_maps_read_stats(const struct session_maps *m, const struct sluice_stream_key *key,
			    struct sluice_stream_stats *ret)
{
	struct sluice_stream_stats *per_cpu;
	int r;

	per_cpu = calloc(m->n_cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	r = bpf_map_lookup_elem(m->stats_fd, key, per_cpu);
	if (r < 0)
		goto free_per_cpu;
	stats_sum_stream_percpu(per_cpu, m->n_cpus, ret);
free_per_cpu:
	free(per_cpu);
	return r;
}

int session_maps_read_rtp(const struct session_maps *m, const struct sluice_stream_key *key,
			  struct sluice_rtp_quality *ret)
{
	struct sluice_rtp_quality rtp;
	int r;

	r = bpf_map_lookup_elem_flags(m->rtp_fd, key, &rtp, BPF_F_LOCK);
	if (r < 0)
		return r;
	*ret = rtp;
	return 0;
}

int session_maps_read_global(const struct session_maps *m, struct sluice_global_stats *ret)
{
	struct sluice_global_stats *per_cpu;
	__u32 zero = 0;
	int r;

	per_cpu = calloc(m->n_cpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	r = bpf_map_lookup_elem(m->global_fd, &zero, per_cpu);
	if (r < 0)
		goto free_per_cpu;
	stats_sum_global_percpu(per_cpu, m->n_cpus, ret);
free_per_cpu:
	free(per_cpu);
	return r;
}
