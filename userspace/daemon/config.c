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

#include "daemon/config.h"

struct config_key {
	const char *name;
	/* Returns NULL or a reason why value is bad. */
	const char *(*set)(struct sluice_config *config, const char *value);
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
	};
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
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

	if (parse_uint(value, 1, 65535, &v) < 0)
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

	if (parse_uint(value, 1, CONFIG_MAX_SESSIONS_MAX, &v) < 0)
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
	if (parse_uint(value, 1, CONFIG_MAX_WORKERS, &v) < 0)
		return "bad workers: expected 'auto' or 1..256";
	config->workers = (unsigned)v;
	return NULL;
}

static const struct config_key config_keys[] = {
    {"encryption_level", set_encryption_level},
    {"gateway_srtp_mode", set_gateway_srtp_mode},
    {"gateway_tls", set_gateway_tls},
    {"srtp_engine", set_srtp_engine},
    {"workers", set_workers},
    {"interfaces", set_interfaces},
    {"xdp_mode", set_xdp_mode},
    {"port_min", set_port_min},
    {"port_max", set_port_max},
    {"max_sessions", set_max_sessions},
    {"strict_source", set_strict_source},
    {"pin_path", set_pin_path},
    {"admin_socket", set_admin_socket},
    {"log_level", set_log_level},
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
		if (*value == '\0')
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
	if (config.port_min > config.port_max) {
		unsigned lmin = key_line(seen_line, "port_min"),
			 lmax = key_line(seen_line, "port_max");

		return fail(ret_error, error_len, filename, lmin > lmax ? lmin : lmax,
			    "bad port range: port_min %u is greater than port_max %u",
			    config.port_min, config.port_max);
	}
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
