// SPDX-License-Identifier: MIT
/*
 * sluiced's start, main loop and stop; see daemon.h. The main thread owns the session table
 * and serves the admin socket; the io_uring workers run in their own threads and never wait on
 * it.
 */
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "daemon/admin.h"
#include "daemon/commands.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/interfaces.h"
#include "daemon/loader.h"
#include "daemon/ops.h"
#include "daemon/stats_provider.h"

#define LOOP_TICK_MS 1000

struct daemon {
	const struct sluice_config *config;
	struct loader *loader;
	struct session_maps maps;
	struct media_sockets *media;
	struct daemon_ops_ctx ops_ctx;
	struct session_table *table;
	struct commands_ctx commands;
	struct admin *admin;
	struct control *control; /* ng over UDP/MTLS; NULL when off */
	struct daemon_stats *stats;
	int signal_fd;
	unsigned n_ifaces; /* the devices XDP is attached to */
	char ifnames[CONFIG_MAX_INTERFACES][IF_NAMESIZE];
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	if (level == LIBBPF_DEBUG && log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
		line[len - 1] = '\0';
	if (level == LIBBPF_WARN)
		log_warning("%s", line);
	else
		log_debug("%s", line);
	return 0;
}

/* Every stream holds a socket: make room for 4 per session plus our own. */
static void raise_fd_limit(uint32_t max_sessions)
{
	rlim_t want = (rlim_t)max_sessions * 4 + 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warning("Open file limit %llu is below the %llu that max_sessions needs",
			    (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

/*
 * Sockets one worker may own: sessions are sharded by id, so any worker may get them all. A
 * ring's file table may not exceed the open file limit (the kernel says EMFILE).
 */
static unsigned media_max_ports(const struct sluice_config *config)
{
	uint64_t ports = (uint64_t)config->max_sessions * SESSION_MAX_STREAMS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < ports + 256)
		ports = rl.rlim_cur > 512 ? rl.rlim_cur - 256 : 256;
	return ports > 65534 ? 65534 : (unsigned)ports;
}

static int open_signal_fd(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP); /* reloads the ng TLS certificates */
	/* Blocked before any thread starts, so every thread inherits it. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static void adopt_warning(void *userdata, uint32_t session_id, const char *reason)
{
	log_warning("Dropping pinned session %u: %s", session_id, reason);
}

static int adopt_sessions(struct daemon *d)
{
	struct session_map_entry *entries;
	size_t n;
	int r;

	r = session_maps_dump_streams(&d->maps, &entries, &n);
	if (r < 0) {
		log_error("Failed to read the pinned sluice_streams map: %s", strerror(-r));
		return r;
	}
	r = session_table_adopt(d->table, entries, n, adopt_warning, d);
	free(entries);
	if (r < 0) {
		log_error("Failed to adopt the pinned sessions: %s", strerror(-r));
		return r;
	}
	log_info("Adopted %d session(s) from %s", r, d->config->pin_path);
	return 0;
}

static int attach_all(struct daemon *d)
{
	char(*names)[IF_NAMESIZE] = d->ifnames, error[LOADER_ERROR_MAX];
	unsigned n;
	int r;

	r = interfaces_resolve(d->config, names, &n);
	if (r < 0) {
		log_error("Failed to find interfaces to attach to: %s",
			  r == -ENODEV ? "no up, non-loopback interface with an address"
				       : strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < n; i++) {
		r = loader_attach(d->loader, names[i], error, sizeof(error));
		if (r < 0) {
			log_error("Failed to attach: %s", error);
			return r;
		}
		log_info("Attached XDP to %s", names[i]);
		d->n_ifaces = i + 1;
	}
	return 0;
}

/* One worker's AF_XDP sockets: queue `worker` of every device, entered into the XSKMAP. */
static int enable_worker_xsk(struct daemon *d, const struct loader_xsk_maps *maps,
			     struct dp_xsk_opts *opts, unsigned worker, char *error, size_t len)
{
	int fds[DP_XSK_MAX_IFACES], r;

	if (worker >= SLUICE_XSK_MAX_QUEUES) {
		snprintf(error, len, "queue %u is beyond the %u the program knows", worker,
			 SLUICE_XSK_MAX_QUEUES);
		return -ERANGE;
	}
	opts->queue = worker;
	r = media_sockets_enable_xsk(d->media, worker, opts, fds, error, len);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < d->n_ifaces; i++) {
		__u32 key = i * SLUICE_XSK_MAX_QUEUES + worker;

		if (bpf_map_update_elem(maps->xsks_fd, &key, &fds[i], BPF_ANY) < 0) {
			r = -errno;
			snprintf(error, len,
				 "cannot enter the AF_XDP socket of %s in sluice_xsks: %s",
				 d->ifnames[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

/* worker_cpus: every CPU it names must be one this process may run on. */
static int check_worker_cpus(const struct sluice_config *config)
{
	cpu_set_t allowed;

	if (config->n_worker_cpus == 0)
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0) {
		log_error("worker_cpus: cannot read the CPUs sluiced may run on: %s",
			  strerror(errno));
		return -errno;
	}
	for (unsigned i = 0; i < config->n_worker_cpus; i++) {
		if (!CPU_ISSET(config->worker_cpus[i], &allowed)) {
			log_error(
			    "worker_cpus: sluiced may not run on CPU %u (offline, or outside its "
			    "cpuset or CPU affinity)",
			    config->worker_cpus[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * AF_XDP for the crypto legs (af_xdp = auto|yes|no): worker w gets sockets on queue w of every
 * device XDP is attached to; a worker that cannot (a device with fewer queues, no AF_XDP
 * support) stays on its UDP sockets, which af_xdp = yes refuses. Before the workers start.
 */
static int setup_xsk(struct daemon *d)
{
	struct dp_xsk_opts opts = {.n_ifaces = d->n_ifaces,
				   .generic = d->config->xdp_mode == XDP_MODE_GENERIC};
	unsigned n_workers = media_sockets_workers(d->media), enabled = 0;
	struct loader_xsk_maps maps;
	char error[LOADER_ERROR_MAX];
	int r;

	d->ops_ctx.xsk_ports_fd = -1;
	if (d->config->af_xdp == CONFIG_AF_XDP_NO)
		return 0;
	if (d->n_ifaces > DP_XSK_MAX_IFACES) {
		log_error("af_xdp: %u devices, at most %u have AF_XDP sockets; set af_xdp = no",
			  d->n_ifaces, DP_XSK_MAX_IFACES);
		return -E2BIG;
	}
	loader_xsk_maps(d->loader, &maps);
	for (unsigned i = 0; i < d->n_ifaces; i++) {
		__u32 ifindex = if_nametoindex(d->ifnames[i]), slot = i;

		snprintf(opts.ifname[i], sizeof(opts.ifname[i]), "%s", d->ifnames[i]);
		if (ifindex == 0 ||
		    bpf_map_update_elem(maps.ifslots_fd, &ifindex, &slot, BPF_ANY)) {
			log_error("af_xdp: cannot enter %s in sluice_xsk_ifslots: %s",
				  d->ifnames[i], strerror(errno));
			return -errno;
		}
	}
	for (unsigned w = 0; w < n_workers; w++) {
		r = enable_worker_xsk(d, &maps, &opts, w, error, sizeof(error));
		if (r == 0) {
			enabled++;
			continue;
		}
		if (d->config->af_xdp == CONFIG_AF_XDP_YES) {
			log_error("af_xdp = yes, but worker %u cannot have AF_XDP sockets: %s", w,
				  error);
			return r;
		}
		log_info("Worker %u stays on UDP sockets for SRTP legs: %s", w, error);
	}
	if (enabled > 0)
		d->ops_ctx.xsk_ports_fd = maps.ports_fd;
	log_info("AF_XDP: %u of %u worker(s) receive SRTP legs on their own device queue", enabled,
		 n_workers);
	return 0;
}

/* Load or adopt the BPF state and build the session table on it. */
static int start_fast_path(struct daemon *d)
{
	char error[LOADER_ERROR_MAX];
	int r;

	if (d->config->xdp_mode == XDP_MODE_GENERIC)
		log_warning("xdp_mode = generic: XDP runs after the kernel allocated the skb; "
			    "expect a fraction of native performance");
	r = loader_open(d->config, &d->loader, error, sizeof(error));
	if (r < 0) {
		log_error("Failed to load the relay program: %s", error);
		return r;
	}
	r = loader_session_maps(d->loader, &d->maps);
	if (r < 0) {
		log_error("Failed to count the possible CPUs: %s", strerror(-r));
		return r;
	}
	d->ops_ctx =
	    (struct daemon_ops_ctx){.maps = &d->maps, .media = d->media, .xsk_ports_fd = -1};
	r = session_table_new(d->config->port_min, d->config->port_max, d->config->max_sessions,
			      &daemon_session_ops, &d->ops_ctx, &d->table);
	if (r < 0) {
		log_error("Failed to create the session table: %s", strerror(-r));
		return r;
	}
	if (loader_adopted(d->loader)) {
		r = adopt_sessions(d);
		if (r < 0)
			return r;
	}
	return attach_all(d);
}

static int daemon_start(struct daemon *d)
{
	int r;

	/* Before any other crypto. */
	r = control_enable_fips(d->config);
	if (r < 0)
		return r;
	r = admin_check_not_running(d->config->admin_socket);
	if (r < 0) {
		log_error("Failed to claim %s: %s", d->config->admin_socket,
			  r == -EADDRINUSE ? "another sluiced is running" : strerror(-r));
		return r;
	}
	raise_fd_limit(d->config->max_sessions);
	d->signal_fd = open_signal_fd();
	if (d->signal_fd < 0) {
		log_error("Failed to set up signal handling: %s", strerror(-d->signal_fd));
		return d->signal_fd;
	}
	r = check_worker_cpus(d->config);
	if (r < 0)
		return r;
	r = media_sockets_new(
	    &(struct media_sockets_opts){.n_workers = d->config->workers,
					 .max_ports = media_max_ports(d->config),
					 .rt_priority = d->config->worker_priority,
					 .cpus = d->config->worker_cpus,
					 .n_cpus = d->config->n_worker_cpus},
	    &(struct relay_maps){
		.lookup = daemon_lookup_latch, .store_latch = daemon_store_latch, .arg = &d->maps},
	    &d->media);
	if (r < 0) {
		log_error("Failed to create the io_uring workers: %s", strerror(-r));
		return r;
	}
	/* The workers start once their AF_XDP sockets exist (they need the attached devices). */
	r = start_fast_path(d);
	if (r == 0)
		r = setup_xsk(d);
	if (r < 0)
		return r;
	r = media_sockets_start(d->media);
	if (r == -EPERM && d->config->worker_priority) {
		log_error("Failed to start the io_uring workers: worker_priority = %u needs "
			  "CAP_SYS_NICE (or RLIMIT_RTPRIO) and real-time CPU time for the daemon's "
			  "cgroup: %s",
			  d->config->worker_priority, strerror(-r));
		return r;
	}
	if (r < 0) {
		log_error("Failed to start the io_uring workers: %s", strerror(-r));
		return r;
	}
	log_info("%u io_uring worker(s)%s%s, SRTP engine %s, encryption_level %s, gateway SRTP %s, "
		 "af_xdp %s",
		 media_sockets_workers(d->media), d->config->worker_priority ? " (SCHED_FIFO)" : "",
		 d->config->n_worker_cpus ? " pinned by worker_cpus" : "",
		 sluice_srtp_engine_name((enum sluice_srtp_engine)d->config->srtp_engine),
		 config_encryption_level_name(d->config->encryption_level),
		 config_gateway_srtp_mode_name(config_gateway_srtp_effective(d->config)),
		 config_af_xdp_name(d->config->af_xdp));
	d->commands = (struct commands_ctx){
	    .config = d->config, .table = d->table, .maps = &d->maps, .media = d->media};
	r = admin_new(d->config->admin_socket, commands_handle, &d->commands, &d->admin);
	if (r < 0) {
		log_error("Failed to listen on %s: %s", d->config->admin_socket, strerror(-r));
		return r;
	}
	r = control_start(d->config, d->table, &d->maps, d->media, &d->control);
	if (r < 0)
		return r;
	return daemon_stats_start(d->config, d->table, &d->maps, d->media, &d->stats);
}

static int daemon_run(struct daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN}, events[4];
	int epoll_fd, r = 0;
	bool running = true;

	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_fd < 0)
		return -errno;
	ev.data.fd = d->signal_fd;
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, d->signal_fd, &ev);
	ev.data.fd = admin_fd(d->admin);
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, admin_fd(d->admin), &ev);
	log_info("Serving %u session(s); admin socket %s", (unsigned)session_table_count(d->table),
		 d->config->admin_socket);
	while (running) {
		int n = epoll_wait(epoll_fd, events, 4, LOOP_TICK_MS);

		for (int i = 0; i < n; i++) {
			struct signalfd_siginfo si;

			if (events[i].data.fd != d->signal_fd)
				continue;
			if (read(d->signal_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				control_reload(d->control);
			} else {
				log_info("Received %s, stopping", strsignal((int)si.ssi_signo));
				running = false;
			}
		}
		/* Also on the tick: expires slow clients. */
		admin_process(d->admin);
	}
	close(epoll_fd);
	return r;
}

/* Clean stop, or undo a failed start; a failed start on adopted state leaves it running. */
static void daemon_stop(struct daemon *d, bool clean)
{
	bool remove_state = clean || (d->loader && !loader_adopted(d->loader));

	control_stop(d->control);
	daemon_stats_stop(d->stats);
	admin_free(d->admin);
	if (d->loader && remove_state)
		loader_detach_all(d->loader);
	session_table_free(d->table);
	media_sockets_free(d->media);
	if (d->loader && remove_state)
		loader_unpin(d->loader);
	loader_free(d->loader);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
}

int daemon_main(const struct sluice_config *config)
{
	struct daemon d = {.config = config, .signal_fd = -1};
	int r;

	libbpf_set_print(libbpf_log);
	r = daemon_start(&d);
	if (r < 0) {
		daemon_stop(&d, false);
		return r;
	}
	r = daemon_run(&d);
	if (r < 0)
		log_error("Failed to run the main loop: %s", strerror(-r));
	daemon_stop(&d, true);
	log_info("Stopped: XDP detached, pins under %s removed", config->pin_path);
	return r;
}
