/* SPDX-License-Identifier: MIT */
/*
 * The plain alternative to the io_uring worker, with the same handler, limits, counters and port
 * hand-off: one thread, epoll over the sockets, recvmmsg and sendmmsg in batches. It exists so
 * the benchmark (bench_datapath.c, docs/datapath.md) shows whether io_uring pays.
 */
#ifndef SLUICE_DATAPATH_MMSG_RELAY_H
#define SLUICE_DATAPATH_MMSG_RELAY_H

#include "datapath/worker.h"

struct dp_mmsg_relay;

/* limits->buf_count is ignored beyond the batch of DP_MMSG_BATCH buffers; ring_mode too. */
#define DP_MMSG_BATCH 64

int dp_mmsg_relay_new(const struct dp_limits *limits, dp_handler_fn handler,
		      struct dp_mmsg_relay **ret_relay);
int dp_mmsg_relay_start(struct dp_mmsg_relay *r);
void dp_mmsg_relay_stop(struct dp_mmsg_relay *r);
void dp_mmsg_relay_free(struct dp_mmsg_relay *r);
int dp_mmsg_relay_add_port(struct dp_mmsg_relay *r, int fd, void *port_ctx, dp_port_id *ret_port);
int dp_mmsg_relay_remove_port(struct dp_mmsg_relay *r, dp_port_id port, dp_removed_fn removed,
			      void *arg);
const struct dp_counters *dp_mmsg_relay_counters(const struct dp_mmsg_relay *r);
uint64_t dp_mmsg_relay_thread_cpu_ns(const struct dp_mmsg_relay *r);

#endif
