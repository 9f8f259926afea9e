// A hash map from byte strings to int32 values (token text -> id), open addressing with linear
// probing. Keys are copied into one arena owned by the map.
#ifndef FC_TOKENIZER_STRMAP_H
#define FC_TOKENIZER_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

typedef struct fc_strmap_slot {
    uint64_t hash;
    size_t key_offset; // into keys
    uint32_t key_len;
    int32_t value;
    int used;
} fc_strmap_slot;

typedef struct fc_strmap {
    fc_strmap_slot *slots;
    size_t cap;   // a power of two
    size_t count;
    char *keys;   // arena of key bytes
    size_t keys_len, keys_cap;
} fc_strmap;

uint64_t fc_hash_bytes(const void *data, size_t len);

// The map grows with the vocabulary a file holds, so its memory is of the fallible kind
// (util/alloc.h): init and put fail only when it is not there, with err saying "out of
// memory", and leave a map that fc_strmap_get and fc_strmap_free still take.
// expected keys of key_bytes bytes in all size the table and the key arena up front (the map
// still grows past them).
int fc_strmap_init(fc_strmap *map, size_t expected, size_t key_bytes, fc_error *err);
void fc_strmap_free(fc_strmap *map);
// Inserts or overwrites (the last value put for a key wins, as when serde fills a HashMap).
int fc_strmap_put(fc_strmap *map, const char *key, size_t len, int32_t value, fc_error *err);
// The value of key, or -1 when absent.
int32_t fc_strmap_get(const fc_strmap *map, const char *key, size_t len);

#endif
