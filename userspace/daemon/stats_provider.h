/* SPDX-License-Identifier: MIT */
/*
 * sluiced's side of the stats socket (docs/stats.md): the struct stats_provider that turns the
 * session table, the BPF maps and the io_uring workers' counters into stats snapshots, and the
 * stats server (UNIX socket, optional HTTP /metrics) it feeds. The provider runs on the stats
 * server's thread; it reads the session table only under session_table_lock() and never waits
 * on the packet path.
 *
 * The ng control plane registers its counters (requests by command and result, TLS handshake
 * refusals) with stats_provider_set_control_source(); until then they are zero.
 */
#ifndef SLUICE_DAEMON_STATS_PROVIDER_H
#define SLUICE_DAEMON_STATS_PROVIDER_H

#include <stdint.h>

#include "daemon/config.h"
#include "datapath/media_sockets.h"
#include "session/session_maps.h"
#include "session/session_table.h"
#include "stats/stats_snapshot.h"

/* What the control plane counts, indexed like the snapshot (stats/stats_snapshot.h). */
struct stats_control_counters {
	/* [enum ng_command (0: unknown)][STATS_CTL_OK or STATS_CTL_ERROR] */
	uint64_t requests[STATS_CTL_CMD_MAX][STATS_CTL_RESULT__MAX];
	/* [enum tls_refusal] */
	uint64_t tls_handshake_failures[STATS_TLS_REFUSAL_MAX];
};

/*
 * Fills *ret (zeroed by the caller) with cumulative counters. Called on the stats thread, with a
 * registration mutex held: keep it to atomic loads.
 */
typedef void (*stats_control_source_fn)(void *opaque, struct stats_control_counters *ret);

/*
 * Registers (fn non-NULL) or removes (fn NULL) the control plane's counters; one source at a
 * time, from any thread, before or after the stats server starts. Once a removal returns, fn is
 * not running and will not be called again.
 */
void stats_provider_set_control_source(stats_control_source_fn fn, void *opaque);

struct daemon_stats;

/*
 * Opens the stats socket and the HTTP listener as configured and starts the stats thread. Logs
 * what went wrong. With neither a socket nor a listener configured, *ret is NULL and 0 returned.
 */
int daemon_stats_start(const struct sluice_config *config, struct session_table *table,
		       struct session_maps *maps, struct media_sockets *media,
		       struct daemon_stats **ret);
/* Stops the thread, closes the listeners, removes the socket file. Accepts NULL. */
void daemon_stats_stop(struct daemon_stats *stats);

#endif
