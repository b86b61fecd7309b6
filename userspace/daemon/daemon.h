/* SPDX-License-Identifier: MIT */
/*
 * sluiced's life cycle: start (load or adopt the BPF state, rebuild the session table, bind
 * media sockets, attach XDP, open the admin socket), run (the main thread's epoll loop: signals
 * and admin requests) and stop. A clean stop (SIGTERM/SIGINT) detaches XDP and removes the pins
 * and the admin socket; a crash leaves the fast path running for the next start to adopt.
 */
#ifndef SLUICE_DAEMON_DAEMON_H
#define SLUICE_DAEMON_DAEMON_H

#include "daemon/config.h"

/* Start, serve until SIGTERM/SIGINT, stop. Returns 0 or a negative errno (already logged). */
int daemon_main(const struct sluice_config *config);

#endif
