// SPDX-License-Identifier: MIT
/*
 * srtp-relay-mmsg: the obvious alternative to sluice's io_uring SRTP hop, for benchmarks only.
 * One thread, epoll over one UDP socket per leg and session, recvmmsg a batch from a ready
 * socket, per packet unprotect (receiving leg SRTP) and protect (other leg SRTP) with the same
 * calls sluice's workers make (sluice's SRTP library; engine libsrtp2 by default: the calls
 * rtpengine makes too, or sluice's OpenSSL engine), then one sendmmsg of the batch from the other
 * leg's socket. No control plane, no counters per stream, no latching policy beyond "the internal
 * remote is the source of the last packet received there".
 *
 * Session i: internal socket on INTERNAL_ADDR:(INTERNAL_PORT + i*STEP), gateway socket on
 * GATEWAY_ADDR:(GATEWAY_PORT + i*STEP); packets from the internal side go to
 * GATEWAY_REMOTE + i*STEP, packets from the gateway side to the internal side's latched source.
 * Every session uses the same keys (per leg and direction). SIGINT/SIGTERM stop it; it then prints
 * its counters (one JSON line).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "daemon/base64.h"
#include "srtp/srtp.h"

#define BATCH	 64
#define BUF_SIZE 2048

enum { LEG_INTERNAL = 0, LEG_GATEWAY = 1 };

struct leg_opts {
	bool srtp;
	enum sluice_srtp_suite suite;
	const char *rx_key, *tx_key;
};

struct sock_ctx {
	int fd;
	uint32_t session;
	int leg;
	struct sluice_srtp_ctx *rx; /* unprotects what arrives here (this leg SRTP) */
	struct sluice_srtp_ctx *tx; /* protects what leaves here (this leg SRTP) */
	struct sockaddr_storage remote;
	socklen_t remote_len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int make_ctx(const struct leg_opts *l, enum sluice_srtp_engine engine,
		    enum sluice_srtp_direction dir, struct sluice_srtp_ctx **ret)
{
	size_t kl = sluice_srtp_suite_key_len(l->suite), sl = sluice_srtp_suite_salt_len(l->suite);
	const char *b64 = dir == SLUICE_SRTP_INBOUND ? l->rx_key : l->tx_key;
	uint8_t key[SLUICE_SRTP_MAX_KEY_LEN + SLUICE_SRTP_MAX_SALT_LEN];
	int r;

	if (!b64 || base64_decode_exact(b64, key, kl + sl) < 0)
		return -EINVAL;
	r = sluice_srtp_ctx_new(engine, l->suite, dir, key, kl, key + kl, sl, NULL, ret);
	explicit_bzero(key, sizeof(key));
	return r;
}

static int bind_udp(const struct endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = endpoint_to_sockaddr(ep, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: srtp-relay-mmsg --sessions N --internal ADDR:PORT --gateway ADDR:PORT\n"
	    "         --gateway-remote ADDR:PORT [--port-step S (2)] [--engine libsrtp|openssl]\n"
	    "         [--internal-srtp SUITE --internal-rx-key B64 --internal-tx-key B64]\n"
	    "         [--gateway-srtp SUITE --gateway-rx-key B64 --gateway-tx-key B64]\n"
	    "         [--ready-file PATH]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"sessions", required_argument, NULL, 's'},
	    {"internal", required_argument, NULL, 'i'},
	    {"gateway", required_argument, NULL, 'g'},
	    {"gateway-remote", required_argument, NULL, 'r'},
	    {"port-step", required_argument, NULL, 'p'},
	    {"engine", required_argument, NULL, 'e'},
	    {"internal-srtp", required_argument, NULL, 1},
	    {"internal-rx-key", required_argument, NULL, 2},
	    {"internal-tx-key", required_argument, NULL, 3},
	    {"gateway-srtp", required_argument, NULL, 4},
	    {"gateway-rx-key", required_argument, NULL, 5},
	    {"gateway-tx-key", required_argument, NULL, 6},
	    {"ready-file", required_argument, NULL, 7},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct endpoint in_ep = {0}, gw_ep = {0}, remote = {0};
	struct leg_opts legs[2] = {0};
	enum sluice_srtp_engine engine = SLUICE_SRTP_LIBSRTP;
	const char *ready_file = NULL;
	uint32_t sessions = 0, step = 2;
	uint64_t rx = 0, tx = 0, srtp_drops = 0, send_errors = 0;
	struct sock_ctx *socks;
	struct sigaction sa = {.sa_handler = on_signal};
	struct rusage ru;
	int c, epfd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case 's':
			sessions = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			r = endpoint_parse(optarg, false, &in_ep);
			break;
		case 'g':
			r = endpoint_parse(optarg, false, &gw_ep);
			break;
		case 'r':
			r = endpoint_parse(optarg, false, &remote);
			break;
		case 'p':
			step = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'e':
			if (strcmp(optarg, "openssl") == 0)
				engine = SLUICE_SRTP_OPENSSL;
			else if (strcmp(optarg, "libsrtp") == 0)
				engine = SLUICE_SRTP_LIBSRTP;
			else
				r = -EINVAL;
			break;
		case 1:
		case 4:
			r = sluice_srtp_suite_from_name(optarg, &legs[c == 4].suite);
			legs[c == 4].srtp = true;
			break;
		case 2:
		case 5:
			legs[c == 5].rx_key = optarg;
			break;
		case 3:
		case 6:
			legs[c == 6].tx_key = optarg;
			break;
		case 7:
			ready_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (r < 0) {
			fprintf(stderr, "srtp-relay-mmsg: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (!sessions || !in_ep.port || !gw_ep.port || !remote.port ||
	    (uint64_t)in_ep.port + (uint64_t)sessions * step > 65536 ||
	    (uint64_t)gw_ep.port + (uint64_t)sessions * step > 65536 ||
	    (uint64_t)remote.port + (uint64_t)sessions * step > 65536) {
		usage(stderr);
		return 2;
	}

	struct rlimit rl = {.rlim_cur = 2ull * sessions + 64, .rlim_max = 2ull * sessions + 64};
	struct rlimit old;

	if (getrlimit(RLIMIT_NOFILE, &old) == 0 && old.rlim_cur < rl.rlim_cur)
		setrlimit(RLIMIT_NOFILE, &rl);
	socks = calloc(2ull * sessions, sizeof(*socks));
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!socks || epfd < 0)
		return 1;
	for (uint32_t i = 0; i < sessions; i++) {
		for (int l = 0; l < 2; l++) {
			struct sock_ctx *s = &socks[2 * i + l];
			struct endpoint ep = l == LEG_INTERNAL ? in_ep : gw_ep;
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
			int r = 0;

			ep.port = (uint16_t)(ep.port + i * step);
			s->session = i;
			s->leg = l;
			s->fd = bind_udp(&ep);
			if (s->fd < 0) {
				fprintf(stderr, "srtp-relay-mmsg: bind port %u: %s\n", ep.port,
					strerror(-s->fd));
				return 1;
			}
			if (legs[l].srtp) {
				r = make_ctx(&legs[l], engine, SLUICE_SRTP_INBOUND, &s->rx);
				if (r == 0)
					r = make_ctx(&legs[l], engine, SLUICE_SRTP_OUTBOUND,
						     &s->tx);
			}
			if (r < 0) {
				fprintf(stderr, "srtp-relay-mmsg: SRTP set-up: %s\n", strerror(-r));
				return 1;
			}
			if (l == LEG_GATEWAY) {
				struct endpoint rem = remote;

				rem.port = (uint16_t)(rem.port + i * step);
				s->remote_len = endpoint_to_sockaddr(&rem, &s->remote);
			}
			if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
				return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (ready_file) {
		FILE *f = fopen(ready_file, "we");

		if (f)
			fclose(f);
	}

	static uint8_t bufs[BATCH][BUF_SIZE];
	struct sockaddr_storage from[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	struct epoll_event events[64];

	while (!stop) {
		int n = epoll_wait(epfd, events, 64, 200);

		for (int k = 0; k < n; k++) {
			struct sock_ctx *s = events[k].data.ptr;
			struct sock_ctx *peer = &socks[2 * s->session + !s->leg];
			int got, m = 0, done = 0;

			for (int j = 0; j < BATCH; j++) {
				iin[j] = (struct iovec){.iov_base = bufs[j], .iov_len = BUF_SIZE};
				in[j].msg_hdr = (struct msghdr){.msg_name = &from[j],
								.msg_namelen = sizeof(from[j]),
								.msg_iov = &iin[j],
								.msg_iovlen = 1};
			}
			got = recvmmsg(s->fd, in, BATCH, MSG_DONTWAIT, NULL);
			if (got <= 0)
				continue;
			rx += (uint64_t)got;
			if (s->leg == LEG_INTERNAL) {
				/* Latch: replies go to where the internal side sends from. */
				memcpy(&s->remote, &from[got - 1], in[got - 1].msg_hdr.msg_namelen);
				s->remote_len = in[got - 1].msg_hdr.msg_namelen;
			}
			if (!peer->remote_len)
				continue;
			for (int j = 0; j < got; j++) {
				size_t len = in[j].msg_len;
				uint8_t *p = bufs[j];
				bool rtcp = len >= 2 && p[1] >= 192 && p[1] <= 223;
				int r = 0;

				if (s->rx)
					r = rtcp ? sluice_srtp_unprotect_rtcp(s->rx, p, &len)
						 : sluice_srtp_unprotect_rtp(s->rx, p, &len);
				if (r == 0 && peer->tx)
					r = rtcp ? sluice_srtp_protect_rtcp(peer->tx, p, &len,
									    BUF_SIZE)
						 : sluice_srtp_protect_rtp(peer->tx, p, &len,
									   BUF_SIZE);
				if (r < 0) {
					srtp_drops++;
					continue;
				}
				iout[m] = (struct iovec){.iov_base = p, .iov_len = len};
				out[m].msg_hdr = (struct msghdr){.msg_name = &peer->remote,
								 .msg_namelen = peer->remote_len,
								 .msg_iov = &iout[m],
								 .msg_iovlen = 1};
				m++;
			}
			while (done < m) {
				int r = sendmmsg(peer->fd, out + done, (unsigned)(m - done), 0);

				if (r < 0) {
					if (errno == EINTR)
						continue;
					send_errors++;
					done++;
					continue;
				}
				done += r;
				tx += (uint64_t)r;
			}
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"srtp_drops\":%" PRIu64
	       ",\"send_errors\":%" PRIu64 ",\"engine\":\"%s\",\"cpu_s\":%.6f}\n",
	       rx, tx, srtp_drops, send_errors, sluice_srtp_engine_name(engine),
	       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		   ru.ru_stime.tv_usec / 1e6);
	for (uint32_t i = 0; i < 2 * sessions; i++) {
		close(socks[i].fd);
		sluice_srtp_ctx_free(socks[i].rx);
		sluice_srtp_ctx_free(socks[i].tx);
	}
	free(socks);
	close(epfd);
	return 0;
}
