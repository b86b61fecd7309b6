/* SPDX-License-Identifier: MIT */
/*
 * sluiced's configuration: the embedded defaults and the parser of the `key = value` file
 * (docs/configuration.md). The parser reads from any FILE* under a given name so that tests can
 * feed it buffers; it never logs, it returns -EINVAL and a "FILE:LINE: reason" message.
 */
#ifndef SLUICE_DAEMON_CONFIG_H
#define SLUICE_DAEMON_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

#define CONFIG_MAX_INTERFACES	64
#define CONFIG_MAX_LINE		1024
#define CONFIG_MAX_SESSIONS_MAX (1u << 20)
#define CONFIG_PATH_MAX		256
/* sizeof(struct sockaddr_un.sun_path) */
#define CONFIG_SOCKET_PATH_MAX 108
#define CONFIG_ERROR_MAX       512

#define CONFIG_DEFAULT_PIN_PATH	    "/sys/fs/bpf/sluice"
#define CONFIG_DEFAULT_ADMIN_SOCKET "/run/sluice/admin.sock"

enum xdp_mode {
	XDP_MODE_NATIVE,
	XDP_MODE_GENERIC,
};

struct sluice_config {
	bool interfaces_auto; /* every up, non-loopback interface with an IP address */
	unsigned n_interfaces;
	char interfaces[CONFIG_MAX_INTERFACES][IF_NAMESIZE];
	enum xdp_mode xdp_mode;
	uint16_t port_min;
	uint16_t port_max;
	uint32_t max_sessions;
	bool strict_source; /* default for new sessions */
	char pin_path[CONFIG_PATH_MAX];
	char admin_socket[CONFIG_SOCKET_PATH_MAX];
	enum log_level log_level;
};

/* The embedded defaults (DESIGN.md). */
void config_init_defaults(struct sluice_config *ret);

/*
 * Parse a configuration from f, named filename in messages, on top of the defaults. Returns 0,
 * or -EINVAL with "FILE:LINE: reason" in ret_error (error_len bytes); ret untouched on failure.
 */
int config_parse(FILE *f, const char *filename, struct sluice_config *ret, char *ret_error,
		 size_t error_len);

/* config_parse() of the file at path; a file that cannot be read is "PATH: reason". */
int config_load(const char *path, struct sluice_config *ret, char *ret_error, size_t error_len);

#endif
