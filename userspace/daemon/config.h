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
#include "daemon/config_ng.h"

#define CONFIG_MAX_INTERFACES	64
#define CONFIG_MAX_LINE		1024
#define CONFIG_MAX_SESSIONS_MAX (1u << 20)
#define CONFIG_PATH_MAX		256
/* sizeof(struct sockaddr_un.sun_path) */
#define CONFIG_SOCKET_PATH_MAX 108
#define CONFIG_ERROR_MAX       512

#define CONFIG_GROUP_MAX	     64
#define CONFIG_LISTEN_MAX	     64
#define CONFIG_STATS_SOCKET_NAME     "stats.sock"
#define CONFIG_STATS_MAX_CLIENTS_MAX 4096

#define CONFIG_DEFAULT_PIN_PATH	    "/sys/fs/bpf/sluice"
#define CONFIG_DEFAULT_ADMIN_SOCKET "/run/sluice/admin.sock"
#define CONFIG_DEFAULT_STATS_SOCKET "/run/sluice/stats.sock"

enum xdp_mode {
	XDP_MODE_NATIVE,
	XDP_MODE_GENERIC,
};

/* SRTP on the internal leg (docs/configuration.md). */
enum encryption_level {
	ENCRYPTION_REQUIRE, /* a session whose internal leg is plain RTP is refused */
	ENCRYPTION_SUPPORT, /* SRTP when asked for, plain RTP otherwise */
	ENCRYPTION_NONE,    /* SRTP on the internal leg is refused */
};

/* SRTP on the gateway leg; without gateway_tls it behaves as NOT_SUPPORTED. */
enum gateway_srtp_mode {
	GATEWAY_SRTP_REQUIRED,
	GATEWAY_SRTP_OPTIONAL,
	GATEWAY_SRTP_NOT_SUPPORTED,
};

#define CONFIG_MAX_WORKERS 256
#define CONFIG_MAX_CPU	   1023 /* worker_cpus: CPU_SETSIZE - 1 */

/* AF_XDP sockets for the crypto legs (docs/datapath.md). */
enum config_af_xdp {
	CONFIG_AF_XDP_AUTO = 0, /* where a worker can bind its queue; UDP sockets elsewhere */
	CONFIG_AF_XDP_YES = 1,	/* every worker, or sluiced does not start */
	CONFIG_AF_XDP_NO = 2,	/* UDP sockets only */
};
const char *config_af_xdp_name(unsigned v);

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
	enum encryption_level encryption_level;
	enum gateway_srtp_mode gateway_srtp_mode;
	bool gateway_tls;	  /* the trunk's signalling is TLS with a trusted certificate */
	unsigned srtp_engine;	  /* enum sluice_srtp_engine */
	unsigned workers;	  /* io_uring workers; 0: one per CPU */
	unsigned af_xdp;	  /* enum config_af_xdp */
	unsigned worker_priority; /* 1..99: the workers run SCHED_FIFO at it; 0: normal policy */
	unsigned n_worker_cpus;	  /* worker i runs on worker_cpus[i % n]; 0: not pinned */
	uint16_t worker_cpus[CONFIG_MAX_WORKERS];
	struct config_ng ng;	  /* control plane: ng_*, fips, internal/gateway_address */

	/* The stats socket and /metrics (docs/stats.md). */
	char stats_socket[CONFIG_SOCKET_PATH_MAX]; /* "": none; default stats.sock beside admin */
	char stats_socket_group[CONFIG_GROUP_MAX]; /* "": the daemon's group */
	unsigned stats_socket_mode;
	char stats_http_listen[CONFIG_LISTEN_MAX]; /* "ADDR:PORT", "": no HTTP endpoint */
	unsigned stats_max_clients;
	unsigned stats_per_session_metrics; /* enum stats_per_session: 0 auto, 1 yes, 2 no */
};

const char *config_encryption_level_name(enum encryption_level level);
const char *config_gateway_srtp_mode_name(enum gateway_srtp_mode mode);
/* The gateway's SRTP mode in effect: gateway_srtp_mode, or not_supported without gateway_tls. */
enum gateway_srtp_mode config_gateway_srtp_effective(const struct sluice_config *config);

/*
 * The SRTP policy for a new session: may its internal and gateway legs be SRTP (true) or plain?
 * Returns 0, or -EPERM with a reason naming the policy in ret_error.
 */
int config_check_srtp_policy(const struct sluice_config *config, bool internal_srtp,
			     bool gateway_srtp, char *ret_error, size_t error_len);

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
