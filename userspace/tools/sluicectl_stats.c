// SPDX-License-Identifier: MIT
/*
 * sluicectl's stats socket commands (see sluicectl_stats.h). One request line per connection,
 * except `top`, which sends `watch MS` and redraws the screen (ANSI, no curses) with the rates
 * between two consecutive objects until q or Ctrl-C.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "tools/ctl_socket.h"
#include "tools/json_reader.h"
#include "tools/sluicectl_stats.h"

#define REPLY_MAX      (256u << 20)
#define TIMEOUT_SEC    30
#define TOP_DEFAULT_MS 1000

/* A growing buffer of what the socket said. */
struct reader {
	char *buf;
	size_t len, cap, off; /* off: start of the next unread line */
};

static int reader_fill(struct reader *rd, int fd)
{
	ssize_t n;

	if (rd->cap - rd->len < 4096) {
		size_t cap = rd->cap ? rd->cap * 2 : 65536;
		char *grown;

		if (cap > REPLY_MAX || !(grown = realloc(rd->buf, cap)))
			return -EMSGSIZE;
		rd->buf = grown;
		rd->cap = cap;
	}
	n = recv(fd, rd->buf + rd->len, rd->cap - rd->len - 1, 0);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (n == 0)
		return -ECONNRESET;
	rd->len += (size_t)n;
	rd->buf[rd->len] = '\0';
	return 0;
}

/*
 * The next reply: a line, or (metrics) everything up to an empty line. Returns its text in the
 * reader's buffer (valid until the next call).
 */
static int reader_next(struct reader *rd, int fd, bool until_empty_line, char **ret)
{
	for (;;) {
		char *start = rd->buf ? rd->buf + rd->off : NULL;
		char *end = NULL;

		if (start)
			end = until_empty_line ? strstr(start, "\n\n") : strchr(start, '\n');
		if (end) {
			end[until_empty_line ? 1 : 0] = '\0';
			*ret = start;
			rd->off = (size_t)(end - rd->buf) + (until_empty_line ? 2 : 1);
			return 0;
		}
		if (rd->off > 0 && rd->off == rd->len)
			rd->len = rd->off = 0;
		int r = reader_fill(rd, fd);
		if (r < 0)
			return r;
	}
}

/* One request, one reply; the reply's text is malloc'd. */
static int request(const char *path, const char *req, char **ret)
{
	struct reader rd = {0};
	char *text;
	int fd, r;

	r = ctl_socket_connect(path, TIMEOUT_SEC, &fd);
	if (r < 0)
		return ctl_fail("cannot connect to %s: %s", path, strerror(-r));
	if (dprintf(fd, "%s\n", req) < 0) {
		r = -errno;
		goto out;
	}
	r = reader_next(&rd, fd, strcmp(req, "metrics") == 0, &text);
	if (r == 0 && !(*ret = strdup(text)))
		r = -ENOMEM;
out:
	close(fd);
	free(rd.buf);
	if (r < 0)
		return ctl_fail("no reply from %s: %s", path, strerror(-r));
	return 0;
}

/* ---- human units ---- */

static const char *human(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static double jv_double(const struct jv *o, const char *key)
{
	const struct jv *v = jv_get(o, key);

	return v && v->type == JV_NUMBER ? strtod(v->text, NULL) : 0.0;
}

/* "1.25 ms" from seconds. */
static const char *ms(double seconds, char *buf, size_t len)
{
	snprintf(buf, len, "%.2f ms", seconds * 1e3);
	return buf;
}

/* The processing-time quantile q from the per-bucket counts (upper bound of its bucket). */
static double hist_quantile(const struct jv *h, double q)
{
	const struct jv *bounds = jv_get(h, "bounds_ns"), *counts = jv_get(h, "counts");
	uint64_t total = jv_u64(h, "count"), seen = 0;
	const struct jv *b = bounds ? bounds->child : NULL;

	if (!counts || total == 0)
		return -1;
	for (const struct jv *c = counts->child; c; c = c->next, b = b ? b->next : NULL) {
		seen += strtoull(c->text, NULL, 10);
		if ((double)seen >= q * (double)total)
			return b ? strtod(b->text, NULL) : -2;
	}
	return -2;
}

static void print_hist(const struct jv *h)
{
	double p50 = hist_quantile(h, 0.5), p99 = hist_quantile(h, 0.99);

	if (p50 == -1) {
		printf("userspace processing: no packets yet\n");
		return;
	}
	printf("userspace processing: %s packets, p50 <= ", jv_text(h, "count"));
	p50 == -2 ? printf("> 4.2 ms") : printf("%.0f ns", p50);
	printf(", p99 <= ");
	p99 == -2 ? printf("> 4.2 ms") : printf("%.0f ns", p99);
	printf("\n");
}

/* "reason=N ..." of an object's non-zero numbers. */
static void print_nonzero(const char *title, const struct jv *obj)
{
	char n[32];
	bool any = false;

	printf("%s:", title);
	for (const struct jv *d = obj ? obj->child : NULL; d; d = d->next) {
		if (d->type != JV_NUMBER || strcmp(d->text, "0") == 0)
			continue;
		printf(" %s=%s", d->key, human(strtod(d->text, NULL), n, sizeof(n)));
		any = true;
	}
	printf("%s\n", any ? "" : " none");
}

/*
 * One line on the workers' AF_XDP sockets: how many workers own them, what XDP redirected to them,
 * packets received, sent from AF_XDP and sent over UDP instead, then the non-zero bad frames and
 * kernel counters. Nothing from a daemon without the object.
 */
static void print_af_xdp(const struct jv *g, unsigned n_workers)
{
	const struct jv *x = jv_get(g, "af_xdp"), *kernel = jv_get(x, "kernel");
	char a[32], b[32], c[32], d[32];
	bool any = false;

	if (!x || x->type != JV_OBJECT)
		return;
	if (jv_u64(x, "workers") == 0) {
		printf("af_xdp: off (0 of %u workers)\n", n_workers);
		return;
	}
	printf("af_xdp: %s of %u workers, xdp redirected %s, rx %s, tx %s, fallback %s",
	       jv_text(x, "workers"), n_workers,
	       human((double)jv_u64(g, "xdp_xsk_redirects"), a, sizeof(a)),
	       human((double)jv_u64(x, "rx_packets"), b, sizeof(b)),
	       human((double)jv_u64(x, "tx_packets"), c, sizeof(c)),
	       human((double)jv_u64(x, "fallback_packets"), d, sizeof(d)));
	if (jv_u64(x, "bad_frames"))
		printf(", bad %s", human((double)jv_u64(x, "bad_frames"), a, sizeof(a)));
	for (const struct jv *k = kernel ? kernel->child : NULL; k; k = k->next) {
		if (k->type != JV_NUMBER || strcmp(k->text, "0") == 0)
			continue;
		printf("%s %s=%s", any ? "" : "; kernel:", k->key,
		       human(strtod(k->text, NULL), a, sizeof(a)));
		any = true;
	}
	printf("\n");
}

static void print_status(const struct jv *g)
{
	const struct jv *sessions = jv_get(g, "sessions"), *packets = jv_get(g, "packets");
	const struct jv *bytes = jv_get(g, "bytes"), *drops = jv_get(g, "drops");
	const struct jv *rtp = jv_get(g, "rtp"), *workers = jv_get(g, "workers");
	const struct jv *server = jv_get(g, "stats_server");
	char a[32], b[32];

	printf("sessions: %s active, %s created, max %s\n", jv_text(sessions, "active"),
	       jv_text(sessions, "total"), jv_text(sessions, "max"));
	printf("%-12s %12s %12s\n", "PATH", "PACKETS", "BYTES");
	for (const struct jv *p = packets ? packets->child : NULL; p; p = p->next)
		printf("%-12s %12s %12s\n", p->key, human(strtod(p->text, NULL), a, sizeof(a)),
		       human((double)jv_u64(bytes, p->key), b, sizeof(b)));
	printf("xdp pass (not media) %s, fib no_neigh %s\n",
	       human((double)jv_u64(g, "xdp_pass_packets"), a, sizeof(a)),
	       human((double)jv_u64(g, "xdp_fib_no_neigh"), b, sizeof(b)));
	print_nonzero("drops (xdp)", jv_get(drops, "xdp"));
	print_nonzero("drops (userspace)", jv_get(drops, "userspace"));
	uint64_t expected = jv_u64(rtp, "expected");
	double lost = jv_double(rtp, "lost");
	printf("rtp: %s streams, loss %.2f%%, jitter mean %s, max %s\n", jv_text(rtp, "streams"),
	       expected ? 100.0 * lost / (double)expected : 0.0,
	       ms(jv_double(rtp, "jitter_mean_seconds"), a, sizeof(a)),
	       ms(jv_double(rtp, "jitter_max_seconds"), b, sizeof(b)));
	unsigned n_workers = 0;
	for (const struct jv *w = workers ? workers->child : NULL; w; w = w->next, n_workers++)
		printf("worker %s: utilisation %s, rx %s, tx %s\n", jv_text(w, "worker"),
		       jv_text(w, "utilization"),
		       human((double)jv_u64(w, "rx_packets"), a, sizeof(a)),
		       human((double)jv_u64(w, "tx_packets"), b, sizeof(b)));
	print_af_xdp(g, n_workers);
	print_hist(jv_get(g, "userspace_processing"));
	printf("stats readers: %s connected, %s refused, %s slow\n", jv_text(server, "clients"),
	       jv_text(server, "refused"), jv_text(server, "slow_disconnects"));
}

/* ---- sessions ---- */

static void session_summary(const struct jv *s, char *legs, size_t legs_len, char *path,
			    size_t path_len, char *suite, size_t suite_len, uint64_t *packets,
			    double *loss, double *jitter)
{
	const struct jv *streams = jv_get(s, "streams");
	uint64_t expected = 0;
	double lost = 0;
	size_t lu = 0;

	*packets = 0;
	*jitter = 0;
	snprintf(path, path_len, "-");
	snprintf(suite, suite_len, "plain");
	legs[0] = '\0';
	for (const struct jv *st = streams ? streams->child : NULL; st; st = st->next) {
		const struct jv *rtp = jv_get(st, "rtp");
		const char *kind = jv_text(st, "kind");

		*packets += jv_u64(st, "packets");
		snprintf(path, path_len, "%s", jv_text(st, "path"));
		if (jv_get(st, "suite") && jv_get(st, "suite")->type == JV_STRING)
			snprintf(suite, suite_len, "%s", jv_text(st, "suite"));
		if (strcmp(kind, "rtcp") != 0)
			lu += (size_t)snprintf(legs + lu, lu < legs_len ? legs_len - lu : 0, "%s%s",
					       lu ? " | " : "", jv_text(st, "local"));
		if (rtp && rtp->type == JV_OBJECT) {
			expected += jv_u64(rtp, "expected");
			lost += jv_double(rtp, "lost");
			if (jv_double(rtp, "jitter_seconds") > *jitter)
				*jitter = jv_double(rtp, "jitter_seconds");
		}
	}
	*loss = expected ? 100.0 * lost / (double)expected : 0.0;
}

static void print_sessions(const struct jv *reply)
{
	const struct jv *list = jv_get(reply, "sessions");
	char legs[256], path[16], suite[64], p[32], j[32];

	printf("%-10s %-50s %-9s %-24s %9s %7s %9s\n", "CALL", "LEGS (INTERNAL | GATEWAY)", "PATH",
	       "SUITE", "PACKETS", "LOSS", "JITTER");
	for (const struct jv *s = list ? list->child : NULL; s; s = s->next) {
		uint64_t packets;
		double loss, jitter;

		session_summary(s, legs, sizeof(legs), path, sizeof(path), suite, sizeof(suite),
				&packets, &loss, &jitter);
		printf("%-10s %-50s %-9s %-24s %9s %6.2f%% %9s\n", jv_text(s, "id"), legs, path,
		       suite, human((double)packets, p, sizeof(p)), loss, ms(jitter, j, sizeof(j)));
	}
	if (strcmp(jv_text(reply, "truncated"), "yes") == 0)
		printf("(%s sessions listed; more were left)\n", jv_text(reply, "count"));
}

static void print_session(const struct jv *reply)
{
	const struct jv *s = jv_get(reply, "session"), *streams = jv_get(s, "streams");
	char p[32], b[32], j[32];

	printf("Session %s\n", jv_text(s, "id"));
	printf("%-9s %-5s %-9s %-28s %-28s %-24s %9s %9s %7s %9s %s\n", "LEG", "KIND", "PATH",
	       "LOCAL", "REMOTE", "SUITE", "PACKETS", "BYTES", "LOST", "JITTER", "DROPS");
	for (const struct jv *st = streams ? streams->child : NULL; st; st = st->next) {
		const struct jv *rtp = jv_get(st, "rtp"), *drops = jv_get(st, "drops");
		bool has_rtp = rtp && rtp->type == JV_OBJECT;

		printf("%-9s %-5s %-9s %-28s %-28s %-24s %9s %9s %7s %9s", jv_text(st, "leg"),
		       jv_text(st, "kind"), jv_text(st, "path"), jv_text(st, "local"),
		       jv_text(st, "remote"), jv_text(st, "suite"),
		       human((double)jv_u64(st, "packets"), p, sizeof(p)),
		       human((double)jv_u64(st, "bytes"), b, sizeof(b)),
		       has_rtp ? jv_text(rtp, "lost") : "-",
		       has_rtp ? ms(jv_double(rtp, "jitter_seconds"), j, sizeof(j)) : "-");
		for (const char *src = "xdp"; src;
		     src = strcmp(src, "xdp") == 0 ? "userspace" : NULL) {
			const struct jv *o = jv_get(drops, src);

			for (const struct jv *d = o ? o->child : NULL; d; d = d->next)
				printf(" %s:%s=%s", src, d->key, d->text);
		}
		printf("\n");
	}
}

/* ---- top ---- */

static volatile sig_atomic_t top_stop;
static struct termios top_saved_tty;
static bool top_tty_raw;

static void top_on_signal(int sig)
{
	top_stop = 1;
}

static void top_restore_tty(void)
{
	if (top_tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &top_saved_tty);
	top_tty_raw = false;
	if (isatty(STDOUT_FILENO))
		fputs("\033[?25h", stdout); /* cursor back */
}

/* Keys without Enter, no echo: q quits. */
static void top_raw_tty(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &top_saved_tty) < 0)
		return;
	raw = top_saved_tty;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		top_tty_raw = true;
}

static double rate(const struct jv *now, const struct jv *prev, const char *key, double seconds)
{
	uint64_t a = jv_u64(now, key), b = prev ? jv_u64(prev, key) : a;

	return seconds > 0 && a >= b ? (double)(a - b) / seconds : 0.0;
}

static void top_draw(const struct jv *g, const struct jv *prev, unsigned interval_ms)
{
	double seconds =
	    prev ? (double)(jv_u64(g, "time_unix_ms") - jv_u64(prev, "time_unix_ms")) / 1e3 : 0.0;
	const struct jv *packets = jv_get(g, "packets"), *bytes = jv_get(g, "bytes");
	const struct jv *ppackets = prev ? jv_get(prev, "packets") : NULL;
	const struct jv *pbytes = prev ? jv_get(prev, "bytes") : NULL;
	const struct jv *drops = jv_get(g, "drops"), *pdrops = prev ? jv_get(prev, "drops") : NULL;
	const struct jv *sessions = jv_get(g, "sessions"), *rtp = jv_get(g, "rtp");
	char a[32], b[32], c[32];

	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J\033[?25l", stdout);
	printf("sluice top - every %u ms - q or Ctrl-C quits\n\n", interval_ms);
	printf("sessions %s active (%s created)   rtp streams %s, jitter max %s\n\n",
	       jv_text(sessions, "active"), jv_text(sessions, "total"), jv_text(rtp, "streams"),
	       ms(jv_double(rtp, "jitter_max_seconds"), a, sizeof(a)));
	printf("\033[1m%-14s %12s %12s %14s\033[0m\n", "PATH", "PACKETS/S", "BITS/S", "TOTAL");
	for (const struct jv *p = packets ? packets->child : NULL; p; p = p->next)
		printf("%-14s %12s %12s %14s\n", p->key,
		       human(rate(packets, ppackets, p->key, seconds), a, sizeof(a)),
		       human(8 * rate(bytes, pbytes, p->key, seconds), b, sizeof(b)),
		       human(strtod(p->text, NULL), c, sizeof(c)));
	printf("\n\033[1m%-10s %-22s %12s %14s\033[0m\n", "SOURCE", "DROP REASON", "PER S",
	       "TOTAL");
	for (const char *src = "xdp"; src; src = strcmp(src, "xdp") == 0 ? "userspace" : NULL) {
		const struct jv *o = jv_get(drops, src), *po = pdrops ? jv_get(pdrops, src) : NULL;

		for (const struct jv *d = o ? o->child : NULL; d; d = d->next) {
			if (strcmp(d->text, "0") == 0)
				continue;
			printf("%-10s %-22s %12s %14s\n", src, d->key,
			       human(rate(o, po, d->key, seconds), a, sizeof(a)),
			       human(strtod(d->text, NULL), b, sizeof(b)));
		}
	}
	printf("\n");
	{
		const struct jv *w = jv_get(g, "workers");

		for (const struct jv *x = w ? w->child : NULL; x; x = x->next)
			printf("worker %-3s utilisation %-8s rx %s\n", jv_text(x, "worker"),
			       jv_text(x, "utilization"),
			       human((double)jv_u64(x, "rx_packets"), a, sizeof(a)));
	}
	print_hist(jv_get(g, "userspace_processing"));
	fflush(stdout);
}

/* `top [--interval MS] [--count N]`: N frames then exit (0: until q or Ctrl-C). */
static int run_top(const char *path, bool json, int argc, char **argv)
{
	unsigned interval = TOP_DEFAULT_MS, count = 0, frames = 0;
	struct sigaction sa = {.sa_handler = top_on_signal};
	struct reader rd = {0};
	struct jv *prev = NULL;
	int fd, r = 0;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--interval") == 0)
			interval = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (i + 1 < argc && strcmp(argv[i], "--count") == 0)
			count = (unsigned)strtoul(argv[++i], NULL, 10);
		else
			return ctl_fail("top [--interval MS (>= 100)] [--count N]");
	}
	if (interval < 100)
		return ctl_fail("top: --interval must be at least 100 ms");
	r = ctl_socket_connect(path, TIMEOUT_SEC, &fd);
	if (r < 0)
		return ctl_fail("cannot connect to %s: %s", path, strerror(-r));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!json)
		top_raw_tty();
	if (dprintf(fd, "watch %u\n", interval) < 0)
		r = -errno;
	while (r == 0 && !top_stop && (count == 0 || frames < count)) {
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
					{.fd = STDIN_FILENO, .events = POLLIN}};
		char *line, key;
		struct jv *g;

		if (!strchr(rd.buf ? rd.buf + rd.off : "", '\n')) {
			if (poll(pfd, top_tty_raw ? 2 : 1, -1) < 0)
				continue; /* EINTR: the signal set top_stop */
			if (top_tty_raw && (pfd[1].revents & POLLIN) &&
			    read(STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q'))
				break;
			if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		r = reader_next(&rd, fd, false, &line);
		if (r < 0)
			break;
		frames++;
		if (json) {
			puts(line);
			fflush(stdout);
			continue;
		}
		if (jv_parse(line, &g) < 0) {
			r = -EBADMSG;
			break;
		}
		if (jv_get(g, "error")) {
			ctl_fail("%s", jv_text(g, "error"));
			jv_free(g);
			r = -EINVAL;
			break;
		}
		top_draw(g, prev, interval);
		jv_free(prev);
		prev = g;
	}
	top_restore_tty();
	jv_free(prev);
	free(rd.buf);
	close(fd);
	if (r < 0 && r != -EINVAL)
		return ctl_fail("stats socket %s: %s", path, strerror(-r));
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- dispatch ---- */

static bool is_number(const char *s)
{
	return s[0] && strspn(s, "0123456789") == strlen(s);
}

bool ctl_stats_is_command(int argc, char **argv)
{
	const char *cmd = argv[0];

	return (strcmp(cmd, "status") == 0 && argc == 1) ||
	       (strcmp(cmd, "sessions") == 0 && argc <= 3) ||
	       (strcmp(cmd, "metrics") == 0 && argc == 1) || strcmp(cmd, "top") == 0 ||
	       (strcmp(cmd, "session") == 0 && argc == 2 && is_number(argv[1]));
}

int ctl_stats_run(const char *path, bool json, int argc, char **argv)
{
	void (*printer)(const struct jv *) = NULL;
	char req[128], *text = NULL;
	struct jv *reply;
	int r = EXIT_SUCCESS;

	if (strcmp(argv[0], "top") == 0)
		return run_top(path, json, argc, argv);
	if (strcmp(argv[0], "status") == 0) {
		snprintf(req, sizeof(req), "stats");
		printer = print_status;
	} else if (strcmp(argv[0], "sessions") == 0) {
		if ((argc > 1 && !is_number(argv[1])) || (argc > 2 && !is_number(argv[2])))
			return ctl_fail("sessions [OFFSET [LIMIT]]");
		snprintf(req, sizeof(req), "sessions%s%s%s%s", argc > 1 ? " " : "",
			 argc > 1 ? argv[1] : "", argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
		printer = print_sessions;
	} else if (strcmp(argv[0], "session") == 0) {
		snprintf(req, sizeof(req), "session %s", argv[1]);
		printer = print_session;
	} else {
		snprintf(req, sizeof(req), "metrics");
	}
	if (request(path, req, &text) != 0)
		return EXIT_FAILURE;
	if (!printer) {
		fputs(text, stdout);
		free(text);
		return EXIT_SUCCESS;
	}
	if (jv_parse(text, &reply) < 0) {
		free(text);
		return ctl_fail("malformed reply from the stats socket");
	}
	if (jv_get(reply, "error"))
		r = ctl_fail("%s", jv_text(reply, "error"));
	else if (json)
		puts(text);
	else
		printer(reply);
	jv_free(reply);
	free(text);
	return r;
}
