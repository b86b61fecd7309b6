// SPDX-License-Identifier: MIT
/*
 * Bencode decoder (into an arena, with caps and named errors) and bounded encoder for the ng
 * control protocol. See bencode.h for the dialect accepted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "control/bencode.h"

struct bencode_decoder {
	const char *pos;
	const char *end;
	struct bencode_item *items;
	size_t n_items;
	size_t max_items;
	const char *reason;
};

static int decode_fail(struct bencode_decoder *d, const char *reason)
{
	d->reason = reason;
	return -EBADMSG;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int decode_int(struct bencode_decoder *d, int64_t *ret_value)
{
	uint64_t limit = INT64_MAX, value = 0;
	const char *digits;
	bool negative;

	d->pos++; /* 'i' */
	negative = d->pos < d->end && *d->pos == '-';
	if (negative) {
		d->pos++;
		limit = (uint64_t)INT64_MAX + 1;
	}
	digits = d->pos;
	while (d->pos < d->end && is_digit(*d->pos)) {
		unsigned int digit = *d->pos - '0';

		if (value > (limit - digit) / 10)
			return decode_fail(d, "integer out of range");
		value = value * 10 + digit;
		d->pos++;
	}
	if (d->pos == d->end)
		return decode_fail(d, "truncated integer");
	if (*d->pos != 'e' || d->pos == digits)
		return decode_fail(d, "invalid integer");
	if (digits[0] == '0' && (d->pos - digits > 1 || negative))
		return decode_fail(d, "invalid integer");
	d->pos++;
	*ret_value = negative ? (int64_t)(0 - value) : (int64_t)value;
	return 0;
}

/* A string at d->pos (which is a digit). */
static int decode_str(struct bencode_decoder *d, struct bencode_str *ret_str)
{
	const char *digits = d->pos;
	size_t len = 0;

	while (d->pos < d->end && is_digit(*d->pos)) {
		len = len * 10 + (size_t)(*d->pos - '0');
		/* stop before len can overflow: no string is longer than a message */
		if (len > BENCODE_MAX_MESSAGE)
			return decode_fail(d, "string length exceeds message");
		d->pos++;
	}
	if (d->pos == d->end)
		return decode_fail(d, "truncated string");
	if (*d->pos != ':')
		return decode_fail(d, "invalid string length");
	if (digits[0] == '0' && d->pos - digits > 1)
		return decode_fail(d, "invalid string length");
	d->pos++;
	if (len > (size_t)(d->end - d->pos))
		return decode_fail(d, "string length exceeds message");
	ret_str->ptr = d->pos;
	ret_str->len = len;
	d->pos += len;
	return 0;
}

static int decode_item(struct bencode_decoder *d, unsigned int depth, const char *eof_reason,
		       struct bencode_item **ret_item);

static int decode_container(struct bencode_decoder *d, unsigned int depth,
			    struct bencode_item *container)
{
	bool dict = container->type == BENCODE_DICT;
	const char *eof_reason = dict ? "truncated dictionary" : "truncated list";
	struct bencode_item **tail = &container->container.first;

	if (depth > BENCODE_MAX_DEPTH)
		return decode_fail(d, "nesting too deep");
	d->pos++; /* 'l' or 'd' */
	for (;;) {
		struct bencode_str key = {NULL, 0};
		struct bencode_item *member;
		int r;

		if (d->pos == d->end)
			return decode_fail(d, eof_reason);
		if (*d->pos == 'e')
			break;
		if (dict) {
			if (!is_digit(*d->pos))
				return decode_fail(d, "dictionary key is not a string");
			r = decode_str(d, &key);
			if (r < 0)
				return r;
		}
		r = decode_item(d, depth, eof_reason, &member);
		if (r < 0)
			return r;
		member->key = key;
		*tail = member;
		tail = &member->next;
		container->container.count++;
	}
	d->pos++; /* 'e' */
	return 0;
}

static int decode_item(struct bencode_decoder *d, unsigned int depth, const char *eof_reason,
		       struct bencode_item **ret_item)
{
	struct bencode_item *item;
	int r;

	if (d->pos == d->end)
		return decode_fail(d, eof_reason);
	if (d->n_items == d->max_items)
		return decode_fail(d, "too many items");
	item = &d->items[d->n_items++];
	memset(item, 0, sizeof(*item));

	switch (*d->pos) {
	case 'i':
		item->type = BENCODE_INTEGER;
		r = decode_int(d, &item->integer);
		break;
	case 'l':
		item->type = BENCODE_LIST;
		r = decode_container(d, depth + 1, item);
		break;
	case 'd':
		item->type = BENCODE_DICT;
		r = decode_container(d, depth + 1, item);
		break;
	default:
		if (!is_digit(*d->pos))
			return decode_fail(d, "unexpected byte");
		item->type = BENCODE_STRING;
		r = decode_str(d, &item->string);
		break;
	}
	if (r < 0)
		return r;
	*ret_item = item;
	return 0;
}

int bencode_decode(const char *msg, size_t len, void *arena, size_t arena_size,
		   const struct bencode_item **ret_root, const char **ret_reason)
{
	struct bencode_decoder d = {.pos = msg, .end = msg + len};
	uintptr_t base = (uintptr_t)arena;
	size_t skip = (alignof(struct bencode_item) - base % alignof(struct bencode_item)) %
		      alignof(struct bencode_item);
	struct bencode_item *root;
	int r;

	if (!msg || !arena || !ret_root || !ret_reason)
		return -EINVAL;
	if (len > BENCODE_MAX_MESSAGE) {
		*ret_reason = "message too large";
		return -EBADMSG;
	}
	d.items = arena_size > skip ? (struct bencode_item *)(base + skip) : NULL;
	d.max_items = arena_size > skip ? (arena_size - skip) / sizeof(struct bencode_item) : 0;
	if (d.max_items > BENCODE_MAX_ITEMS)
		d.max_items = BENCODE_MAX_ITEMS;

	r = decode_item(&d, 0, "empty message", &root);
	if (r == 0) {
		while (d.pos < d.end && *d.pos && strchr(" \t\r\n", *d.pos))
			d.pos++;
		if (d.pos != d.end)
			r = decode_fail(&d, "trailing data after message");
	}
	if (r < 0) {
		*ret_reason = d.reason;
		return r;
	}
	*ret_root = root;
	return 0;
}

bool bencode_bstr_eq(struct bencode_str str, const char *s)
{
	size_t n = strlen(s);

	return str.len == n && memcmp(str.ptr, s, n) == 0;
}

bool bencode_str_eq(const struct bencode_item *item, const char *s)
{
	return item && s && item->type == BENCODE_STRING && bencode_bstr_eq(item->string, s);
}

const struct bencode_item *bencode_dict_get(const struct bencode_item *dict, const char *key)
{
	if (!dict || !key || dict->type != BENCODE_DICT)
		return NULL;
	bencode_foreach(member, dict) if (bencode_bstr_eq(member->key, key)) return member;
	return NULL;
}

static int dict_get_typed(const struct bencode_item *dict, const char *key, enum bencode_type type,
			  const struct bencode_item **ret_item)
{
	const struct bencode_item *item = bencode_dict_get(dict, key);

	if (!item)
		return -ENOENT;
	if (item->type != type)
		return -EPROTOTYPE;
	*ret_item = item;
	return 0;
}

int bencode_dict_get_str(const struct bencode_item *dict, const char *key,
			 struct bencode_str *ret_str)
{
	const struct bencode_item *item;
	int r = dict_get_typed(dict, key, BENCODE_STRING, &item);

	if (r == 0)
		*ret_str = item->string;
	return r;
}

int bencode_dict_get_int(const struct bencode_item *dict, const char *key, int64_t *ret_int)
{
	const struct bencode_item *item;
	int r = dict_get_typed(dict, key, BENCODE_INTEGER, &item);

	if (r == 0)
		*ret_int = item->integer;
	return r;
}

int bencode_dict_get_list(const struct bencode_item *dict, const char *key,
			  const struct bencode_item **ret_list)
{
	return dict_get_typed(dict, key, BENCODE_LIST, ret_list);
}

int bencode_dict_get_dict(const struct bencode_item *dict, const char *key,
			  const struct bencode_item **ret_dict)
{
	return dict_get_typed(dict, key, BENCODE_DICT, ret_dict);
}

void bencode_writer_init(struct bencode_writer *w, char *buf, size_t cap)
{
	*w = (struct bencode_writer){.buf = buf, .cap = buf ? cap : 0};
}

int bencode_put_raw(struct bencode_writer *w, const char *bytes, size_t len)
{
	if (w->error)
		return w->error;
	if (len > w->cap - w->len) {
		w->error = -ENOSPC;
		return w->error;
	}
	memcpy(w->buf + w->len, bytes, len);
	w->len += len;
	return 0;
}

int bencode_put_str(struct bencode_writer *w, const char *s, size_t len)
{
	char prefix[24];
	int n = snprintf(prefix, sizeof(prefix), "%zu:", len);

	bencode_put_raw(w, prefix, (size_t)n);
	return bencode_put_raw(w, s, len);
}

int bencode_put_cstr(struct bencode_writer *w, const char *s)
{
	return bencode_put_str(w, s, strlen(s));
}

int bencode_put_int(struct bencode_writer *w, int64_t value)
{
	char text[24];
	int n = snprintf(text, sizeof(text), "i%" PRId64 "e", value);

	return bencode_put_raw(w, text, (size_t)n);
}

static int put_open(struct bencode_writer *w, const char *opener)
{
	if (w->error)
		return w->error;
	if (w->depth >= BENCODE_MAX_DEPTH) {
		w->error = -EINVAL;
		return w->error;
	}
	if (bencode_put_raw(w, opener, 1) == 0)
		w->depth++;
	return w->error;
}

int bencode_put_dict(struct bencode_writer *w)
{
	return put_open(w, "d");
}

int bencode_put_list(struct bencode_writer *w)
{
	return put_open(w, "l");
}

int bencode_put_end(struct bencode_writer *w)
{
	if (w->error)
		return w->error;
	if (w->depth == 0) {
		w->error = -EINVAL;
		return w->error;
	}
	if (bencode_put_raw(w, "e", 1) == 0)
		w->depth--;
	return w->error;
}

int bencode_put_key_str(struct bencode_writer *w, const char *key, const char *s, size_t len)
{
	bencode_put_cstr(w, key);
	return bencode_put_str(w, s, len);
}

int bencode_put_key_cstr(struct bencode_writer *w, const char *key, const char *s)
{
	return bencode_put_key_str(w, key, s, strlen(s));
}

int bencode_put_key_int(struct bencode_writer *w, const char *key, int64_t value)
{
	bencode_put_cstr(w, key);
	return bencode_put_int(w, value);
}

int bencode_put_item(struct bencode_writer *w, const struct bencode_item *item)
{
	switch (item->type) {
	case BENCODE_INTEGER:
		return bencode_put_int(w, item->integer);
	case BENCODE_STRING:
		return bencode_put_str(w, item->string.ptr, item->string.len);
	case BENCODE_LIST:
	case BENCODE_DICT:
		put_open(w, item->type == BENCODE_DICT ? "d" : "l");
		bencode_foreach(member, item)
		{
			if (item->type == BENCODE_DICT)
				bencode_put_str(w, member->key.ptr, member->key.len);
			bencode_put_item(w, member);
		}
		return bencode_put_end(w);
	}
	w->error = w->error ? w->error : -EINVAL;
	return w->error;
}

int bencode_writer_finish(const struct bencode_writer *w, size_t *ret_len)
{
	if (w->error)
		return w->error;
	if (w->depth != 0)
		return -EINVAL;
	*ret_len = w->len;
	return 0;
}
