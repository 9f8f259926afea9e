// A set of byte strings, each given a dense index (0, 1, 2, ... in order of insertion): the
// dedupe table (normalized pair -> group) and ingest's table of ids.
//
// Open addressing with linear probing over a power-of-two array of (hash, index) slots, grown
// at half full. Keys are copied into large blocks that never move. A slot whose hash matches is
// a hit only when the stored key's bytes equal the probe's, so two keys with the same 64-bit
// hash are two entries: collisions cost a comparison, never a wrong answer.
//
// Memory: 16 bytes a slot (2 to 4 slots a key), 16 bytes an entry, plus the keys themselves.
#ifndef FC_CURATE_TEXT_TABLE_H
#define FC_CURATE_TEXT_TABLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct fc_text_table_slot {
    uint64_t hash;
    uint32_t entry; // index + 1; 0 marks an empty slot
} fc_text_table_slot;

typedef struct fc_text_table_entry {
    const char *key;
    uint32_t length;
} fc_text_table_entry;

typedef struct fc_text_table {
    fc_text_table_slot *slots;
    size_t n_slots; // a power of two
    fc_text_table_entry *entries;
    size_t n_entries, entries_capacity;
    struct fc_text_block *blocks; // the keys' storage
} fc_text_table;

void fc_text_table_init(fc_text_table *table);
void fc_text_table_free(fc_text_table *table);

// The index of key[0..length) with the given hash, inserting it when absent (*inserted says
// which; may be NULL). The hash must be a function of the key's bytes alone; tests pass equal
// hashes for different keys to exercise collisions. Returns -1 when the table already holds
// UINT32_MAX - 1 keys or a key is longer than 4 GiB.
int64_t fc_text_table_insert(fc_text_table *table, const char *key, size_t length, uint64_t hash,
                             int *inserted);

// The index of key, or -1 when absent.
int64_t fc_text_table_find(const fc_text_table *table, const char *key, size_t length,
                           uint64_t hash);

#endif
