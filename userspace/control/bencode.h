/* SPDX-License-Identifier: MIT */
/*
 * Bencode as rtpengine's ng protocol uses it: integers, byte strings, lists and dictionaries. The
 * decoder builds a tree inside one caller-provided arena (no allocation per node) and never copies
 * strings: every string in the tree points into the message, which must outlive the tree. Peers
 * control the input, so everything is capped: message size, nesting depth, number of items (and
 * the arena). A malformed message yields -EBADMSG and a static reason a reply can quote.
 *
 * Dialect choices: integers are canonical (no leading zeros, no "-0", no empty "ie") and must fit
 * in int64_t; string lengths are canonical too ("0:" but never "01:"). Dictionary keys may come in
 * any order; duplicates are accepted and the first one wins in lookups. Whitespace (space, tab, CR,
 * LF) after the top-level item is tolerated, anything else after it is an error.
 *
 * The encoder writes into a bounded buffer. Errors are sticky: after the first failure every
 * further call is a no-op and bencode_writer_finish() reports it (-ENOSPC when it did not fit).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCODE_MAX_MESSAGE (64 * 1024) /* bytes of one encoded message */
#define BENCODE_MAX_DEPTH   32		/* nested lists/dictionaries */
#define BENCODE_MAX_ITEMS   4096	/* items of any kind in one message */

enum bencode_type {
	BENCODE_INTEGER,
	BENCODE_STRING,
	BENCODE_LIST,
	BENCODE_DICT,
};

struct bencode_str {
	const char *ptr; /* not NUL-terminated */
	size_t len;
};

struct bencode_item {
	enum bencode_type type;
	struct bencode_str key;	   /* for a dictionary member: its key; else empty */
	struct bencode_item *next; /* next member of the enclosing list or dictionary */
	union {
		int64_t integer;
		struct bencode_str string;
		struct {
			struct bencode_item *first; /* members in message order */
			size_t count;
		} container; /* BENCODE_LIST, BENCODE_DICT */
	};
};

/* An arena this large never runs out before BENCODE_MAX_ITEMS does (192 KiB on 64-bit). */
#define BENCODE_ARENA_SIZE (BENCODE_MAX_ITEMS * sizeof(struct bencode_item) + 16)

/*
 * Decodes one item from msg[0..len). The tree lives in arena (aligned to 8 bytes or not: it is
 * aligned internally); strings point into msg. Returns 0 with *ret_root set, -EBADMSG with
 * *ret_reason set (e.g. "truncated string", "nesting too deep"), -EINVAL on bad arguments.
 */
int bencode_decode(const char *msg, size_t len, void *arena, size_t arena_size,
		   const struct bencode_item **ret_root, const char **ret_reason);

/* Lookups: NULL / -ENOENT when absent, -EPROTOTYPE when present with another type. */
const struct bencode_item *bencode_dict_get(const struct bencode_item *dict, const char *key);
int bencode_dict_get_str(const struct bencode_item *dict, const char *key,
			 struct bencode_str *ret_str);
int bencode_dict_get_int(const struct bencode_item *dict, const char *key, int64_t *ret_int);
int bencode_dict_get_list(const struct bencode_item *dict, const char *key,
			  const struct bencode_item **ret_list);
int bencode_dict_get_dict(const struct bencode_item *dict, const char *key,
			  const struct bencode_item **ret_dict);
/* True when item is a string equal to the NUL-terminated s. Accepts NULL item. */
bool bencode_str_eq(const struct bencode_item *item, const char *s);
bool bencode_bstr_eq(struct bencode_str str, const char *s);

#define bencode_foreach(it, container_item)                                                        \
	for (const struct bencode_item *it = (container_item)->container.first; it; it = it->next)

struct bencode_writer {
	char *buf;
	size_t cap;
	size_t len;
	unsigned int depth;
	int error; /* first error, sticky */
};

void bencode_writer_init(struct bencode_writer *w, char *buf, size_t cap);
/* Raw bytes, not bencode (e.g. the ng cookie and its space). */
int bencode_put_raw(struct bencode_writer *w, const char *bytes, size_t len);
int bencode_put_str(struct bencode_writer *w, const char *s, size_t len);
int bencode_put_cstr(struct bencode_writer *w, const char *s);
int bencode_put_int(struct bencode_writer *w, int64_t value);
int bencode_put_dict(struct bencode_writer *w);
int bencode_put_list(struct bencode_writer *w);
int bencode_put_end(struct bencode_writer *w);
/* Dictionary member helpers: key, then value. */
int bencode_put_key_str(struct bencode_writer *w, const char *key, const char *s, size_t len);
int bencode_put_key_cstr(struct bencode_writer *w, const char *key, const char *s);
int bencode_put_key_int(struct bencode_writer *w, const char *key, int64_t value);
/* Re-encodes a decoded item (dictionary members in their original order). */
int bencode_put_item(struct bencode_writer *w, const struct bencode_item *item);
/* 0 and the length written, -ENOSPC when it did not fit, -EINVAL when a container is open. */
int bencode_writer_finish(const struct bencode_writer *w, size_t *ret_len);
