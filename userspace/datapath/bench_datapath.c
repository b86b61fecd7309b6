/* SPDX-License-Identifier: MIT */
/*
 * Does io_uring pay? A generator thread sends K flows at a fixed total rate over loopback to K
 * relay ports; the engine under test hands each packet to a handler (cheap, or one that burns
 * a fixed time to stand in for SRTP) and sends it from the flow's other port to one sink. The
 * same traffic also runs without a relay (generator straight to the sink) as the baseline. Runs
 * are interleaved (baseline, io_uring with COOP_TASKRUN, with DEFER_TASKRUN, mmsg, then again) and
 * the report gives medians with min-max: delivered packets/s, whole-machine non-idle CPU per packet
 * from /proc/stat (and its increment over the baseline), this process's CPU per packet (all its
 * threads, including the softirq work loopback runs in their context; unlike the machine figure
 * it is not disturbed by other load on a shared machine) and its increment over the baseline,
 * the relay thread's own CPU per packet, the generator thread's CPU, and one-way latency at the
 * sink (blocking sink).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "datapath/mmsg_relay.h"
#include "datapath/worker.h"

#define MAX_RUNS      15
#define MAX_ENGINES   4
#define GEN_BATCH     64
#define SINK_BATCH    64
#define LAT_SAMPLES   (1u << 20)
#define PAYLOAD_MAGIC 0x5b1ce5b1u

enum engine_kind {
	ENGINE_BASELINE = 0,
	ENGINE_URING_COOP = 1,
	ENGINE_URING_DEFER = 2,
	ENGINE_MMSG = 3,
};

static const char *const engine_names[MAX_ENGINES] = {"baseline", "io_uring-coop", "io_uring-defer",
						      "mmsg"};

struct options {
	unsigned flows, rate, runs, payload, burn_ns;
	double duration;
	int relay_cpu, gen_cpu;
	bool engines[MAX_ENGINES];
};

/* What the payload starts with; the sink reads the send time for latency. */
struct payload_head {
	uint32_t magic;
	uint32_t flow;
	uint64_t seq;
	uint64_t sent_ns;
};

struct flow_ctx {
	dp_port_id out;
	struct sockaddr_in sink;
	unsigned burn_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The cheap transform: touch the RTP header (flip the marker bit) and forward. */
static int bench_handler(void *port_ctx, uint8_t *pkt, size_t len, size_t cap, struct dp_tx *ret_tx)
{
	struct flow_ctx *flow = port_ctx;

	if (len < sizeof(struct payload_head))
		return 1;
	pkt[len - 1] ^= 0x80;
	if (flow->burn_ns) {
		uint64_t until = mono_ns() + flow->burn_ns;

		while (mono_ns() < until)
			;
	}
	ret_tx->out_port = flow->out;
	ret_tx->dst.in = flow->sink;
	ret_tx->dst_len = sizeof(flow->sink);
	ret_tx->len = (uint32_t)len;
	return DP_SEND;
}

static void pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int udp_socket(struct sockaddr_in *ret_addr, int rcvbuf)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -errno;
	}
	*ret_addr = a;
	return fd;
}

/* Whole-machine CPU from /proc/stat, in USER_HZ ticks. */
struct cpu_sample {
	uint64_t wall_ns;
	uint64_t idle_ticks; /* idle + iowait */
};

static void sample_cpu(struct cpu_sample *ret)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "re");

	ret->wall_ns = mono_ns();
	ret->idle_ticks = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8)
		ret->idle_ticks = v[3] + v[4];
	fclose(f);
}

static double non_idle_ns(const struct cpu_sample *a, const struct cpu_sample *b, long ncpu,
			  long hz)
{
	double wall = (double)(b->wall_ns - a->wall_ns) * (double)ncpu;
	double idle = (double)(b->idle_ticks - a->idle_ticks) * 1e9 / (double)hz;

	return wall - idle;
}

struct generator {
	const struct options *opt;
	int fd;
	struct sockaddr_in *dst; /* per flow */
	atomic_bool stop;
	_Atomic uint64_t sent, errors, cpu_ns;
};

static void *generator_thread(void *arg)
{
	struct generator *g = arg;
	const struct options *opt = g->opt;
	struct mmsghdr msgs[GEN_BATCH];
	struct iovec iov[GEN_BATCH];
	uint8_t bufs[GEN_BATCH][1500];
	uint64_t start, sent = 0, seq = 0;
	unsigned flow = 0;

	pin_self(opt->gen_cpu);
	memset(bufs, 0xa5, sizeof(bufs));
	start = mono_ns();
	while (!atomic_load_explicit(&g->stop, memory_order_relaxed)) {
		uint64_t now = mono_ns();
		uint64_t due = (now - start) * opt->rate / 1000000000u;
		struct timespec tick = {0, 500000};

		while (sent < due) {
			unsigned n = due - sent < GEN_BATCH ? (unsigned)(due - sent) : GEN_BATCH;
			int r;

			for (unsigned i = 0; i < n; i++) {
				struct payload_head *h = (struct payload_head *)bufs[i];

				*h = (struct payload_head){PAYLOAD_MAGIC, flow, seq++, now};
				iov[i] = (struct iovec){bufs[i], opt->payload};
				msgs[i].msg_hdr =
				    (struct msghdr){.msg_name = &g->dst[flow],
						    .msg_namelen = sizeof(g->dst[flow]),
						    .msg_iov = &iov[i],
						    .msg_iovlen = 1};
				flow = (flow + 1) % opt->flows;
			}
			r = sendmmsg(g->fd, msgs, n, 0);
			if (r < (int)n)
				atomic_fetch_add(&g->errors, n - (r > 0 ? (unsigned)r : 0));
			sent += n;
		}
		atomic_store(&g->sent, sent);
		atomic_store(&g->cpu_ns, cpu_clock_ns(CLOCK_THREAD_CPUTIME_ID));
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct sink {
	const struct options *opt;
	int fd;
	atomic_bool stop, measuring;
	_Atomic uint64_t received;
	uint32_t *lat_us; /* samples taken while measuring */
	_Atomic unsigned n_lat;
};

static void *sink_thread(void *arg)
{
	struct sink *s = arg;
	struct mmsghdr msgs[SINK_BATCH];
	struct iovec iov[SINK_BATCH];
	static __thread uint8_t bufs[SINK_BATCH][2048];
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	pin_self(s->opt->gen_cpu);
	epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
	for (unsigned i = 0; i < SINK_BATCH; i++) {
		iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		int n;

		if (epoll_wait(ep, &ev, 1, 50) <= 0)
			continue;
		n = recvmmsg(s->fd, msgs, SINK_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		uint64_t now = mono_ns();
		bool measuring = atomic_load_explicit(&s->measuring, memory_order_relaxed);

		for (int i = 0; measuring && i < n; i++) {
			const struct payload_head *h = (const void *)bufs[i];
			unsigned k = atomic_load_explicit(&s->n_lat, memory_order_relaxed);

			if (h->magic != PAYLOAD_MAGIC || k >= LAT_SAMPLES)
				continue;
			s->lat_us[k] = (uint32_t)((now - h->sent_ns) / 1000);
			atomic_store_explicit(&s->n_lat, k + 1, memory_order_relaxed);
		}
		atomic_fetch_add_explicit(&s->received, (uint64_t)n, memory_order_relaxed);
	}
	close(ep);
	return NULL;
}

struct result {
	double pps, machine_ns, process_ns, relay_ns, gen_cpu_pct, lat_p50_us, lat_p99_us;
	double loss_pct;
	uint64_t enobufs, send_errors;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The engine under test, behind one face. */
struct engine {
	enum engine_kind kind;
	struct dp_worker *worker;
	struct dp_mmsg_relay *mmsg;
};

static int engine_new(struct engine *e, enum engine_kind kind, const struct options *opt)
{
	struct dp_limits l = {.max_ports = 2 * opt->flows + 2,
			      .pin_cpu = opt->relay_cpu >= 0,
			      .cpu = (unsigned)opt->relay_cpu};

	e->kind = kind;
	switch (kind) {
	case ENGINE_URING_COOP:
	case ENGINE_URING_DEFER:
		l.ring_mode =
		    kind == ENGINE_URING_DEFER ? DP_RING_DEFER_TASKRUN : DP_RING_COOP_TASKRUN;
		return dp_worker_new(&l, bench_handler, &e->worker);
	case ENGINE_MMSG:
		return dp_mmsg_relay_new(&l, bench_handler, &e->mmsg);
	default:
		return 0;
	}
}

static int engine_add(struct engine *e, int fd, void *ctx, dp_port_id *ret)
{
	return e->worker ? dp_worker_add_port(e->worker, fd, ctx, ret)
			 : dp_mmsg_relay_add_port(e->mmsg, fd, ctx, ret);
}

static int engine_start(struct engine *e)
{
	if (e->worker)
		return dp_worker_start(e->worker);
	if (e->mmsg)
		return dp_mmsg_relay_start(e->mmsg);
	return 0;
}

static uint64_t engine_cpu_ns(const struct engine *e)
{
	if (e->worker)
		return dp_worker_thread_cpu_ns(e->worker);
	if (e->mmsg)
		return dp_mmsg_relay_thread_cpu_ns(e->mmsg);
	return 0;
}

static void engine_counters(const struct engine *e, struct dp_counters_snapshot *c)
{
	memset(c, 0, sizeof(*c));
	if (e->worker)
		dp_counters_read(dp_worker_counters(e->worker), c);
	else if (e->mmsg)
		dp_counters_read(dp_mmsg_relay_counters(e->mmsg), c);
}

static void engine_free(struct engine *e)
{
	dp_worker_free(e->worker);
	dp_mmsg_relay_free(e->mmsg);
}

/* Wire up K flows: generator -> relay port A_i -> (engine) -> from B_i -> sink. */
static int setup_flows(struct engine *e, const struct options *opt, struct flow_ctx *flows,
		       const struct sockaddr_in *sink_addr, struct sockaddr_in *gen_dst)
{
	for (unsigned i = 0; i < opt->flows; i++) {
		struct sockaddr_in a, b;
		dp_port_id port_b;
		int fd_a, fd_b, r;

		if (e->kind == ENGINE_BASELINE) {
			gen_dst[i] = *sink_addr;
			continue;
		}
		fd_a = udp_socket(&a, 4 << 20);
		fd_b = udp_socket(&b, 0);
		if (fd_a < 0 || fd_b < 0)
			return fd_a < 0 ? fd_a : fd_b;
		flows[i] = (struct flow_ctx){.sink = *sink_addr, .burn_ns = opt->burn_ns};
		r = engine_add(e, fd_b, &flows[i], &port_b);
		if (r < 0)
			return r;
		flows[i].out = port_b;
		r = engine_add(e, fd_a, &flows[i], &(dp_port_id){0});
		if (r < 0)
			return r;
		gen_dst[i] = a;
	}
	return 0;
}

static int run_once(enum engine_kind kind, const struct options *opt, struct result *res)
{
	struct flow_ctx *flows = calloc(opt->flows, sizeof(*flows));
	struct sockaddr_in *gen_dst = calloc(opt->flows, sizeof(*gen_dst));
	struct generator gen = {.opt = opt, .dst = gen_dst};
	struct sink sink = {.opt = opt};
	struct sockaddr_in sink_addr, gen_addr;
	struct engine e = {0};
	struct cpu_sample c0, c1;
	struct dp_counters_snapshot cnt;
	pthread_t gen_th, sink_th;
	uint64_t rx0, rx1, relay0, relay1, gen0, gen1, sent0, sent1, proc0, proc1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), hz = sysconf(_SC_CLK_TCK);
	struct timespec warmup = {0, 500000000}, settle = {0, 300000000}, measure;
	int r;

	sink.lat_us = calloc(LAT_SAMPLES, sizeof(*sink.lat_us));
	if (!flows || !gen_dst || !sink.lat_us)
		return -ENOMEM;
	sink.fd = udp_socket(&sink_addr, 32 << 20);
	gen.fd = udp_socket(&gen_addr, 0);
	if (sink.fd < 0 || gen.fd < 0)
		return -EIO;
	r = engine_new(&e, kind, opt);
	if (r < 0)
		return r;
	r = setup_flows(&e, opt, flows, &sink_addr, gen_dst);
	if (r < 0)
		return r;
	r = engine_start(&e);
	if (r < 0)
		return r;
	pthread_create(&sink_th, NULL, sink_thread, &sink);
	pthread_create(&gen_th, NULL, generator_thread, &gen);

	nanosleep(&warmup, NULL);
	atomic_store(&sink.measuring, true);
	rx0 = atomic_load(&sink.received);
	sent0 = atomic_load(&gen.sent);
	gen0 = atomic_load(&gen.cpu_ns);
	relay0 = engine_cpu_ns(&e);
	proc0 = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	sample_cpu(&c0);
	measure.tv_sec = (time_t)opt->duration;
	measure.tv_nsec = (long)((opt->duration - (double)measure.tv_sec) * 1e9);
	nanosleep(&measure, NULL);
	sample_cpu(&c1);
	proc1 = cpu_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	relay1 = engine_cpu_ns(&e);
	gen1 = atomic_load(&gen.cpu_ns);
	sent1 = atomic_load(&gen.sent);
	rx1 = atomic_load(&sink.received);
	atomic_store(&sink.measuring, false);

	atomic_store(&gen.stop, true);
	pthread_join(gen_th, NULL);
	nanosleep(&settle, NULL);
	atomic_store(&sink.stop, true);
	pthread_join(sink_th, NULL);
	engine_counters(&e, &cnt);

	double wall_s = (double)(c1.wall_ns - c0.wall_ns) / 1e9;
	double delivered = (double)(rx1 - rx0);
	unsigned n_lat = atomic_load(&sink.n_lat);

	res->pps = delivered / wall_s;
	res->machine_ns = delivered > 0 ? non_idle_ns(&c0, &c1, ncpu, hz) / delivered : 0;
	res->process_ns = delivered > 0 ? (double)(proc1 - proc0) / delivered : 0;
	res->relay_ns = delivered > 0 ? (double)(relay1 - relay0) / delivered : 0;
	res->gen_cpu_pct = (double)(gen1 - gen0) / (double)(c1.wall_ns - c0.wall_ns) * 100;
	res->loss_pct = sent1 > sent0 ? 100.0 * (1.0 - delivered / (double)(sent1 - sent0)) : 0;
	if (res->loss_pct < 0)
		res->loss_pct = 0;
	qsort(sink.lat_us, n_lat, sizeof(*sink.lat_us), cmp_u32);
	res->lat_p50_us = n_lat ? sink.lat_us[n_lat / 2] : 0;
	res->lat_p99_us = n_lat ? sink.lat_us[(size_t)n_lat * 99 / 100] : 0;
	res->enobufs = cnt.enobufs;
	res->send_errors = cnt.send_errors + atomic_load(&gen.errors);

	engine_free(&e);
	close(sink.fd);
	close(gen.fd);
	free(sink.lat_us);
	free(flows);
	free(gen_dst);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 summarize(const struct result *runs, unsigned n, size_t offset)
{
	double v[MAX_RUNS];

	for (unsigned i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&runs[i] + offset);
	qsort(v, n, sizeof(v[0]), cmp_double);
	return (struct stat3){n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]};
}

static void usage(void)
{
	printf("bench_datapath [--flows K (100)] [--rate PPS (50000)] [--duration S (5)]\n"
	       "  [--runs N (5)] [--payload BYTES (172)] [--burn-ns NS (0)] [--relay-cpu C (1)]\n"
	       "  [--gen-cpu C (0)] [--engines baseline,io_uring-coop,io_uring-defer,mmsg]\n");
}

static int parse_engines(const char *s, struct options *opt)
{
	char *copy = strdup(s), *save = NULL;

	memset(opt->engines, 0, sizeof(opt->engines));
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned k;

		for (k = 0; k < MAX_ENGINES && strcmp(t, engine_names[k]) != 0; k++)
			;
		if (k == MAX_ENGINES) {
			free(copy);
			return -EINVAL;
		}
		opt->engines[k] = true;
	}
	free(copy);
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
	    {"flows", required_argument, NULL, 'k'},
	    {"rate", required_argument, NULL, 'r'},
	    {"duration", required_argument, NULL, 'd'},
	    {"runs", required_argument, NULL, 'n'},
	    {"payload", required_argument, NULL, 'p'},
	    {"burn-ns", required_argument, NULL, 'b'},
	    {"relay-cpu", required_argument, NULL, 'R'},
	    {"gen-cpu", required_argument, NULL, 'G'},
	    {"engines", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	*opt = (struct options){.flows = 100,
				.rate = 50000,
				.runs = 5,
				.payload = 172,
				.duration = 5,
				.relay_cpu = 1,
				.gen_cpu = 0,
				.engines = {true, true, true, true}};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opt->flows = (unsigned)atoi(optarg);
			break;
		case 'r':
			opt->rate = (unsigned)atoi(optarg);
			break;
		case 'd':
			opt->duration = atof(optarg);
			break;
		case 'n':
			opt->runs = (unsigned)atoi(optarg);
			break;
		case 'p':
			opt->payload = (unsigned)atoi(optarg);
			break;
		case 'b':
			opt->burn_ns = (unsigned)atoi(optarg);
			break;
		case 'R':
			opt->relay_cpu = atoi(optarg);
			break;
		case 'G':
			opt->gen_cpu = atoi(optarg);
			break;
		case 'e':
			if (parse_engines(optarg, opt) < 0)
				return -EINVAL;
			break;
		case 'h':
			usage();
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (opt->flows == 0 || opt->flows > 30000 || opt->rate == 0 || opt->runs == 0 ||
	    opt->runs > MAX_RUNS || opt->duration <= 0 || opt->duration > 600 ||
	    opt->payload < sizeof(struct payload_head) || opt->payload > 1400)
		return -EINVAL;
	return 0;
}

#define FIELD(f) offsetof(struct result, f)

int main(int argc, char **argv)
{
	static struct result results[MAX_ENGINES][MAX_RUNS];
	struct options opt;
	int r;

	if (parse_options(argc, argv, &opt) < 0) {
		usage();
		return 2;
	}
	printf("# %u flows, %u pps total, %u-byte payload, handler burn %u ns, %u runs of %.1f s; "
	       "relay on CPU %d, generator and sink on CPU %d; sink blocks in epoll_wait\n",
	       opt.flows, opt.rate, opt.payload, opt.burn_ns, opt.runs, opt.duration, opt.relay_cpu,
	       opt.gen_cpu);
	for (unsigned run = 0; run < opt.runs; run++) {
		for (unsigned k = 0; k < MAX_ENGINES; k++) {
			if (!opt.engines[k])
				continue;
			r = run_once((enum engine_kind)k, &opt, &results[k][run]);
			if (r < 0) {
				fprintf(stderr, "Failed to run %s: %s\n", engine_names[k],
					strerror(-r));
				return 1;
			}
			fprintf(stderr,
				"run %u %-14s %9.0f pps  machine %6.2f us/pkt  process %6.2f "
				"us/pkt  relay %6.2f us/pkt  gen %5.1f%%  loss %5.2f%%  enobufs "
				"%" PRIu64 "  send errors %" PRIu64 "\n",
				run + 1, engine_names[k], results[k][run].pps,
				results[k][run].machine_ns / 1000,
				results[k][run].process_ns / 1000, results[k][run].relay_ns / 1000,
				results[k][run].gen_cpu_pct, results[k][run].loss_pct,
				results[k][run].enobufs, results[k][run].send_errors);
		}
	}

	struct stat3 base = {0}, base_proc = {0};

	if (opt.engines[ENGINE_BASELINE]) {
		base = summarize(results[ENGINE_BASELINE], opt.runs, FIELD(machine_ns));
		base_proc = summarize(results[ENGINE_BASELINE], opt.runs, FIELD(process_ns));
	}
	printf("| engine | delivered pps | loss %% | machine non-idle us/pkt (+ over baseline) | "
	       "bench process us/pkt (+ over baseline) | relay thread us/pkt | generator CPU %% | "
	       "latency p50/p99 us |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (unsigned k = 0; k < MAX_ENGINES; k++) {
		if (!opt.engines[k])
			continue;
		struct stat3 pps = summarize(results[k], opt.runs, FIELD(pps));
		struct stat3 loss = summarize(results[k], opt.runs, FIELD(loss_pct));
		struct stat3 mach = summarize(results[k], opt.runs, FIELD(machine_ns));
		struct stat3 proc = summarize(results[k], opt.runs, FIELD(process_ns));
		struct stat3 relay = summarize(results[k], opt.runs, FIELD(relay_ns));
		struct stat3 gen = summarize(results[k], opt.runs, FIELD(gen_cpu_pct));
		struct stat3 p50 = summarize(results[k], opt.runs, FIELD(lat_p50_us));
		struct stat3 p99 = summarize(results[k], opt.runs, FIELD(lat_p99_us));

		printf("| %s | %.0f (%.0f-%.0f) | %.2f | %.2f (%.2f-%.2f)", engine_names[k],
		       pps.med, pps.min, pps.max, loss.med, mach.med / 1000, mach.min / 1000,
		       mach.max / 1000);
		if (k != ENGINE_BASELINE && opt.engines[ENGINE_BASELINE])
			printf(" (%+.2f)", (mach.med - base.med) / 1000);
		printf(" | %.2f (%.2f-%.2f)", proc.med / 1000, proc.min / 1000, proc.max / 1000);
		if (k != ENGINE_BASELINE && opt.engines[ENGINE_BASELINE])
			printf(" (%+.2f)", (proc.med - base_proc.med) / 1000);
		printf(" | ");
		if (k != ENGINE_BASELINE)
			printf("%.2f (%.2f-%.2f) | ", relay.med / 1000, relay.min / 1000,
			       relay.max / 1000);
		else
			printf("- | ");
		printf("%.1f | %.0f / %.0f |\n", gen.med, p50.med, p99.med);
	}
	return 0;
}
