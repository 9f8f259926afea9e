#include "tokenizer/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

uint64_t fc_hash_bytes(const void *data, size_t len) {
    // FNV-1a, then a final avalanche so that linear probing on the low bits spreads well.
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

void fc_strmap_init(fc_strmap *map, size_t expected) {
    memset(map, 0, sizeof *map);
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    map->cap = cap;
    map->slots = fc_calloc(cap, sizeof *map->slots);
}

void fc_strmap_free(fc_strmap *map) {
    free(map->slots);
    free(map->keys);
    memset(map, 0, sizeof *map);
}

static size_t find_slot(const fc_strmap *map, const char *key, size_t len, uint64_t h) {
    size_t mask = map->cap - 1, i = (size_t)h & mask;
    while (map->slots[i].used) {
        const fc_strmap_slot *s = &map->slots[i];
        if (s->hash == h && s->key_len == len && memcmp(map->keys + s->key_offset, key, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void grow(fc_strmap *map) {
    fc_strmap_slot *old = map->slots;
    size_t old_cap = map->cap;
    map->cap *= 2;
    map->slots = fc_calloc(map->cap, sizeof *map->slots);
    size_t mask = map->cap - 1;
    for (size_t k = 0; k < old_cap; k++) {
        if (!old[k].used) continue;
        size_t i = (size_t)old[k].hash & mask;
        while (map->slots[i].used) i = (i + 1) & mask;
        map->slots[i] = old[k];
    }
    free(old);
}

void fc_strmap_put(fc_strmap *map, const char *key, size_t len, int32_t value) {
    if ((map->count + 1) * 2 > map->cap) grow(map);
    uint64_t h = fc_hash_bytes(key, len);
    size_t i = find_slot(map, key, len, h);
    fc_strmap_slot *s = &map->slots[i];
    if (s->used) {
        s->value = value;
        return;
    }
    if (map->keys_len + len > map->keys_cap) {
        map->keys_cap = (map->keys_len + len) * 2 + 256;
        map->keys = fc_realloc(map->keys, map->keys_cap);
    }
    if (len) memcpy(map->keys + map->keys_len, key, len);
    s->hash = h;
    s->key_offset = map->keys_len;
    s->key_len = (uint32_t)len;
    s->value = value;
    s->used = 1;
    map->keys_len += len;
    map->count++;
}

int32_t fc_strmap_get(const fc_strmap *map, const char *key, size_t len) {
    if (!map->cap) return -1;
    uint64_t h = fc_hash_bytes(key, len);
    const fc_strmap_slot *s = &map->slots[find_slot(map, key, len, h)];
    return s->used ? s->value : -1;
}
