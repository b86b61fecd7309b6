// SPDX-License-Identifier: MIT
/*
 * The call table: call-ids hashed (FNV-1a) into a fixed array of buckets, a hard cap on calls,
 * and the bookkeeping of tags and media arrays. Key material in a call is wiped on every free.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "control/call.h"

struct call_table {
	unsigned int max_calls;
	size_t count;
	struct call *buckets[CALL_TABLE_BUCKETS];
};

static uint32_t hash_id(const char *id, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)id[i]) * 16777619u;
	return h % CALL_TABLE_BUCKETS;
}

int call_table_new(unsigned int max_calls, struct call_table **ret)
{
	struct call_table *table = calloc(1, sizeof(*table));

	if (!table)
		return -ENOMEM;
	table->max_calls = max_calls ? max_calls : CALL_DEFAULT_MAX;
	*ret = table;
	return 0;
}

void call_table_free(struct call_table *table)
{
	if (!table)
		return;
	for (unsigned int b = 0; b < CALL_TABLE_BUCKETS; b++)
		while (table->buckets[b]) {
			struct call *call = table->buckets[b];

			table->buckets[b] = call->bucket_next;
			call_free(call);
		}
	free(table);
}

struct call *call_table_find(struct call_table *table, const char *call_id, size_t len)
{
	for (struct call *c = table->buckets[hash_id(call_id, len)]; c; c = c->bucket_next)
		if (c->call_id_len == len && memcmp(c->call_id, call_id, len) == 0)
			return c;
	return NULL;
}

int call_new(const char *call_id, size_t id_len, struct call **ret)
{
	struct call *call;

	if (id_len == 0 || id_len > CALL_ID_MAX)
		return -ENAMETOOLONG;
	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	memcpy(call->call_id, call_id, id_len);
	call->call_id_len = id_len;
	*ret = call;
	return 0;
}

bool call_table_full(const struct call_table *table)
{
	return table->count >= table->max_calls;
}

int call_table_insert(struct call_table *table, struct call *call)
{
	uint32_t b = hash_id(call->call_id, call->call_id_len);

	if (call_table_full(table))
		return -ENOSPC;
	if (call_table_find(table, call->call_id, call->call_id_len))
		return -EEXIST;
	call->bucket_next = table->buckets[b];
	table->buckets[b] = call;
	table->count++;
	return 0;
}

void call_table_remove(struct call_table *table, struct call *call)
{
	struct call **link = &table->buckets[hash_id(call->call_id, call->call_id_len)];

	while (*link && *link != call)
		link = &(*link)->bucket_next;
	if (*link) {
		*link = call->bucket_next;
		table->count--;
	}
	call_free(call);
}

void call_media_wipe(struct call_media *media)
{
	OPENSSL_cleanse(media, sizeof(*media));
}

int call_media_alloc(unsigned int n, struct call_media **ret)
{
	struct call_media *media;

	if (n == 0 || n > CALL_MAX_MEDIA)
		return -EINVAL;
	media = calloc(n, sizeof(*media));
	if (!media)
		return -ENOMEM;
	*ret = media;
	return 0;
}

void call_media_free(struct call_media *media, unsigned int n)
{
	if (!media)
		return;
	for (unsigned int i = 0; i < n; i++)
		call_media_wipe(&media[i]);
	free(media);
}

void call_free(struct call *call)
{
	if (!call)
		return;
	call_media_free(call->media, call->n_media);
	OPENSSL_cleanse(call, sizeof(*call));
	free(call);
}

size_t call_table_count(const struct call_table *table)
{
	return table->count;
}

void call_table_foreach(struct call_table *table, bool (*fn)(struct call *call, void *userdata),
			void *userdata)
{
	for (unsigned int b = 0; b < CALL_TABLE_BUCKETS; b++)
		for (struct call *c = table->buckets[b], *next; c; c = next) {
			next = c->bucket_next;
			if (!fn(c, userdata))
				return;
		}
}

int call_set_tag(struct call *call, enum call_side side, const char *tag, size_t len)
{
	if (len > CALL_TAG_MAX)
		return -ENAMETOOLONG;
	if (len)
		memcpy(call->tag[side], tag, len);
	call->tag[side][len] = '\0';
	call->tag_len[side] = len;
	return 0;
}

int call_side_of_tag(const struct call *call, const char *tag, size_t len, enum call_side *ret_side)
{
	for (int side = CALL_SIDE_A; side <= CALL_SIDE_B; side++)
		if (call->tag_len[side] && call->tag_len[side] == len &&
		    memcmp(call->tag[side], tag, len) == 0) {
			*ret_side = (enum call_side)side;
			return 0;
		}
	return -ENOENT;
}
