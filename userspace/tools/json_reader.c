// SPDX-License-Identifier: MIT
/* A recursive-descent JSON parser, bounded in depth; see json_reader.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/json_reader.h"

#define MAX_DEPTH 32

struct cursor {
	const char *p;
};

static int parse_value(struct cursor *c, struct jv *v, unsigned depth);

static void skip_space(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

/* Strings: escapes \" \\ \/ \b \f \n \r \t kept simple; \uXXXX below 0x80 only, else '?'. */
static int parse_string(struct cursor *c, char **ret)
{
	size_t cap = 16, len = 0;
	char *s = malloc(cap);

	if (!s)
		return -ENOMEM;
	c->p++; /* opening quote */
	while (*c->p && *c->p != '"') {
		char ch = *c->p++;

		if (ch == '\\') {
			char e = *c->p++;

			if (e == 'u') {
				char hex[5] = {0};
				unsigned long u;

				if (strnlen(c->p, 4) < 4)
					goto bad;
				memcpy(hex, c->p, 4);
				u = strtoul(hex, NULL, 16);
				c->p += 4;
				ch = u < 0x80 ? (char)u : '?';
			} else {
				const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
				const char *at = e ? strchr(from, e) : NULL;

				if (!at)
					goto bad;
				ch = to[at - from];
			}
		}
		if (len + 2 > cap) {
			char *grown = realloc(s, cap *= 2);

			if (!grown)
				goto bad;
			s = grown;
		}
		s[len++] = ch;
	}
	if (*c->p != '"')
		goto bad;
	c->p++;
	s[len] = '\0';
	*ret = s;
	return 0;
bad:
	free(s);
	return -EINVAL;
}

static int parse_number(struct cursor *c, struct jv *v)
{
	size_t n = strspn(c->p, "-+0123456789.eE");

	if (n == 0)
		return -EINVAL;
	v->type = JV_NUMBER;
	v->text = strndup(c->p, n);
	c->p += n;
	return v->text ? 0 : -ENOMEM;
}

static int parse_literal(struct cursor *c, struct jv *v)
{
	if (strncmp(c->p, "true", 4) == 0) {
		v->type = JV_BOOL;
		v->boolean = true;
		c->p += 4;
	} else if (strncmp(c->p, "false", 5) == 0) {
		v->type = JV_BOOL;
		c->p += 5;
	} else if (strncmp(c->p, "null", 4) == 0) {
		v->type = JV_NULL;
		c->p += 4;
	} else {
		return parse_number(c, v);
	}
	return 0;
}

/* Arrays and objects: items separated by commas, objects with "key": before each value. */
static int parse_container(struct cursor *c, struct jv *v, unsigned depth)
{
	char close = *c->p == '{' ? '}' : ']';
	struct jv **tail = &v->child;
	int r;

	v->type = close == '}' ? JV_OBJECT : JV_ARRAY;
	c->p++;
	skip_space(c);
	if (*c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		struct jv *item = calloc(1, sizeof(*item));

		if (!item)
			return -ENOMEM;
		*tail = item;
		tail = &item->next;
		skip_space(c);
		if (v->type == JV_OBJECT) {
			if (*c->p != '"' || (r = parse_string(c, &item->key)) < 0)
				return -EINVAL;
			skip_space(c);
			if (*c->p++ != ':')
				return -EINVAL;
		}
		r = parse_value(c, item, depth + 1);
		if (r < 0)
			return r;
		skip_space(c);
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EINVAL;
	}
}

static int parse_value(struct cursor *c, struct jv *v, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return -EINVAL;
	skip_space(c);
	if (*c->p == '{' || *c->p == '[')
		return parse_container(c, v, depth);
	if (*c->p == '"') {
		v->type = JV_STRING;
		return parse_string(c, &v->text);
	}
	return parse_literal(c, v);
}

int jv_parse(const char *text, struct jv **ret)
{
	struct cursor c = {.p = text};
	struct jv *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	r = parse_value(&c, v, 0);
	skip_space(&c);
	if (r == 0 && *c.p != '\0')
		r = -EINVAL;
	if (r < 0) {
		jv_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

struct jv *jv_free(struct jv *v)
{
	while (v) {
		struct jv *next = v->next;

		jv_free(v->child);
		free(v->key);
		free(v->text);
		free(v);
		v = next;
	}
	return NULL;
}

const struct jv *jv_get(const struct jv *object, const char *key)
{
	if (!object || object->type != JV_OBJECT)
		return NULL;
	for (const struct jv *m = object->child; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *jv_text(const struct jv *object, const char *key)
{
	const struct jv *v = jv_get(object, key);

	if (!v || v->type == JV_NULL)
		return "-";
	if (v->type == JV_BOOL)
		return v->boolean ? "yes" : "no";
	if (v->type == JV_STRING || v->type == JV_NUMBER)
		return v->text;
	return "?";
}

uint64_t jv_u64(const struct jv *object, const char *key)
{
	const struct jv *v = jv_get(object, key);

	return v && v->type == JV_NUMBER ? strtoull(v->text, NULL, 10) : 0;
}
