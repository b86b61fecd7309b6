// SPDX-License-Identifier: MIT
/* The session table's operations in the running daemon; see ops.h. */
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

const struct session_map_ops daemon_session_ops = {
    .stream_open = stream_open,
    .stream_close = stream_close,
    .map_update = map_update,
    .map_delete = map_delete,
};
