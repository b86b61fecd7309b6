// SPDX-License-Identifier: MIT
/*
 * AF_XDP sockets of an io_uring worker (worker.h, dp_worker_enable_xsk). One UMEM per worker,
 * shared by one socket per relay device, all bound to the queue numbered like the worker. XDP
 * puts a struct sluice_xsk_hdr in front of each packet it redirects here; the worker finds the
 * port by the header's handle, hands the UDP payload to the same handler as a UDP socket's
 * packet (source from the IP and UDP headers), rewrites Ethernet, IP and UDP in place for the
 * handler's destination and queues the frame on the egress device's socket: no copy, no skb on
 * receive, no socket lookup. When the handler's destination is not the one XDP looked up (or
 * the egress device has no socket here), the payload leaves from the port's UDP socket instead,
 * so the answer is always the handler's.
 *
 * Frames: each is in exactly one place: the free stack, a fill ring, the kernel (received, not
 * yet read), the worker's hands during a batch, a TX ring until its completion, or a UDP
 * sendmsg until its CQE. Readiness comes from one multishot poll per socket on the worker's ring;
 * completions are reaped every loop, so the fill rings stay full while traffic flows.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <xdp/xsk.h>

#include <sluice/relay.h>

#include "datapath/worker_internal.h"

#define XSK_FRAME_SIZE	 2048u
#define XSK_DEFAULT_RING 1024u
#define XSK_RX_BATCH	 64u
/* Packets per socket per loop before the loop looks at its ring again (then without sleeping). */
#define XSK_RX_BUDGET 256u
/* Copy-mode transmit sends at most 32 frames per kick: kicks per loop before giving the CPU up. */
#define XSK_KICKS 32u
/* Room for the skbs of copy-mode transmit in flight toward the peer device. */
#define XSK_SNDBUF (4 << 20)

/*
 * The IP header follows the 14-byte Ethernet header, 2 octets off its natural alignment (frames
 * are 4-aligned and so is the 48-byte sluice_xsk_hdr): it is accessed through under-aligned types.
 */
typedef struct iphdr __attribute__((aligned(1))) iphdr_u;
typedef struct ipv6hdr __attribute__((aligned(1))) ipv6hdr_u;
_Static_assert(sizeof(struct sluice_xsk_hdr) % 4 == 0, "the Ethernet header stays 4-aligned");

struct xsk_if {
	struct xsk_socket *socket;
	struct xsk_ring_cons rx, comp;
	struct xsk_ring_prod tx, fill;
	int fd;
	int ifindex;
	unsigned tx_queued; /* descriptors written since the last submit */
	bool tx_pending;    /* submitted descriptors the kernel has not taken yet */
};

/* A frame that leaves from a port's UDP socket: its sendmsg in flight. */
struct xsk_send {
	struct msghdr msg;
	struct iovec iov;
	union dp_sockaddr dst;
};

struct dp_xsk {
	uint8_t *area;
	size_t area_size;
	struct xsk_umem *umem;
	unsigned ring;
	unsigned n_frames;
	uint64_t *free; /* frame addresses (offsets into area) */
	unsigned n_free;
	struct xsk_send *sends; /* by frame index */
	unsigned n_ifs;
	struct xsk_if ifs[DP_XSK_MAX_IFACES];
};

static void free_frame(struct dp_xsk *x, uint64_t addr)
{
	x->free[x->n_free++] = addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
}

static void refill(struct dp_xsk *x)
{
	for (unsigned i = 0; i < x->n_ifs && x->n_free > 0; i++) {
		struct xsk_if *xi = &x->ifs[i];
		unsigned n = xsk_prod_nb_free(&xi->fill, x->ring);
		__u32 idx;

		if (n > x->n_free)
			n = x->n_free;
		if (n == 0 || xsk_ring_prod__reserve(&xi->fill, n, &idx) != n)
			continue;
		for (unsigned k = 0; k < n; k++)
			*xsk_ring_prod__fill_addr(&xi->fill, idx + k) = x->free[--x->n_free];
		xsk_ring_prod__submit(&xi->fill, n);
		/* Zero-copy drivers may wait to be told the fill ring has buffers again. */
		if (xsk_ring_prod__needs_wakeup(&xi->fill))
			(void)recvfrom(xi->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

static void xsk_destroy(struct dp_xsk *x)
{
	for (unsigned i = 0; i < x->n_ifs; i++)
		xsk_socket__delete(x->ifs[i].socket);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_size);
	free(x->free);
	free(x->sends);
	free(x);
}

int dp_worker_enable_xsk(struct dp_worker *w, const struct dp_xsk_opts *opts, int ret_fds[],
			 char *error, size_t error_len)
{
	struct xsk_umem_config ucfg = {0};
	struct dp_xsk *x;
	unsigned ring = opts->ring ? opts->ring : XSK_DEFAULT_RING;
	int r;

	if (w->started || w->xsk)
		return -EALREADY;
	if (opts->n_ifaces == 0 || opts->n_ifaces > DP_XSK_MAX_IFACES || (ring & (ring - 1)) ||
	    ring < 64 || ring > 16384) {
		snprintf(error, error_len, "bad AF_XDP options (%u devices, ring %u)",
			 opts->n_ifaces, ring);
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ring = ring;
	/* A fill ring's worth per device, and as many again for frames on their way out. */
	x->n_frames = 2 * opts->n_ifaces * ring;
	x->area_size = (size_t)x->n_frames * XSK_FRAME_SIZE;
	x->free = calloc(x->n_frames, sizeof(*x->free));
	x->sends = calloc(x->n_frames, sizeof(*x->sends));
	x->area = mmap(NULL, x->area_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	if (x->area == MAP_FAILED) {
		x->area = NULL;
		r = -errno;
		snprintf(error, error_len, "cannot map %zu bytes of UMEM: %s", x->area_size,
			 strerror(-r));
		goto fail;
	}
	if (!x->free || !x->sends) {
		r = -ENOMEM;
		snprintf(error, error_len, "out of memory");
		goto fail;
	}
	ucfg.fill_size = ring;
	ucfg.comp_size = ring;
	ucfg.frame_size = XSK_FRAME_SIZE;
	r = xsk_umem__create(&x->umem, x->area, x->area_size, &x->ifs[0].fill, &x->ifs[0].comp,
			     &ucfg);
	if (r < 0) {
		x->umem = NULL;
		snprintf(error, error_len, "cannot register the UMEM: %s", strerror(-r));
		goto fail;
	}
	for (unsigned i = 0; i < opts->n_ifaces; i++) {
		struct xsk_socket_config cfg = {
		    .rx_size = ring,
		    .tx_size = ring,
		    /* The relay program redirects; libxdp must not load its own. */
		    .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		    .xdp_flags = opts->generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
		    .bind_flags = XDP_USE_NEED_WAKEUP,
		};
		struct xsk_if *xi = &x->ifs[i];
		int sndbuf = XSK_SNDBUF;

		r = xsk_socket__create_shared(&xi->socket, opts->ifname[i], opts->queue, x->umem,
					      &xi->rx, &xi->tx, &xi->fill, &xi->comp, &cfg);
		if (r < 0) {
			xi->socket = NULL;
			snprintf(error, error_len, "cannot bind an AF_XDP socket to %s queue %u: %s",
				 opts->ifname[i], opts->queue, strerror(-r));
			goto fail;
		}
		x->n_ifs++;
		xi->fd = xsk_socket__fd(xi->socket);
		xi->ifindex = (int)if_nametoindex(opts->ifname[i]);
		(void)setsockopt(xi->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
		ret_fds[i] = xi->fd;
	}
	for (unsigned f = x->n_frames; f-- > 0;)
		free_frame(x, (uint64_t)f * XSK_FRAME_SIZE);
	refill(x);
	w->xsk = x;
	return 0;

fail:
	xsk_destroy(x);
	return r;
}

bool dp_worker_has_xsk(const struct dp_worker *w)
{
	return w->xsk != NULL;
}

void dp_worker_xsk_kstats(const struct dp_worker *w, struct dp_xsk_kstats *ret)
{
	*ret = (struct dp_xsk_kstats){0};
	if (!w->xsk)
		return;
	for (unsigned i = 0; i < w->xsk->n_ifs; i++) {
		struct xdp_statistics st = {0};
		socklen_t len = sizeof(st);

		if (getsockopt(w->xsk->ifs[i].fd, SOL_XDP, XDP_STATISTICS, &st, &len) < 0)
			continue;
		ret->rx_dropped += st.rx_dropped;
		ret->rx_invalid += st.rx_invalid_descs;
		ret->tx_invalid += st.tx_invalid_descs;
		ret->rx_ring_full += st.rx_ring_full;
		ret->fill_ring_empty += st.rx_fill_ring_empty_descs;
	}
}

void dp_xsk_free(struct dp_worker *w)
{
	if (!w->xsk)
		return;
	xsk_destroy(w->xsk);
	w->xsk = NULL;
}

static void arm_poll(struct dp_worker *w, unsigned i)
{
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, w->xsk->ifs[i].fd, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(OP_XSK_POLL, 0, i));
}

void dp_xsk_arm(struct dp_worker *w)
{
	if (!w->xsk)
		return;
	for (unsigned i = 0; i < w->xsk->n_ifs; i++)
		arm_poll(w, i);
}

void dp_xsk_port_added(struct dp_worker *w, unsigned slot, int fd)
{
	struct port *p = &w->ports[slot];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	p->local_family = 0;
	if (!w->xsk || getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		memset(p->local_addr, 0, 10);
		memset(p->local_addr + 10, 0xff, 2);
		memcpy(p->local_addr + 12, &in->sin_addr, 4);
		p->local_port = in->sin_port;
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		memcpy(p->local_addr, &in6->sin6_addr, 16);
		p->local_port = in6->sin6_port;
	} else {
		return;
	}
	p->local_family = (uint8_t)ss.ss_family;
}

void dp_xsk_handle_cqe(struct dp_worker *w, const struct io_uring_cqe *cqe)
{
	struct dp_xsk *x = w->xsk;
	unsigned slot = UD_SLOT(cqe->user_data);

	if (!x)
		return;
	if (UD_OP(cqe->user_data) == OP_XSK_POLL) {
		/* Readiness only: dp_xsk_run() looks at every ring after the batch. */
		if (!(cqe->flags & IORING_CQE_F_MORE) && cqe->res != -ECANCELED &&
		    slot < x->n_ifs)
			arm_poll(w, slot);
		return;
	}
	/* OP_XSK_SEND: a frame that left from a UDP socket. */
	if (slot >= x->n_frames)
		return;
	if (cqe->res < 0) {
		dp_count(&w->counters.send_errors, 1);
	} else {
		dp_count(&w->counters.tx, 1);
		dp_count(&w->counters.tx_bytes, (uint64_t)cqe->res);
	}
	free_frame(x, (uint64_t)slot * XSK_FRAME_SIZE);
}

/* Internet checksum (RFC 1071) arithmetic over bytes in memory order. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint32_t word;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&word, p, 4);
		sum += word;
	}
	if (len >= 2) {
		uint16_t half;

		memcpy(&half, p, 2);
		sum += half;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {p[0], 0};
		uint16_t half;

		memcpy(&half, last, 2);
		sum += half;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum over the pseudo-header (addresses as in the IP header) and the datagram. */
static uint16_t udp_csum(const uint8_t *saddr, const uint8_t *daddr, size_t addr_len,
			 const uint8_t *udp, size_t udp_len)
{
	uint8_t tail[4] = {0, 0, 0, IPPROTO_UDP};
	uint16_t len16 = htons((uint16_t)udp_len), c;
	uint64_t sum;

	sum = csum_add(0, saddr, addr_len);
	sum = csum_add(sum, daddr, addr_len);
	sum = csum_add(sum, tail, sizeof(tail));
	sum = csum_add(sum, (const uint8_t *)&len16, 2);
	sum = csum_add(sum, udp, udp_len);
	c = csum_fold(sum);
	/* 0 means "no checksum" for UDP; a computed 0 is sent as all ones (RFC 768). */
	return c ? c : 0xffff;
}

static struct xsk_if *find_if(struct dp_xsk *x, uint32_t ifindex)
{
	for (unsigned i = 0; i < x->n_ifs; i++)
		if ((uint32_t)x->ifs[i].ifindex == ifindex)
			return &x->ifs[i];
	return NULL;
}

/* Is the handler's destination the one XDP's FIB lookup was for? */
static bool same_destination(const struct dp_tx *tx, const struct sluice_xsk_hdr *hdr)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (tx->dst.sa.sa_family == AF_INET)
		return tx->dst.in.sin_port == hdr->dport &&
		       memcmp(hdr->daddr, v4mapped, 12) == 0 &&
		       memcmp(hdr->daddr + 12, &tx->dst.in.sin_addr, 4) == 0;
	if (tx->dst.sa.sa_family == AF_INET6)
		return tx->dst.in6.sin6_port == hdr->dport &&
		       memcmp(hdr->daddr, &tx->dst.in6.sin6_addr, 16) == 0;
	return false;
}

/* Where the packet's IP and UDP headers are; false when the frame is not what XDP sends. */
struct frame_view {
	struct ethhdr *eth;
	uint8_t *l3;
	struct udphdr *udp;
	uint8_t *payload;
	size_t payload_len;
	int family;
	union dp_sockaddr src;
	socklen_t src_len;
};

static bool parse_frame(uint8_t *pkt, size_t len, struct frame_view *v)
{
	uint8_t *end = pkt + len;
	size_t l3_len;

	if (len < ETH_HLEN)
		return false;
	v->eth = (struct ethhdr *)pkt;
	v->l3 = pkt + ETH_HLEN;
	if (v->eth->h_proto == htons(ETH_P_IP)) {
		iphdr_u *ip = (iphdr_u *)v->l3;

		if (v->l3 + sizeof(*ip) > end || ip->ihl < 5 || v->l3 + ip->ihl * 4u > end)
			return false;
		l3_len = ip->ihl * 4u;
		v->family = AF_INET;
		v->src.in = (struct sockaddr_in){.sin_family = AF_INET};
		memcpy(&v->src.in.sin_addr, &ip->saddr, 4);
		v->src_len = sizeof(v->src.in);
	} else if (v->eth->h_proto == htons(ETH_P_IPV6)) {
		ipv6hdr_u *ip6 = (ipv6hdr_u *)v->l3;

		if (v->l3 + sizeof(*ip6) > end)
			return false;
		l3_len = sizeof(*ip6);
		v->family = AF_INET6;
		v->src.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6};
		memcpy(&v->src.in6.sin6_addr, &ip6->saddr, 16);
		v->src_len = sizeof(v->src.in6);
	} else {
		return false;
	}
	v->udp = (struct udphdr *)(v->l3 + l3_len);
	v->payload = (uint8_t *)(v->udp + 1);
	if (v->payload > end || ntohs(v->udp->len) < sizeof(*v->udp) ||
	    v->payload + ntohs(v->udp->len) - sizeof(*v->udp) > end)
		return false;
	v->payload_len = ntohs(v->udp->len) - sizeof(*v->udp);
	/* sin_port and sin6_port sit at the same offset. */
	v->src.in.sin_port = v->udp->source;
	return true;
}

/* Rewrite the headers in place for a payload of len bytes from `from` to tx->dst. */
static void rewrite_headers(struct frame_view *v, const struct sluice_xsk_hdr *hdr,
			    const struct port *from, const struct dp_tx *tx, size_t len)
{
	size_t udp_len = sizeof(*v->udp) + len;

	memcpy(v->eth->h_dest, hdr->dmac, ETH_ALEN);
	memcpy(v->eth->h_source, hdr->smac, ETH_ALEN);
	v->udp->source = from->local_port;
	v->udp->len = htons((uint16_t)udp_len);
	v->udp->check = 0;
	if (v->family == AF_INET) {
		iphdr_u *ip = (iphdr_u *)v->l3;

		memcpy(&ip->saddr, from->local_addr + 12, 4);
		memcpy(&ip->daddr, &tx->dst.in.sin_addr, 4);
		ip->ttl = SLUICE_FORWARD_TTL;
		ip->tot_len = htons((uint16_t)(ip->ihl * 4u + udp_len));
		ip->check = 0;
		ip->check = csum_fold(csum_add(0, v->l3, ip->ihl * 4u));
		v->udp->dest = tx->dst.in.sin_port;
		v->udp->check = udp_csum((uint8_t *)&ip->saddr, (uint8_t *)&ip->daddr, 4,
					 (uint8_t *)v->udp, udp_len);
	} else {
		ipv6hdr_u *ip6 = (ipv6hdr_u *)v->l3;

		memcpy(&ip6->saddr, from->local_addr, 16);
		memcpy(&ip6->daddr, &tx->dst.in6.sin6_addr, 16);
		ip6->hop_limit = SLUICE_FORWARD_TTL;
		ip6->payload_len = htons((uint16_t)udp_len);
		v->udp->dest = tx->dst.in6.sin6_port;
		v->udp->check = udp_csum((uint8_t *)&ip6->saddr, (uint8_t *)&ip6->daddr, 16,
					 (uint8_t *)v->udp, udp_len);
	}
}

/* The payload leaves from the handler's port's UDP socket (the kernel builds the headers). */
static void send_from_socket(struct dp_worker *w, uint64_t frame, uint8_t *payload,
			     const struct dp_tx *tx)
{
	struct dp_xsk *x = w->xsk;
	struct xsk_send *s = &x->sends[frame / XSK_FRAME_SIZE];
	struct io_uring_sqe *sqe = dp_get_sqe(w);

	if (!sqe) {
		dp_count(&w->counters.send_errors, 1);
		free_frame(x, frame);
		return;
	}
	memcpy(&s->dst, &tx->dst, tx->dst_len);
	s->iov = (struct iovec){.iov_base = payload, .iov_len = tx->len};
	s->msg = (struct msghdr){
	    .msg_name = &s->dst, .msg_namelen = tx->dst_len, .msg_iov = &s->iov, .msg_iovlen = 1};
	io_uring_prep_sendmsg(sqe, (int)DP_PORT_SLOT(tx->out_port), &s->msg, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, UD(OP_XSK_SEND, 0, frame / XSK_FRAME_SIZE));
	dp_count(&w->counters.xsk_fallback, 1);
}

static void relay_frame(struct dp_worker *w, uint64_t addr, uint32_t len)
{
	struct dp_xsk *x = w->xsk;
	uint64_t frame = addr & ~(uint64_t)(XSK_FRAME_SIZE - 1);
	uint8_t *data = x->area + addr, *frame_end = x->area + frame + XSK_FRAME_SIZE;
	struct sluice_xsk_hdr hdr;
	struct frame_view v;
	const struct port *from;
	struct xsk_if *egress;
	struct dp_tx tx;
	int verdict;
	__u32 idx;

	dp_count(&w->counters.xsk_rx, 1);
	if (len < sizeof(hdr) || addr - frame + len > XSK_FRAME_SIZE)
		goto bad;
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.magic != SLUICE_XSK_MAGIC || !dp_port_can_receive(w, hdr.port) ||
	    !parse_frame(data + sizeof(hdr), len - sizeof(hdr), &v))
		goto bad;

	dp_count(&w->counters.rx, 1);
	dp_count(&w->counters.rx_bytes, v.payload_len);
	tx = (struct dp_tx){.src = &v.src.sa, .src_len = v.src_len, .out_port = DP_PORT_INVALID};
	verdict = w->handler(w->ports[DP_PORT_SLOT(hdr.port)].ctx, v.payload, v.payload_len,
			     (size_t)(frame_end - v.payload), &tx);
	if (verdict != DP_SEND) {
		if (verdict < 0 || verdict >= DP_DROP_CODES)
			verdict = DP_DROP_CODES - 1;
		dp_count(&w->counters.drops[verdict], 1);
		free_frame(x, frame);
		return;
	}
	if (tx.len > (size_t)(frame_end - v.payload) || !dp_port_can_send(w, tx.out_port) ||
	    tx.dst_len < sizeof(struct sockaddr_in) || tx.dst_len > sizeof(tx.dst)) {
		dp_count(&w->counters.bad_tx, 1);
		free_frame(x, frame);
		return;
	}
	from = &w->ports[DP_PORT_SLOT(tx.out_port)];
	egress = find_if(x, hdr.ifindex);
	if (!egress || tx.dst.sa.sa_family != v.family || from->local_family != v.family ||
	    !same_destination(&tx, &hdr)) {
		send_from_socket(w, frame, v.payload, &tx);
		return;
	}
	if (xsk_ring_prod__reserve(&egress->tx, 1, &idx) != 1) {
		dp_count(&w->counters.send_errors, 1);
		free_frame(x, frame);
		return;
	}
	rewrite_headers(&v, &hdr, from, &tx, tx.len);
	xsk_ring_prod__tx_desc(&egress->tx, idx)->addr = addr + sizeof(hdr);
	xsk_ring_prod__tx_desc(&egress->tx, idx)->len =
	    (uint32_t)(v.payload - (uint8_t *)v.eth + tx.len);
	xsk_ring_prod__tx_desc(&egress->tx, idx)->options = 0;
	egress->tx_queued++;
	dp_count(&w->counters.tx, 1);
	dp_count(&w->counters.tx_bytes, tx.len);
	dp_count(&w->counters.xsk_tx, 1);
	return;

bad:
	dp_count(&w->counters.xsk_bad, 1);
	free_frame(x, frame);
}

/* Relays what the socket has received; returns the number of frames read (<= budget). */
static unsigned receive(struct dp_worker *w, struct xsk_if *xi, unsigned budget)
{
	unsigned done = 0;

	while (done < budget) {
		__u32 idx;
		unsigned n = xsk_ring_cons__peek(&xi->rx, XSK_RX_BATCH, &idx);

		if (n == 0)
			break;
		for (unsigned k = 0; k < n; k++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&xi->rx, idx + k);

			relay_frame(w, d->addr, d->len);
		}
		xsk_ring_cons__release(&xi->rx, n);
		done += n;
	}
	return done;
}

static void reap_completions(struct dp_xsk *x, struct xsk_if *xi)
{
	__u32 idx;
	unsigned n = xsk_ring_cons__peek(&xi->comp, x->ring, &idx);

	if (n == 0)
		return;
	for (unsigned k = 0; k < n; k++)
		free_frame(x, *xsk_ring_cons__comp_addr(&xi->comp, idx + k));
	xsk_ring_cons__release(&xi->comp, n);
}

/* Submit what was queued and kick the kernel; false when it did not take everything yet. */
static bool transmit(struct dp_worker *w, struct xsk_if *xi)
{
	struct dp_xsk *x = w->xsk;

	if (xi->tx_queued) {
		xsk_ring_prod__submit(&xi->tx, xi->tx_queued);
		xi->tx_queued = 0;
		xi->tx_pending = true;
	}
	if (!xi->tx_pending)
		return true;
	for (unsigned kick = 0; kick < XSK_KICKS; kick++) {
		if (xsk_prod_nb_free(&xi->tx, x->ring) == x->ring) {
			xi->tx_pending = false;
			return true;
		}
		if (!xsk_ring_prod__needs_wakeup(&xi->tx))
			return true; /* zero-copy: the driver transmits on its own */
		if (sendto(xi->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN &&
		    errno != EBUSY && errno != ENOBUFS) {
			dp_count(&w->counters.send_errors, 1);
			return false;
		}
	}
	return xsk_prod_nb_free(&xi->tx, x->ring) == x->ring;
}

bool dp_xsk_run(struct dp_worker *w)
{
	struct dp_xsk *x = w->xsk;
	bool busy = false;

	if (!x)
		return false;
	for (unsigned i = 0; i < x->n_ifs; i++)
		reap_completions(x, &x->ifs[i]);
	for (unsigned i = 0; i < x->n_ifs; i++)
		if (receive(w, &x->ifs[i], XSK_RX_BUDGET) == XSK_RX_BUDGET)
			busy = true;
	for (unsigned i = 0; i < x->n_ifs; i++)
		if (!transmit(w, &x->ifs[i]))
			busy = true;
	refill(x);
	return busy;
}
