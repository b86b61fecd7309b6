// SPDX-License-Identifier: MIT
/* The admin socket's JSON writer; see json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/json.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
}

void json_done(struct json *j)
{
	/* A reply may carry a generated SRTP key. */
	if (j->buf)
		explicit_bzero(j->buf, j->cap);
	free(j->buf);
	json_init(j);
}

void json_reset(struct json *j)
{
	char *buf = j->buf;
	size_t cap = j->cap;

	if (buf)
		explicit_bzero(buf, cap);
	json_init(j);
	j->buf = buf;
	j->cap = cap;
}

static void append(struct json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		char *grown;

		while (j->len + n + 1 > cap)
			cap *= 2;
		/* Not realloc: the old buffer is wiped, not left behind with a key in it. */
		grown = malloc(cap);
		if (!grown) {
			j->failed = true;
			return;
		}
		if (j->buf) {
			memcpy(grown, j->buf, j->len + 1);
			explicit_bzero(j->buf, j->cap);
			free(j->buf);
		}
		j->buf = grown;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void appendf(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void appendf(struct json *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		append(j, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Comma before every item but the first of its container; none right after a key. */
static void separate(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->has_items[j->depth - 1])
		append(j, ",", 1);
	if (j->depth > 0)
		j->has_items[j->depth - 1] = true;
}

static void open_container(struct json *j, const char *bracket)
{
	separate(j);
	append(j, bracket, 1);
	if (j->depth == JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->has_items[j->depth++] = false;
}

static void close_container(struct json *j, const char *bracket)
{
	if (j->depth > 0)
		j->depth--;
	append(j, bracket, 1);
}

void json_object_begin(struct json *j)
{
	open_container(j, "{");
}

void json_object_end(struct json *j)
{
	close_container(j, "}");
}

void json_array_begin(struct json *j)
{
	open_container(j, "[");
}

void json_array_end(struct json *j)
{
	close_container(j, "]");
}

static void quoted(struct json *j, const char *s)
{
	append(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			append(j, "\\", 1);
			append(j, s, 1);
		} else if (c < 0x20) {
			appendf(j, "\\u%04x", c);
		} else {
			append(j, s, 1);
		}
	}
	append(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	quoted(j, key);
	append(j, ":", 1);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	separate(j);
	quoted(j, s);
}

void json_uint(struct json *j, uint64_t v)
{
	separate(j);
	appendf(j, "%" PRIu64, v);
}

void json_int(struct json *j, int64_t v)
{
	separate(j);
	appendf(j, "%" PRId64, v);
}

void json_double(struct json *j, double v, int decimals)
{
	separate(j);
	appendf(j, "%.*f", decimals, v);
}

void json_bool(struct json *j, bool v)
{
	separate(j);
	append(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	separate(j);
	append(j, "null", 4);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

int json_finish(struct json *j)
{
	append(j, "\n", 1);
	return j->failed ? -ENOMEM : 0;
}
