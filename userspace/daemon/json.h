/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer for the admin socket's one-line replies: a growing buffer plus a nesting
 * stack that places the commas. Allocation failure is sticky and reported by json_finish().
 */
#ifndef SLUICE_DAEMON_JSON_H
#define SLUICE_DAEMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	bool failed;
	unsigned depth;
	bool has_items[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j);
void json_done(struct json *j);
/* Drop everything written so far (to replace a partial reply with an error). */
void json_reset(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_int(struct json *j, int64_t v);
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Convenience: key and value. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Append '\n'; returns 0 or -ENOMEM if any write failed. */
int json_finish(struct json *j);

#endif
