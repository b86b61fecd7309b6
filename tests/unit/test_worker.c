/* SPDX-License-Identifier: MIT */
/*
 * The datapath engines on loopback: two legs, each a relay UDP socket with a client behind it, and
 * a handler that XORs the packet and appends a 10-byte trailer (growing it in place). Every case
 * runs against the io_uring worker (COOP_TASKRUN and DEFER_TASKRUN rings) and the epoll/mmsg relay
 * through one table of operations.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "datapath/mmsg_relay.h"
#include "datapath/worker.h"

#define TRAILER	     "SLUICETRL!"
#define TRAILER_LEN  10
#define DROP_SRC     2 /* packet not from the leg's client */
#define DROP_MARKED  3 /* first byte 0xff */
#define DROP_NO_ROOM 4 /* no room for the trailer */
#define CTX_MAGIC    0x51c3u
#define WINDOW	     32
#define WAIT_MS	     3000

/* One table of engine operations, so every case runs on both engines. */
struct engine_ops {
	const char *name;
	bool has_buffer_ring;
	int (*create)(const struct dp_limits *l, dp_handler_fn h, void **ret);
	int (*start)(void *e);
	void (*free)(void *e);
	int (*add_port)(void *e, int fd, void *ctx, dp_port_id *ret);
	int (*remove_port)(void *e, dp_port_id p, dp_removed_fn fn, void *arg);
	const struct dp_counters *(*counters)(const void *e);
};

static int uring_create(const struct dp_limits *l, dp_handler_fn h, void **ret)
{
	return dp_worker_new(l, h, (struct dp_worker **)ret);
}
static int uring_defer_create(const struct dp_limits *l, dp_handler_fn h, void **ret)
{
	struct dp_limits defer = *l;

	defer.ring_mode = DP_RING_DEFER_TASKRUN;
	return dp_worker_new(&defer, h, (struct dp_worker **)ret);
}
static int uring_start(void *e)
{
	return dp_worker_start(e);
}
static void uring_free(void *e)
{
	dp_worker_free(e);
}
static int uring_add(void *e, int fd, void *ctx, dp_port_id *ret)
{
	return dp_worker_add_port(e, fd, ctx, ret);
}
static int uring_remove(void *e, dp_port_id p, dp_removed_fn fn, void *arg)
{
	return dp_worker_remove_port(e, p, fn, arg);
}
static const struct dp_counters *uring_counters(const void *e)
{
	return dp_worker_counters(e);
}

static int mmsg_create(const struct dp_limits *l, dp_handler_fn h, void **ret)
{
	return dp_mmsg_relay_new(l, h, (struct dp_mmsg_relay **)ret);
}
static int mmsg_start(void *e)
{
	return dp_mmsg_relay_start(e);
}
static void mmsg_free(void *e)
{
	dp_mmsg_relay_free(e);
}
static int mmsg_add(void *e, int fd, void *ctx, dp_port_id *ret)
{
	return dp_mmsg_relay_add_port(e, fd, ctx, ret);
}
static int mmsg_remove(void *e, dp_port_id p, dp_removed_fn fn, void *arg)
{
	return dp_mmsg_relay_remove_port(e, p, fn, arg);
}
static const struct dp_counters *mmsg_counters(const void *e)
{
	return dp_mmsg_relay_counters(e);
}

static const struct engine_ops uring_ops = {
    .name = "io_uring",
    .has_buffer_ring = true,
    .create = uring_create,
    .start = uring_start,
    .free = uring_free,
    .add_port = uring_add,
    .remove_port = uring_remove,
    .counters = uring_counters,
};
static const struct engine_ops uring_defer_ops = {
    .name = "io_uring-defer",
    .has_buffer_ring = true,
    .create = uring_defer_create,
    .start = uring_start,
    .free = uring_free,
    .add_port = uring_add,
    .remove_port = uring_remove,
    .counters = uring_counters,
};
static const struct engine_ops mmsg_ops = {
    .name = "mmsg",
    .has_buffer_ring = false,
    .create = mmsg_create,
    .start = mmsg_start,
    .free = mmsg_free,
    .add_port = mmsg_add,
    .remove_port = mmsg_remove,
    .counters = mmsg_counters,
};

/* A leg's context: heap-allocated, freed by the removal callback (ASan sees any later use). */
struct leg {
	unsigned magic;
	dp_port_id peer;	   /* send from the other leg's socket */
	struct sockaddr_in dst;	   /* ... to the other leg's client */
	struct sockaddr_in client; /* who may send to this leg */
	uint8_t key;
};

static int xor_trailer_handler(void *port_ctx, uint8_t *pkt, size_t len, size_t cap,
			       struct dp_tx *ret_tx)
{
	struct leg *leg = port_ctx;
	const struct sockaddr_in *src = (const struct sockaddr_in *)ret_tx->src;

	if (leg->magic != CTX_MAGIC)
		abort();
	if (ret_tx->src_len != sizeof(*src) || src->sin_port != leg->client.sin_port ||
	    src->sin_addr.s_addr != leg->client.sin_addr.s_addr)
		return DROP_SRC;
	if (len > 0 && pkt[0] == 0xff)
		return DROP_MARKED;
	if (len + TRAILER_LEN > cap)
		return DROP_NO_ROOM;
	for (size_t i = 0; i < len; i++)
		pkt[i] ^= leg->key;
	memcpy(pkt + len, TRAILER, TRAILER_LEN);
	ret_tx->out_port = leg->peer;
	ret_tx->dst.in = leg->dst;
	ret_tx->dst_len = sizeof(leg->dst);
	ret_tx->len = (uint32_t)(len + TRAILER_LEN);
	return DP_SEND;
}

struct fixture {
	const struct engine_ops *ops;
	void *engine;
	int client[2]; /* client of leg A, of leg B */
	struct sockaddr_in relay_addr[2];
	struct sockaddr_in client_addr[2];
	struct leg *leg[2];
	dp_port_id port[2];
	atomic_int removed;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int udp_socket(struct sockaddr_in *ret_addr, int rcvbuf)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*ret_addr = a;
	return fd;
}

/* Attach both legs' relay sockets; leg i's client sends to relay i and hears relay 1-i. */
static void attach_legs(struct fixture *f)
{
	int relay[2];

	for (int i = 0; i < 2; i++) {
		relay[i] = udp_socket(&f->relay_addr[i], 4 << 20);
		f->leg[i] = calloc(1, sizeof(*f->leg[i]));
		assert_non_null(f->leg[i]);
		f->leg[i]->magic = CTX_MAGIC;
		f->leg[i]->client = f->client_addr[i];
		f->leg[i]->dst = f->client_addr[1 - i];
		f->leg[i]->key = (uint8_t)(0x5a + i);
	}
	/* Both handles exist before any packet can reach a handler that needs them. */
	f->leg[0]->peer = DP_PORT_INVALID;
	f->leg[1]->peer = DP_PORT_INVALID;
	for (int i = 0; i < 2; i++)
		assert_int_equal(f->ops->add_port(f->engine, relay[i], f->leg[i], &f->port[i]), 0);
	f->leg[0]->peer = f->port[1];
	f->leg[1]->peer = f->port[0];
}

static void setup_fixture(struct fixture *f, const struct engine_ops *ops,
			  const struct dp_limits *limits)
{
	memset(f, 0, sizeof(*f));
	f->ops = ops;
	for (int i = 0; i < 2; i++)
		f->client[i] = udp_socket(&f->client_addr[i], 8 << 20);
	assert_int_equal(ops->create(limits, xor_trailer_handler, &f->engine), 0);
	attach_legs(f);
	assert_int_equal(ops->start(f->engine), 0);
}

static void teardown_fixture(struct fixture *f)
{
	f->ops->free(f->engine);
	for (int i = 0; i < 2; i++) {
		close(f->client[i]);
		free(f->leg[i]); /* NULL once the removal callback took it */
	}
}

static void fill_packet(uint8_t *p, size_t len, uint32_t seq)
{
	p[0] = 0x80;
	memcpy(p + 1, &seq, sizeof(seq));
	for (size_t i = 5; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7 + 1);
}

static size_t payload_len(uint32_t seq)
{
	return 16 + (seq * 97) % 1385; /* 16..1400 */
}

/* Check a relayed packet byte by byte; returns its sequence number. */
static uint32_t verify_packet(const uint8_t *got, size_t got_len, uint8_t key)
{
	uint8_t want[2048];
	uint32_t seq;
	size_t len;

	assert_true(got_len > TRAILER_LEN + 5);
	for (int i = 0; i < 4; i++)
		((uint8_t *)&seq)[i] = got[1 + i] ^ key;
	len = payload_len(seq);
	assert_int_equal(got_len, len + TRAILER_LEN);
	fill_packet(want, len, seq);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(got[i], want[i] ^ key);
	assert_memory_equal(got + len, TRAILER, TRAILER_LEN);
	return seq;
}

static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

/* Send count packets from leg from's client and verify each at the other client, in windows. */
static void exchange(struct fixture *f, int from, uint32_t first_seq, unsigned count)
{
	uint8_t *seen = calloc(count, 1);
	uint8_t buf[4096];

	assert_non_null(seen);
	for (unsigned done = 0; done < count;) {
		unsigned n = count - done < WINDOW ? count - done : WINDOW;

		for (unsigned i = 0; i < n; i++) {
			uint32_t seq = first_seq + done + i;
			size_t len = payload_len(seq);

			fill_packet(buf, len, seq);
			assert_int_equal(sendto(f->client[from], buf, len, 0,
						(struct sockaddr *)&f->relay_addr[from],
						sizeof(f->relay_addr[from])),
					 (ssize_t)len);
		}
		for (unsigned i = 0; i < n; i++) {
			ssize_t got = recv_wait(f->client[1 - from], buf, sizeof(buf), WAIT_MS);
			uint32_t seq;

			assert_true(got > 0);
			seq = verify_packet(buf, (size_t)got, f->leg[from]->key);
			assert_true(seq >= first_seq && seq < first_seq + count);
			assert_false(seen[seq - first_seq]);
			seen[seq - first_seq] = 1;
		}
		done += n;
	}
	free(seen);
}

static uint64_t total_drops(const struct dp_counters_snapshot *c)
{
	uint64_t sum = 0;

	for (int i = 0; i < DP_DROP_CODES; i++)
		sum += c->drops[i];
	return sum;
}

/* Wait until every received packet is accounted for and no buffer is out; returns the counters. */
static void wait_quiet(struct fixture *f, struct dp_counters_snapshot *c)
{
	uint64_t deadline = now_ms() + 2 * WAIT_MS;
	uint64_t last_rx = UINT64_MAX;
	unsigned stable = 0;

	for (;;) {
		dp_counters_read(f->ops->counters(f->engine), c);
		if (c->rx == c->tx + c->send_errors + c->bad_tx + total_drops(c) &&
		    c->bufs_held == 0 && c->rx == last_rx) {
			if (++stable == 5)
				return;
		} else {
			stable = 0;
		}
		last_rx = c->rx;
		assert_true(now_ms() < deadline);
		usleep(20000);
	}
}

static void test_relay_both_ways(void **state)
{
	const struct engine_ops *ops = *state;
	struct dp_limits limits = {.max_ports = 8, .buf_count = 256, .buf_size = 2048};
	struct dp_counters_snapshot c;
	struct fixture f;
	uint8_t big[2100] = {0};
	size_t cap = 2048 - DP_RX_HEADROOM;

	setup_fixture(&f, ops, &limits);
	exchange(&f, 0, 0, 2000);
	exchange(&f, 1, 100000, 2000);

	/* Handler drops by code, no room to grow, a foreign source, and a truncated packet. */
	big[0] = 0xff;
	for (int i = 0; i < 5; i++)
		sendto(f.client[0], big, 100, 0, (struct sockaddr *)&f.relay_addr[0],
		       sizeof(f.relay_addr[0]));
	big[0] = 0x80;
	sendto(f.client[0], big, cap - 5, 0, (struct sockaddr *)&f.relay_addr[0],
	       sizeof(f.relay_addr[0]));
	sendto(f.client[1], big, 100, 0, (struct sockaddr *)&f.relay_addr[0],
	       sizeof(f.relay_addr[0]));
	sendto(f.client[0], big, sizeof(big), 0, (struct sockaddr *)&f.relay_addr[0],
	       sizeof(f.relay_addr[0]));
	/* ... and traffic goes on afterwards. */
	exchange(&f, 0, 200000, 50);
	exchange(&f, 1, 300000, 50);

	wait_quiet(&f, &c);
	assert_int_equal(c.rx, 4100 + 7);
	assert_int_equal(c.tx, 4100);
	assert_int_equal(c.drops[DROP_MARKED], 5);
	assert_int_equal(c.drops[DROP_NO_ROOM], 1);
	assert_int_equal(c.drops[DROP_SRC], 1);
	assert_int_equal(c.truncated, 1);
	assert_int_equal(c.send_errors + c.bad_tx + c.recv_errors + c.enobufs, 0);
	teardown_fixture(&f);
}

struct blaster {
	int fd;
	struct sockaddr_in dst;
	unsigned count;
	atomic_bool stop;
};

static void *blast(void *arg)
{
	struct blaster *b = arg;
	uint8_t buf[200];

	for (unsigned i = 0; i < b->count && !atomic_load(&b->stop); i++) {
		fill_packet(buf, 100, i);
		(void)sendto(b->fd, buf, 100, MSG_DONTWAIT, (struct sockaddr *)&b->dst,
			     sizeof(b->dst));
		if (i % 64 == 63)
			usleep(100);
	}
	return NULL;
}

static void leg_removed(void *port_ctx, void *arg)
{
	struct fixture *f = arg;
	struct leg *leg = port_ctx;

	for (int i = 0; i < 2; i++)
		if (f->leg[i] == leg)
			f->leg[i] = NULL;
	/* Wipe, then free: a handler that still used it would trip the magic check or ASan. */
	memset(leg, 0, sizeof(*leg));
	free(leg);
	atomic_fetch_add(&f->removed, 1);
}

static void start_blasters(struct fixture *f, struct blaster b[2], pthread_t th[2])
{
	for (int i = 0; i < 2; i++) {
		b[i] =
		    (struct blaster){.fd = f->client[i], .dst = f->relay_addr[i], .count = 200000};
		assert_int_equal(pthread_create(&th[i], NULL, blast, &b[i]), 0);
	}
}

static void stop_blasters(struct blaster b[2], pthread_t th[2])
{
	for (int i = 0; i < 2; i++) {
		atomic_store(&b[i].stop, true);
		pthread_join(th[i], NULL);
	}
}

static void drain_socket(int fd)
{
	uint8_t buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void test_remove_while_flowing(void **state)
{
	const struct engine_ops *ops = *state;
	struct dp_limits limits = {.max_ports = 4, .buf_count = 256, .buf_size = 2048};
	struct dp_counters_snapshot c;
	struct blaster b[2];
	pthread_t th[2];
	struct fixture f;
	dp_port_id old[2];
	uint64_t deadline;

	setup_fixture(&f, ops, &limits);
	start_blasters(&f, b, th);
	/* Remove while packets are going through, not before the first one. */
	deadline = now_ms() + WAIT_MS;
	do {
		usleep(5000);
		dp_counters_read(ops->counters(f.engine), &c);
		assert_true(now_ms() < deadline);
	} while (c.tx < 500);
	old[0] = f.port[0];
	old[1] = f.port[1];
	assert_int_equal(ops->remove_port(f.engine, f.port[0], leg_removed, &f), 0);
	usleep(2000);
	assert_int_equal(ops->remove_port(f.engine, f.port[1], leg_removed, &f), 0);
	/* A handle that is already going, or never was, is refused. */
	assert_int_equal(ops->remove_port(f.engine, f.port[1], leg_removed, &f), -ENOENT);
	assert_int_equal(ops->remove_port(f.engine, 3, leg_removed, &f), -ENOENT);
	deadline = now_ms() + WAIT_MS;
	while (atomic_load(&f.removed) < 2)
		assert_true(now_ms() < deadline);
	stop_blasters(b, th);

	wait_quiet(&f, &c);
	assert_int_equal(atomic_load(&f.removed), 2);

	/* The slots come back with new generations, and the old handles stay dead. */
	for (int i = 0; i < 2; i++)
		drain_socket(f.client[i]);
	attach_legs(&f);
	assert_true(f.port[0] != old[0] && f.port[1] != old[1]);
	assert_int_equal(ops->remove_port(f.engine, old[0], leg_removed, &f), -ENOENT);
	exchange(&f, 0, 0, 300);
	exchange(&f, 1, 1000, 300);

	/* Removal right before free: the callback still runs exactly once. */
	assert_int_equal(ops->remove_port(f.engine, f.port[0], leg_removed, &f), 0);
	ops->free(f.engine);
	assert_int_equal(atomic_load(&f.removed), 3);
	for (int i = 0; i < 2; i++) {
		close(f.client[i]);
		free(f.leg[i]);
	}
}

static void test_buffer_ring_runs_dry(void **state)
{
	const struct engine_ops *ops = *state;
	struct dp_limits limits = {.max_ports = 4, .buf_count = 4, .buf_size = 2048};
	struct dp_counters_snapshot c;
	struct fixture f;
	uint8_t buf[256];
	unsigned delivered = 0;

	setup_fixture(&f, ops, &limits);
	/* A burst far larger than the ring: the socket queues it, the ring runs dry. */
	for (uint32_t seq = 0; seq < 3000; seq++) {
		fill_packet(buf, 100, seq);
		sendto(f.client[0], buf, 100, 0, (struct sockaddr *)&f.relay_addr[0],
		       sizeof(f.relay_addr[0]));
	}
	wait_quiet(&f, &c);
	while (recv_wait(f.client[1], buf, sizeof(buf), 100) > 0)
		delivered++;
	wait_quiet(&f, &c);
	assert_true(c.rx > 0);
	assert_int_equal(c.bad_tx + c.recv_errors + total_drops(&c), 0);
	assert_true(delivered <= c.tx);
	if (ops->has_buffer_ring)
		assert_true(c.enobufs > 0);
	assert_int_equal(c.bufs_held, 0);

	/* Every buffer came back: traffic flows again, both ways, byte for byte. */
	exchange(&f, 0, 10000, 200);
	exchange(&f, 1, 20000, 200);
	wait_quiet(&f, &c);
	teardown_fixture(&f);
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		{ "relay_both_ways/io_uring", test_relay_both_ways, NULL, NULL, (void *)&uring_ops },
		{ "relay_both_ways/io_uring-defer", test_relay_both_ways, NULL, NULL, (void *)&uring_defer_ops },
		{ "relay_both_ways/mmsg", test_relay_both_ways, NULL, NULL, (void *)&mmsg_ops },
		{ "remove_while_flowing/io_uring", test_remove_while_flowing, NULL, NULL, (void *)&uring_ops },
		{ "remove_while_flowing/io_uring-defer", test_remove_while_flowing, NULL, NULL, (void *)&uring_defer_ops },
		{ "remove_while_flowing/mmsg", test_remove_while_flowing, NULL, NULL, (void *)&mmsg_ops },
		{ "buffer_ring_runs_dry/io_uring", test_buffer_ring_runs_dry, NULL, NULL, (void *)&uring_ops },
		{ "buffer_ring_runs_dry/io_uring-defer", test_buffer_ring_runs_dry, NULL, NULL, (void *)&uring_defer_ops },
		{ "buffer_ring_runs_dry/mmsg", test_buffer_ring_runs_dry, NULL, NULL, (void *)&mmsg_ops },
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
