// SPDX-License-Identifier: MIT
/*
 * The ng reply cache: Kamailio retransmits a request with the same cookie up to five times, one
 * second apart, and must get the same reply without the command running again. A fixed table of
 * entries (allocated once), chained hashing with a per-cache random seed so that peers cannot
 * aim cookies at one chain, and a FIFO list for expiry and eviction: oldest first, so both the
 * time limit and the capacity limits are enforced from the tail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "control/ng.h"

#define NIL UINT32_MAX

struct ng_cache_entry {
	uint32_t hash_next; /* next in the bucket chain, or in the free list */
	uint32_t newer;	    /* FIFO neighbours */
	uint32_t older;
	uint8_t key_len;
	char key[NG_CACHE_KEY_MAX];
	uint64_t inserted_ms;
	char *reply;
	size_t reply_len;
};

struct ng_cache {
	unsigned int capacity;
	unsigned int count;
	size_t max_bytes;
	size_t bytes;
	uint64_t ttl_ms;
	uint64_t seed;
	uint32_t n_buckets; /* power of two */
	uint32_t *buckets;
	uint32_t free_list;
	uint32_t newest;
	uint32_t oldest;
	struct ng_cache_entry *entries;
};

static uint32_t cache_hash(const struct ng_cache *cache, const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ cache->seed;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)key[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	return (uint32_t)h & (cache->n_buckets - 1);
}

int ng_cache_new(unsigned int capacity, size_t max_bytes, uint64_t ttl_ms,
		 struct ng_cache **ret_cache)
{
	struct ng_cache *cache;

	if (!ret_cache || capacity == 0 || capacity > (1u << 24) || max_bytes == 0)
		return -EINVAL;
	cache = calloc(1, sizeof(*cache));
	if (!cache)
		return -ENOMEM;
	cache->capacity = capacity;
	cache->max_bytes = max_bytes;
	cache->ttl_ms = ttl_ms;
	for (cache->n_buckets = 1; cache->n_buckets < 2 * capacity;)
		cache->n_buckets <<= 1;
	cache->buckets = malloc(cache->n_buckets * sizeof(*cache->buckets));
	cache->entries = calloc(capacity, sizeof(*cache->entries));
	if (!cache->buckets || !cache->entries) {
		ng_cache_free(cache);
		return -ENOMEM;
	}
	if (getrandom(&cache->seed, sizeof(cache->seed), GRND_NONBLOCK) != sizeof(cache->seed))
		cache->seed = (uint64_t)(uintptr_t)cache ^ 0x9e3779b97f4a7c15ULL;
	memset(cache->buckets, 0xff, cache->n_buckets * sizeof(*cache->buckets));
	for (unsigned int i = 0; i < capacity; i++)
		cache->entries[i].hash_next = i + 1 < capacity ? i + 1 : NIL;
	cache->free_list = 0;
	cache->newest = cache->oldest = NIL;
	*ret_cache = cache;
	return 0;
}

void ng_cache_free(struct ng_cache *cache)
{
	if (!cache)
		return;
	if (cache->entries)
		for (unsigned int i = 0; i < cache->capacity; i++)
			free(cache->entries[i].reply);
	free(cache->entries);
	free(cache->buckets);
	free(cache);
}

/* Index of the entry with this key, and the link that points to it. */
static uint32_t cache_find(struct ng_cache *cache, const char *key, size_t len, uint32_t **ret_link)
{
	uint32_t *link = &cache->buckets[cache_hash(cache, key, len)];

	while (*link != NIL) {
		struct ng_cache_entry *e = &cache->entries[*link];

		if (e->key_len == len && memcmp(e->key, key, len) == 0) {
			*ret_link = link;
			return *link;
		}
		link = &e->hash_next;
	}
	return NIL;
}

static void cache_remove(struct ng_cache *cache, uint32_t index)
{
	struct ng_cache_entry *e = &cache->entries[index];
	uint32_t *link;

	cache_find(cache, e->key, e->key_len, &link);
	*link = e->hash_next;
	if (e->newer != NIL)
		cache->entries[e->newer].older = e->older;
	else
		cache->newest = e->older;
	if (e->older != NIL)
		cache->entries[e->older].newer = e->newer;
	else
		cache->oldest = e->newer;
	cache->bytes -= e->reply_len;
	cache->count--;
	free(e->reply);
	e->reply = NULL;
	e->reply_len = 0;
	e->hash_next = cache->free_list;
	cache->free_list = index;
}

static bool expired(const struct ng_cache *cache, const struct ng_cache_entry *e, uint64_t now_ms)
{
	return now_ms >= e->inserted_ms && now_ms - e->inserted_ms >= cache->ttl_ms;
}

int ng_cache_lookup(struct ng_cache *cache, const char *key, size_t key_len, uint64_t now_ms,
		    const char **ret_reply, size_t *ret_len)
{
	uint32_t *link, index;

	if (!cache || !key || key_len == 0 || key_len > NG_CACHE_KEY_MAX || !ret_reply || !ret_len)
		return -EINVAL;
	index = cache_find(cache, key, key_len, &link);
	if (index == NIL)
		return -ENOENT;
	if (expired(cache, &cache->entries[index], now_ms)) {
		cache_remove(cache, index);
		return -ENOENT;
	}
	*ret_reply = cache->entries[index].reply;
	*ret_len = cache->entries[index].reply_len;
	return 0;
}

/* Drops expired entries, then the oldest until one more entry of len bytes fits. */
static void cache_make_room(struct ng_cache *cache, size_t len, uint64_t now_ms)
{
	while (cache->oldest != NIL && expired(cache, &cache->entries[cache->oldest], now_ms))
		cache_remove(cache, cache->oldest);
	while (cache->oldest != NIL &&
	       (cache->count == cache->capacity || cache->bytes + len > cache->max_bytes))
		cache_remove(cache, cache->oldest);
}

int ng_cache_insert(struct ng_cache *cache, const char *key, size_t key_len, const char *reply,
		    size_t len, uint64_t now_ms)
{
	struct ng_cache_entry *e;
	uint32_t *link, index;
	char *copy;

	if (!cache || !key || key_len == 0 || key_len > NG_CACHE_KEY_MAX || (!reply && len))
		return -EINVAL;
	if (len > cache->max_bytes)
		return -E2BIG;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, reply, len);
	index = cache_find(cache, key, key_len, &link);
	if (index != NIL)
		cache_remove(cache, index);
	cache_make_room(cache, len, now_ms);

	index = cache->free_list;
	e = &cache->entries[index];
	cache->free_list = e->hash_next;
	memcpy(e->key, key, key_len);
	e->key_len = (uint8_t)key_len;
	e->inserted_ms = now_ms;
	e->reply = copy;
	e->reply_len = len;
	link = &cache->buckets[cache_hash(cache, key, key_len)];
	e->hash_next = *link;
	*link = index;
	e->older = cache->newest;
	e->newer = NIL;
	if (cache->newest != NIL)
		cache->entries[cache->newest].newer = index;
	else
		cache->oldest = index;
	cache->newest = index;
	cache->bytes += len;
	cache->count++;
	return 0;
}

unsigned int ng_cache_count(const struct ng_cache *cache)
{
	return cache ? cache->count : 0;
}

size_t ng_cache_bytes(const struct ng_cache *cache)
{
	return cache ? cache->bytes : 0;
}
