/* SPDX-License-Identifier: MIT */
/*
 * A small JSON reader for sluicectl: parses the daemon's one-line replies into a tree so the
 * tables can be printed. Numbers keep their text (counters are 64-bit).
 */
#ifndef SLUICE_TOOLS_JSON_READER_H
#define SLUICE_TOOLS_JSON_READER_H

#include <stdbool.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	char *key;  /* member name inside an object */
	char *text; /* JV_STRING: the string; JV_NUMBER: the number as written */
	bool boolean;
	struct jv *child; /* first member or element */
	struct jv *next;  /* next sibling */
};

/* Parse text (one JSON value, optional surrounding whitespace). Returns 0 or -EINVAL/-ENOMEM. */
int jv_parse(const char *text, struct jv **ret);
struct jv *jv_free(struct jv *v);

/* Member of an object, or NULL. */
const struct jv *jv_get(const struct jv *object, const char *key);
/* A member as text for tables: strings and numbers as is, true/false, null as "-". */
const char *jv_text(const struct jv *object, const char *key);
uint64_t jv_u64(const struct jv *object, const char *key);

#endif
