/* SPDX-License-Identifier: MIT */
/*
 * The maps of the relay program. All are pinned by name under the daemon's pin root so that
 * a restarted daemon (or a replaced program) keeps the fast path's state.
 */
#ifndef SLUICE_BPF_MAPS_H
#define SLUICE_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <sluice/relay.h>

/* Streams by relay address and port. Daemon writes; the latch: XDP (plain), worker (SRTP). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_MAX_STREAMS);
	__type(key, struct sluice_stream_key);
	__type(value, struct sluice_stream);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_streams SEC(".maps");

/* Per-CPU packet, byte and drop counters of each stream. XDP writes; daemon creates/deletes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SLUICE_MAX_STREAMS);
	__type(key, struct sluice_stream_key);
	__type(value, struct sluice_stream_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_stream_stats SEC(".maps");

/* RFC 3550 loss and jitter state of each RTP stream. XDP writes under the lock; daemon creates. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_MAX_STREAMS);
	__type(key, struct sluice_stream_key);
	__type(value, struct sluice_rtp_quality);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_stream_rtp SEC(".maps");

/* Verdict and drop counters of the whole program, one per-CPU entry. XDP writes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_global_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sluice_global_stats SEC(".maps");

/*
 * AF_XDP (issue 7). Not pinned: they name the running daemon's sockets and port handles, which
 * die with it. sluice_xsks is indexed by device slot * SLUICE_XSK_MAX_QUEUES + queue.
 */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SLUICE_XSK_MAX_IFACES * SLUICE_XSK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} sluice_xsks SEC(".maps");

/* Device slot (index into sluice_xsks) by ifindex, for the devices that have AF_XDP sockets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_XSK_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} sluice_xsk_ifslots SEC(".maps");

/* Streams whose worker has AF_XDP sockets: their port handle and worker. Daemon writes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_MAX_STREAMS);
	__type(key, struct sluice_stream_key);
	__type(value, struct sluice_xsk_port);
} sluice_xsk_ports SEC(".maps");

#endif /* SLUICE_BPF_MAPS_H */
