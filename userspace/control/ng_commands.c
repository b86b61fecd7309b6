// SPDX-License-Identifier: MIT
/*
 * The ng commands (see ng_commands.h). Every command that changes state works in two phases: first
 * everything that can fail because of the input (parsing, policy, keys, SDP rewrite, the size of
 * the reply) without touching the backend or the call table; then the backend calls and the call
 * table update. So bad input is refused with nothing created, and a retransmission is answered from
 * the reply cache before any of this runs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "control/bencode.h"
#include "control/call.h"
#include "control/ctl_server.h"
#include "control/ng.h"
#include "control/ng_commands.h"
#include "control/sdes.h"
#include "control/sdp.h"

#define NG_REASON_MAX	  256
#define NG_LIST_DEFAULT	  32 /* "list" without "limit", as rtpengine */
#define NG_LIST_MAX	  4096
#define NG_REPLY_OVERHEAD 64 /* "<cookie> d6:result2:ok3:sdpN:...e" beyond cookie and body */

/* Returned by a command handler: answer "load limit" (or an error without "supports"). */
#define NG_LOAD_LIMIT (-EUSERS)

/* ICE and DTLS attributes: the relay does neither, and they would route media around it. */
static const char *const stripped_attrs[] = {
    "candidate", "remote-candidates", "end-of-candidates", "ice-ufrag", "ice-pwd", "ice-options",
    "ice-lite",	 "ice-mismatch",      "fingerprint",	   "setup",	"tls-id",
};

struct ng_ctx {
	struct ng_config cfg;
	struct ng_policy policy;
	struct call_table *calls;
	struct ng_cache *cache;
	size_t n_sessions;
	struct ng_ctx_counters counters;
	_Alignas(16) char arena[BENCODE_ARENA_SIZE];
	char sdp_out[SDP_MAX_SIZE + SDP_EDIT_SPACE];
};

/*
 * The counters have one writer (the thread running ng_handle) and are read from others
 * (ng_ctx_get_counters on the stats thread): relaxed atomics, so a reader sees whole values.
 */
static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

_Static_assert(NG_CMD_STATISTICS + 1 == NG_CTX_COMMANDS,
	       "by_command is indexed by enum ng_command");

/* One request being handled. */
struct ng_op {
	struct ng_ctx *ctx;
	const struct ng_request *req;
	struct bencode_str cookie;
	char *reply;
	size_t cap;
	size_t len;
	char reason[NG_REASON_MAX];
};

/* Per media section of an offer or answer, between the two phases. */
struct media_plan {
	struct call_offer_media offer; /* offer: what the call keeps */
	bool disable;		       /* offer: not relayable (not RTP): port 0 onward */
	bool allocate;		       /* offer: needs a new backend session */
	bool allocated;		       /* offer: allocated in this request */
	bool release;		       /* offer/answer: the call's session goes */
	struct ng_alloc_result alloc;
	struct call_keys keys;		 /* our keys toward the leg written to */
	bool accepted;			 /* answer: the answerer took the stream */
	bool reject;			 /* answer: a section we do not relay: port 0 onward */
	struct ng_session_params params; /* answer: the session as it will be */
};

static int fail(struct ng_op *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ng_op *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(op->reason, sizeof(op->reason), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static uint64_t now_ms(const struct ng_ctx *ctx)
{
	struct timespec ts;

	if (ctx->cfg.ops->monotonic_ms)
		return ctx->cfg.ops->monotonic_ms(ctx->cfg.opaque);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_s(const struct ng_ctx *ctx)
{
	if (ctx->cfg.ops->wall_s)
		return ctx->cfg.ops->wall_s(ctx->cfg.opaque);
	return (uint64_t)time(NULL);
}

/* ---- small helpers ---- */

static bool proto_is_rtp(enum sdp_proto id)
{
	return id == SDP_PROTO_RTP_AVP || id == SDP_PROTO_RTP_AVPF || id == SDP_PROTO_RTP_SAVP ||
	       id == SDP_PROTO_RTP_SAVPF;
}

static bool proto_is_savp(enum sdp_proto id)
{
	return id == SDP_PROTO_RTP_SAVP || id == SDP_PROTO_RTP_SAVPF;
}

static bool proto_is_feedback(enum sdp_proto id)
{
	return id == SDP_PROTO_RTP_AVPF || id == SDP_PROTO_RTP_SAVPF ||
	       id == SDP_PROTO_UDP_TLS_RTP_SAVPF;
}

static const char *proto_name(bool srtp, bool feedback)
{
	if (srtp)
		return feedback ? "RTP/SAVPF" : "RTP/SAVP";
	return feedback ? "RTP/AVPF" : "RTP/AVP";
}

/* An RTP profile named by "transport-protocol"; SDP_PROTO_OTHER when absent or another. */
static enum sdp_proto transport_protocol(const struct ng_request *req)
{
	static const struct {
		const char *name;
		enum sdp_proto id;
	} names[] = {
	    {"RTP/AVP", SDP_PROTO_RTP_AVP},
	    {"RTP/AVPF", SDP_PROTO_RTP_AVPF},
	    {"RTP/SAVP", SDP_PROTO_RTP_SAVP},
	    {"RTP/SAVPF", SDP_PROTO_RTP_SAVPF},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bencode_bstr_eq(req->transport_protocol, names[i].name))
			return names[i].id;
	return SDP_PROTO_OTHER;
}

static bool bstr_ieq(struct bencode_str s, const char *name)
{
	return s.len == strlen(name) && strncasecmp(s.ptr, name, s.len) == 0;
}

/* "direction": [offerer's interface, answerer's interface]; default internal -> gateway. */
static int resolve_direction(struct ng_op *op, enum sluice_leg ret_leg[2])
{
	const struct ng_request *req = op->req;

	ret_leg[CALL_SIDE_A] = SLUICE_LEG_INTERNAL;
	ret_leg[CALL_SIDE_B] = SLUICE_LEG_GATEWAY;
	if (req->n_direction == 0)
		return 0;
	if (req->n_direction != 2)
		return fail(op, "direction needs two interfaces (internal, external)");
	for (unsigned int i = 0; i < 2; i++) {
		struct bencode_str name = req->direction[i];

		if (bstr_ieq(name, "internal"))
			ret_leg[i] = SLUICE_LEG_INTERNAL;
		else if (bstr_ieq(name, "external") || bstr_ieq(name, "gateway"))
			ret_leg[i] = SLUICE_LEG_GATEWAY;
		else
			return fail(
			    op, "Unknown interface '%.*s' in direction (known: internal, external)",
			    (int)(name.len > 64 ? 64 : name.len), name.ptr);
	}
	if (ret_leg[0] == ret_leg[1])
		return fail(op,
			    "direction names the %s interface twice; one side must be internal "
			    "and the other external",
			    policy_leg_name(ret_leg[0]));
	return 0;
}

/* The suites this request allows: policy (FIPS hook) narrowed by SDES-off / no- / only-. */
static uint32_t allowed_suites(const struct ng_ctx *ctx, const struct ng_request *req)
{
	if (req->sdes_off)
		return 0;
	return sdes_policy_mask(ctx->policy.suite_mask, req->sdes_no, req->sdes_only);
}

/*
 * Parses the a=crypto lines of a section into offers (at most SDP_MAX_CRYPTO). Malformed lines are
 * an error; well-formed ones sluice cannot honour (unknown suite, several keys) are skipped.
 */
static int parse_crypto(struct ng_op *op, const struct sdp *sdp, unsigned int m,
			struct sdes_crypto offers[SDP_MAX_CRYPTO], size_t *ret_n)
{
	size_t n = 0;

	for (unsigned int nth = 0; nth < sdp->media[m].n_crypto && n < SDP_MAX_CRYPTO; nth++) {
		struct sdp_str value;
		const char *reason = "";
		int r;

		if (sdp_attr_get(sdp, (int)m, "crypto", nth, &value) < 0)
			break;
		r = sdes_parse(value.ptr, value.len, &offers[n], &reason);
		if (r == -EBADMSG)
			return fail(op, "Invalid a=crypto in media %u: %s", m + 1, reason);
		if (r == 0)
			n++;
	}
	*ret_n = n;
	return 0;
}

static void wipe_crypto(struct sdes_crypto *c, size_t n)
{
	OPENSSL_cleanse(c, n * sizeof(*c));
}

/* The remote of a section: its connection and port; no remote when on hold with 0.0.0.0 / ::. */
static int media_remote(struct ng_op *op, const struct sdp *sdp, unsigned int m, bool mux,
			bool *ret_has, struct endpoint *ret_rtp, struct endpoint *ret_rtcp)
{
	const struct sdp_media *media = &sdp->media[m];
	const struct endpoint *conn = sdp_media_connection(sdp, m);

	if (!conn)
		return fail(op, "No c= address for media %u", m + 1);
	*ret_rtp = *conn;
	ret_rtp->port = media->port;
	*ret_rtcp = *ret_rtp;
	if (!mux) {
		if (media->has_rtcp && media->rtcp_has_address)
			*ret_rtcp = media->rtcp;
		ret_rtcp->port = media->has_rtcp ? media->rtcp.port : (uint16_t)(media->port + 1);
	}
	*ret_has = !endpoint_addr_is_any(conn);
	return 0;
}

static int random_key(struct ng_ctx *ctx, enum sluice_srtp_suite suite, struct sdes_crypto *ret)
{
	size_t key_len = sluice_srtp_suite_key_len(suite);
	size_t salt_len = sluice_srtp_suite_salt_len(suite);
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->suite = suite;
	r = ctx->cfg.ops->random(ctx->cfg.opaque, ret->key, key_len);
	if (r == 0)
		r = ctx->cfg.ops->random(ctx->cfg.opaque, ret->salt, salt_len);
	if (r < 0)
		sdes_crypto_clear(ret);
	return r < 0 ? r : 0;
}

/* Makes our key for every suite in mask that keys does not have yet. */
static int fill_keys(struct ng_op *op, struct call_keys *keys, uint32_t mask)
{
	for (unsigned int s = 0; s < _SLUICE_SRTP_SUITE_MAX; s++) {
		if (!(mask & SDES_SUITE_BIT(s)) || (keys->have & SDES_SUITE_BIT(s)))
			continue;
		if (random_key(op->ctx, (enum sluice_srtp_suite)s, &keys->key[s]) < 0)
			return fail(op, "Failed to get random bytes for SRTP keys");
		keys->have |= SDES_SUITE_BIT(s);
	}
	return 0;
}

/* ---- SDP rewriting ---- */

struct crypto_lines {
	unsigned int n;
	char text[_SLUICE_SRTP_SUITE_MAX][SDES_LINE_MAX];
	const char *values[_SLUICE_SRTP_SUITE_MAX];
};

static int add_crypto_line(struct crypto_lines *lines, const struct sdes_crypto *key, uint32_t tag)
{
	struct sdes_crypto c = *key;
	size_t len;
	int r;

	c.tag = tag;
	r = sdes_format(&c, lines->text[lines->n], sizeof(lines->text[0]), &len);
	sdes_crypto_clear(&c);
	if (r < 0)
		return r;
	lines->values[lines->n] = lines->text[lines->n];
	lines->n++;
	return 0;
}

/* Our offer: one line per offered suite, strongest first, tags 1, 2, ... */
static int offer_crypto_lines(const struct call_offer_media *offer, const struct call_keys *keys,
			      struct crypto_lines *lines)
{
	lines->n = 0;
	for (unsigned int p = 0; p < _SLUICE_SRTP_SUITE_MAX; p++) {
		enum sluice_srtp_suite s = sdes_suite_preference[p];
		int r;

		if (!(offer->offered_mask & SDES_SUITE_BIT(s)))
			continue;
		r = add_crypto_line(lines, &keys->key[s], offer->offered_tag[s]);
		if (r < 0)
			return r;
	}
	return 0;
}

struct media_rewrite {
	const struct endpoint *local;
	const char *proto;
	bool mux;	/* write a=rtcp-mux */
	bool mux_final; /* an answer with mux: a=rtcp names the RTP port */
	const struct crypto_lines *crypto;
};

static int rewrite_media(struct sdp *sdp, unsigned int m, uint32_t flags,
			 const struct media_rewrite *rw)
{
	const struct endpoint *local = rw->local;
	uint16_t rtcp_port = rw->mux_final ? local->port : (uint16_t)(local->port + 1);
	int r;

	r = sdp_set_media_port(sdp, m, local->port);
	if (r == 0 && strcmp(sdp->media[m].proto, rw->proto) != 0)
		r = sdp_set_media_proto(sdp, m, rw->proto);
	if (r == 0 && (sdp->media[m].has_connection || !sdp->has_connection))
		r = sdp_set_connection(sdp, (int)m, local);
	if (r == 0 && (flags & NG_FLAG_NO_RTCP_ATTRIBUTE))
		r = sdp_remove_attr(sdp, (int)m, "rtcp");
	else if (r == 0)
		r = sdp_set_rtcp(sdp, m, rtcp_port,
				 (flags & NG_FLAG_FULL_RTCP_ATTRIBUTE) ? local : NULL);
	if (r >= 0)
		r = sdp_set_rtcp_mux(sdp, m, rw->mux);
	if (r == 0 && rw->crypto && rw->crypto->n)
		r = sdp_set_crypto(sdp, m, rw->crypto->values, rw->crypto->n);
	else if (r == 0)
		r = sdp_remove_attr(sdp, (int)m, "crypto");
	for (size_t i = 0; r >= 0 && i < sizeof(stripped_attrs) / sizeof(stripped_attrs[0]); i++)
		r = sdp_remove_attr(sdp, (int)m, stripped_attrs[i]);
	return r < 0 ? r : 0;
}

/* Session level: c= (when there is one), o= with replace-origin, ICE/DTLS attributes. */
static int rewrite_session(struct sdp *sdp, const struct endpoint *local, uint32_t replace)
{
	int r = 0;

	if (local && sdp->has_connection)
		r = sdp_set_connection(sdp, SDP_SESSION, local);
	if (r == 0 && local && (replace & NG_REPLACE_ORIGIN))
		r = sdp_set_origin_address(sdp, local);
	if (r == -ENOENT || r == -EBADMSG)
		r = 0; /* no o= line, or one we cannot rewrite: left as it is */
	for (size_t i = 0; r >= 0 && i < sizeof(stripped_attrs) / sizeof(stripped_attrs[0]); i++)
		r = sdp_remove_attr(sdp, SDP_SESSION, stripped_attrs[i]);
	return r < 0 ? r : 0;
}

/* Serializes into ctx->sdp_out and checks that the reply will fit. */
static int serialize_sdp(struct ng_op *op, const struct sdp *sdp, size_t *ret_len)
{
	size_t len;

	if (sdp_serialize(sdp, op->ctx->sdp_out, sizeof(op->ctx->sdp_out), &len) < 0)
		return fail(op, "Rewritten SDP is too large");
	if (len + op->cookie.len + NG_REPLY_OVERHEAD > op->cap) {
		OPENSSL_cleanse(op->ctx->sdp_out, len);
		return fail(op, "Reply too large (%zu bytes of SDP)", len);
	}
	*ret_len = len;
	return 0;
}

static void sdp_wipe_free(struct sdp *sdp)
{
	if (sdp)
		OPENSSL_cleanse(sdp, sizeof(*sdp));
	sdp_free(sdp);
}

static int parse_sdp(struct ng_op *op, struct sdp **ret)
{
	const char *reason = "";
	int r = sdp_parse(op->req->sdp.ptr, op->req->sdp.len, ret, &reason);

	if (r == -ENOMEM)
		return fail(op, "Out of memory");
	if (r < 0)
		return fail(op, "Failed to parse SDP: %s", reason);
	if ((*ret)->n_media == 0) {
		sdp_wipe_free(*ret);
		return fail(op, "SDP has no media section");
	}
	return 0;
}

/* ---- offer ---- */

/* The offerer's side of one section: remote, rtcp-mux, and its SRTP under policy. */
static int plan_offerer(struct ng_op *op, const struct sdp *sdp, unsigned int m,
			enum sluice_leg leg, uint32_t allowed, struct media_plan *plan)
{
	const struct ng_policy *policy = &op->ctx->policy;
	const struct sdp_media *media = &sdp->media[m];
	struct call_offer_media *offer = &plan->offer;
	enum policy_srtp srtp = policy_leg_srtp(policy, leg);
	struct sdes_crypto offers[SDP_MAX_CRYPTO];
	size_t n = 0, chosen;
	int r;

	offer->mux =
	    media->rtcp_mux && !(op->req->rtcp_mux & (NG_RTCP_MUX_DEMUX | NG_RTCP_MUX_REJECT));
	r = media_remote(op, sdp, m, offer->mux, &offer->has_remote, &offer->remote,
			 &offer->remote_rtcp);
	if (r == 0)
		r = parse_crypto(op, sdp, m, offers, &n);
	if (r < 0)
		goto out;
	if (srtp != POLICY_SRTP_NEVER &&
	    sdes_choose(offers, n, allowed, NULL, NULL, &chosen) == 0) {
		offer->srtp = true;
		offer->crypto = offers[chosen];
	}
	if (!offer->srtp && srtp == POLICY_SRTP_MANDATORY)
		r = fail(op, "%s: %s leg offers no SRTP%s", policy_leg_setting(policy, leg),
			 policy_leg_name(leg),
			 op->req->sdes_off ? " (SDES off)"
			 : n		   ? " with an allowed crypto suite"
					   : "");
	else if (!offer->srtp && proto_is_savp(media->proto_id))
		r = srtp == POLICY_SRTP_NEVER
			? fail(op, "%s: %s leg offers only SRTP (%s)",
			       policy_leg_setting(policy, leg), policy_leg_name(leg), media->proto)
			: fail(op, "Media %u offers %s without an acceptable crypto suite", m + 1,
			       media->proto);
out:
	wipe_crypto(offers, SDP_MAX_CRYPTO);
	return r;
}

/* What we offer the answerer: profile and suites. */
static int plan_answerer(struct ng_op *op, const struct sdp_media *media, enum sluice_leg leg,
			 uint32_t allowed, struct media_plan *plan)
{
	const struct ng_policy *policy = &op->ctx->policy;
	enum policy_srtp srtp = policy_leg_srtp(policy, leg);
	enum sdp_proto wanted = transport_protocol(op->req);
	bool feedback = proto_is_feedback(media->proto_id);
	uint8_t tag = 1;

	if (wanted != SDP_PROTO_OTHER)
		feedback = proto_is_feedback(wanted);
	if (srtp != POLICY_SRTP_NEVER && allowed == 0) {
		if (srtp == POLICY_SRTP_MANDATORY)
			return fail(op, "%s: no SRTP suite left for the %s leg (SDES flags)",
				    policy_leg_setting(policy, leg), policy_leg_name(leg));
		srtp = POLICY_SRTP_NEVER;
	}
	/* optional: RTP/AVP with a=crypto (best effort) unless transport-protocol asks RTP/SAVP */
	if (srtp == POLICY_SRTP_OPTIONAL && proto_is_savp(wanted))
		srtp = POLICY_SRTP_MANDATORY;
	snprintf(plan->offer.answerer_proto, sizeof(plan->offer.answerer_proto), "%s",
		 proto_name(srtp == POLICY_SRTP_MANDATORY, feedback));
	plan->offer.answerer_srtp = srtp;
	plan->offer.offered_mask = srtp == POLICY_SRTP_NEVER ? 0 : allowed;
	for (unsigned int p = 0; p < _SLUICE_SRTP_SUITE_MAX; p++)
		if (plan->offer.offered_mask & SDES_SUITE_BIT(sdes_suite_preference[p]))
			plan->offer.offered_tag[sdes_suite_preference[p]] = tag++;
	return 0;
}

static int plan_offer_media(struct ng_op *op, const struct sdp *sdp, unsigned int m,
			    const enum sluice_leg leg[2], enum call_side side, uint32_t allowed,
			    struct media_plan *plan)
{
	const struct sdp_media *media = &sdp->media[m];
	int r;

	memset(plan, 0, sizeof(*plan));
	snprintf(plan->offer.type, sizeof(plan->offer.type), "%s", media->type);
	snprintf(plan->offer.proto, sizeof(plan->offer.proto), "%s", media->proto);
	if (media->port == 0)
		return 0; /* rejected or disabled: stays so */
	if (media->proto_id == SDP_PROTO_UDP_TLS_RTP_SAVP ||
	    media->proto_id == SDP_PROTO_UDP_TLS_RTP_SAVPF)
		return fail(op, "Media %u: DTLS-SRTP (%s) is not supported; use SDES", m + 1,
			    media->proto);
	if (!proto_is_rtp(media->proto_id)) {
		plan->disable = true; /* not RTP (udptl, BFCP, ...): the relay does not carry it */
		return 0;
	}
	plan->offer.relayed = true;
	plan->offer.clock_rate = media->clock_rate;
	r = plan_offerer(op, sdp, m, leg[side], allowed, plan);
	if (r == 0)
		r = plan_answerer(op, media, leg[!side], allowed, plan);
	return r;
}

static void release_session(struct ng_ctx *ctx, uint32_t session_id)
{
	ctx->cfg.ops->release(ctx->cfg.opaque, session_id);
	if (ctx->n_sessions)
		ctx->n_sessions--;
}

static void release_new_allocations(struct ng_ctx *ctx, struct media_plan *plans, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (plans[i].allocated) {
			release_session(ctx, plans[i].alloc.session_id);
			plans[i].allocated = false;
		}
}

/* True when n more sessions would pass the backend's cap. */
static bool over_session_cap(struct ng_ctx *ctx, unsigned int n)
{
	struct ng_backend_stats stats = {0};

	if (!n || !ctx->cfg.ops->stats)
		return false;
	ctx->cfg.ops->stats(ctx->cfg.opaque, &stats);
	return stats.sessions_max && stats.sessions_current + n > stats.sessions_max;
}

static int allocate_sessions(struct ng_op *op, const struct call *call, struct media_plan *plans,
			     unsigned int n, const enum sluice_leg leg[2], enum call_side side,
			     const struct sdp *sdp)
{
	struct ng_ctx *ctx = op->ctx;

	for (unsigned int i = 0; i < n; i++) {
		const struct endpoint *conn = sdp_media_connection(sdp, i);
		struct ng_alloc_params params = {
		    .call_id = call ? call->call_id : "",
		    .media_index = i,
		    .media_type = plans[i].offer.type,
		};
		char error[NG_REASON_MAX] = "";
		int r;

		if (!plans[i].allocate)
			continue;
		params.family[leg[side]] = conn ? conn->family : 0;
		r = ctx->cfg.ops->allocate(ctx->cfg.opaque, &params, &plans[i].alloc, error,
					   sizeof(error));
		if (r < 0) {
			release_new_allocations(ctx, plans, n);
			if (r == -ENOSPC)
				return NG_LOAD_LIMIT;
			return fail(op, "Failed to allocate relay ports: %s",
				    error[0] ? error : strerror(-r));
		}
		plans[i].allocated = true;
		ctx->n_sessions++;
	}
	return 0;
}

/* The relay endpoint of a section toward a leg: from this request's allocation or the call's. */
static const struct endpoint *plan_local(const struct media_plan *plan, const struct call *call,
					 unsigned int m, enum sluice_leg leg)
{
	if (plan->allocated)
		return &plan->alloc.local[leg];
	return &call->media[m].local[leg];
}

static int rewrite_offer(struct ng_op *op, struct sdp *sdp, const struct call *call,
			 struct media_plan *plans, enum sluice_leg to_leg)
{
	const struct endpoint *session_local = NULL;
	struct crypto_lines lines;
	int r = 0;

	for (unsigned int m = 0; m < sdp->n_media && r == 0; m++) {
		struct media_plan *plan = &plans[m];
		struct media_rewrite rw;

		if (plan->disable)
			r = sdp_set_media_port(sdp, m, 0);
		if (!plan->offer.relayed)
			continue;
		rw = (struct media_rewrite){
		    .local = plan_local(plan, call, m, to_leg),
		    .proto = plan->offer.answerer_proto,
		    .mux = plan->offer.mux,
		    .crypto = &lines,
		};
		lines.n = 0;
		if (plan->offer.offered_mask)
			r = offer_crypto_lines(&plan->offer, &plan->keys, &lines);
		if (r == 0)
			r = rewrite_media(sdp, m, op->req->flags, &rw);
		OPENSSL_cleanse(&lines, sizeof(lines));
		if (!session_local)
			session_local = rw.local;
	}
	if (r == 0)
		r = rewrite_session(sdp, session_local, op->req->replace);
	if (r < 0)
		return fail(op, "Failed to rewrite SDP: %s",
			    r == -ENOSPC ? "too many lines or edits" : strerror(-r));
	return 0;
}

/* Takes the offer into the call: new media array when it grew, allocations, decisions, keys. */
static int store_offer(struct ng_op *op, struct call *call, const struct sdp *sdp,
		       struct media_plan *plans, enum call_side side)
{
	enum sluice_leg to_leg = call->leg[!side];

	if (sdp->n_media > call->n_media) {
		struct call_media *media;
		int r = call_media_alloc(sdp->n_media, &media);

		if (r < 0)
			return r;
		if (call->n_media)
			memcpy(media, call->media, call->n_media * sizeof(*media));
		call_media_free(call->media, call->n_media);
		call->media = media;
		call->n_media = sdp->n_media;
	}
	for (unsigned int m = 0; m < call->n_media; m++) {
		struct call_media *cm = &call->media[m];
		struct media_plan *plan = &plans[m];

		if (m >= sdp->n_media || !plan->offer.relayed) {
			if (cm->allocated)
				release_session(op->ctx, cm->session_id);
			call_media_wipe(cm);
			if (m < sdp->n_media)
				cm->offer = plan->offer;
			continue;
		}
		if (plan->allocated) {
			cm->allocated = true;
			cm->session_id = plan->alloc.session_id;
			memcpy(cm->local, plan->alloc.local, sizeof(cm->local));
			plan->allocated = false;
		}
		cm->ours[to_leg] = plan->keys;
		cm->offer = plan->offer;
	}
	call->has_offer = true;
	call->offer_side = side;
	call->answered = false;
	return 0;
}

static int new_call(struct ng_op *op, const enum sluice_leg leg[2], struct call **ret)
{
	const struct ng_request *req = op->req;
	struct call *call;
	int r;

	if (req->call_id.len > CALL_ID_MAX)
		return fail(op, "call-id too long (%zu bytes, at most %u)", req->call_id.len,
			    CALL_ID_MAX);
	if (req->from_tag.len > CALL_TAG_MAX || req->to_tag.len > CALL_TAG_MAX)
		return fail(op, "Tag too long (at most %u bytes)", CALL_TAG_MAX);
	r = call_new(req->call_id.ptr, req->call_id.len, &call);
	if (r < 0)
		return fail(op, "Out of memory");
	call_set_tag(call, CALL_SIDE_A, req->from_tag.ptr, req->from_tag.len);
	call_set_tag(call, CALL_SIDE_B, req->to_tag.ptr, req->to_tag.len);
	call->leg[CALL_SIDE_A] = leg[CALL_SIDE_A];
	call->leg[CALL_SIDE_B] = leg[CALL_SIDE_B];
	call->created_s = now_s(op->ctx);
	*ret = call;
	return 0;
}

/* Which party offers: side A on a new call; on an existing one, the party with the from-tag. */
static int offer_side(struct ng_op *op, struct call *call, enum call_side *ret)
{
	const struct ng_request *req = op->req;

	if (call_side_of_tag(call, req->from_tag.ptr, req->from_tag.len, ret) == 0)
		return 0;
	if (!call->tag_len[CALL_SIDE_B] && req->to_tag.len &&
	    call_side_of_tag(call, req->to_tag.ptr, req->to_tag.len, ret) == 0 &&
	    *ret == CALL_SIDE_A && req->from_tag.len <= CALL_TAG_MAX) {
		*ret = CALL_SIDE_B; /* the callee re-offers before we saw its answer */
		return 0;
	}
	return fail(op, "from-tag does not belong to call %.*s", (int)call->call_id_len,
		    call->call_id);
}

static int cmd_offer(struct ng_op *op)
{
	struct ng_ctx *ctx = op->ctx;
	const struct ng_request *req = op->req;
	struct call *call = call_table_find(ctx->calls, req->call_id.ptr, req->call_id.len);
	enum sluice_leg leg[2];
	enum call_side side = CALL_SIDE_A;
	struct media_plan *plans = NULL;
	struct sdp *sdp = NULL;
	struct call *created = NULL;
	unsigned int n_new = 0;
	uint32_t allowed = allowed_suites(ctx, req);
	size_t sdp_len;
	int r;

	count(&ctx->counters.offers);
	if (call) {
		r = offer_side(op, call, &side);
		leg[CALL_SIDE_A] = call->leg[CALL_SIDE_A];
		leg[CALL_SIDE_B] = call->leg[CALL_SIDE_B];
	} else {
		r = resolve_direction(op, leg);
		if (r == 0 && (req->call_id.len > CALL_ID_MAX || req->from_tag.len > CALL_TAG_MAX ||
			       req->to_tag.len > CALL_TAG_MAX))
			r = fail(op, "call-id or tag too long (at most %u and %u bytes)",
				 CALL_ID_MAX, CALL_TAG_MAX);
	}
	if (r == 0)
		r = parse_sdp(op, &sdp);
	if (r < 0)
		return r;
	if (call && sdp->n_media < call->n_media) {
		r = fail(op, "Offer has %u media sections, the call has %u", sdp->n_media,
			 call->n_media);
		goto out;
	}
	plans = calloc(SDP_MAX_MEDIA, sizeof(*plans));
	if (!plans) {
		r = fail(op, "Out of memory");
		goto out;
	}
	for (unsigned int m = 0; m < sdp->n_media && r == 0; m++) {
		const struct call_media *cm = call && m < call->n_media ? &call->media[m] : NULL;

		r = plan_offer_media(op, sdp, m, leg, side, allowed, &plans[m]);
		if (r < 0 || !plans[m].offer.relayed)
			continue;
		plans[m].allocate = !(cm && cm->allocated);
		n_new += plans[m].allocate;
		if (cm)
			plans[m].keys = cm->ours[leg[!side]];
		r = fill_keys(op, &plans[m].keys, plans[m].offer.offered_mask);
	}
	if (r < 0)
		goto out;
	if ((!call && call_table_full(ctx->calls)) || over_session_cap(ctx, n_new)) {
		r = NG_LOAD_LIMIT;
		goto out;
	}
	if (!call) {
		r = new_call(op, leg, &created);
		if (r < 0)
			goto out;
	}
	r = allocate_sessions(op, call ? call : created, plans, sdp->n_media, leg, side, sdp);
	if (r == 0)
		r = rewrite_offer(op, sdp, call ? call : created, plans, leg[!side]);
	if (r == 0)
		r = serialize_sdp(op, sdp, &sdp_len);
	if (r < 0) {
		release_new_allocations(ctx, plans, sdp->n_media);
		goto out;
	}
	/* phase two: nothing below fails because of the request */
	if (created) {
		r = call_table_insert(ctx->calls, created);
		if (r < 0) {
			release_new_allocations(ctx, plans, sdp->n_media);
			r = fail(op, "Failed to create the call: %s", strerror(-r));
			goto out;
		}
		call = created;
		created = NULL;
		count(&ctx->counters.calls_created);
	}
	if (side == CALL_SIDE_B && !call->tag_len[CALL_SIDE_B])
		call_set_tag(call, CALL_SIDE_B, req->from_tag.ptr, req->from_tag.len);
	r = store_offer(op, call, sdp, plans, side);
	if (r < 0) {
		release_new_allocations(ctx, plans, sdp->n_media);
		r = fail(op, "Out of memory");
		goto out;
	}
	call->strict_source = (req->flags & NG_FLAG_STRICT_SOURCE) || ctx->cfg.strict_source;
	call->last_signal_s = now_s(ctx);
	r = ng_reply_ok(op->reply, op->cap, op->cookie, ctx->sdp_out, sdp_len, NULL, &op->len);
	OPENSSL_cleanse(ctx->sdp_out, sdp_len);
out:
	call_free(created);
	if (plans)
		OPENSSL_cleanse(plans, SDP_MAX_MEDIA * sizeof(*plans));
	free(plans);
	sdp_wipe_free(sdp);
	return r;
}

/* ---- answer ---- */

/* The answerer's choice among the lines we offered; its key is our rx key on its leg. */
static int answer_crypto(struct ng_op *op, const struct sdp *sdp, unsigned int m,
			 const struct call_offer_media *offer, bool *ret_srtp,
			 struct sdes_crypto *ret)
{
	struct sdes_crypto lines[SDP_MAX_CRYPTO];
	size_t n = 0;
	int r = parse_crypto(op, sdp, m, lines, &n);

	*ret_srtp = false;
	if (r < 0 || n == 0 || offer->answerer_srtp == POLICY_SRTP_NEVER)
		goto out;
	if (!(offer->offered_mask & SDES_SUITE_BIT(lines[0].suite))) {
		r = fail(op, "Invalid a=crypto in media %u of the answer: %s was not offered",
			 m + 1, sluice_srtp_suite_name(lines[0].suite));
		goto out;
	}
	if (lines[0].tag != offer->offered_tag[lines[0].suite]) {
		r = fail(op,
			 "Invalid a=crypto in media %u of the answer: tag %u does not match the "
			 "offered %s line (tag %u)",
			 m + 1, lines[0].tag, sluice_srtp_suite_name(lines[0].suite),
			 offer->offered_tag[lines[0].suite]);
		goto out;
	}
	*ret_srtp = true;
	*ret = lines[0];
out:
	wipe_crypto(lines, SDP_MAX_CRYPTO);
	return r;
}

static void leg_srtp(struct ng_leg_srtp *srtp, const struct sdes_crypto *theirs,
		     const struct sdes_crypto *ours)
{
	size_t key_len = sluice_srtp_suite_key_len(theirs->suite);
	size_t salt_len = sluice_srtp_suite_salt_len(theirs->suite);

	srtp->enabled = true;
	srtp->suite = theirs->suite;
	srtp->key_len = key_len + salt_len;
	memcpy(srtp->rx_key, theirs->key, key_len);
	memcpy(srtp->rx_key + key_len, theirs->salt, salt_len);
	memcpy(srtp->tx_key, ours->key, key_len);
	memcpy(srtp->tx_key + key_len, ours->salt, salt_len);
	srtp->rx_mki = theirs->mki;
}

static int plan_answer_media(struct ng_op *op, const struct call *call, const struct sdp *sdp,
			     unsigned int m, struct media_plan *plan)
{
	const struct call_media *cm = &call->media[m];
	const struct call_offer_media *offer = &cm->offer;
	const struct sdp_media *media = &sdp->media[m];
	enum call_side x = call->offer_side;
	enum sluice_leg leg_x = call->leg[x], leg_y = call->leg[!x];
	const struct ng_policy *policy = &op->ctx->policy;
	struct ng_session_params *p = &plan->params;
	struct ng_leg_params *lx = &p->legs[leg_x], *ly = &p->legs[leg_y];
	struct sdes_crypto theirs;
	bool y_srtp = false;
	int r;

	memset(plan, 0, sizeof(*plan));
	if (!offer->relayed || !cm->allocated) {
		plan->reject = media->port != 0; /* not relayed: never the answerer's own address */
		return 0;
	}
	if (media->port == 0) {
		plan->release = true; /* the answerer rejected the stream */
		return 0;
	}
	if (!proto_is_rtp(media->proto_id))
		return fail(op, "Media %u of the answer is not RTP (%s)", m + 1, media->proto);
	plan->accepted = true;
	p->rtcp_mux = offer->mux && media->rtcp_mux;
	p->strict_source = call->strict_source || (op->req->flags & NG_FLAG_STRICT_SOURCE);
	p->clock_rate = offer->clock_rate;
	r = media_remote(op, sdp, m, p->rtcp_mux, &ly->has_remote, &ly->remote, &ly->remote_rtcp);
	if (r == 0)
		r = answer_crypto(op, sdp, m, offer, &y_srtp, &theirs);
	if (r < 0)
		return r;
	if (!y_srtp && offer->answerer_srtp == POLICY_SRTP_MANDATORY)
		return fail(op, "%s: %s leg answers no SRTP", policy_leg_setting(policy, leg_y),
			    policy_leg_name(leg_y));
	if (y_srtp)
		leg_srtp(&ly->srtp, &theirs, &cm->ours[leg_y].key[theirs.suite]);
	sdes_crypto_clear(&theirs);

	lx->has_remote = offer->has_remote;
	lx->remote = offer->remote;
	lx->remote_rtcp = p->rtcp_mux ? offer->remote : offer->remote_rtcp;
	lx->local = cm->local[leg_x];
	ly->local = cm->local[leg_y];
	plan->keys = cm->ours[leg_x];
	if (offer->srtp) {
		r = fill_keys(op, &plan->keys, SDES_SUITE_BIT(offer->crypto.suite));
		if (r < 0)
			return r;
		leg_srtp(&lx->srtp, &offer->crypto, &plan->keys.key[offer->crypto.suite]);
	}
	return 0;
}

static int rewrite_answer(struct ng_op *op, struct sdp *sdp, const struct call *call,
			  const struct media_plan *plans)
{
	enum sluice_leg leg_x = call->leg[call->offer_side];
	const struct endpoint *session_local = NULL;
	struct crypto_lines lines;
	int r = 0;

	for (unsigned int m = 0; m < sdp->n_media && r == 0; m++) {
		const struct call_offer_media *offer = &call->media[m].offer;
		const struct media_plan *plan = &plans[m];
		struct media_rewrite rw;

		if (plan->reject)
			r = sdp_set_media_port(sdp, m, 0);
		if (!plan->accepted)
			continue;
		rw = (struct media_rewrite){
		    .local = &call->media[m].local[leg_x],
		    .proto = offer->proto,
		    .mux = plan->params.rtcp_mux,
		    .mux_final = plan->params.rtcp_mux,
		    .crypto = &lines,
		};
		lines.n = 0;
		if (offer->srtp)
			r = add_crypto_line(&lines, &plan->keys.key[offer->crypto.suite],
					    offer->crypto.tag);
		if (r == 0)
			r = rewrite_media(sdp, m, op->req->flags, &rw);
		OPENSSL_cleanse(&lines, sizeof(lines));
		if (!session_local)
			session_local = rw.local;
	}
	if (r == 0)
		r = rewrite_session(sdp, session_local, op->req->replace);
	if (r < 0)
		return fail(op, "Failed to rewrite SDP: %s",
			    r == -ENOSPC ? "too many lines or edits" : strerror(-r));
	return 0;
}

static bool mki_equal(const struct sluice_srtp_mki *a, const struct sluice_srtp_mki *b)
{
	return a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

static uint32_t params_changed(const struct ng_session_params *old,
			       const struct ng_session_params *new)
{
	uint32_t changed = 0;

	if (old->rtcp_mux != new->rtcp_mux || old->strict_source != new->strict_source ||
	    old->clock_rate != new->clock_rate)
		changed |= NG_CHANGED_OTHER;
	for (unsigned int leg = 0; leg < 2; leg++) {
		const struct ng_leg_params *a = &old->legs[leg], *b = &new->legs[leg];

		if (a->has_remote != b->has_remote ||
		    (b->has_remote && (!endpoint_equal(&a->remote, &b->remote) ||
				       !endpoint_equal(&a->remote_rtcp, &b->remote_rtcp))))
			changed |= NG_CHANGED_REMOTE(leg);
		if (a->srtp.enabled != b->srtp.enabled)
			changed |= NG_CHANGED_OTHER;
		else if (b->srtp.enabled &&
			 (a->srtp.suite != b->srtp.suite || a->srtp.key_len != b->srtp.key_len ||
			  CRYPTO_memcmp(a->srtp.rx_key, b->srtp.rx_key, b->srtp.key_len) ||
			  CRYPTO_memcmp(a->srtp.tx_key, b->srtp.tx_key, b->srtp.key_len) ||
			  !mki_equal(&a->srtp.rx_mki, &b->srtp.rx_mki)))
			changed |= NG_CHANGED_KEYS(leg);
	}
	return changed;
}

/* Phase two of an answer: commit or update each accepted session, release the rejected ones. */
static int apply_answer(struct ng_op *op, struct call *call, struct media_plan *plans)
{
	struct ng_ctx *ctx = op->ctx;
	enum sluice_leg leg_x = call->leg[call->offer_side];
	enum sluice_leg leg_y = call->leg[!call->offer_side];

	for (unsigned int m = 0; m < call->n_media; m++) {
		struct call_media *cm = &call->media[m];
		struct media_plan *plan = &plans[m];
		char error[NG_REASON_MAX] = "";
		uint32_t changed;
		int r = 0;

		if (plan->release && cm->allocated) {
			release_session(ctx, cm->session_id);
			cm->allocated = cm->committed = false;
			OPENSSL_cleanse(&cm->params, sizeof(cm->params));
		}
		if (!plan->accepted)
			continue;
		if (!cm->committed) {
			r = ctx->cfg.ops->commit(ctx->cfg.opaque, cm->session_id, &plan->params,
						 error, sizeof(error));
		} else {
			changed = params_changed(&cm->params, &plan->params);
			if (changed)
				r = ctx->cfg.ops->update(ctx->cfg.opaque, cm->session_id,
							 &plan->params, changed, error,
							 sizeof(error));
		}
		if (r < 0)
			return fail(op, "Failed to %s media %u: %s",
				    cm->committed ? "update" : "commit", m + 1,
				    error[0] ? error : strerror(-r));
		cm->committed = true;
		cm->params = plan->params;
		cm->ours[leg_x] = plan->keys;
		snprintf(cm->proto[leg_x], sizeof(cm->proto[0]), "%s", cm->offer.proto);
		snprintf(cm->proto[leg_y], sizeof(cm->proto[0]), "%s", cm->offer.answerer_proto);
	}
	return 0;
}

static int cmd_answer(struct ng_op *op)
{
	struct ng_ctx *ctx = op->ctx;
	const struct ng_request *req = op->req;
	struct call *call = call_table_find(ctx->calls, req->call_id.ptr, req->call_id.len);
	struct media_plan *plans = NULL;
	struct sdp *sdp = NULL;
	enum call_side side;
	size_t sdp_len;
	int r = 0;

	count(&ctx->counters.answers);
	if (!call)
		return fail(op, "Unknown call-id");
	if (!call->has_offer)
		return fail(op, "No offer to answer in this call");
	if (call_side_of_tag(call, req->from_tag.ptr, req->from_tag.len, &side) < 0 ||
	    side != call->offer_side)
		return fail(op, "from-tag does not match the offer of this call");
	if (req->to_tag.len > CALL_TAG_MAX)
		return fail(op, "to-tag too long (at most %u bytes)", CALL_TAG_MAX);
	if (req->to_tag.len == call->tag_len[side] &&
	    memcmp(req->to_tag.ptr, call->tag[side], req->to_tag.len) == 0)
		return fail(op, "to-tag equals the from-tag");
	r = parse_sdp(op, &sdp);
	if (r < 0)
		return r;
	if (sdp->n_media != call->n_media) {
		r = fail(op, "Answer has %u media sections, the offer had %u", sdp->n_media,
			 call->n_media);
		goto out;
	}
	plans = calloc(SDP_MAX_MEDIA, sizeof(*plans));
	if (!plans) {
		r = fail(op, "Out of memory");
		goto out;
	}
	for (unsigned int m = 0; m < sdp->n_media && r == 0; m++)
		r = plan_answer_media(op, call, sdp, m, &plans[m]);
	if (r == 0)
		r = rewrite_answer(op, sdp, call, plans);
	if (r == 0)
		r = serialize_sdp(op, sdp, &sdp_len);
	if (r < 0)
		goto out;
	/* phase two */
	call_set_tag(call, (enum call_side) !call->offer_side, req->to_tag.ptr, req->to_tag.len);
	call->last_signal_s = now_s(ctx);
	r = apply_answer(op, call, plans);
	if (r == 0) {
		call->answered = true;
		r = ng_reply_ok(op->reply, op->cap, op->cookie, ctx->sdp_out, sdp_len, NULL,
				&op->len);
	}
	OPENSSL_cleanse(ctx->sdp_out, sdp_len);
out:
	if (plans)
		OPENSSL_cleanse(plans, SDP_MAX_MEDIA * sizeof(*plans));
	free(plans);
	sdp_wipe_free(sdp);
	return r;
}

/* ---- query, delete, list, statistics ---- */

static void put_counters(struct bencode_writer *w, const char *key, const struct ng_counters *c)
{
	bencode_put_str(w, key, strlen(key));
	bencode_put_dict(w);
	bencode_put_key_int(w, "bytes", (int64_t)c->bytes);
	bencode_put_key_int(w, "errors", (int64_t)c->errors);
	bencode_put_key_int(w, "packets", (int64_t)c->packets);
	bencode_put_end(w);
}

static void put_endpoint(struct bencode_writer *w, const char *key, const struct endpoint *ep)
{
	char addr[ENDPOINT_STR_MAX];

	bencode_put_cstr(w, key);
	bencode_put_dict(w);
	bencode_put_key_cstr(w, "address", endpoint_format_addr(ep, addr, sizeof(addr)));
	bencode_put_key_cstr(w, "family", ep->family == AF_INET6 ? "IPv6" : "IPv4");
	bencode_put_key_int(w, "port", ep->port);
	bencode_put_end(w);
}

static void add_counters(struct ng_counters *sum, const struct ng_counters *c)
{
	sum->packets += c->packets;
	sum->bytes += c->bytes;
	sum->errors += c->errors;
}

/* One stream of a leg: RTP, RTCP, or both with rtcp-mux. */
static void put_stream(struct bencode_writer *w, const struct call_media *cm, enum sluice_leg leg,
		       bool rtcp, const struct ng_leg_counters *counters)
{
	const struct ng_leg_params *lp = &cm->params.legs[leg];
	bool mux = cm->committed && cm->params.rtcp_mux;
	struct ng_counters stats = rtcp ? counters->rtcp : counters->rtp;

	if (mux)
		add_counters(&stats, &counters->rtcp);
	bencode_put_dict(w);
	if (cm->committed && lp->srtp.enabled)
		bencode_put_key_cstr(w, "crypto suite", sluice_srtp_suite_name(lp->srtp.suite));
	if (cm->committed && lp->has_remote)
		put_endpoint(w, "endpoint", rtcp ? &lp->remote_rtcp : &lp->remote);
	bencode_put_cstr(w, "flags");
	bencode_put_list(w);
	if (!rtcp)
		bencode_put_cstr(w, "RTP");
	if (rtcp || mux)
		bencode_put_cstr(w, "RTCP");
	bencode_put_end(w);
	if (counters->last_packet_s)
		bencode_put_key_int(w, "last packet", (int64_t)counters->last_packet_s);
	bencode_put_key_int(w, "local port", cm->local[leg].port + (rtcp ? 1 : 0));
	put_counters(w, "stats", &stats);
	bencode_put_end(w);
}

static void put_tag(struct bencode_writer *w, const struct call *call, enum call_side side,
		    const struct ng_leg_counters (*counters)[2])
{
	enum sluice_leg leg = call->leg[side];
	unsigned int index = 0;

	bencode_put_str(w, call->tag[side], call->tag_len[side]);
	bencode_put_dict(w);
	bencode_put_key_int(w, "created", (int64_t)call->created_s);
	if (call->tag_len[!side])
		bencode_put_key_str(w, "in dialogue with", call->tag[!side], call->tag_len[!side]);
	bencode_put_key_cstr(w, "interface", leg == SLUICE_LEG_INTERNAL ? "internal" : "external");
	bencode_put_cstr(w, "medias");
	bencode_put_list(w);
	for (unsigned int m = 0; m < call->n_media; m++) {
		const struct call_media *cm = &call->media[m];

		index++;
		if (!cm->allocated)
			continue;
		bencode_put_dict(w);
		bencode_put_cstr(w, "flags");
		bencode_put_list(w);
		if (cm->committed && cm->params.rtcp_mux)
			bencode_put_cstr(w, "rtcp-mux");
		if (cm->committed && cm->params.legs[leg].srtp.enabled)
			bencode_put_cstr(w, "SDES");
		bencode_put_end(w);
		bencode_put_key_int(w, "index", index);
		bencode_put_key_cstr(w, "protocol",
				     cm->proto[leg][0] ? cm->proto[leg] : cm->offer.proto);
		bencode_put_cstr(w, "streams");
		bencode_put_list(w);
		put_stream(w, cm, leg, false, &counters[m][leg]);
		if (!(cm->committed && cm->params.rtcp_mux))
			put_stream(w, cm, leg, true, &counters[m][leg]);
		bencode_put_end(w);
		bencode_put_key_cstr(w, "type", cm->offer.type);
		bencode_put_end(w);
	}
	bencode_put_end(w);
	bencode_put_key_str(w, "tag", call->tag[side], call->tag_len[side]);
	bencode_put_end(w);
}

/* The body of query and delete replies: created, last signal, tags, totals (sorted keys). */
static int reply_call_stats(struct ng_op *op, const struct call *call)
{
	struct ng_ctx *ctx = op->ctx;
	struct ng_leg_counters counters[CALL_MAX_MEDIA][2];
	struct ng_counters rtp = {0}, rtcp = {0};
	struct bencode_writer w;

	memset(counters, 0, sizeof(counters));
	for (unsigned int m = 0; m < call->n_media; m++) {
		if (!call->media[m].allocated || !ctx->cfg.ops->query)
			continue;
		if (ctx->cfg.ops->query(ctx->cfg.opaque, call->media[m].session_id, counters[m]) <
		    0)
			memset(counters[m], 0, sizeof(counters[m]));
		for (unsigned int leg = 0; leg < 2; leg++) {
			add_counters(&rtp, &counters[m][leg].rtp);
			add_counters(&rtcp, &counters[m][leg].rtcp);
		}
	}
	ng_reply_begin(&w, op->reply, op->cap, op->cookie);
	bencode_put_key_int(&w, "created", (int64_t)call->created_s);
	bencode_put_key_int(&w, "last signal", (int64_t)call->last_signal_s);
	bencode_put_key_cstr(&w, "result", "ok");
	bencode_put_cstr(&w, "tags");
	bencode_put_dict(&w);
	for (int side = CALL_SIDE_A; side <= CALL_SIDE_B; side++)
		if (call->tag_len[side])
			put_tag(&w, call, (enum call_side)side, counters);
	bencode_put_end(&w);
	bencode_put_cstr(&w, "totals");
	bencode_put_dict(&w);
	put_counters(&w, "RTCP", &rtcp);
	put_counters(&w, "RTP", &rtp);
	bencode_put_end(&w);
	return ng_reply_finish(&w, &op->len);
}

/* The call named by call-id whose tags match the optional from-tag / to-tag. */
static int find_call(struct ng_op *op, struct call **ret)
{
	const struct ng_request *req = op->req;
	struct call *call = call_table_find(op->ctx->calls, req->call_id.ptr, req->call_id.len);
	enum call_side side;

	if (!call)
		return fail(op, "Unknown call-id");
	if ((req->from_tag.len &&
	     call_side_of_tag(call, req->from_tag.ptr, req->from_tag.len, &side) < 0) ||
	    (req->to_tag.len &&
	     call_side_of_tag(call, req->to_tag.ptr, req->to_tag.len, &side) < 0))
		return fail(op, "Call-ID not found or tags didn't match");
	*ret = call;
	return 0;
}

static int cmd_query(struct ng_op *op)
{
	struct call *call;
	int r;

	count(&op->ctx->counters.queries);
	r = find_call(op, &call);
	if (r < 0)
		return r;
	if (reply_call_stats(op, call) < 0)
		return fail(op, "Reply too large");
	return 0;
}

static void delete_call(struct ng_ctx *ctx, struct call *call)
{
	for (unsigned int m = 0; m < call->n_media; m++)
		if (call->media[m].allocated)
			release_session(ctx, call->media[m].session_id);
	call_table_remove(ctx->calls, call);
	count(&ctx->counters.calls_deleted);
}

static int cmd_delete(struct ng_op *op)
{
	struct call *call;
	int r;

	count(&op->ctx->counters.deletes);
	r = find_call(op, &call);
	if (r < 0)
		return r;
	if (reply_call_stats(op, call) < 0 &&
	    ng_reply_ok(op->reply, op->cap, op->cookie, NULL, 0, NULL, &op->len) < 0)
		return fail(op, "Reply too large");
	delete_call(op->ctx, call);
	return 0;
}

struct list_state {
	struct bencode_writer *w;
	size_t room; /* bytes the list may still use */
	int64_t left;
};

static bool list_one(struct call *call, void *userdata)
{
	struct list_state *ls = userdata;
	size_t need = call->call_id_len + 5;

	if (ls->left <= 0 || need > ls->room)
		return false;
	bencode_put_str(ls->w, call->call_id, call->call_id_len);
	ls->room -= need;
	ls->left--;
	return true;
}

static int cmd_list(struct ng_op *op)
{
	struct bencode_writer w;
	struct list_state ls = {.w = &w, .left = NG_LIST_DEFAULT};
	int64_t limit;

	if (bencode_dict_get_int(op->req->dict, "limit", &limit) == 0)
		ls.left = limit < 0 ? 0 : limit > NG_LIST_MAX ? NG_LIST_MAX : limit;
	ng_reply_begin(&w, op->reply, op->cap, op->cookie);
	bencode_put_cstr(&w, "calls");
	bencode_put_list(&w);
	ls.room = op->cap > w.len + 32 ? op->cap - w.len - 32 : 0;
	call_table_foreach(op->ctx->calls, list_one, &ls);
	bencode_put_end(&w);
	bencode_put_key_cstr(&w, "result", "ok");
	if (ng_reply_finish(&w, &op->len) < 0)
		return fail(op, "Reply too large");
	return 0;
}

static int cmd_statistics(struct ng_op *op)
{
	struct ng_ctx *ctx = op->ctx;
	struct ng_backend_stats stats = {.sessions_current = ctx->n_sessions};
	size_t calls = call_table_count(ctx->calls);
	struct bencode_writer w;

	if (ctx->cfg.ops->stats)
		ctx->cfg.ops->stats(ctx->cfg.opaque, &stats);
	ng_reply_begin(&w, op->reply, op->cap, op->cookie);
	bencode_put_key_cstr(&w, "result", "ok");
	bencode_put_cstr(&w, "statistics");
	bencode_put_dict(&w);
	bencode_put_cstr(&w, "currentstatistics");
	bencode_put_dict(&w);
	bencode_put_key_int(&w, "mediastreams", (int64_t)stats.sessions_current);
	bencode_put_key_int(&w, "mediastreamsmax", (int64_t)stats.sessions_max);
	bencode_put_key_int(&w, "sessionsforeign", 0);
	bencode_put_key_int(&w, "sessionsmax", (int64_t)ctx->cfg.max_calls);
	bencode_put_key_int(&w, "sessionsown", (int64_t)calls);
	bencode_put_key_int(&w, "sessionstotal", (int64_t)calls);
	bencode_put_key_int(&w, "transcodedmedia", 0);
	bencode_put_end(&w);
	bencode_put_cstr(&w, "totalstatistics");
	bencode_put_dict(&w);
	put_counters(&w, "RTCP", &stats.rtcp);
	put_counters(&w, "RTP", &stats.rtp);
	bencode_put_key_int(&w, "answers", (int64_t)ctx->counters.answers);
	bencode_put_key_int(&w, "deletes", (int64_t)ctx->counters.deletes);
	bencode_put_key_int(&w, "errors", (int64_t)ctx->counters.errors);
	bencode_put_key_int(&w, "managedsessions", (int64_t)ctx->counters.calls_created);
	bencode_put_key_int(&w, "mediastreamstotal", (int64_t)stats.sessions_total);
	bencode_put_key_int(&w, "offers", (int64_t)ctx->counters.offers);
	bencode_put_key_int(&w, "rejectedsessions", (int64_t)ctx->counters.load_limited);
	bencode_put_key_int(&w, "totalrelayedbytes", (int64_t)(stats.rtp.bytes + stats.rtcp.bytes));
	bencode_put_key_int(&w, "totalrelayedpacketerrors",
			    (int64_t)(stats.rtp.errors + stats.rtcp.errors));
	bencode_put_key_int(&w, "totalrelayedpackets",
			    (int64_t)(stats.rtp.packets + stats.rtcp.packets));
	bencode_put_end(&w);
	bencode_put_end(&w);
	if (ng_reply_finish(&w, &op->len) < 0)
		return fail(op, "Reply too large");
	return 0;
}

/* ---- dispatch ---- */

static int dispatch(struct ng_op *op)
{
	switch (op->req->command) {
	case NG_CMD_PING:
		return ng_reply_pong(op->reply, op->cap, op->cookie, &op->len) < 0
			   ? fail(op, "Reply too large")
			   : 0;
	case NG_CMD_OFFER:
		return cmd_offer(op);
	case NG_CMD_ANSWER:
		return cmd_answer(op);
	case NG_CMD_DELETE:
		return cmd_delete(op);
	case NG_CMD_QUERY:
		return cmd_query(op);
	case NG_CMD_LIST:
		return cmd_list(op);
	case NG_CMD_STATISTICS:
		return cmd_statistics(op);
	default:
		return fail(op, "Unrecognized command '%.*s'",
			    (int)(op->req->command_name.len > 32 ? 32 : op->req->command_name.len),
			    op->req->command_name.ptr);
	}
}

/* Cache key: transport, address family, address, port, cookie. */
static size_t cache_key(const struct ctl_peer *peer, struct bencode_str cookie,
			char key[static NG_CACHE_KEY_MAX])
{
	uint8_t mapped[16] = {0};
	uint16_t port = 0;
	size_t len = 0;

	if (peer && (peer->addr.family == AF_INET || peer->addr.family == AF_INET6)) {
		endpoint_to_mapped(&peer->addr, mapped);
		port = peer->addr.port;
	}
	key[len++] = peer ? (char)peer->transport : 0;
	memcpy(key + len, mapped, sizeof(mapped));
	len += sizeof(mapped);
	memcpy(key + len, &port, sizeof(port));
	len += sizeof(port);
	memcpy(key + len, cookie.ptr, cookie.len); /* cookie.len <= NG_COOKIE_MAX */
	return len + cookie.len;
}

static void handle_request(struct ng_op *op, struct bencode_str body)
{
	struct ng_ctx *ctx = op->ctx;
	enum ng_command command = NG_CMD_UNKNOWN;
	const struct bencode_item *root;
	struct ng_request req;
	const char *reason = "";
	int r;

	r = bencode_decode(body.ptr, body.len, ctx->arena, sizeof(ctx->arena), &root, &reason);
	if (r < 0) {
		fail(op, "Failed to decode the request: %s", reason);
		goto error;
	}
	r = ng_request_parse(root, &req, &reason);
	if (r < 0) {
		fail(op, "%s", reason);
		goto error;
	}
	op->req = &req;
	command = req.command;
	r = dispatch(op);
	if (r == NG_LOAD_LIMIT) {
		count(&ctx->counters.load_limited);
		count(&ctx->counters.by_command[command][NG_CTX_ERROR]);
		if (req.supports_load_limit)
			r = ng_reply_load_limit(op->reply, op->cap, op->cookie, NULL, &op->len);
		else
			fail(op, "Parallel session limit reached");
		if (r >= 0)
			return;
		goto reply_error;
	}
	if (r >= 0) {
		count(&ctx->counters.by_command[command][NG_CTX_OK]);
		return;
	}
error:
	count(&ctx->counters.by_command[command][NG_CTX_ERROR]);
reply_error:
	count(&ctx->counters.errors);
	if (ng_reply_error(op->reply, op->cap, op->cookie, op->reason, &op->len) < 0)
		op->len = 0;
}

/* A well-formed cookie at the start of a message ng_split refused (too large, no body). */
static bool salvage_cookie(const char *msg, size_t len, struct bencode_str *ret)
{
	size_t i;

	for (i = 0; i < len && i <= NG_COOKIE_MAX && msg[i] != ' '; i++)
		if (msg[i] < 0x21 || msg[i] > 0x7e)
			return false;
	if (i == 0 || i > NG_COOKIE_MAX || i == len)
		return false;
	*ret = (struct bencode_str){msg, i};
	return true;
}

int ng_handle(void *opaque, const uint8_t *msg, size_t len, const struct ctl_peer *peer,
	      uint8_t *reply, size_t reply_cap, size_t *ret_reply_len)
{
	struct ng_ctx *ctx = opaque;
	struct ng_op op = {.ctx = ctx, .reply = (char *)reply, .cap = reply_cap};
	struct bencode_str body;
	char key[NG_CACHE_KEY_MAX];
	const char *cached, *reason;
	size_t key_len, cached_len;
	uint64_t now;

	if (!ctx || !msg || !reply || !ret_reply_len)
		return -EINVAL;
	*ret_reply_len = 0;
	count(&ctx->counters.requests);
	if (ng_split((const char *)msg, len, &op.cookie, &body, &reason) < 0) {
		count(&ctx->counters.errors);
		count(&ctx->counters.by_command[NG_CMD_UNKNOWN][NG_CTX_ERROR]);
		if (!salvage_cookie((const char *)msg, len, &op.cookie))
			return 0; /* no cookie, no reply */
		fail(&op, "%s", reason);
		return ng_reply_error(op.reply, op.cap, op.cookie, op.reason, ret_reply_len) < 0
			   ? -ENOSPC
			   : 0;
	}
	key_len = cache_key(peer, op.cookie, key);
	now = now_ms(ctx);
	if (ng_cache_lookup(ctx->cache, key, key_len, now, &cached, &cached_len) == 0) {
		count(&ctx->counters.cache_hits);
		if (cached_len > reply_cap)
			return -ENOSPC;
		memcpy(reply, cached, cached_len);
		*ret_reply_len = cached_len;
		return 0;
	}
	handle_request(&op, body);
	if (op.len == 0)
		return -ENOSPC;
	ng_cache_insert(ctx->cache, key, key_len, op.reply, op.len, now);
	*ret_reply_len = op.len;
	return 0;
}

/* ---- context ---- */

int ng_ctx_new(const struct ng_config *cfg, struct ng_ctx **ret)
{
	const struct ng_backend_ops *ops = cfg ? cfg->ops : NULL;
	struct ng_ctx *ctx;
	int r;

	if (!ops || !ops->allocate || !ops->commit || !ops->update || !ops->release ||
	    !ops->random || !ret)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->cfg = *cfg;
	if (!ctx->cfg.max_calls)
		ctx->cfg.max_calls = CALL_DEFAULT_MAX;
	ctx->policy = cfg->policy;
	if (!ctx->policy.suite_mask)
		ctx->policy.suite_mask = policy_suite_mask(false);
	r = call_table_new(ctx->cfg.max_calls, &ctx->calls);
	if (r == 0)
		r = ng_cache_new(cfg->cache_capacity ? cfg->cache_capacity : NG_CACHE_CAPACITY,
				 cfg->cache_max_bytes ? cfg->cache_max_bytes : NG_CACHE_MAX_BYTES,
				 cfg->cache_ttl_ms ? cfg->cache_ttl_ms : NG_CACHE_TTL_MS,
				 &ctx->cache);
	if (r < 0) {
		ng_ctx_free(ctx);
		return r;
	}
	*ret = ctx;
	return 0;
}

void ng_ctx_free(struct ng_ctx *ctx)
{
	if (!ctx)
		return;
	call_table_free(ctx->calls);
	ng_cache_free(ctx->cache);
	OPENSSL_cleanse(ctx->sdp_out, sizeof(ctx->sdp_out));
	free(ctx);
}

size_t ng_ctx_call_count(const struct ng_ctx *ctx)
{
	return call_table_count(ctx->calls);
}

size_t ng_ctx_session_count(const struct ng_ctx *ctx)
{
	return ctx->n_sessions;
}

void ng_ctx_get_counters(const struct ng_ctx *ctx, struct ng_ctx_counters *ret)
{
	const uint64_t *src = (const uint64_t *)&ctx->counters;
	uint64_t *dst = (uint64_t *)ret;

	for (size_t i = 0; i < sizeof(*ret) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
