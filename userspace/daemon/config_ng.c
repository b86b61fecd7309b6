// SPDX-License-Identifier: MIT
/*
 * The control plane's configuration keys: ng listeners, TLS files and subjects, caps, FIPS mode,
 * and the relay's media address per side. Values are checked here as far as one key allows; the
 * rules that involve several keys wait for config_ng_check() at the end of the file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "control/ctl_server.h"
#include "daemon/config_ng.h"

void config_ng_init_defaults(struct config_ng *ret)
{
	*ret = (struct config_ng){.listen = CONFIG_NG_DEFAULT_LISTEN};
}

int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static const char *set_listen(char *dst, const char *value)
{
	struct endpoint ep;

	if (*value && endpoint_parse(value, false, &ep) < 0)
		return "bad listen address: expected ADDR:PORT or [IPV6]:PORT (empty: off)";
	if (strlen(value) >= CONFIG_NG_ADDR_MAX)
		return "bad listen address: too long";
	snprintf(dst, CONFIG_NG_ADDR_MAX, "%s", value);
	return NULL;
}

static const char *set_file(char *dst, const char *value)
{
	if (value[0] != '/')
		return "bad path: must be absolute";
	if (strlen(value) >= CONFIG_NG_FILE_MAX)
		return "bad path: too long";
	snprintf(dst, CONFIG_NG_FILE_MAX, "%s", value);
	return NULL;
}

static const char *set_udp_allow(struct config_ng *ng, const char *value)
{
	char copy[CONFIG_NG_MAX_ALLOW * CONFIG_NG_CIDR_MAX];
	char *save = NULL;
	unsigned n = 0;

	if (strlen(value) >= sizeof(copy))
		return "bad ng_udp_allow: too long";
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		struct ctl_cidr cidr;

		if (n == CONFIG_NG_MAX_ALLOW)
			return "bad ng_udp_allow: more than 32 CIDRs";
		if (strlen(w) >= CONFIG_NG_CIDR_MAX || ctl_cidr_parse(w, &cidr) < 0)
			return "bad ng_udp_allow: expected CIDRs like 192.0.2.10/32 or "
			       "2001:db8:5::/64, host bits zero";
		snprintf(ng->udp_allow[n++], CONFIG_NG_CIDR_MAX, "%s", w);
	}
	ng->n_udp_allow = n;
	return NULL;
}

static const char *set_subjects(struct config_ng *ng, const char *value)
{
	char copy[1024];
	char *save = NULL;
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", value);
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == CONFIG_NG_MAX_SUBJECTS)
			return "bad ng_tls_allowed_subjects: more than 32 subjects";
		if (strlen(w) >= CONFIG_NG_SUBJECT_MAX)
			return "bad ng_tls_allowed_subjects: subject too long";
		snprintf(ng->subjects[n++], CONFIG_NG_SUBJECT_MAX, "%s", w);
	}
	ng->n_subjects = n;
	return NULL;
}

/* "198.18.1.1", "2001:db8:1::1", or one of each, space-separated. */
static const char *set_media_addrs(struct config_ng *ng, unsigned side, const char *value)
{
	char copy[256];
	char *save = NULL;
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", value);
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		struct endpoint ep = {0};

		if (strchr(w, ':')) {
			ep.family = AF_INET6;
			if (inet_pton(AF_INET6, w, &ep.addr.v6) != 1)
				return "bad address: expected an IPv4 and/or an IPv6 address";
			if (IN6_IS_ADDR_UNSPECIFIED(&ep.addr.v6) ||
			    IN6_IS_ADDR_LINKLOCAL(&ep.addr.v6))
				return "bad address: IPv6 must not be unspecified or link-local";
		} else {
			ep.family = AF_INET;
			if (inet_pton(AF_INET, w, &ep.addr.v4) != 1)
				return "bad address: expected an IPv4 and/or an IPv6 address";
			if (ep.addr.v4.s_addr == htonl(INADDR_ANY))
				return "bad address: must not be 0.0.0.0";
		}
		for (unsigned i = 0; i < n; i++)
			if (ng->media_addrs[side][i].family == ep.family)
				return "bad address: at most one IPv4 and one IPv6 address";
		if (n == CONFIG_NG_MAX_MEDIA_ADDRS)
			return "bad address: at most one IPv4 and one IPv6 address";
		ng->media_addrs[side][n++] = ep;
	}
	if (n == 0)
		return "bad address: expected an IPv4 and/or an IPv6 address";
	ng->n_media_addrs[side] = n;
	return NULL;
}

static int parse_yes_no(const char *s, bool *ret)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "1"))
		*ret = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "0"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

struct ng_number_key {
	const char *name;
	unsigned long min, max;
	size_t offset; /* of an unsigned / uint32_t field */
	const char *reason;
};

static const struct ng_number_key number_keys[] = {
    {"ng_max_calls", 1, 1u << 20, offsetof(struct config_ng, max_calls),
     "bad number: ng_max_calls must be 1..1048576"},
    {"ng_max_connections", 1, 4096, offsetof(struct config_ng, max_connections),
     "bad number: ng_max_connections must be 1..4096"},
    {"ng_max_handshakes_per_peer", 1, 4096, offsetof(struct config_ng, max_handshakes_per_peer),
     "bad number: ng_max_handshakes_per_peer must be 1..4096"},
    {"ng_max_message", 256, 1u << 20, offsetof(struct config_ng, max_message),
     "bad number: ng_max_message must be 256..1048576 bytes"},
    {"ng_handshake_timeout", 100, 600000, offsetof(struct config_ng, handshake_timeout_ms),
     "bad number: ng_handshake_timeout must be 100..600000 ms"},
    {"ng_idle_timeout", 1000, 86400000, offsetof(struct config_ng, idle_timeout_ms),
     "bad number: ng_idle_timeout must be 1000..86400000 ms"},
};

int config_ng_set(struct config_ng *ng, const char *key, const char *value, const char **ret_reason)
{
	const char *reason = NULL;

	if (!strcmp(key, "ng_listen")) {
		reason = set_listen(ng->listen, value);
	} else if (!strcmp(key, "ng_tls_listen")) {
		reason = set_listen(ng->tls_listen, value);
		ng->tls_listen_set = true;
	} else if (!strcmp(key, "ng_udp_allow")) {
		reason = set_udp_allow(ng, value);
	} else if (!strcmp(key, "ng_tls_cert")) {
		reason = set_file(ng->tls_cert, value);
	} else if (!strcmp(key, "ng_tls_key")) {
		reason = set_file(ng->tls_key, value);
	} else if (!strcmp(key, "ng_tls_ca")) {
		reason = set_file(ng->tls_ca, value);
	} else if (!strcmp(key, "ng_tls_allowed_subjects")) {
		reason = set_subjects(ng, value);
	} else if (!strcmp(key, "fips")) {
		if (parse_yes_no(value, &ng->fips) < 0)
			reason = "bad boolean: expected 'yes' or 'no'";
	} else if (!strcmp(key, "internal_address")) {
		reason = set_media_addrs(ng, 0, value);
	} else if (!strcmp(key, "gateway_address")) {
		reason = set_media_addrs(ng, 1, value);
	} else {
		for (size_t i = 0; i < sizeof(number_keys) / sizeof(number_keys[0]); i++) {
			const struct ng_number_key *k = &number_keys[i];
			unsigned long v;

			if (strcmp(key, k->name) != 0)
				continue;
			if (config_parse_uint(value, k->min, k->max, &v) < 0)
				reason = k->reason;
			else
				*(unsigned *)((char *)ng + k->offset) = (unsigned)v;
			goto done;
		}
		return 1;
	}
done:
	if (reason) {
		*ret_reason = reason;
		return -EINVAL;
	}
	return 0;
}

static bool listen_is_loopback(const char *spec)
{
	struct endpoint ep;

	return endpoint_parse(spec, false, &ep) == 0 && ctl_addr_is_loopback(&ep);
}

const char *config_ng_tls_listen(const struct config_ng *ng)
{
	if (ng->tls_listen_set)
		return ng->tls_listen[0] ? ng->tls_listen : NULL;
	if (ng->tls_cert[0] && ng->tls_key[0] && ng->tls_ca[0])
		return CONFIG_NG_DEFAULT_TLS;
	return NULL;
}

int config_ng_check(const struct config_ng *ng, char *reason, size_t reason_len,
		    const char **ret_key)
{
	static const char *const file_keys[] = {"ng_tls_cert", "ng_tls_key", "ng_tls_ca"};
	const char *files[] = {ng->tls_cert, ng->tls_key, ng->tls_ca};
	const char *given = NULL;
	bool tls_on = ng->tls_listen_set ? ng->tls_listen[0] != '\0' : false;

	for (unsigned i = 0; i < 3; i++)
		if (files[i][0] && !given)
			given = file_keys[i];
	/* A TLS listener asked for, or some of its files given: all three are needed. */
	if (tls_on || (given && !(ng->tls_listen_set && !ng->tls_listen[0]))) {
		for (unsigned i = 0; i < 3; i++) {
			if (files[i][0])
				continue;
			snprintf(reason, reason_len,
				 "the ng TLS listener needs ng_tls_cert, ng_tls_key and ng_tls_ca: "
				 "%s is not set (or set 'ng_tls_listen =' to turn TLS off)",
				 file_keys[i]);
			*ret_key = tls_on ? "ng_tls_listen" : given;
			return -EINVAL;
		}
	}
	if (ng->listen[0] && ng->n_udp_allow == 0 && !listen_is_loopback(ng->listen)) {
		snprintf(reason, reason_len,
			 "ng_listen %s: plain ng over UDP only on loopback or an explicit "
			 "allow-list (set ng_udp_allow, or use the TLS listener)",
			 ng->listen);
		*ret_key = "ng_listen";
		return -EINVAL;
	}
	return 0;
}
