#include "tokenizer/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

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

int fc_strmap_init(fc_strmap *map, size_t expected, size_t key_bytes, fc_error *err) {
    memset(map, 0, sizeof *map);
    size_t cap = 16;
    while (cap < expected * 2) cap *= 2;
    map->slots = fc_try_calloc(cap, sizeof *map->slots);
    if (!map->slots) return fc_fail_out_of_memory(err, "the vocabulary's hash table", cap * sizeof *map->slots);
    map->cap = cap;
    if (key_bytes == 0) return 0;
    map->keys = fc_try_malloc(key_bytes);
    if (!map->keys) return fc_fail_out_of_memory(err, "the vocabulary's token text", key_bytes);
    map->keys_cap = key_bytes;
    return 0;
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

static int grow(fc_strmap *map, fc_error *err) {
    size_t cap = map->cap ? map->cap * 2 : 16;
    fc_strmap_slot *slots = fc_try_calloc(cap, sizeof *slots);
    if (!slots) return fc_fail_out_of_memory(err, "the vocabulary's hash table", cap * sizeof *slots);
    size_t mask = cap - 1;
    for (size_t k = 0; k < map->cap; k++) {
        if (!map->slots[k].used) continue;
        size_t i = (size_t)map->slots[k].hash & mask;
        while (slots[i].used) i = (i + 1) & mask;
        slots[i] = map->slots[k];
    }
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

int fc_strmap_put(fc_strmap *map, const char *key, size_t len, int32_t value, fc_error *err) {
    if ((map->count + 1) * 2 > map->cap && grow(map, err) != 0) return -1;
    uint64_t h = fc_hash_bytes(key, len);
    size_t i = find_slot(map, key, len, h);
    fc_strmap_slot *s = &map->slots[i];
    if (s->used) {
        s->value = value;
        return 0;
    }
    if (map->keys_len + len > map->keys_cap) {
        size_t keys_cap = (map->keys_len + len) * 2 + 256;
        char *keys = fc_try_realloc_array(map->keys, keys_cap, 1);
        if (!keys) return fc_fail_out_of_memory(err, "the vocabulary's token text", keys_cap);
        map->keys = keys;
        map->keys_cap = keys_cap;
    }
    if (len) memcpy(map->keys + map->keys_len, key, len);
    s->hash = h;
    s->key_offset = map->keys_len;
    s->key_len = (uint32_t)len;
    s->value = value;
    s->used = 1;
    map->keys_len += len;
    map->count++;
    return 0;
}

int32_t fc_strmap_get(const fc_strmap *map, const char *key, size_t len) {
    if (!map->cap) return -1;
    uint64_t h = fc_hash_bytes(key, len);
    const fc_strmap_slot *s = &map->slots[find_slot(map, key, len, h)];
    return s->used ? s->value : -1;
}
