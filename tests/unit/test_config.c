// SPDX-License-Identifier: MIT
/*
 * sluiced's configuration parser: the embedded defaults, a full valid file, and every error
 * path naming FILE:LINE: reason, with the result left untouched on failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/config.h"

static int parse_text(const char *text, struct sluice_config *config, char *error, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = config_parse(f, "test.conf", config, error, len);
	fclose(f);
	return r;
}

static void test_defaults(void **state)
{
	struct sluice_config c;

	config_init_defaults(&c);
	assert_true(c.interfaces_auto);
	assert_int_equal(c.n_interfaces, 0);
	assert_int_equal(c.xdp_mode, XDP_MODE_NATIVE);
	assert_int_equal(c.port_min, 30000);
	assert_int_equal(c.port_max, 39999);
	assert_int_equal(c.max_sessions, 16384);
	assert_true(c.strict_source);
	assert_string_equal(c.pin_path, "/sys/fs/bpf/sluice");
	assert_string_equal(c.admin_socket, "/run/sluice/admin.sock");
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
}

static void test_empty_file_is_defaults(void **state)
{
	struct sluice_config c, d;
	char error[CONFIG_ERROR_MAX];

	assert_int_equal(
	    parse_text("# nothing but comments\n\n   \n\t# indented\n", &c, error, sizeof(error)),
	    0);
	config_init_defaults(&d);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_full_file(void **state)
{
	static const char text[] = "# sluiced.conf\n"
				   "interfaces = eth0   eth1\n"
				   "xdp_mode=generic\n"
				   "  port_min = 20000  \n"
				   "port_max = 20999\n"
				   "max_sessions = 100\n"
				   "strict_source = no\n"
				   "pin_path = /sys/fs/bpf/test\n"
				   "admin_socket = /tmp/sluice.sock\n"
				   "log_level = debug\n";
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX] = "";

	assert_int_equal(parse_text(text, &c, error, sizeof(error)), 0);
	assert_false(c.interfaces_auto);
	assert_int_equal(c.n_interfaces, 2);
	assert_string_equal(c.interfaces[0], "eth0");
	assert_string_equal(c.interfaces[1], "eth1");
	assert_int_equal(c.xdp_mode, XDP_MODE_GENERIC);
	assert_int_equal(c.port_min, 20000);
	assert_int_equal(c.port_max, 20999);
	assert_int_equal(c.max_sessions, 100);
	assert_false(c.strict_source);
	assert_string_equal(c.pin_path, "/sys/fs/bpf/test");
	assert_string_equal(c.admin_socket, "/tmp/sluice.sock");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
}

static void test_interfaces_auto(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX];

	assert_int_equal(parse_text("interfaces = auto\n", &c, error, sizeof(error)), 0);
	assert_true(c.interfaces_auto);
}

/* The file must be refused with exactly this message, and the config left as it was. */
static void expect_error(const char *text, const char *message)
{
	struct sluice_config c, before;
	char error[CONFIG_ERROR_MAX] = "";

	memset(&c, 0xa5, sizeof(c));
	before = c;
	assert_int_equal(parse_text(text, &c, error, sizeof(error)), -EINVAL);
	assert_string_equal(error, message);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_unknown_key(void **state)
{
	expect_error("port_min = 30000\nport_mni = 3\n", "test.conf:2: unknown key 'port_mni'");
}

static void test_bad_number(void **state)
{
	expect_error("\nport_min = 3x\n", "test.conf:2: bad port number: expected 1..65535");
	expect_error("port_max = 65536\n", "test.conf:1: bad port number: expected 1..65535");
	expect_error("port_max = -1\n", "test.conf:1: bad port number: expected 1..65535");
	expect_error("port_min = 0\n", "test.conf:1: bad port number: expected 1..65535");
	expect_error("max_sessions = 0\n",
		     "test.conf:1: bad number: max_sessions must be 1..1048576");
	expect_error("max_sessions = 99999999999999999999\n",
		     "test.conf:1: bad number: max_sessions must be 1..1048576");
}

static void test_port_range(void **state)
{
	expect_error("port_min = 5000\n# x\nport_max = 4000\n",
		     "test.conf:3: bad port range: port_min 5000 is greater than port_max 4000");
	/* Against the default port_max: the line of the key that was set. */
	expect_error("\n\nport_min = 40000\n",
		     "test.conf:3: bad port range: port_min 40000 is greater than port_max 39999");
}

static void test_duplicate_key(void **state)
{
	expect_error("log_level = info\n\nlog_level = debug\n",
		     "test.conf:3: duplicate key 'log_level' (first set on line 1)");
}

static void test_bad_bool(void **state)
{
	expect_error("strict_source = maybe\n", "test.conf:1: bad boolean: expected 'yes' or 'no'");
}

static void test_bad_interfaces(void **state)
{
	expect_error("interfaces = eth0 auto\n",
		     "test.conf:1: bad interface list: 'auto' must stand alone");
	expect_error("interfaces = eth0 eth0\n",
		     "test.conf:1: bad interface list: interface named twice");
	expect_error("interfaces = averyveryverylongname\n",
		     "test.conf:1: bad interface list: invalid interface name");
	expect_error("interfaces = a/b\n",
		     "test.conf:1: bad interface list: invalid interface name");
}

static void test_missing_equals(void **state)
{
	expect_error("# c\nport_min 30000\n", "test.conf:2: missing '=' (expected key = value)");
}

static void test_bad_values(void **state)
{
	expect_error("xdp_mode = fast\n",
		     "test.conf:1: bad xdp_mode: expected 'native' or 'generic'");
	expect_error("log_level = loud\n",
		     "test.conf:1: bad log_level: expected 'error', 'warning', 'info' or 'debug'");
	expect_error("pin_path = relative/path\n", "test.conf:1: bad path: must be absolute");
	expect_error("admin_socket = "
		     "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     "test.conf:1: bad path: too long");
	expect_error("port_min =\n", "test.conf:1: missing value for 'port_min'");
	expect_error("= 3\n", "test.conf:1: unknown key ''");
}

/* The SRTP hop's keys (issue 3): defaults, values, errors, and the policy they make. */
static void test_srtp_keys(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX] = "";

	config_init_defaults(&c);
	assert_int_equal(c.encryption_level, ENCRYPTION_REQUIRE);
	assert_int_equal(c.gateway_srtp_mode, GATEWAY_SRTP_OPTIONAL);
	assert_false(c.gateway_tls);
	assert_int_equal(c.workers, 0);
	assert_int_equal(parse_text("encryption_level = none\ngateway_srtp_mode = required\n"
				    "gateway_tls = yes\nsrtp_engine = libsrtp\nworkers = 3\n",
				    &c, error, sizeof(error)),
			 0);
	assert_int_equal(c.encryption_level, ENCRYPTION_NONE);
	assert_int_equal(c.gateway_srtp_mode, GATEWAY_SRTP_REQUIRED);
	assert_true(c.gateway_tls);
	assert_int_equal(c.srtp_engine, 1);
	assert_int_equal(c.workers, 3);
	expect_error("encryption_level = maybe\n",
		     "test.conf:1: bad encryption_level: expected 'require', 'support' or 'none'");
	expect_error("\ngateway_srtp_mode = sometimes\n",
		     "test.conf:2: bad gateway_srtp_mode: expected 'required', 'optional' or "
		     "'not_supported'");
	expect_error("srtp_engine = gnutls\n",
		     "test.conf:1: bad srtp_engine: expected 'openssl' or 'libsrtp'");
	expect_error("workers = 0\n", "test.conf:1: bad workers: expected 'auto' or 1..256");
	assert_int_equal(c.worker_priority, 0);
	assert_int_equal(parse_text("worker_priority = 99\n", &c, error, sizeof(error)), 0);
	assert_int_equal(c.worker_priority, 99);
	expect_error("worker_priority = 100\n",
		     "test.conf:1: bad worker_priority: expected 0 (normal scheduling) or a "
		     "SCHED_FIFO priority 1..99");
	assert_int_equal(c.n_worker_cpus, 0);
	assert_int_equal(parse_text("worker_cpus = 3, 1 0\n", &c, error, sizeof(error)), 0);
	assert_int_equal(c.n_worker_cpus, 3);
	assert_int_equal(c.worker_cpus[0], 3);
	assert_int_equal(c.worker_cpus[1], 1);
	assert_int_equal(c.worker_cpus[2], 0);
	assert_int_equal(parse_text("worker_cpus = none\n", &c, error, sizeof(error)), 0);
	assert_int_equal(c.n_worker_cpus, 0);
	expect_error("worker_cpus = 1024\n",
		     "test.conf:1: bad worker_cpus: expected 'none' or CPU numbers 0..1023");
	expect_error("worker_cpus = 0-3\n",
		     "test.conf:1: bad worker_cpus: expected 'none' or CPU numbers 0..1023");
	expect_error("worker_cpus = ,\n",
		     "test.conf:1: bad worker_cpus: expected 'none' or CPU numbers 0..1023");
	expect_error("worker_priority = -1\n",
		     "test.conf:1: bad worker_priority: expected 0 (normal scheduling) or a "
		     "SCHED_FIFO priority 1..99");
}

static void test_stats_keys(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX] = "";

	config_init_defaults(&c);
	assert_string_equal(c.stats_socket, "/run/sluice/stats.sock");
	assert_int_equal(c.stats_socket_mode, 0660);
	assert_string_equal(c.stats_http_listen, "");
	assert_int_equal(c.stats_max_clients, 16);
	/* Without a stats_socket line it follows the admin socket. */
	assert_int_equal(parse_text("admin_socket = /tmp/x/admin.sock\n", &c, error, sizeof(error)),
			 0);
	assert_string_equal(c.stats_socket, "/tmp/x/stats.sock");
	assert_int_equal(parse_text("stats_socket = /tmp/s.sock\nstats_socket_group = adm\n"
				    "stats_socket_mode = 0640\nstats_http_listen = [::1]:9464\n"
				    "stats_max_clients = 64\nstats_per_session_metrics = no\n",
				    &c, error, sizeof(error)),
			 0);
	assert_string_equal(c.stats_socket, "/tmp/s.sock");
	assert_string_equal(c.stats_socket_group, "adm");
	assert_int_equal(c.stats_socket_mode, 0640);
	assert_string_equal(c.stats_http_listen, "[::1]:9464");
	assert_int_equal(c.stats_max_clients, 64);
	assert_int_equal(c.stats_per_session_metrics, 2);
	assert_int_equal(
	    parse_text("stats_socket = none\nstats_http_listen =\n", &c, error, sizeof(error)), 0);
	assert_string_equal(c.stats_socket, "");
	assert_string_equal(c.stats_http_listen, "");
	expect_error(
	    "stats_socket_mode = 660\n",
	    "test.conf:1: bad stats_socket_mode: expected an octal mode with owner read and "
	    "write, e.g. 0660");
	expect_error(
	    "\nstats_http_listen = localhost\n",
	    "test.conf:2: bad stats_http_listen: expected ADDR:PORT (e.g. 127.0.0.1:9464) or "
	    "none");
	expect_error("stats_max_clients = 0\n",
		     "test.conf:1: bad stats_max_clients: expected 1..4096");
	expect_error("stats_per_session_metrics = maybe\n",
		     "test.conf:1: bad stats_per_session_metrics: expected 'auto', 'yes' or 'no'");
}

static void test_srtp_policy(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX];

	config_init_defaults(&c);
	assert_int_equal(config_check_srtp_policy(&c, false, false, error, sizeof(error)), -EPERM);
	assert_non_null(strstr(error, "encryption_level=require"));
	assert_int_equal(config_check_srtp_policy(&c, true, false, error, sizeof(error)), 0);
	/* No gateway_tls: the gateway behaves as not_supported. */
	assert_int_equal(config_check_srtp_policy(&c, true, true, error, sizeof(error)), -EPERM);
	assert_non_null(strstr(error, "without gateway_tls"));
	c.gateway_tls = true;
	assert_int_equal(config_check_srtp_policy(&c, true, true, error, sizeof(error)), 0);
	c.gateway_srtp_mode = GATEWAY_SRTP_REQUIRED;
	assert_int_equal(config_check_srtp_policy(&c, true, false, error, sizeof(error)), -EPERM);
	assert_non_null(strstr(error, "gateway_srtp_mode=required"));
	c.encryption_level = ENCRYPTION_NONE;
	assert_int_equal(config_check_srtp_policy(&c, true, true, error, sizeof(error)), -EPERM);
	assert_non_null(strstr(error, "encryption_level=none"));
	assert_int_equal(config_check_srtp_policy(&c, false, true, error, sizeof(error)), 0);
	c.encryption_level = ENCRYPTION_SUPPORT;
	assert_int_equal(config_check_srtp_policy(&c, false, true, error, sizeof(error)), 0);
	assert_int_equal(config_check_srtp_policy(&c, true, true, error, sizeof(error)), 0);
}

/* The control plane's keys (config_ng.c): values, defaults, and the rules across keys. */
static void test_ng_keys(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX];

	config_init_defaults(&c);
	assert_string_equal(c.ng.listen, "127.0.0.1:2223");
	assert_null(config_ng_tls_listen(&c.ng)); /* no files: TLS off */
	assert_false(c.ng.fips);
	assert_int_equal(parse_text("ng_listen = 0.0.0.0:5000\n"
				    "ng_udp_allow = 192.0.2.10/32 2001:db8:5::/64\n"
				    "ng_tls_cert = /etc/sluice/ng.pem\n"
				    "ng_tls_key = /etc/sluice/ng.key\n"
				    "ng_tls_ca = /etc/sluice/ca.pem\n"
				    "ng_tls_allowed_subjects = kamailio1 CN=k2,O=x\n"
				    "ng_max_calls = 100\n"
				    "fips = no\n"
				    "internal_address = 198.18.1.1 2001:db8:1::1\n"
				    "gateway_address = 198.18.2.1\n",
				    &c, error, sizeof(error)),
			 0);
	assert_int_equal(c.ng.n_udp_allow, 2);
	assert_string_equal(config_ng_tls_listen(&c.ng), "127.0.0.1:2224"); /* files: TLS on */
	assert_int_equal(c.ng.n_subjects, 2);
	assert_string_equal(c.ng.subjects[1], "CN=k2,O=x");
	assert_int_equal(c.ng.max_calls, 100);
	assert_int_equal(c.ng.n_media_addrs[0], 2);
	assert_int_equal(c.ng.n_media_addrs[1], 1);
	/* Empty means off. */
	assert_int_equal(parse_text("ng_listen =\nng_tls_listen =\n", &c, error, sizeof(error)), 0);
	assert_string_equal(c.ng.listen, "");
	assert_null(config_ng_tls_listen(&c.ng));
	/* A TLS listener without its files names the missing key on the listener's line. */
	assert_int_equal(parse_text("log_level = info\nng_tls_listen = 127.0.0.1:2224\n", &c, error,
				    sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "test.conf:2: the ng TLS listener needs"));
	assert_non_null(strstr(error, "ng_tls_cert is not set"));
	assert_int_equal(parse_text("ng_tls_cert = /a\nng_tls_ca = /c\n", &c, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "test.conf:1:"));
	assert_non_null(strstr(error, "ng_tls_key is not set"));
	/* Plain UDP off loopback needs an allow-list. */
	assert_int_equal(parse_text("ng_listen = 192.0.2.1:2223\n", &c, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error,
			       "test.conf:1: ng_listen 192.0.2.1:2223: plain ng over UDP only on "
			       "loopback or an explicit allow-list"));
	assert_int_equal(parse_text("ng_listen = [::1]:2223\n", &c, error, sizeof(error)), 0);
	/* Bad values. */
	assert_int_equal(parse_text("ng_udp_allow = 10.0.0.1/8\n", &c, error, sizeof(error)),
			 -EINVAL);
	assert_int_equal(parse_text("ng_listen = nowhere\n", &c, error, sizeof(error)), -EINVAL);
	assert_int_equal(parse_text("fips = maybe\n", &c, error, sizeof(error)), -EINVAL);
	assert_int_equal(parse_text("ng_max_calls = 0\n", &c, error, sizeof(error)), -EINVAL);
	assert_int_equal(
	    parse_text("internal_address = 198.18.1.1 198.18.1.2\n", &c, error, sizeof(error)),
	    -EINVAL);
	assert_non_null(strstr(error, "at most one IPv4 and one IPv6"));
	assert_int_equal(parse_text("gateway_address = fe80::1\n", &c, error, sizeof(error)),
			 -EINVAL);
	assert_int_equal(parse_text("ng_tls_cert =\n", &c, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "missing value for 'ng_tls_cert'"));
	assert_int_equal(parse_text("fips = yes\nfips = no\n", &c, error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "duplicate key 'fips'"));
}

static void test_load_missing_file(void **state)
{
	struct sluice_config c;
	char error[CONFIG_ERROR_MAX];

	assert_int_equal(config_load("/nonexistent/sluiced.conf", &c, error, sizeof(error)),
			 -ENOENT);
	assert_string_equal(error, "/nonexistent/sluiced.conf: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	      cmocka_unit_test(test_empty_file_is_defaults),
	    cmocka_unit_test(test_full_file),	      cmocka_unit_test(test_interfaces_auto),
	    cmocka_unit_test(test_unknown_key),	      cmocka_unit_test(test_bad_number),
	    cmocka_unit_test(test_port_range),	      cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_bad_bool),	      cmocka_unit_test(test_bad_interfaces),
	    cmocka_unit_test(test_missing_equals),    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_load_missing_file), cmocka_unit_test(test_srtp_keys),
	    cmocka_unit_test(test_stats_keys),	      cmocka_unit_test(test_srtp_policy),
	    cmocka_unit_test(test_ng_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
