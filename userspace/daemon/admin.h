/* SPDX-License-Identifier: MIT */
/*
 * The admin socket server: a UNIX stream socket (mode 0600) where each connection sends one
 * request line and gets one reply line, then is closed. Capped: ADMIN_MAX_CLIENTS concurrent
 * connections, ADMIN_MAX_REQUEST bytes per request, ADMIN_CLIENT_TIMEOUT_MS per connection.
 * It runs from the main thread's epoll loop through one pollable fd (admin_fd()).
 */
#ifndef SLUICE_DAEMON_ADMIN_H
#define SLUICE_DAEMON_ADMIN_H

#include "daemon/json.h"

#define ADMIN_MAX_CLIENTS	16
#define ADMIN_MAX_REQUEST	4096
#define ADMIN_CLIENT_TIMEOUT_MS 5000

/* Handle one request line (no newline); write the reply object into reply. */
typedef void (*admin_handler_fn)(void *userdata, const char *request, struct json *reply);

struct admin;

/* -EADDRINUSE if a daemon answers on path already; a stale socket file is removed. */
int admin_check_not_running(const char *path);
int admin_new(const char *path, admin_handler_fn handler, void *userdata, struct admin **ret);
/* Closes every connection and removes the socket file. */
struct admin *admin_free(struct admin *a);

/* Readable when there is work for admin_process(). */
int admin_fd(const struct admin *a);
/* Accept, read, answer and write without blocking; expire slow clients. */
void admin_process(struct admin *a);

#endif
