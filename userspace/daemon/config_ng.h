/* SPDX-License-Identifier: MIT */
/*
 * The control plane's configuration keys (docs/configuration.md, "Control plane"): the ng
 * listeners (UDP on loopback or an allow-list, MTLS), their caps, FIPS mode, the ng layer's call
 * cap and the relay's media address on each side. config.c dispatches these keys here; the
 * cross-key rules (a TLS listener needs its three files, a plain UDP listener off loopback needs an
 * allow-list) are checked once the whole file is read.
 */
#ifndef SLUICE_DAEMON_CONFIG_NG_H
#define SLUICE_DAEMON_CONFIG_NG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define CONFIG_NG_ADDR_MAX	  64  /* "ADDR:PORT" / "[V6]:PORT" */
#define CONFIG_NG_FILE_MAX	  256 /* certificate, key, CA paths */
#define CONFIG_NG_MAX_ALLOW	  32  /* ng_udp_allow CIDRs */
#define CONFIG_NG_CIDR_MAX	  64
#define CONFIG_NG_MAX_SUBJECTS	  32 /* ng_tls_allowed_subjects */
#define CONFIG_NG_SUBJECT_MAX	  256
#define CONFIG_NG_DEFAULT_LISTEN  "127.0.0.1:2223"
#define CONFIG_NG_DEFAULT_TLS	  "127.0.0.1:2224"
#define CONFIG_NG_MAX_MEDIA_ADDRS 2 /* one IPv4 and one IPv6 per side */

struct config_ng {
	char listen[CONFIG_NG_ADDR_MAX]; /* ng over UDP; "" off */
	unsigned n_udp_allow;
	char udp_allow[CONFIG_NG_MAX_ALLOW][CONFIG_NG_CIDR_MAX];
	/*
	 * ng over TLS: "" off. Unset (tls_listen_set false) it is CONFIG_NG_DEFAULT_TLS when the
	 * three files are configured, off otherwise.
	 */
	char tls_listen[CONFIG_NG_ADDR_MAX];
	bool tls_listen_set;
	char tls_cert[CONFIG_NG_FILE_MAX];
	char tls_key[CONFIG_NG_FILE_MAX];
	char tls_ca[CONFIG_NG_FILE_MAX];
	unsigned n_subjects;
	char subjects[CONFIG_NG_MAX_SUBJECTS][CONFIG_NG_SUBJECT_MAX];
	uint32_t max_calls; /* 0: max_sessions */
	/* ctl_server caps; 0: its defaults */
	unsigned max_connections;
	unsigned max_handshakes_per_peer;
	uint32_t max_message;
	unsigned handshake_timeout_ms;
	unsigned idle_timeout_ms;
	bool fips;
	/* The relay's media address per side (by enum sluice_leg); 0 addresses: from interfaces. */
	unsigned n_media_addrs[2];
	struct endpoint media_addrs[2][CONFIG_NG_MAX_MEDIA_ADDRS];
};

void config_ng_init_defaults(struct config_ng *ret);

/*
 * Sets key from value; returns 1 when key is not an ng key, 0 when set, or -EINVAL with
 * *ret_reason. An empty value (which config.c allows for ng_listen, ng_tls_listen,
 * ng_udp_allow, ng_tls_allowed_subjects) means "off" or "none".
 */
int config_ng_set(struct config_ng *ng, const char *key, const char *value,
		  const char **ret_reason);

/*
 * The rules across keys, once the file is read. Returns 0, or -EINVAL with the reason (reason_len
 * bytes) and the key whose line the error names in *ret_key.
 */
int config_ng_check(const struct config_ng *ng, char *reason, size_t reason_len,
		    const char **ret_key);

/* The TLS listener in effect: tls_listen, the default, or NULL (off). */
const char *config_ng_tls_listen(const struct config_ng *ng);

/*
 * A decimal number in min..max, the whole of s (digits only: no sign, no spaces). 0, -EINVAL when s
 * does not start with a digit, -ERANGE otherwise. Every numeric key of the configuration uses it.
 */
int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret);

#endif
