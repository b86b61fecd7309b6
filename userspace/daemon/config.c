// SPDX-License-Identifier: MIT
/*
 * The configuration file parser: one `key = value` per line, `#` comment lines and blank lines.
 * Every key may appear once; unknown keys, bad values and an inverted port range are errors that
 * name the file and line. The result is only handed out when the whole file is valid.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "daemon/config.h"

struct config_key {
	const char *name;
	/* Returns NULL or a reason why value is bad. */
	const char *(*set)(struct sluice_config *config, const char *value);
	bool allow_empty; /* an empty value is accepted (it means "off") */
};

void config_init_defaults(struct sluice_config *ret)
{
	*ret = (struct sluice_config){
	    .interfaces_auto = true,
	    .xdp_mode = XDP_MODE_NATIVE,
	    .port_min = 30000,
	    .port_max = 39999,
	    .max_sessions = 16384,
	    .strict_source = true,
	    .pin_path = CONFIG_DEFAULT_PIN_PATH,
	    .admin_socket = CONFIG_DEFAULT_ADMIN_SOCKET,
	    .log_level = LOG_LEVEL_INFO,
	    .encryption_level = ENCRYPTION_REQUIRE,
	    .gateway_srtp_mode = GATEWAY_SRTP_OPTIONAL,
	    .gateway_tls = false,
	    .srtp_engine = 0, /* SLUICE_SRTP_OPENSSL */
	    .workers = 0,
	    .stats_socket = CONFIG_DEFAULT_STATS_SOCKET,
	    .stats_socket_mode = 0660,
	    .stats_max_clients = 16,
	    .stats_per_session_metrics = 0, /* STATS_PER_SESSION_AUTO */
	};
	config_ng_init_defaults(&ret->ng);
}

static const char *set_interfaces(struct sluice_config *config, const char *value)
{
	char copy[CONFIG_MAX_LINE];
	char *save = NULL;
	unsigned n = 0;

	if (strcmp(value, "auto") == 0) {
		config->interfaces_auto = true;
		config->n_interfaces = 0;
		return NULL;
	}
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *name = strtok_r(copy, " \t", &save); name; name = strtok_r(NULL, " \t", &save)) {
		if (strcmp(name, "auto") == 0)
			return "bad interface list: 'auto' must stand alone";
		if (strlen(name) >= IF_NAMESIZE || strchr(name, '/') || strchr(name, ':'))
			return "bad interface list: invalid interface name";
		for (unsigned i = 0; i < n; i++)
			if (strcmp(config->interfaces[i], name) == 0)
				return "bad interface list: interface named twice";
		if (n == CONFIG_MAX_INTERFACES)
			return "bad interface list: too many interfaces";
		snprintf(config->interfaces[n++], IF_NAMESIZE, "%s", name);
	}
	if (n == 0)
		return "bad interface list: empty";
	config->interfaces_auto = false;
	config->n_interfaces = n;
	return NULL;
}

static const char *set_xdp_mode(struct sluice_config *config, const char *value)
{
	if (strcmp(value, "native") == 0)
		config->xdp_mode = XDP_MODE_NATIVE;
	else if (strcmp(value, "generic") == 0)
		config->xdp_mode = XDP_MODE_GENERIC;
	else
		return "bad xdp_mode: expected 'native' or 'generic'";
	return NULL;
}

static const char *set_port(uint16_t *port, const char *value)
{
	unsigned long v;

	if (config_parse_uint(value, 1, 65535, &v) < 0)
		return "bad port number: expected 1..65535";
	*port = (uint16_t)v;
	return NULL;
}

static const char *set_port_min(struct sluice_config *config, const char *value)
{
	return set_port(&config->port_min, value);
}

static const char *set_port_max(struct sluice_config *config, const char *value)
{
	return set_port(&config->port_max, value);
}

static const char *set_max_sessions(struct sluice_config *config, const char *value)
{
	unsigned long v;

	if (config_parse_uint(value, 1, CONFIG_MAX_SESSIONS_MAX, &v) < 0)
		return "bad number: max_sessions must be 1..1048576";
	config->max_sessions = (uint32_t)v;
	return NULL;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *set_strict_source(struct sluice_config *config, const char *value)
{
	if (parse_bool(value, &config->strict_source) < 0)
		return "bad boolean: expected 'yes' or 'no'";
	return NULL;
}

static const char *set_path(char *path, size_t size, const char *value)
{
	if (value[0] != '/')
		return "bad path: must be absolute";
	if (strlen(value) >= size)
		return "bad path: too long";
	snprintf(path, size, "%s", value);
	return NULL;
}

static const char *set_pin_path(struct sluice_config *config, const char *value)
{
	return set_path(config->pin_path, sizeof(config->pin_path), value);
}

static const char *set_admin_socket(struct sluice_config *config, const char *value)
{
	return set_path(config->admin_socket, sizeof(config->admin_socket), value);
}

static const char *set_log_level(struct sluice_config *config, const char *value)
{
	if (log_level_from_string(value, &config->log_level) < 0)
		return "bad log_level: expected 'error', 'warning', 'info' or 'debug'";
	return NULL;
}

static const char *const encryption_level_names[] = {
    [ENCRYPTION_REQUIRE] = "require",
    [ENCRYPTION_SUPPORT] = "support",
    [ENCRYPTION_NONE] = "none",
};

static const char *const gateway_srtp_mode_names[] = {
    [GATEWAY_SRTP_REQUIRED] = "required",
    [GATEWAY_SRTP_OPTIONAL] = "optional",
    [GATEWAY_SRTP_NOT_SUPPORTED] = "not_supported",
};

const char *config_encryption_level_name(enum encryption_level level)
{
	return encryption_level_names[level];
}

const char *config_gateway_srtp_mode_name(enum gateway_srtp_mode mode)
{
	return gateway_srtp_mode_names[mode];
}

static const char *set_encryption_level(struct sluice_config *config, const char *value)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(value, encryption_level_names[i]) == 0) {
			config->encryption_level = (enum encryption_level)i;
			return NULL;
		}
	}
	return "bad encryption_level: expected 'require', 'support' or 'none'";
}

static const char *set_gateway_srtp_mode(struct sluice_config *config, const char *value)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(value, gateway_srtp_mode_names[i]) == 0) {
			config->gateway_srtp_mode = (enum gateway_srtp_mode)i;
			return NULL;
		}
	}
	return "bad gateway_srtp_mode: expected 'required', 'optional' or 'not_supported'";
}

static const char *set_gateway_tls(struct sluice_config *config, const char *value)
{
	if (parse_bool(value, &config->gateway_tls) < 0)
		return "bad boolean: expected 'yes' or 'no'";
	return NULL;
}

static const char *set_srtp_engine(struct sluice_config *config, const char *value)
{
	if (strcmp(value, "openssl") == 0)
		config->srtp_engine = 0;
	else if (strcmp(value, "libsrtp") == 0)
		config->srtp_engine = 1;
	else
		return "bad srtp_engine: expected 'openssl' or 'libsrtp'";
	return NULL;
}

static const char *set_workers(struct sluice_config *config, const char *value)
{
	unsigned long v;

	if (strcmp(value, "auto") == 0) {
		config->workers = 0;
		return NULL;
	}
	if (config_parse_uint(value, 1, CONFIG_MAX_WORKERS, &v) < 0)
		return "bad workers: expected 'auto' or 1..256";
	config->workers = (unsigned)v;
	return NULL;
}

static const char *set_worker_priority(struct sluice_config *config, const char *value)
{
	unsigned long v;

	if (config_parse_uint(value, 0, 99, &v) < 0)
		return "bad worker_priority: expected 0 (normal scheduling) or a SCHED_FIFO "
		       "priority 1..99";
	config->worker_priority = (unsigned)v;
	return NULL;
}

static const char *set_worker_cpus(struct sluice_config *config, const char *value)
{
	char copy[CONFIG_MAX_LINE];
	char *save = NULL;
	unsigned n = 0;

	if (strcmp(value, "none") == 0) {
		config->n_worker_cpus = 0;
		return NULL;
	}
	snprintf(copy, sizeof(copy), "%s", value);
	for (char *cpu = strtok_r(copy, " \t,", &save); cpu; cpu = strtok_r(NULL, " \t,", &save)) {
		unsigned long v;

		if (config_parse_uint(cpu, 0, CONFIG_MAX_CPU, &v) < 0)
			return "bad worker_cpus: expected 'none' or CPU numbers 0..1023";
		if (n == CONFIG_MAX_WORKERS)
			return "bad worker_cpus: more CPUs than the 256 workers there can be";
		config->worker_cpus[n++] = (uint16_t)v;
	}
	if (n == 0)
		return "bad worker_cpus: expected 'none' or CPU numbers 0..1023";
	config->n_worker_cpus = n;
	return NULL;
}

static const char *const af_xdp_names[] = {"auto", "yes", "no"};

const char *config_af_xdp_name(unsigned v)
{
	return v < sizeof(af_xdp_names) / sizeof(af_xdp_names[0]) ? af_xdp_names[v] : "?";
}

static const char *set_af_xdp(struct sluice_config *config, const char *value)
{
	for (unsigned i = 0; i < sizeof(af_xdp_names) / sizeof(af_xdp_names[0]); i++) {
		if (strcmp(value, af_xdp_names[i]) == 0) {
			config->af_xdp = i;
			return NULL;
		}
	}
	return "bad af_xdp: expected 'auto', 'yes' or 'no'";
}

/* ---- the stats socket and /metrics (docs/stats.md) ---- */

static const char *set_stats_socket(struct sluice_config *config, const char *value)
{
	if (strcmp(value, "none") == 0) {
		config->stats_socket[0] = '\0';
		return NULL;
	}
	return set_path(config->stats_socket, sizeof(config->stats_socket), value);
}

static const char *set_stats_socket_group(struct sluice_config *config, const char *value)
{
	if (strlen(value) >= sizeof(config->stats_socket_group) || strpbrk(value, " \t:/"))
		return "bad stats_socket_group: expected a group name";
	snprintf(config->stats_socket_group, sizeof(config->stats_socket_group), "%s", value);
	return NULL;
}

static const char *set_stats_socket_mode(struct sluice_config *config, const char *value)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 8);
	if (value[0] != '0' || errno || *end || v > 0777 || (v & 0600) != 0600)
		return "bad stats_socket_mode: expected an octal mode with owner read and write, "
		       "e.g. 0660";
	config->stats_socket_mode = (unsigned)v;
	return NULL;
}

static const char *set_stats_http_listen(struct sluice_config *config, const char *value)
{
	struct endpoint ep;

	if (*value == '\0' || strcmp(value, "none") == 0) {
		config->stats_http_listen[0] = '\0';
		return NULL;
	}
	if (strlen(value) >= sizeof(config->stats_http_listen) ||
	    endpoint_parse(value, false, &ep) < 0 || ep.port == 0)
		return "bad stats_http_listen: expected ADDR:PORT (e.g. 127.0.0.1:9464) or none";
	snprintf(config->stats_http_listen, sizeof(config->stats_http_listen), "%s", value);
	return NULL;
}

static const char *set_stats_max_clients(struct sluice_config *config, const char *value)
{
	unsigned long v;

	if (config_parse_uint(value, 1, CONFIG_STATS_MAX_CLIENTS_MAX, &v) < 0)
		return "bad stats_max_clients: expected 1..4096";
	config->stats_max_clients = (unsigned)v;
	return NULL;
}

static const char *set_stats_per_session_metrics(struct sluice_config *config, const char *value)
{
	/* The order of enum stats_per_session (stats/stats_render.h). */
	static const char *const names[] = {"auto", "yes", "no"};

	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(value, names[i]) == 0) {
			config->stats_per_session_metrics = i;
			return NULL;
		}
	}
	return "bad stats_per_session_metrics: expected 'auto', 'yes' or 'no'";
}

/*
 * Without a stats_socket line the socket goes beside the admin socket (so a daemon with its own
 * admin_socket gets its own stats socket too). Returns NULL or a reason.
 */
static const char *stats_socket_default(struct sluice_config *config)
{
	const char *slash = strrchr(config->admin_socket, '/');
	size_t dir = slash ? (size_t)(slash - config->admin_socket) : 0;

	if (dir + 1 + strlen(CONFIG_STATS_SOCKET_NAME) >= sizeof(config->stats_socket))
		return "admin_socket's folder is too long for the default stats socket: set "
		       "stats_socket";
	snprintf(config->stats_socket, sizeof(config->stats_socket), "%.*s/%s", (int)dir,
		 config->admin_socket, CONFIG_STATS_SOCKET_NAME);
	return NULL;
}

/* ---- the control plane: ng listeners, FIPS, media addresses (config_ng.c) ---- */

static const char *set_ng(struct sluice_config *config, const char *key, const char *value)
{
	const char *reason = NULL;

	config_ng_set(&config->ng, key, value, &reason);
	return reason;
}

/* One setter per key, all through config_ng_set(). */
#define NG_SETTER(fn, key)                                                                         \
	static const char *fn(struct sluice_config *config, const char *value)                     \
	{                                                                                          \
		return set_ng(config, key, value);                                                 \
	}
NG_SETTER(set_ng_listen, "ng_listen")
NG_SETTER(set_ng_udp_allow, "ng_udp_allow")
NG_SETTER(set_ng_tls_listen, "ng_tls_listen")
NG_SETTER(set_ng_tls_cert, "ng_tls_cert")
NG_SETTER(set_ng_tls_key, "ng_tls_key")
NG_SETTER(set_ng_tls_ca, "ng_tls_ca")
NG_SETTER(set_ng_tls_allowed_subjects, "ng_tls_allowed_subjects")
NG_SETTER(set_ng_max_calls, "ng_max_calls")
NG_SETTER(set_ng_max_connections, "ng_max_connections")
NG_SETTER(set_ng_max_handshakes_per_peer, "ng_max_handshakes_per_peer")
NG_SETTER(set_ng_max_message, "ng_max_message")
NG_SETTER(set_ng_handshake_timeout, "ng_handshake_timeout")
NG_SETTER(set_ng_idle_timeout, "ng_idle_timeout")
NG_SETTER(set_fips, "fips")
NG_SETTER(set_internal_address, "internal_address")
NG_SETTER(set_gateway_address, "gateway_address")

static const struct config_key config_keys[] = {
    {.name = "stats_socket", .set = set_stats_socket},
    {.name = "stats_socket_group", .set = set_stats_socket_group},
    {.name = "stats_socket_mode", .set = set_stats_socket_mode},
    {.name = "stats_http_listen", .set = set_stats_http_listen, .allow_empty = true},
    {.name = "stats_max_clients", .set = set_stats_max_clients},
    {.name = "stats_per_session_metrics", .set = set_stats_per_session_metrics},
    {.name = "encryption_level", .set = set_encryption_level},
    {.name = "gateway_srtp_mode", .set = set_gateway_srtp_mode},
    {.name = "gateway_tls", .set = set_gateway_tls},
    {.name = "srtp_engine", .set = set_srtp_engine},
    {.name = "workers", .set = set_workers},
    {.name = "af_xdp", .set = set_af_xdp},
    {.name = "worker_priority", .set = set_worker_priority},
    {.name = "worker_cpus", .set = set_worker_cpus},
    {.name = "interfaces", .set = set_interfaces},
    {.name = "xdp_mode", .set = set_xdp_mode},
    {.name = "port_min", .set = set_port_min},
    {.name = "port_max", .set = set_port_max},
    {.name = "max_sessions", .set = set_max_sessions},
    {.name = "strict_source", .set = set_strict_source},
    {.name = "pin_path", .set = set_pin_path},
    {.name = "admin_socket", .set = set_admin_socket},
    {.name = "log_level", .set = set_log_level},
    {.name = "ng_listen", .set = set_ng_listen, .allow_empty = true},
    {.name = "ng_udp_allow", .set = set_ng_udp_allow, .allow_empty = true},
    {.name = "ng_tls_listen", .set = set_ng_tls_listen, .allow_empty = true},
    {.name = "ng_tls_cert", .set = set_ng_tls_cert},
    {.name = "ng_tls_key", .set = set_ng_tls_key},
    {.name = "ng_tls_ca", .set = set_ng_tls_ca},
    {.name = "ng_tls_allowed_subjects", .set = set_ng_tls_allowed_subjects, .allow_empty = true},
    {.name = "ng_max_calls", .set = set_ng_max_calls},
    {.name = "ng_max_connections", .set = set_ng_max_connections},
    {.name = "ng_max_handshakes_per_peer", .set = set_ng_max_handshakes_per_peer},
    {.name = "ng_max_message", .set = set_ng_max_message},
    {.name = "ng_handshake_timeout", .set = set_ng_handshake_timeout},
    {.name = "ng_idle_timeout", .set = set_ng_idle_timeout},
    {.name = "fips", .set = set_fips},
    {.name = "internal_address", .set = set_internal_address},
    {.name = "gateway_address", .set = set_gateway_address},
};

#define N_CONFIG_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static char *strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int fail(char *error, size_t len, const char *filename, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(char *error, size_t len, const char *filename, unsigned line, const char *fmt, ...)
{
	char reason[CONFIG_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (error && len > 0)
		snprintf(error, len, "%s:%u: %s", filename, line, reason);
	return -EINVAL;
}

/* Parse one non-blank, non-comment line into config; seen_line records where each key was. */
static int parse_line(char *text, unsigned line, const char *filename, struct sluice_config *config,
		      unsigned seen_line[], char *error, size_t error_len)
{
	char *eq = strchr(text, '=');
	const char *key, *value, *reason;

	if (!eq)
		return fail(error, error_len, filename, line, "missing '=' (expected key = value)");
	*eq = '\0';
	key = strip(text);
	value = strip(eq + 1);
	for (size_t i = 0; i < N_CONFIG_KEYS; i++) {
		if (strcmp(key, config_keys[i].name) != 0)
			continue;
		if (seen_line[i])
			return fail(error, error_len, filename, line,
				    "duplicate key '%s' (first set on line %u)", key, seen_line[i]);
		if (*value == '\0' && !config_keys[i].allow_empty)
			return fail(error, error_len, filename, line, "missing value for '%s'",
				    key);
		reason = config_keys[i].set(config, value);
		if (reason)
			return fail(error, error_len, filename, line, "%s", reason);
		seen_line[i] = line;
		return 0;
	}
	return fail(error, error_len, filename, line, "unknown key '%s'", key);
}

static unsigned key_line(const unsigned seen_line[], const char *name)
{
	for (size_t i = 0; i < N_CONFIG_KEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return seen_line[i];
	return 0;
}

/* The control plane's rules across keys; the error names the line of the key at fault. */
static int config_check_ng(const struct sluice_config *config, const char *filename,
			   const unsigned seen_line[], char *error, size_t error_len)
{
	char reason[CONFIG_ERROR_MAX];
	const char *key = NULL;

	if (config_ng_check(&config->ng, reason, sizeof(reason), &key) == 0)
		return 0;
	return fail(error, error_len, filename, key_line(seen_line, key), "%s", reason);
}

int config_parse(FILE *f, const char *filename, struct sluice_config *ret, char *ret_error,
		 size_t error_len)
{
	unsigned seen_line[N_CONFIG_KEYS] = {0};
	char buf[CONFIG_MAX_LINE + 2];
	struct sluice_config config;
	unsigned line = 0;
	int r;

	config_init_defaults(&config);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		char *text;

		line++;
		if (len > CONFIG_MAX_LINE && buf[len - 1] != '\n')
			return fail(ret_error, error_len, filename, line, "line too long");
		text = strip(buf);
		if (*text == '\0' || *text == '#')
			continue;
		r = parse_line(text, line, filename, &config, seen_line, ret_error, error_len);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return fail(ret_error, error_len, filename, line, "read error");
	if (!key_line(seen_line, "stats_socket")) {
		const char *reason = stats_socket_default(&config);

		if (reason)
			return fail(ret_error, error_len, filename,
				    key_line(seen_line, "admin_socket"), "%s", reason);
	}
	if (config.port_min > config.port_max) {
		unsigned lmin = key_line(seen_line, "port_min"),
			 lmax = key_line(seen_line, "port_max");

		return fail(ret_error, error_len, filename, lmin > lmax ? lmin : lmax,
			    "bad port range: port_min %u is greater than port_max %u",
			    config.port_min, config.port_max);
	}
	r = config_check_ng(&config, filename, seen_line, ret_error, error_len);
	if (r < 0)
		return r;
	*ret = config;
	return 0;
}

int config_load(const char *path, struct sluice_config *ret, char *ret_error, size_t error_len)
{
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(ret_error, error_len, "%s: %s", path, strerror(-r));
		return r;
	}
	r = config_parse(f, path, ret, ret_error, error_len);
	fclose(f);
	return r;
}

enum gateway_srtp_mode config_gateway_srtp_effective(const struct sluice_config *config)
{
	return config->gateway_tls ? config->gateway_srtp_mode : GATEWAY_SRTP_NOT_SUPPORTED;
}

int config_check_srtp_policy(const struct sluice_config *config, bool internal_srtp,
			     bool gateway_srtp, char *ret_error, size_t error_len)
{
	enum gateway_srtp_mode gw = config_gateway_srtp_effective(config);

	if (config->encryption_level == ENCRYPTION_REQUIRE && !internal_srtp) {
		snprintf(ret_error, error_len,
			 "refused by policy encryption_level=require: the internal leg must be "
			 "SRTP (internal_srtp=SUITE)");
		return -EPERM;
	}
	if (config->encryption_level == ENCRYPTION_NONE && internal_srtp) {
		snprintf(ret_error, error_len,
			 "refused by policy encryption_level=none: SRTP is not allowed on the "
			 "internal leg");
		return -EPERM;
	}
	if (gw == GATEWAY_SRTP_REQUIRED && !gateway_srtp) {
		snprintf(ret_error, error_len,
			 "refused by policy gateway_srtp_mode=required: the gateway leg must be "
			 "SRTP (gateway_srtp=SUITE)");
		return -EPERM;
	}
	if (gw == GATEWAY_SRTP_NOT_SUPPORTED && gateway_srtp) {
		snprintf(ret_error, error_len,
			 "refused by policy gateway_srtp_mode=%s%s: SRTP is not allowed on the "
			 "gateway leg",
			 config_gateway_srtp_mode_name(config->gateway_srtp_mode),
			 config->gateway_tls ? ""
					     : " without gateway_tls (behaves as not_supported)");
		return -EPERM;
	}
	return 0;
}
