/* SPDX-License-Identifier: MIT */
/*
 * Call state of the ng command layer: call-id -> call, with the two SIP parties (side A, the first
 * offerer, and side B, its answerer), the relay leg each party sits on, and per media section the
 * backend session, the last offer's decisions (kept until the answer that completes it) and what
 * was committed. Our own SDES keys live here too: one per (media, leg, suite), made on first use
 * and kept for the call, so a re-offer repeats the same a=crypto lines and a re-answer with the
 * same suite changes no key. Everything is wiped when freed.
 *
 * The table is a fixed array of hash buckets with a hard cap on calls; call-ids and tags longer
 * than their caps are refused, so a peer cannot grow anything without bound.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/ng_commands.h"
#include "control/policy.h"
#include "control/sdes.h"
#include "control/sdp.h"

#define CALL_ID_MAX	   256 /* bytes of a call-id */
#define CALL_TAG_MAX	   128 /* bytes of a from-tag / to-tag */
#define CALL_MAX_MEDIA	   SDP_MAX_MEDIA
#define CALL_DEFAULT_MAX   16384
#define CALL_TABLE_BUCKETS 4096

enum call_side {
	CALL_SIDE_A = 0, /* the first offerer (its from-tag) */
	CALL_SIDE_B = 1, /* the first answerer (its to-tag) */
};

/* Our keys toward one leg of one media: key[suite] valid when have & SDES_SUITE_BIT(suite). */
struct call_keys {
	uint32_t have;
	struct sdes_crypto key[_SLUICE_SRTP_SUITE_MAX];
};

/* What the last offer decided for one media section; the answer completes it. */
struct call_offer_media {
	bool relayed;			 /* has a backend session for this offer */
	char type[SDP_MEDIA_TYPE_MAX];	 /* "audio", ... */
	char proto[SDP_MEDIA_PROTO_MAX]; /* the offerer's profile: the answer to it keeps it */
	uint32_t clock_rate;
	bool has_remote;
	struct endpoint remote, remote_rtcp; /* the offerer's */
	bool mux;			     /* rtcp-mux offered by the offerer and passed on */
	bool srtp;			     /* the offerer's leg will be SRTP */
	struct sdes_crypto crypto;	     /* the offerer's line we accept (its key: our rx) */
	enum policy_srtp answerer_srtp;	     /* what we offered the answerer */
	char answerer_proto[SDP_MEDIA_PROTO_MAX];    /* the profile we offered the answerer */
	uint32_t offered_mask;			     /* suites offered to the answerer */
	uint8_t offered_tag[_SLUICE_SRTP_SUITE_MAX]; /* the a=crypto tag of each offered suite */
};

struct call_media {
	bool allocated; /* session_id and local are valid */
	uint32_t session_id;
	struct endpoint local[2]; /* by leg */
	bool committed;
	struct ng_session_params params;    /* as committed (keys included) */
	char proto[2][SDP_MEDIA_PROTO_MAX]; /* by leg: the profile in use, for query */
	struct call_keys ours[2];	    /* by leg */
	struct call_offer_media offer;
};

struct call {
	char call_id[CALL_ID_MAX + 1];
	size_t call_id_len;
	char tag[2][CALL_TAG_MAX + 1]; /* by side; tag[B] empty until the first answer */
	size_t tag_len[2];
	enum sluice_leg leg[2]; /* by side */
	bool has_offer;
	enum call_side offer_side; /* who made the last offer */
	bool answered;		   /* the last offer has been answered at least once */
	bool strict_source;	   /* from the last offer or answer */
	uint64_t created_s, last_signal_s;
	unsigned int n_media;
	struct call_media *media; /* n_media of them */
	struct call *bucket_next;
};

struct call_table;

int call_table_new(unsigned int max_calls, struct call_table **ret);
/* Frees every call (wiping keys). NULL is fine. */
void call_table_free(struct call_table *table);

/* NULL when absent. */
struct call *call_table_find(struct call_table *table, const char *call_id, size_t len);
/*
 * A new, zeroed call with that id (not yet in the table): -ENAMETOOLONG for an over-long id or
 * tag, -ENOMEM. Insert it with call_table_insert(), or free it with call_free().
 */
int call_new(const char *call_id, size_t id_len, struct call **ret);
/* -ENOSPC at the cap, -EEXIST when the id is taken. */
int call_table_insert(struct call_table *table, struct call *call);
bool call_table_full(const struct call_table *table);
/* Unlinks and frees (wiping keys). */
void call_table_remove(struct call_table *table, struct call *call);
void call_free(struct call *call);

size_t call_table_count(const struct call_table *table);
/* Calls in no particular order; stops when fn returns false. */
void call_table_foreach(struct call_table *table, bool (*fn)(struct call *call, void *userdata),
			void *userdata);

/* Stores a tag (-ENAMETOOLONG over CALL_TAG_MAX). */
int call_set_tag(struct call *call, enum call_side side, const char *tag, size_t len);
/* The side whose tag equals tag, or -ENOENT. */
int call_side_of_tag(const struct call *call, const char *tag, size_t len,
		     enum call_side *ret_side);

/* A zeroed array of n media sections (1..CALL_MAX_MEDIA); free it with call_media_free(). */
int call_media_alloc(unsigned int n, struct call_media **ret);
void call_media_free(struct call_media *media, unsigned int n);

/* Wipes every key of one media section (ours, the committed ones, the offer's). */
void call_media_wipe(struct call_media *media);
