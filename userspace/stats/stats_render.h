/* SPDX-License-Identifier: MIT */
/*
 * Renderers of the stats snapshot: JSON (the global object, one session, the list of sessions),
 * each one line without the trailing newline, and the Prometheus text exposition format 0.0.4
 * (docs/stats.md lists every object member and every metric). They write into a capped
 * stats_buf and return 0, -E2BIG when the reply would exceed the buffer's cap, -ENOMEM, or the
 * provider's error.
 */
#ifndef SLUICE_STATS_RENDER_H
#define SLUICE_STATS_RENDER_H

#include "stats/stats_buf.h"
#include "stats/stats_snapshot.h"

/*
 * Per-session Prometheus series (sluice_session_*): `yes`, `no`, or `auto` (the default): only
 * while at most STATS_PER_SESSION_AUTO_MAX sessions are active. A session costs 14 series and 1.4
 * KB of exposition per scrape with rtcp-mux, 22 series and about 2.2 KB without (measured), and
 * every call brings a new set of series (churn in the TSDB head). 1000 sessions keep a scrape under
 * about 22k series and 2.2 MB (15 ms to render): what one Prometheus target can reasonably carry.
 * Above that the global families (loss and jitter aggregates included) carry the picture, and
 * `session ID` on the stats socket answers for one call.
 */
enum stats_per_session {
	STATS_PER_SESSION_AUTO = 0,
	STATS_PER_SESSION_YES,
	STATS_PER_SESSION_NO,
};

#define STATS_PER_SESSION_AUTO_MAX 1000

/* "yes", "no", "auto" -> mode. Returns 0 or -EINVAL (ret untouched). */
int stats_per_session_from_string(const char *s, enum stats_per_session *ret);
const char *stats_per_session_to_string(enum stats_per_session mode);
/* Whether the metrics carry per-session series; auto_max 0 means STATS_PER_SESSION_AUTO_MAX. */
bool stats_per_session_enabled(enum stats_per_session mode, unsigned auto_max,
			       uint64_t sessions_active);

/* {"time_unix_ms":...,"sessions":{...},...}: the `stats` reply and each `watch` line. */
int stats_render_global_json(const struct stats_global *g, struct stats_buf *out);
/* {"session":{"id":...,"streams":[...]}}: the `session <id>` reply. */
int stats_render_session_json(const struct stats_session *s, struct stats_buf *out);
/*
 * {"sessions":[...],"count":N,"truncated":bool}: the sessions the provider lists, skipping the
 * first `offset`, at most `limit` (0: no limit; truncated says whether more were left).
 */
int stats_render_sessions_json(const struct stats_provider *p, uint64_t offset, uint64_t limit,
			       struct stats_buf *out);
/* {"error":"msg"} */
int stats_render_error_json(const char *msg, struct stats_buf *out);

/*
 * The exposition text of g, and of every session the provider lists when sessions is non-NULL
 * (callers decide with stats_per_session_enabled). Ends with a newline; no empty lines.
 */
int stats_render_metrics(const struct stats_global *g, const struct stats_provider *sessions,
			 struct stats_buf *out);

#endif
