// SPDX-License-Identifier: MIT
/*
 * The stats socket server (userspace/stats/stats_server.c) with a fake provider: every request of
 * the line protocol, malformed ones (the connection keeps serving), the client cap (32 clients
 * against 16 slots: refusals counted), a reader that never reads during `watch 100` (dropped
 * while the others keep getting theirs on time), the socket file's mode, group and stale file,
 * provider failures, and HTTP GET /metrics.
 *
 * `test_stats_server --serve-http SECONDS` serves only the HTTP endpoint on 127.0.0.1 (ephemeral
 * port, printed as "http_port=N") with a moving packet counter, for tests/net/prometheus.sh.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "stats/stats_server.h"
#include "test_stats_fake.h"

struct fixture {
	char dir[64];
	char path[128];
	struct fake_provider fake;
	struct stats_server *server;
};

/* A client connection with a small line reader. */
struct conn {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int setup_with(void **state, const struct stats_server_config *base)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct stats_server_config config = *base;
	struct stats_provider p;

	snprintf(f->dir, sizeof(f->dir), "/tmp/sluice-stats-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/stats.sock", f->dir);
	f->fake.n_sessions = 3;
	p = fake_provider(&f->fake);
	config.socket_path = f->path;
	assert_int_equal(stats_server_new(&config, &p, &f->server), 0);
	assert_int_equal(stats_server_start(f->server), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	struct stats_server_config config = {.max_clients = 16};

	return setup_with(state, &config);
}

static int setup_slow(void **state)
{
	struct stats_server_config config = {.max_clients = 16,
					     .client_output_max = 4096,
					     .client_sndbuf = 4096,
					     .watch_min_ms = 100};

	return setup_with(state, &config);
}

static int setup_http(void **state)
{
	struct stats_server_config config = {.max_clients = 4, .http_listen = "127.0.0.1:0"};

	return setup_with(state, &config);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stats_server_free(f->server);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct conn *conn_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct conn *c = calloc(1, sizeof(*c));

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return c;
}

static struct conn *conn_tcp(uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct conn *c = calloc(1, sizeof(*c));

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return c;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c);
}

static void conn_send(struct conn *c, const char *text)
{
	assert_int_equal(send(c->fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Reads more; returns bytes read, 0 at EOF, -1 on timeout. */
static ssize_t conn_fill(struct conn *c, int timeout_ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0)
		return 0; /* ECONNRESET counts as gone */
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n;
}

/* The next reply ending in `end` ("\n" for a line, "\n\n" for metrics), copied into ret. */
static bool conn_read_until(struct conn *c, const char *end, char *ret, size_t ret_len,
			    int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *hit;

		c->buf[c->len] = '\0';
		hit = strstr(c->buf, end);
		if (hit) {
			size_t n = (size_t)(hit - c->buf) + strlen(end);

			snprintf(ret, ret_len, "%.*s", (int)n, c->buf);
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return true;
		}
		if (now_ms() >= deadline || conn_fill(c, (int)(deadline - now_ms())) <= 0)
			return false;
	}
}

static char *request(struct conn *c, const char *line, const char *end)
{
	static char reply[1 << 16];

	conn_send(c, line);
	assert_true(conn_read_until(c, end, reply, sizeof(reply), 5000));
	return reply;
}

static void counters(struct fixture *f, struct stats_server_counters *ret)
{
	stats_server_get_counters(f->server, ret);
}

/* ---- the line protocol ---- */

static void test_requests(void **state)
{
	struct fixture *f = *state;
	struct conn *c = conn_unix(f->path);
	struct stats_server_counters k;
	struct stat st;
	char *r;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	r = request(c, "stats\n", "\n");
	assert_int_equal(
	    strncmp(r, "{\"time_unix_ms\":1700000000123,\"sessions\":{\"active\":3,", 52), 0);
	r = request(c, "metrics\n", "\n\n");
	assert_non_null(strstr(r, "# TYPE sluice_packets_total counter\n"));
	assert_non_null(strstr(r, "sluice_session_packets_total{session=\"3\""));
	r = request(c, "sessions\n", "\n");
	assert_non_null(strstr(r, "\"count\":3,\"truncated\":false}\n"));
	r = request(c, "sessions 2 5\n", "\n");
	assert_int_equal(strncmp(r, "{\"sessions\":[{\"id\":3,", 20), 0);
	r = request(c, "session 2\n", "\n");
	assert_int_equal(strncmp(r, "{\"session\":{\"id\":2,", 19), 0);
	r = request(c, "  help \r\n", "\n");
	assert_int_equal(strncmp(r, "{\"commands\":[\"stats\",", 20), 0);
	r = request(c, "\nsession 99\n", "\n");
	assert_string_equal(r, "{\"error\":\"no session 99\"}\n");

	/* Malformed: each gets one error line, and the connection keeps serving. */
	assert_string_equal(request(c, "bogus\n", "\n"),
			    "{\"error\":\"unknown request; try help\"}\n");
	assert_string_equal(request(c, "stats now\n", "\n"),
			    "{\"error\":\"unknown request; try help\"}\n");
	assert_string_equal(request(c, "session abc\n", "\n"),
			    "{\"error\":\"usage: session ID\"}\n");
	assert_string_equal(request(c, "session 99999999999\n", "\n"),
			    "{\"error\":\"usage: session ID\"}\n");
	assert_string_equal(request(c, "sessions -1\n", "\n"),
			    "{\"error\":\"usage: sessions [OFFSET [LIMIT]]\"}\n");
	assert_string_equal(request(c, "watch 5\n", "\n"),
			    "{\"error\":\"usage: watch MS (100..3600000, 0 stops)\"}\n");
	assert_string_equal(request(c, "a b c d e\n", "\n"),
			    "{\"error\":\"too many arguments\"}\n");
	{
		char line[1024];

		memset(line, 'x', sizeof(line) - 2);
		line[sizeof(line) - 2] = '\n';
		line[sizeof(line) - 1] = '\0';
		assert_string_equal(request(c, line, "\n"),
				    "{\"error\":\"request longer than 256 bytes\"}\n");
	}
	assert_string_equal(request(c, "bin\x01\xff\n", "\n"),
			    "{\"error\":\"unknown request; try help\"}\n");
	r = request(c, "stats\n", "\n");
	assert_int_equal(strncmp(r, "{\"time_unix_ms\":", 16), 0);

	/* Pipelined requests are answered in order. */
	conn_send(c, "session 1\nsession 3\n");
	r = request(c, "", "\n");
	assert_int_equal(strncmp(r, "{\"session\":{\"id\":1,", 19), 0);
	r = request(c, "", "\n");
	assert_int_equal(strncmp(r, "{\"session\":{\"id\":3,", 19), 0);

	counters(f, &k);
	assert_int_equal(k.request_errors, 10);
	assert_int_equal(k.requests, 19);
	assert_int_equal(k.clients, 1);
	conn_close(c);
}

/* A client that sends its requests and shuts its write side still gets every reply. */
static void test_half_close(void **state)
{
	struct fixture *f = *state;
	struct conn *c = conn_unix(f->path);
	char reply[1 << 16];

	conn_send(c, "stats\nhelp\n");
	shutdown(c->fd, SHUT_WR);
	assert_true(conn_read_until(c, "\n", reply, sizeof(reply), 5000));
	assert_true(conn_read_until(c, "\n", reply, sizeof(reply), 5000));
	assert_int_equal(strncmp(reply, "{\"commands\"", 11), 0);
	assert_int_equal(conn_fill(c, 5000), 0); /* then the server closes */
	conn_close(c);
}

static void test_watch(void **state)
{
	struct fixture *f = *state;
	struct conn *c = conn_unix(f->path);
	char reply[1 << 16];
	uint64_t start = now_ms();
	unsigned calls;

	conn_send(c, "watch 100\n");
	for (int i = 0; i < 5; i++)
		assert_true(conn_read_until(c, "\n", reply, sizeof(reply), 2000));
	/* First at once, then every 100 ms: 5 objects take about 400 ms. */
	assert_true(now_ms() - start >= 350);
	assert_true(now_ms() - start < 2000);
	assert_int_equal(strncmp(reply, "{\"time_unix_ms\":", 16), 0);
	/* Requests still work while watching; `watch 0` stops. */
	conn_send(c, "watch 0\n");
	calls = (unsigned)atomic_load(&f->fake.global_calls);
	usleep(350 * 1000);
	while (conn_fill(c, 0) > 0)
		;
	c->len = 0;
	assert_true(atomic_load(&f->fake.global_calls) <= calls + 1);
	assert_false(conn_read_until(c, "\n", reply, sizeof(reply), 300));
	conn_close(c);
}

/* ---- many clients, the cap, slow readers ---- */

static void wait_counter(struct fixture *f, size_t offset, uint64_t want, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	struct stats_server_counters k;

	do {
		counters(f, &k);
		if (*(uint64_t *)((char *)&k + offset) >= want)
			return;
		usleep(10 * 1000);
	} while (now_ms() < deadline);
	fail_msg("counter at offset %zu stayed below %llu", offset, (unsigned long long)want);
}

static void test_client_cap(void **state)
{
	struct fixture *f = *state;
	struct conn *c[32];
	struct stats_server_counters k;
	char reply[1 << 16];

	for (int i = 0; i < 32; i++) {
		c[i] = conn_unix(f->path);
		/* In order: the first 16 take the slots. */
		if (i < 16)
			wait_counter(f, offsetof(struct stats_server_counters, accepted), i + 1,
				     5000);
	}
	wait_counter(f, offsetof(struct stats_server_counters, refused), 16, 5000);
	counters(f, &k);
	assert_int_equal(k.accepted, 16);
	assert_int_equal(k.refused, 16);
	assert_int_equal(k.clients, 16);
	for (int i = 16; i < 32; i++) {
		assert_true(conn_read_until(c[i], "\n", reply, sizeof(reply), 5000));
		assert_string_equal(reply, "{\"error\":\"too many clients\"}\n");
		assert_int_equal(conn_fill(c[i], 5000), 0);
		conn_close(c[i]);
	}
	/* All 16 readers at once: every one is answered. */
	for (int i = 0; i < 16; i++)
		conn_send(c[i], "stats\n");
	for (int i = 0; i < 16; i++) {
		assert_true(conn_read_until(c[i], "\n", reply, sizeof(reply), 5000));
		assert_int_equal(strncmp(reply, "{\"time_unix_ms\":", 16), 0);
	}
	/* A freed slot takes a new client. */
	conn_close(c[0]);
	c[0] = conn_unix(f->path);
	assert_int_equal(strncmp(request(c[0], "stats\n", "\n"), "{\"time_unix_ms\":", 16), 0);
	counters(f, &k);
	assert_int_equal(k.refused, 16);
	for (int i = 0; i < 16; i++)
		conn_close(c[i]);
}

static void test_slow_reader(void **state)
{
	struct fixture *f = *state;
	struct conn *stuck = conn_unix(f->path), *good[3];
	uint64_t start, last[3], max_gap = 0;
	unsigned got[3] = {0};
	struct stats_server_counters k;
	char reply[1 << 16];

	for (int i = 0; i < 3; i++) {
		good[i] = conn_unix(f->path);
		conn_send(good[i], "watch 100\n");
	}
	conn_send(stuck, "watch 100\n");
	start = now_ms();
	for (int i = 0; i < 3; i++)
		last[i] = start;
	/* 3 s of watching: the stuck reader's socket and queue fill and it is dropped. */
	while (now_ms() - start < 3000) {
		struct pollfd pfd[3];

		for (int i = 0; i < 3; i++)
			pfd[i] = (struct pollfd){.fd = good[i]->fd, .events = POLLIN};
		poll(pfd, 3, 50);
		for (int i = 0; i < 3; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			conn_fill(good[i], 0);
			while (conn_read_until(good[i], "\n", reply, sizeof(reply), 0)) {
				uint64_t t = now_ms();

				if (got[i]++ > 0 && t - last[i] > max_gap)
					max_gap = t - last[i];
				last[i] = t;
			}
		}
	}
	counters(f, &k);
	assert_int_equal(k.slow_disconnects, 1);
	assert_int_equal(k.clients, 3);
	/* About 31 objects each; allow for a busy shared machine, but not for a stall. */
	for (int i = 0; i < 3; i++)
		assert_true(got[i] >= 22);
	assert_true(max_gap < 400);
	/* The stuck reader finds what was in its socket, then EOF. */
	{
		ssize_t n;
		size_t total = 0;

		while ((n = conn_fill(stuck, 2000)) > 0) {
			total += (size_t)n;
			stuck->len = 0;
		}
		assert_int_equal(n, 0);
		assert_true(total > 0);
	}
	conn_close(stuck);
	for (int i = 0; i < 3; i++)
		conn_close(good[i]);
	print_message("slow reader: good readers got %u %u %u objects, max gap %llu ms\n", got[0],
		      got[1], got[2], (unsigned long long)max_gap);
}

static void test_provider_failure(void **state)
{
	struct fixture *f = *state;
	struct conn *c = conn_unix(f->path);
	struct stats_server_counters k;

	f->fake.fail = -EIO;
	usleep(30 * 1000); /* past the snapshot cache */
	assert_string_equal(request(c, "stats\n", "\n"),
			    "{\"error\":\"snapshot unavailable: Input/output error\"}\n");
	assert_string_equal(request(c, "metrics\n", "\n"),
			    "{\"error\":\"snapshot unavailable: Input/output error\"}\n");
	f->fake.fail = 0;
	usleep(30 * 1000);
	assert_int_equal(strncmp(request(c, "stats\n", "\n"), "{\"time_unix_ms\":", 16), 0);
	counters(f, &k);
	assert_int_equal(k.provider_failures, 2);
	conn_close(c);
}

/* ---- the socket file ---- */

static void test_socket_file(void **state)
{
	struct fixture *f = *state;
	struct fake_provider fake = {0};
	struct stats_provider p = fake_provider(&fake);
	struct stats_server_config config = {.socket_path = f->path};
	struct stats_server *second = NULL;
	char stale[100];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	/* A live server owns the path. */
	assert_int_equal(stats_server_new(&config, &p, &second), -EADDRINUSE);
	/* A stale socket file is replaced. */
	snprintf(stale, sizeof(stale), "%s/stale.sock", f->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", stale);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	config.socket_path = stale;
	config.socket_group = "root";
	config.socket_mode = 0640;
	assert_int_equal(stats_server_new(&config, &p, &second), 0);
	{
		struct stat st;

		assert_int_equal(stat(stale, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0640);
		assert_int_equal(st.st_gid, 0);
	}
	stats_server_free(second);
	assert_int_equal(access(stale, F_OK), -1); /* removed on free */
	/* A group that does not exist, and a path that is not a socket. */
	config.socket_group = "sluice-no-such-group";
	assert_int_equal(stats_server_new(&config, &p, &second), -ENOENT);
	config.socket_group = NULL;
	config.socket_path = f->dir;
	assert_int_equal(stats_server_new(&config, &p, &second), -EEXIST);
}

/* ---- HTTP ---- */

static char *http(struct fixture *f, const char *req)
{
	static char reply[1 << 16];
	struct conn *c = conn_tcp(stats_server_http_port(f->server));
	ssize_t n;

	conn_send(c, req);
	while ((n = conn_fill(c, 5000)) > 0)
		;
	assert_int_equal(n, 0); /* the server closes after the response */
	snprintf(reply, sizeof(reply), "%s", c->buf);
	conn_close(c);
	return reply;
}

static void test_http(void **state)
{
	struct fixture *f = *state;
	char *r, *body;
	unsigned long length;
	char big[9000];

	assert_true(stats_server_http_port(f->server) > 0);
	r = http(f, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_non_null(
	    strstr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	body = strstr(r, "\r\n\r\n") + 4;
	assert_int_equal(sscanf(strstr(r, "Content-Length: "), "Content-Length: %lu", &length), 1);
	assert_int_equal(length, strlen(body));
	assert_int_equal(strncmp(body, "# HELP sluice_build_info", 24), 0);
	assert_non_null(strstr(body, "\nsluice_packets_total{path=\"xdp_forward\"} 1000\n"));

	r = http(f, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200 OK\r\n", 17), 0);
	r = http(f, "HEAD /metrics HTTP/1.1\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_string_equal(strstr(r, "\r\n\r\n"), "\r\n\r\n");
	r = http(f, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 404 Not Found\r\n", 24), 0);
	r = http(f, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 405 Method Not Allowed\r\n", 33), 0);
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	r = http(f, "hello\r\n\r\n");
	assert_int_equal(strncmp(r, "HTTP/1.1 400 Bad Request\r\n", 26), 0);
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	big[sizeof(big) - 1] = '\0';
	r = http(f, big);
	assert_int_equal(strncmp(r, "HTTP/1.1 431 ", 13), 0);

	/* HTTP shares the client cap (4 here): the fifth is refused with 503. */
	{
		struct conn *idle[4];

		for (int i = 0; i < 4; i++)
			idle[i] = conn_tcp(stats_server_http_port(f->server));
		wait_counter(f, offsetof(struct stats_server_counters, clients), 4, 5000);
		r = http(f, "GET /metrics HTTP/1.1\r\n\r\n");
		assert_int_equal(strncmp(r, "HTTP/1.1 503 ", 13), 0);
		for (int i = 0; i < 4; i++)
			conn_close(idle[i]);
	}
}

/* ---- serve mode for tests/net/prometheus.sh ---- */

static int serve_http(int seconds)
{
	struct fake_provider fake = {.n_sessions = 2};
	struct stats_provider p = fake_provider(&fake);
	struct stats_server_config config = {.http_listen = "127.0.0.1:0"};
	struct stats_server *s;
	int r;

	r = stats_server_new(&config, &p, &s);
	if (r < 0) {
		fprintf(stderr, "Failed to start the stats server: %s\n", strerror(-r));
		return 1;
	}
	r = stats_server_start(s);
	if (r < 0) {
		fprintf(stderr, "Failed to start the stats thread: %s\n", strerror(-r));
		stats_server_free(s);
		return 1;
	}
	printf("http_port=%u\n", stats_server_http_port(s));
	fflush(stdout);
	for (int i = 0; i < seconds * 10; i++) {
		usleep(100 * 1000);
		atomic_fetch_add(&fake.packets_bump, 50);
	}
	stats_server_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_cap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_slow_reader, setup_slow, teardown),
	    cmocka_unit_test_setup_teardown(test_provider_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_http, setup_http, teardown),
	};

	if (argc > 2 && !strcmp(argv[1], "--serve-http"))
		return serve_http(atoi(argv[2]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
