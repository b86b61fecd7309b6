/* SPDX-License-Identifier: MIT */
/*
 * A growing output buffer with a hard cap, and the small JSON writer and escapers the renderers
 * write through. The buffer doubles as needed up to `max` bytes; anything beyond sets `overflow`
 * and is dropped, so a renderer checks once at the end (stats_buf_status) instead of after every
 * write. Allocation failure is sticky the same way.
 */
#ifndef SLUICE_STATS_BUF_H
#define SLUICE_STATS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	size_t max; /* hard cap on len */
	bool overflow;
	bool oom;
};

#define STATS_JSON_MAX_DEPTH 16

/* A JSON writer on a stats_buf: commas and nesting are tracked, values are escaped. */
struct stats_json {
	struct stats_buf *buf;
	unsigned depth;
	bool after_key;
	bool has_items[STATS_JSON_MAX_DEPTH];
};

void stats_buf_init(struct stats_buf *b, size_t max);
/* Frees the memory; the buffer may be reused after stats_buf_init. Accepts NULL. */
void stats_buf_free(struct stats_buf *b);
/* Empties the buffer, keeping its memory and cap. */
void stats_buf_reset(struct stats_buf *b);
/* 0, -E2BIG when the cap was hit, -ENOMEM when an allocation failed. */
int stats_buf_status(const struct stats_buf *b);

void stats_buf_append(struct stats_buf *b, const char *s, size_t n);
void stats_buf_puts(struct stats_buf *b, const char *s);
void stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Moves src's bytes to the end of dst. */
void stats_buf_append_buf(struct stats_buf *dst, const struct stats_buf *src);

/* Prometheus label value: backslash, double quote and newline escaped. */
void stats_buf_prom_label_value(struct stats_buf *b, const char *s);
/* Prometheus HELP text: backslash and newline escaped. */
void stats_buf_prom_help(struct stats_buf *b, const char *s);
/* A sample value: integers as such, doubles with up to 17 significant digits, NaN/+Inf/-Inf. */
void stats_buf_prom_double(struct stats_buf *b, double v);

void stats_json_init(struct stats_json *j, struct stats_buf *buf);
void stats_json_object_begin(struct stats_json *j);
void stats_json_object_end(struct stats_json *j);
void stats_json_array_begin(struct stats_json *j);
void stats_json_array_end(struct stats_json *j);
void stats_json_key(struct stats_json *j, const char *key);
void stats_json_string(struct stats_json *j, const char *s);
void stats_json_uint(struct stats_json *j, uint64_t v);
void stats_json_int(struct stats_json *j, int64_t v);
/* Finite doubles with `decimals` digits after the point; NaN and infinities as null. */
void stats_json_double(struct stats_json *j, double v, int decimals);
void stats_json_bool(struct stats_json *j, bool v);
void stats_json_null(struct stats_json *j);
void stats_json_kv_string(struct stats_json *j, const char *key, const char *s);
void stats_json_kv_uint(struct stats_json *j, const char *key, uint64_t v);
void stats_json_kv_int(struct stats_json *j, const char *key, int64_t v);
void stats_json_kv_double(struct stats_json *j, const char *key, double v, int decimals);
void stats_json_kv_bool(struct stats_json *j, const char *key, bool v);

#endif
