/* SPDX-License-Identifier: MIT */
/*
 * The control plane in sluiced: FIPS mode, the ng command layer (userspace/control/ng_commands.h)
 * on a backend made of the session table, and the ng transport (ctl_server: UDP on loopback or an
 * allow-list, MTLS) whose thread runs the commands. The ng thread and the admin socket (main
 * thread) share the session table under session_table_lock(): each ng request runs whole under
 * it, as each admin request does, so the two never interleave.
 */
#ifndef SLUICE_DAEMON_CONTROL_H
#define SLUICE_DAEMON_CONTROL_H

#include "daemon/config.h"
#include "datapath/media_sockets.h"
#include "session/session_maps.h"
#include "session/session_table.h"

struct control;

/*
 * With fips = yes: the OpenSSL FIPS provider for all of the process's crypto. Call before any
 * other crypto. Returns 0 (also with fips = no) or a negative errno, logged with the reason.
 */
int control_enable_fips(const struct sluice_config *config);

/*
 * Builds the ng layer and starts the listeners configured (none: *ret is NULL, returns 0).
 * Returns 0 or a negative errno, logged.
 */
int control_start(const struct sluice_config *config, struct session_table *table,
		  struct session_maps *maps, struct media_sockets *media, struct control **ret);

/* SIGHUP: re-reads the TLS certificate, key and CA; logs the result. NULL is fine. */
void control_reload(struct control *c);

/* Stops the control thread and frees the ng layer; the sessions stay in the table. NULL is fine. */
void control_stop(struct control *c);

#endif
