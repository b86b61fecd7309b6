// SPDX-License-Identifier: MIT
/* The capped output buffer, the JSON writer and the Prometheus escapers; see stats_buf.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats/stats_buf.h"

void stats_buf_init(struct stats_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void stats_buf_free(struct stats_buf *b)
{
	if (!b)
		return;
	free(b->data);
	stats_buf_init(b, b->max);
}

void stats_buf_reset(struct stats_buf *b)
{
	b->len = 0;
	b->overflow = false;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

int stats_buf_status(const struct stats_buf *b)
{
	if (b->oom)
		return -ENOMEM;
	return b->overflow ? -E2BIG : 0;
}

/* Room for n more bytes and the NUL; false (and the flag set) when the cap or memory says no. */
static bool reserve(struct stats_buf *b, size_t n)
{
	size_t need, cap;
	char *grown;

	if (b->overflow || b->oom)
		return false;
	if (n > b->max || b->len > b->max - n) {
		b->overflow = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	grown = realloc(b->data, cap);
	if (!grown) {
		b->oom = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void stats_buf_append(struct stats_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void stats_buf_puts(struct stats_buf *b, const char *s)
{
	stats_buf_append(b, s, strlen(s));
}

void stats_buf_printf(struct stats_buf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		stats_buf_append(b, small, (size_t)n);
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void stats_buf_append_buf(struct stats_buf *dst, const struct stats_buf *src)
{
	if (src->overflow)
		dst->overflow = true;
	if (src->oom)
		dst->oom = true;
	if (src->len)
		stats_buf_append(dst, src->data, src->len);
}

/* Appends s, replacing each byte that needs it by its escape (NULL: keep). */
static void escaped(struct stats_buf *b, const char *s,
		    const char *(*escape)(unsigned char c, char tmp[static 8]))
{
	const char *run = s;
	char tmp[8];

	for (; *s; s++) {
		const char *e = escape((unsigned char)*s, tmp);

		if (!e)
			continue;
		stats_buf_append(b, run, (size_t)(s - run));
		stats_buf_puts(b, e);
		run = s + 1;
	}
	stats_buf_append(b, run, (size_t)(s - run));
}

static const char *prom_label_escape(unsigned char c, char tmp[static 8])
{
	(void)tmp;
	switch (c) {
	case '\\':
		return "\\\\";
	case '"':
		return "\\\"";
	case '\n':
		return "\\n";
	}
	return NULL;
}

static const char *prom_help_escape(unsigned char c, char tmp[static 8])
{
	(void)tmp;
	switch (c) {
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	}
	return NULL;
}

void stats_buf_prom_label_value(struct stats_buf *b, const char *s)
{
	escaped(b, s, prom_label_escape);
}

void stats_buf_prom_help(struct stats_buf *b, const char *s)
{
	escaped(b, s, prom_help_escape);
}

/* The shortest %g form that reads back as the same double (0.004, not 0.0040000000000000001). */
static void shortest_double(struct stats_buf *b, double v)
{
	char text[32];

	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, v);
		if (strtod(text, NULL) == v)
			break;
	}
	stats_buf_puts(b, text);
}

void stats_buf_prom_double(struct stats_buf *b, double v)
{
	if (isnan(v))
		stats_buf_puts(b, "NaN");
	else if (isinf(v))
		stats_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == (double)(int64_t)v && fabs(v) < 1e15)
		stats_buf_printf(b, "%" PRId64, (int64_t)v);
	else
		shortest_double(b, v);
}

/* ---- JSON ---- */

static const char *json_escape(unsigned char c, char tmp[static 8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	snprintf(tmp, 8, "\\u%04x", c);
	return tmp;
}

void stats_json_init(struct stats_json *j, struct stats_buf *buf)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
}

/* Comma before every item but the first of its container; none right after a key. */
static void separate(struct stats_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0 && j->has_items[j->depth - 1])
		stats_buf_append(j->buf, ",", 1);
	if (j->depth > 0)
		j->has_items[j->depth - 1] = true;
}

static void open_container(struct stats_json *j, const char *bracket)
{
	separate(j);
	stats_buf_append(j->buf, bracket, 1);
	if (j->depth == STATS_JSON_MAX_DEPTH) {
		j->buf->overflow =
		    true; /* a renderer bug; fail the reply rather than emit bad JSON */
		return;
	}
	j->has_items[j->depth++] = false;
}

static void close_container(struct stats_json *j, const char *bracket)
{
	if (j->depth > 0)
		j->depth--;
	stats_buf_append(j->buf, bracket, 1);
}

void stats_json_object_begin(struct stats_json *j)
{
	open_container(j, "{");
}

void stats_json_object_end(struct stats_json *j)
{
	close_container(j, "}");
}

void stats_json_array_begin(struct stats_json *j)
{
	open_container(j, "[");
}

void stats_json_array_end(struct stats_json *j)
{
	close_container(j, "]");
}

static void quoted(struct stats_json *j, const char *s)
{
	stats_buf_append(j->buf, "\"", 1);
	escaped(j->buf, s, json_escape);
	stats_buf_append(j->buf, "\"", 1);
}

void stats_json_key(struct stats_json *j, const char *key)
{
	separate(j);
	quoted(j, key);
	stats_buf_append(j->buf, ":", 1);
	j->after_key = true;
}

void stats_json_string(struct stats_json *j, const char *s)
{
	separate(j);
	quoted(j, s);
}

void stats_json_uint(struct stats_json *j, uint64_t v)
{
	separate(j);
	stats_buf_printf(j->buf, "%" PRIu64, v);
}

void stats_json_int(struct stats_json *j, int64_t v)
{
	separate(j);
	stats_buf_printf(j->buf, "%" PRId64, v);
}

void stats_json_double(struct stats_json *j, double v, int decimals)
{
	if (!isfinite(v)) {
		stats_json_null(j);
		return;
	}
	separate(j);
	stats_buf_printf(j->buf, "%.*f", decimals, v);
}

void stats_json_bool(struct stats_json *j, bool v)
{
	separate(j);
	stats_buf_puts(j->buf, v ? "true" : "false");
}

void stats_json_null(struct stats_json *j)
{
	separate(j);
	stats_buf_puts(j->buf, "null");
}

void stats_json_kv_string(struct stats_json *j, const char *key, const char *s)
{
	stats_json_key(j, key);
	stats_json_string(j, s);
}

void stats_json_kv_uint(struct stats_json *j, const char *key, uint64_t v)
{
	stats_json_key(j, key);
	stats_json_uint(j, v);
}

void stats_json_kv_int(struct stats_json *j, const char *key, int64_t v)
{
	stats_json_key(j, key);
	stats_json_int(j, v);
}

void stats_json_kv_double(struct stats_json *j, const char *key, double v, int decimals)
{
	stats_json_key(j, key);
	stats_json_double(j, v, decimals);
}

void stats_json_kv_bool(struct stats_json *j, const char *key, bool v)
{
	stats_json_key(j, key);
	stats_json_bool(j, v);
}
