/* SPDX-License-Identifier: MIT */
/*
 * What sluicectl's admin and stats commands share: connecting to a daemon's UNIX socket with
 * send and receive timeouts, and the one way it reports a failure.
 */
#ifndef SLUICE_TOOLS_CTL_SOCKET_H
#define SLUICE_TOOLS_CTL_SOCKET_H

/* Connects a stream socket to path with SO_RCVTIMEO/SO_SNDTIMEO of timeout_sec. 0 or -errno. */
int ctl_socket_connect(const char *path, int timeout_sec, int *ret_fd);

/* Prints "sluicectl: <message>" to stderr and returns EXIT_FAILURE. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
