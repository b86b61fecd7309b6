// SPDX-License-Identifier: MIT
/*
 * The session table's operations in the running daemon; see ops.h. A stream's port is reserved by
 * binding its media socket; attaching the session hands the sockets to its worker with the
 * session's relay state (made here for plain sessions, by `session add` for SRTP ones).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "daemon/ops.h"

static int stream_open(void *userdata, struct session_stream *stream)
{
	struct daemon_ops_ctx *ctx = userdata;

	return media_socket_open(ctx->media, &stream->local,
				 (struct media_socket **)&stream->media);
}

static void stream_close(void *userdata, struct session_stream *stream)
{
	struct daemon_ops_ctx *ctx = userdata;

	media_socket_close(ctx->media, stream->media);
	stream->media = NULL;
}

/*
 * Streams of a session that needs the daemon, on a worker with AF_XDP sockets: XDP may send
 * their packets to those sockets (sluice_xsk_ports). Written after the worker has the ports,
 * deleted before it lets them go. Without an entry the packets take the UDP socket, so a failed
 * write only costs speed.
 */
static void xsk_ports_update(struct daemon_ops_ctx *ctx, struct relay_session *rs, bool add)
{
	if (ctx->xsk_ports_fd < 0 || rs->forward || !media_sockets_session_xsk(ctx->media, rs))
		return;
	for (unsigned i = 0; i < rs->n_streams; i++) {
		const struct relay_stream *st = &rs->streams[i];
		struct sluice_xsk_port value = {.port = atomic_load(&st->port), .worker = rs->worker};

		if (add)
			bpf_map_update_elem(ctx->xsk_ports_fd, &st->key, &value, BPF_ANY);
		else
			bpf_map_delete_elem(ctx->xsk_ports_fd, &st->key);
	}
}

static int session_attach(void *userdata, struct session *s)
{
	struct daemon_ops_ctx *ctx = userdata;
	struct media_socket *socks[SESSION_MAX_STREAMS];
	struct relay_session *rs = s->relay;
	int r;

	if (rs) {
		relay_session_ref(rs);
	} else {
		bool forward = s->legs[SLUICE_LEG_INTERNAL].action == SLUICE_ACT_FORWARD &&
			       s->legs[SLUICE_LEG_GATEWAY].action == SLUICE_ACT_FORWARD;

		r = relay_session_new(s->id, forward, &rs);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < s->n_streams; i++) {
		const struct session_stream *st = &s->streams[i];

		relay_session_set_stream(rs, i, &st->key, &st->value,
					 s->legs[st->value.leg].strict_source);
		socks[i] = st->media;
	}
	relay_session_link(rs, s->n_streams, s->rtcp_mux);
	r = media_sockets_attach(ctx->media, rs, socks, s->n_streams);
	if (r < 0) {
		relay_session_unref(rs);
		return r;
	}
	s->relay = rs;
	xsk_ports_update(ctx, rs, true);
	return 0;
}

static void session_detach(void *userdata, struct session *s)
{
	struct daemon_ops_ctx *ctx = userdata;

	if (!s->relay)
		return;
	xsk_ports_update(ctx, s->relay, false);
	media_sockets_detach(ctx->media, s->relay);
	relay_session_unref(s->relay);
	s->relay = NULL;
}

static int map_update(void *userdata, enum session_map_id map, const struct sluice_stream_key *key,
		      const struct sluice_stream *value, unsigned flags)
{
	struct daemon_ops_ctx *ctx = userdata;

	return session_maps_update(ctx->maps, map, key, value, flags);
}

static int map_delete(void *userdata, enum session_map_id map, const struct sluice_stream_key *key)
{
	struct daemon_ops_ctx *ctx = userdata;

	return session_maps_delete(ctx->maps, map, key);
}

bool daemon_lookup_latch(void *arg, const struct sluice_stream_key *key,
			 union dp_sockaddr *ret_addr, socklen_t *ret_len)
{
	struct session_maps *maps = arg;
	struct sockaddr_storage ss;
	struct sluice_stream value;
	struct endpoint ep;
	socklen_t len;

	if (session_maps_read_stream(maps, key, &value) < 0 || !(value.flags & SLUICE_F_LATCHED))
		return false;
	endpoint_from_mapped(value.remote_addr, ntohs(value.remote_port), &ep);
	len = endpoint_to_sockaddr(&ep, &ss);
	memcpy(ret_addr, &ss, len);
	*ret_len = len;
	return true;
}

/*
 * Who writes an SRTP stream's sluice_streams entry: the control threads, under the session table's
 * lock, write it whole when the session is installed and delete it when the session goes (an ng
 * answer deletes and re-inserts; a rekey replaces only contexts); XDP does not (SLUICE_F_SRTP);
 * and this, on the session's worker, once, when the stream latches. The lookup and the update are
 * two steps, and that is safe: a delete in between makes the BPF_EXIST update fail, so a deleted
 * session's entry is not re-created; and no new entry for the same key can appear in between,
 * because the key's port stays taken (its socket bound) until the worker has let go of the
 * session's sockets, which it does between packets, never during this call. XDP sees either the
 * unlatched entry (the other leg's packets take the UDP socket) or the latched one, whole: the
 * update swaps the element. Two syscalls on a preallocated hash map, once per stream: nothing the
 * worker would notice. A failure only costs speed (the packets keep taking the UDP socket).
 */
void daemon_store_latch(void *arg, const struct sluice_stream_key *key, const struct sockaddr *src,
			socklen_t src_len)
{
	struct session_maps *maps = arg;
	uint8_t remote[16];
	struct endpoint ep;

	if (endpoint_from_sockaddr(src, src_len, &ep) < 0)
		return;
	endpoint_to_mapped(&ep, remote);
	(void)session_maps_store_latch(maps, key, remote, htons(ep.port));
}

const struct session_map_ops daemon_session_ops = {
    .stream_open = stream_open,
    .stream_close = stream_close,
    .session_attach = session_attach,
    .session_detach = session_detach,
    .map_update = map_update,
    .map_delete = map_delete,
};
