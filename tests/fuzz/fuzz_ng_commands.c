// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the ng command layer: each input is a sequence of ng messages separated by
 * a NUL byte, handed to ng_handle() in order on one context with a fake backend, so offers,
 * answers, re-offers, queries and deletes interact. Invariants: a reply (when any) starts with the
 * request's cookie; the fake backend never sees a session it did not allocate, a double release, or
 * a commit of a released session; after the context is freed, nothing is leaked (ASan).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/ctl_server.h"
#include "control/ng_commands.h"

#define FAKE_SESSIONS 64

static bool live[FAKE_SESSIONS + 1];
static unsigned int n_live;
static uint32_t next_id;
static uint8_t rand_seq;
static uint8_t reply[256 * 1024];

static int fake_allocate(void *opaque, const struct ng_alloc_params *params,
			 struct ng_alloc_result *ret, char *error, size_t error_len)
{
	uint32_t id;

	if (n_live >= FAKE_SESSIONS)
		return -ENOSPC;
	for (id = 1; id <= FAKE_SESSIONS && live[id]; id++)
		;
	live[id] = true;
	n_live++;
	memset(ret, 0, sizeof(*ret));
	ret->session_id = id;
	for (int leg = 0; leg < 2; leg++) {
		ret->local[leg].family = AF_INET;
		ret->local[leg].addr.v4.s_addr = htonl(0xc6120101u + (uint32_t)leg * 0x100);
		ret->local[leg].port = (uint16_t)(30000 + 2 * id + 1000 * leg);
	}
	next_id++;
	return 0;
}

static void check_live(uint32_t id)
{
	if (id == 0 || id > FAKE_SESSIONS || !live[id])
		abort();
}

static int fake_commit(void *opaque, uint32_t id, const struct ng_session_params *params,
		       char *error, size_t error_len)
{
	check_live(id);
	return next_id % 17 == 0 ? -EADDRINUSE : 0;
}

static int fake_update(void *opaque, uint32_t id, const struct ng_session_params *params,
		       uint32_t changed, char *error, size_t error_len)
{
	check_live(id);
	if (!changed)
		abort();
	return 0;
}

static void fake_release(void *opaque, uint32_t id)
{
	check_live(id);
	live[id] = false;
	n_live--;
}

static int fake_query(void *opaque, uint32_t id, struct ng_leg_counters ret[2])
{
	check_live(id);
	memset(ret, 0, 2 * sizeof(*ret));
	ret[0].rtp.packets = id;
	return 0;
}

static int fake_random(void *opaque, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = rand_seq++;
	return 0;
}

static uint64_t fake_ms(void *opaque)
{
	return 0;
}

static const struct ng_backend_ops ops = {
    .allocate = fake_allocate,
    .commit = fake_commit,
    .update = fake_update,
    .release = fake_release,
    .query = fake_query,
    .random = fake_random,
    .monotonic_ms = fake_ms,
    .wall_s = fake_ms,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_config cfg = {
	    .ops = &ops,
	    .max_calls = 8,
	    .cache_capacity = 16,
	};
	struct ctl_peer peer = {.transport = CTL_TRANSPORT_UDP, .addr = {.family = AF_INET}};
	struct ng_ctx *ctx;
	size_t pos = 0;

	if (size == 0)
		return 0;
	/* the first byte picks the policy */
	cfg.policy.encryption_level = (enum policy_encryption_level)(data[0] % 3);
	cfg.policy.gateway_srtp_mode = (enum policy_gateway_srtp)((data[0] >> 2) % 3);
	cfg.policy.gateway_tls = data[0] & 0x40;
	cfg.strict_source = data[0] & 0x80;
	if (ng_ctx_new(&cfg, &ctx) < 0)
		abort();
	pos = 1;
	while (pos < size) {
		const uint8_t *msg = data + pos;
		const uint8_t *end = memchr(msg, 0, size - pos);
		size_t len = end ? (size_t)(end - msg) : size - pos, reply_len = 0;
		size_t cookie_len = 0;

		while (cookie_len < len && msg[cookie_len] != ' ')
			cookie_len++;
		if (ng_handle(ctx, msg, len, &peer, reply, sizeof(reply), &reply_len) == 0 &&
		    reply_len && (reply_len <= cookie_len || memcmp(reply, msg, cookie_len) != 0))
			abort();
		pos += len + 1;
	}
	if (ng_ctx_session_count(ctx) != n_live)
		abort();
	ng_ctx_free(ctx);
	memset(live, 0, sizeof(live));
	n_live = 0;
	return 0;
}
