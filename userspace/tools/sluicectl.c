// SPDX-License-Identifier: MIT
/*
 * sluicectl: the operator's client of sluiced's admin socket (changes: session add, del, rekey)
 * and of its stats socket (sluicectl_stats.c: status, sessions, session N, top, metrics). Turns a
 * command line into one request line, prints the one-line JSON reply as tables for people, or as
 * is with --json.
 * Exits non-zero with a message on stderr when the daemon cannot be reached or says "error".
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/config.h"
#include "tools/ctl_socket.h"
#include "tools/json_reader.h"
#include "tools/sluicectl_stats.h"

#define REQUEST_MAX 4096
#define REPLY_MAX   (64u << 20)
#define TIMEOUT_SEC 10

typedef void (*printer_fn)(const struct jv *reply);

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: sluicectl [--socket PATH] [--stats-socket PATH] [--json] COMMAND\n"
	    "\n"
	    "Commands:\n"
	    "  session add --id N --internal ADDR[:PORT] --gateway ADDR[:PORT]\n"
	    "              [--internal-remote ADDR:PORT] [--gateway-remote ADDR:PORT]\n"
	    "              [--rtcp-mux] [--no-strict-source] [--clock-rate N] [--userspace]\n"
	    "              [--internal-srtp SUITE [--internal-rx-key B64] [--internal-tx-key B64]\n"
	    "               [--internal-rx-mki ID:LEN] [--internal-tx-mki ID:LEN]]\n"
	    "              [--gateway-srtp SUITE [--gateway-rx-key B64] [--gateway-tx-key B64]\n"
	    "               [--gateway-rx-mki ID:LEN] [--gateway-tx-mki ID:LEN]]\n"
	    "  session rekey N --leg internal|gateway [--rx-key B64] [--tx-key B64]\n"
	    "              [--rx-mki ID:LEN] [--tx-mki ID:LEN]\n"
	    "  session del N\n"
	    "  session show N          (admin socket: the live map entries)\n"
	    "  stats                   (admin socket: raw program and worker counters)\n"
	    "\n"
	    "Read-only, from the stats socket (group-readable):\n"
	    "  status                  packets and bytes by path, drops, workers, loss, jitter\n"
	    "  sessions [OFFSET [LIMIT]]  call, legs, path, suite, packets, loss, jitter\n"
	    "  session N               one call's streams\n"
	    "  top [--interval MS] [--count N]  live rates by path, drops by reason (q quits)\n"
	    "  metrics                 the Prometheus exposition\n"
	    "\n"
	    "A PORT of 0 or none: the daemon allocates one. IPv6: [2001:db8::1]:30000.\n"
	    "SRTP keys are base64 of key||salt (SDES inline keys); a tx key not given is "
	    "generated\n"
	    "by the daemon and printed once.\n"
	    "Default sockets: %s (--socket), %s (--stats-socket;\n"
	    "with --socket only: stats.sock beside it)\n",
	    CONFIG_DEFAULT_ADMIN_SOCKET, CONFIG_DEFAULT_STATS_SOCKET);
}

/* Send request plus '\n', read the reply until the daemon closes. */
static int exchange(int fd, const char *request, char **ret_reply)
{
	size_t len = 0, cap = 4096;
	char *reply, *grown;
	ssize_t n;

	if (dprintf(fd, "%s\n", request) < 0)
		return -errno;
	reply = malloc(cap);
	if (!reply)
		return -ENOMEM;
	while ((n = recv(fd, reply + len, cap - len - 1, 0)) > 0) {
		len += (size_t)n;
		if (len + 1 < cap)
			continue;
		if (cap >= REPLY_MAX || !(grown = realloc(reply, cap * 2))) {
			free(reply);
			return -EMSGSIZE;
		}
		reply = grown;
		cap *= 2;
	}
	if (n < 0) {
		free(reply);
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	}
	reply[len] = '\0';
	*ret_reply = reply;
	return 0;
}

static void print_added_srtp(const char *leg, const struct jv *srtp)
{
	if (!srtp || srtp->type != JV_OBJECT) {
		printf("  %-9s plain RTP\n", leg);
		return;
	}
	printf("  %-9s SRTP %s, rx key %s\n", leg, jv_text(srtp, "suite"),
	       strcmp(jv_text(srtp, "rx_key"), "true") == 0 ? "set" : "not set (srtp_no_key)");
	if (jv_get(srtp, "tx_key"))
		printf("  %-9s generated tx key: %s\n", "", jv_text(srtp, "tx_key"));
}

static void print_added(const struct jv *reply)
{
	const struct jv *s = jv_get(reply, "session");

	printf("Session %s added: internal %s, gateway %s, rtcp-mux %s, %s\n", jv_text(s, "id"),
	       jv_text(s, "internal"), jv_text(s, "gateway"), jv_text(s, "rtcp_mux"),
	       jv_text(s, "action"));
	print_added_srtp("internal", jv_get(s, "internal_srtp"));
	print_added_srtp("gateway", jv_get(s, "gateway_srtp"));
}

static void print_rekeyed(const struct jv *reply)
{
	printf("Session %s, %s leg: rx %s, tx %s%s\n", jv_text(reply, "id"), jv_text(reply, "leg"),
	       strcmp(jv_text(reply, "rx_rekeyed"), "true") == 0 ? "rekeyed" : "unchanged",
	       strcmp(jv_text(reply, "tx_rekeyed"), "true") == 0 ? "rekeyed" : "unchanged",
	       strcmp(jv_text(reply, "applied"), "true") == 0
		   ? ""
		   : " (taken over with the next packet of that direction)");
}

static void print_deleted(const struct jv *reply)
{
	printf("Session %s deleted\n", jv_text(reply, "id"));
}

/* "reason=N ..." for the non-zero drop counters, or "-". */
static const char *drops_text(const struct jv *drops, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct jv *d = drops ? drops->child : NULL; d; d = d->next) {
		if (d->type != JV_NUMBER || strcmp(d->text, "0") == 0)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s=%s",
					 used ? " " : "", d->key, d->text);
	}
	return buf[0] ? buf : "-";
}

static void print_stream(const char *leg, const struct jv *st)
{
	const struct jv *us = jv_get(st, "userspace"), *rtp = jv_get(st, "rtp");
	char drops[512];

	printf("%-9s %-5s %-26s %-26s %-4s %-10s %-12s %-12s %-10s %-10s %s\n", leg,
	       jv_text(st, "kind"), jv_text(st, "local"), jv_text(st, "remote"),
	       jv_text(st, "latched"), jv_text(st, "action"), jv_text(st, "packets"),
	       jv_text(st, "bytes"), jv_text(st, "last_seen_ms"), jv_text(us, "rx"),
	       jv_text(us, "tx"));
	if (rtp)
		printf("%-15s rtp: ssrc %s received %s expected %s lost %s jitter %s (%s ms)\n", "",
		       jv_text(rtp, "ssrc"), jv_text(rtp, "received"), jv_text(rtp, "expected"),
		       jv_text(rtp, "lost"), jv_text(rtp, "jitter"), jv_text(rtp, "jitter_ms"));
	if (strcmp(drops_text(jv_get(st, "drops"), drops, sizeof(drops)), "-") != 0)
		printf("%-15s drops (XDP): %s\n", "", drops);
	if (strcmp(drops_text(jv_get(us, "drops"), drops, sizeof(drops)), "-") != 0)
		printf("%-15s drops (worker): %s\n", "", drops);
}

static void print_session(const struct jv *reply)
{
	const struct jv *s = jv_get(reply, "session"), *legs = jv_get(s, "legs");

	printf("Session %s (rtcp-mux %s)\n", jv_text(s, "id"), jv_text(s, "rtcp_mux"));
	for (const struct jv *leg = legs ? legs->child : NULL; leg; leg = leg->next) {
		const struct jv *srtp = jv_get(leg, "srtp");

		printf("  %-9s local %s, signalled remote %s, strict source %s, clock %s Hz, %s, "
		       "%s%s\n",
		       jv_text(leg, "leg"), jv_text(leg, "local"), jv_text(leg, "signalled_remote"),
		       jv_text(leg, "strict_source"), jv_text(leg, "clock_rate"),
		       jv_text(leg, "action"),
		       srtp && srtp->type == JV_OBJECT ? "SRTP " : "plain RTP",
		       srtp && srtp->type == JV_OBJECT ? jv_text(srtp, "suite") : "");
	}
	printf("\n%-9s %-5s %-26s %-26s %-4s %-10s %-12s %-12s %-10s %-10s %s\n", "LEG", "KIND",
	       "LOCAL", "REMOTE", "LAT", "ACTION", "PACKETS", "BYTES", "AGE MS", "WORKER RX",
	       "WORKER TX");
	for (const struct jv *leg = legs ? legs->child : NULL; leg; leg = leg->next) {
		const struct jv *streams = jv_get(leg, "streams");

		for (const struct jv *st = streams ? streams->child : NULL; st; st = st->next)
			print_stream(jv_text(leg, "leg"), st);
	}
}

static void print_stats(const struct jv *reply)
{
	const struct jv *verdicts = jv_get(reply, "verdicts"),
			*sessions = jv_get(reply, "sessions");
	const struct jv *drops = jv_get(reply, "drops");

	printf("%-12s %16s %20s\n", "VERDICT", "PACKETS", "BYTES");
	for (const struct jv *v = verdicts ? verdicts->child : NULL; v; v = v->next)
		printf("%-12s %16s %20s\n", v->key, jv_text(v, "packets"), jv_text(v, "bytes"));
	printf("\n%-20s %16s\n", "DROP REASON", "PACKETS");
	for (const struct jv *d = drops ? drops->child : NULL; d; d = d->next)
		printf("%-20s %16s\n", d->key, d->text ? d->text : "-");
	printf("\nfib_no_neigh %s\n", jv_text(reply, "fib_no_neigh"));
	{
		const struct jv *us = jv_get(reply, "userspace"), *ud = jv_get(us, "drops");

		printf(
		    "\nuserspace (%s io_uring workers): rx %s, tx %s, enobufs %s, send_errors %s\n",
		    jv_text(us, "workers"), jv_text(us, "rx"), jv_text(us, "tx"),
		    jv_text(us, "enobufs"), jv_text(us, "send_errors"));
		printf("%-22s %16s\n", "WORKER DROP REASON", "PACKETS");
		for (const struct jv *d = ud ? ud->child : NULL; d; d = d->next)
			printf("%-22s %16s\n", d->key, d->text ? d->text : "-");
	}
	printf("sessions: %s active, %s total, %s max\n", jv_text(sessions, "active"),
	       jv_text(sessions, "total"), jv_text(sessions, "max"));
}

/* Append " key=value" to the request; fails when it would not fit. */
static int append(char *request, const char *key, const char *value)
{
	size_t used = strlen(request);
	int n = snprintf(request + used, REQUEST_MAX - used, " %s=%s", key, value);

	if (n < 0 || (size_t)n >= REQUEST_MAX - used || strpbrk(value, " \t\n"))
		return -EINVAL;
	return 0;
}

/* `session add` options into "session add id=N internal=... ...". */
static int build_add(int argc, char **argv, char *request)
{
	static const struct option options[] = {
	    {"id", required_argument, NULL, 'i'},
	    {"internal", required_argument, NULL, 'I'},
	    {"gateway", required_argument, NULL, 'G'},
	    {"internal-remote", required_argument, NULL, 'r'},
	    {"gateway-remote", required_argument, NULL, 'R'},
	    {"rtcp-mux", no_argument, NULL, 'm'},
	    {"no-strict-source", no_argument, NULL, 'n'},
	    {"clock-rate", required_argument, NULL, 'c'},
	    {"userspace", no_argument, NULL, 'u'},
	    {"internal-srtp", required_argument, NULL, 1000},
	    {"internal-rx-key", required_argument, NULL, 1001},
	    {"internal-tx-key", required_argument, NULL, 1002},
	    {"internal-rx-mki", required_argument, NULL, 1003},
	    {"internal-tx-mki", required_argument, NULL, 1004},
	    {"gateway-srtp", required_argument, NULL, 1005},
	    {"gateway-rx-key", required_argument, NULL, 1006},
	    {"gateway-tx-key", required_argument, NULL, 1007},
	    {"gateway-rx-mki", required_argument, NULL, 1008},
	    {"gateway-tx-mki", required_argument, NULL, 1009},
	    {0},
	};
	static const char *const srtp_keys[] = {
	    "internal_srtp",   "internal_rx_key", "internal_tx_key", "internal_rx_mki",
	    "internal_tx_mki", "gateway_srtp",	  "gateway_rx_key",  "gateway_tx_key",
	    "gateway_rx_mki",  "gateway_tx_mki",
	};
	bool has_id = false, has_internal = false, has_gateway = false;
	int c, r = 0;

	snprintf(request, REQUEST_MAX, "session add");
	optind = 1;
	while (r == 0 && (c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'i':
			has_id = true;
			r = append(request, "id", optarg);
			break;
		case 'I':
			has_internal = true;
			r = append(request, "internal", optarg);
			break;
		case 'G':
			has_gateway = true;
			r = append(request, "gateway", optarg);
			break;
		case 'r':
			r = append(request, "internal_remote", optarg);
			break;
		case 'R':
			r = append(request, "gateway_remote", optarg);
			break;
		case 'm':
			r = append(request, "rtcp_mux", "yes");
			break;
		case 'n':
			r = append(request, "strict_source", "no");
			break;
		case 'c':
			r = append(request, "clock_rate", optarg);
			break;
		case 'u':
			r = append(request, "action", "userspace");
			break;
		default:
			if (c < 1000 || c > 1009)
				return -EINVAL;
			r = append(request, srtp_keys[c - 1000], optarg);
			break;
		}
	}
	if (r < 0) {
		ctl_fail("bad option value (no spaces; the request must fit %d bytes)", REQUEST_MAX);
		return -EINVAL;
	}
	if (optind < argc || !has_id || !has_internal || !has_gateway) {
		ctl_fail("session add needs --id, --internal and --gateway (and nothing else)");
		return -EINVAL;
	}
	return 0;
}

/* `session rekey N --leg L [--rx-key B64] [--tx-key B64] [--rx-mki ID:LEN] [--tx-mki ID:LEN]` */
static int build_rekey(int argc, char **argv, char *request)
{
	static const struct option options[] = {
	    {"leg", required_argument, NULL, 'l'},    {"rx-key", required_argument, NULL, 'r'},
	    {"tx-key", required_argument, NULL, 't'}, {"rx-mki", required_argument, NULL, 'R'},
	    {"tx-mki", required_argument, NULL, 'T'}, {0},
	};
	bool has_leg = false;
	int c, r = 0;

	if (argc < 2 || !argv[1][0] || strspn(argv[1], "0123456789") != strlen(argv[1])) {
		ctl_fail("session rekey needs the session id first");
		return -EINVAL;
	}
	snprintf(request, REQUEST_MAX, "session rekey id=%s", argv[1]);
	optind = 2;
	while (r == 0 && (c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'l':
			has_leg = true;
			r = append(request, "leg", optarg);
			break;
		case 'r':
			r = append(request, "rx_key", optarg);
			break;
		case 't':
			r = append(request, "tx_key", optarg);
			break;
		case 'R':
			r = append(request, "rx_mki", optarg);
			break;
		case 'T':
			r = append(request, "tx_mki", optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (r < 0 || optind < argc || !has_leg) {
		ctl_fail("session rekey N --leg internal|gateway [--rx-key B64] [--tx-key B64]");
		return -EINVAL;
	}
	return 0;
}

/* The request line and the printer for argv (the command and its arguments). */
static int build_request(int argc, char **argv, char *request, printer_fn *ret_printer)
{
	const char *cmd = argv[0], *sub = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "stats") == 0 && argc == 1) {
		snprintf(request, REQUEST_MAX, "stats");
		*ret_printer = print_stats;
	} else if (strcmp(cmd, "session") == 0 && strcmp(sub, "add") == 0) {
		*ret_printer = print_added;
		return build_add(argc - 1, argv + 1, request);
	} else if (strcmp(cmd, "session") == 0 && strcmp(sub, "rekey") == 0) {
		*ret_printer = print_rekeyed;
		return build_rekey(argc - 1, argv + 1, request);
	} else if (strcmp(cmd, "session") == 0 && argc == 3 &&
		   (strcmp(sub, "del") == 0 || strcmp(sub, "show") == 0) &&
		   strspn(argv[2], "0123456789") == strlen(argv[2]) && argv[2][0]) {
		snprintf(request, REQUEST_MAX, "session %s id=%s", sub, argv[2]);
		*ret_printer = strcmp(sub, "del") == 0 ? print_deleted : print_session;
	} else {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int run(const char *socket_path, const char *request, bool json, printer_fn printer)
{
	struct jv *reply;
	char *text = NULL;
	int fd = -1, r;

	r = ctl_socket_connect(socket_path, TIMEOUT_SEC, &fd);
	if (r < 0)
		return ctl_fail("cannot connect to %s: %s", socket_path, strerror(-r));
	r = exchange(fd, request, &text);
	close(fd);
	if (r < 0)
		return ctl_fail("no reply from %s: %s", socket_path, strerror(-r));
	if (jv_parse(text, &reply) < 0) {
		free(text);
		return ctl_fail("malformed reply from the daemon");
	}
	r = EXIT_SUCCESS;
	if (strcmp(jv_text(reply, "result"), "ok") != 0)
		r = ctl_fail("%s", jv_text(reply, "error"));
	else if (json)
		fputs(text, stdout);
	else
		printer(reply);
	jv_free(reply);
	free(text);
	return r;
}

/* The daemon's default: stats.sock in the admin socket's folder (docs/configuration.md). */
static const char *stats_socket_beside(const char *admin, char *buf, size_t len)
{
	const char *slash = strrchr(admin, '/');

	if (strcmp(admin, CONFIG_DEFAULT_ADMIN_SOCKET) == 0 || !slash)
		return CONFIG_DEFAULT_STATS_SOCKET;
	snprintf(buf, len, "%.*s/%s", (int)(slash - admin), admin, CONFIG_STATS_SOCKET_NAME);
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"stats-socket", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *socket_path = CONFIG_DEFAULT_ADMIN_SOCKET, *stats_path = NULL;
	char request[REQUEST_MAX], beside[CONFIG_SOCKET_PATH_MAX];
	printer_fn printer = NULL;
	bool json = false;
	int c;

	/* '+': options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+s:S:jh", options, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 'S':
			stats_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	if (ctl_stats_is_command(argc - optind, argv + optind)) {
		if (!stats_path)
			stats_path = stats_socket_beside(socket_path, beside, sizeof(beside));
		return ctl_stats_run(stats_path, json, argc - optind, argv + optind);
	}
	if (build_request(argc - optind, argv + optind, request, &printer) < 0)
		return EXIT_FAILURE;
	return run(socket_path, request, json, printer);
}
