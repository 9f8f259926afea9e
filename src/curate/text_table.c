#include "curate/text_table.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

enum { BLOCK_SIZE = 16 << 20, FIRST_SLOTS = 1024 };

struct fc_text_block {
    struct fc_text_block *next;
    size_t used, capacity;
    char data[];
};

void fc_text_table_init(fc_text_table *table) {
    memset(table, 0, sizeof *table);
}

void fc_text_table_free(fc_text_table *table) {
    struct fc_text_block *block = table->blocks;
    while (block) {
        struct fc_text_block *next = block->next;
        free(block);
        block = next;
    }
    free(table->slots);
    free(table->entries);
    memset(table, 0, sizeof *table);
}

static const char *store_key(fc_text_table *table, const char *key, size_t length) {
    struct fc_text_block *block = table->blocks;
    if (!block || block->capacity - block->used < length) {
        size_t capacity = length > BLOCK_SIZE ? length : BLOCK_SIZE;
        block = fc_malloc(sizeof *block + capacity);
        block->used = 0;
        block->capacity = capacity;
        block->next = table->blocks;
        table->blocks = block;
    }
    char *copy = block->data + block->used;
    if (length) memcpy(copy, key, length);
    block->used += length;
    return copy;
}

// The slot of key: the one holding it, or the empty one where it belongs.
static size_t probe(const fc_text_table *table, const char *key, size_t length, uint64_t hash) {
    size_t mask = table->n_slots - 1;
    // The high bits choose the start: the low bits of FNV-based hashes are mixed too, but this
    // keeps the table independent of that.
    size_t i = (size_t)(hash >> 20) & mask;
    for (;;) {
        const fc_text_table_slot *slot = &table->slots[i];
        if (slot->entry == 0) return i;
        if (slot->hash == hash) {
            const fc_text_table_entry *entry = &table->entries[slot->entry - 1];
            if (entry->length == length && memcmp(entry->key, key, length) == 0) return i;
        }
        i = (i + 1) & mask;
    }
}

static void grow(fc_text_table *table) {
    size_t n_slots = table->n_slots ? table->n_slots * 2 : FIRST_SLOTS;
    fc_text_table_slot *slots = fc_calloc(n_slots, sizeof *slots);
    size_t mask = n_slots - 1;
    for (size_t s = 0; s < table->n_slots; s++) {
        const fc_text_table_slot *old = &table->slots[s];
        if (old->entry == 0) continue;
        size_t i = (size_t)(old->hash >> 20) & mask;
        while (slots[i].entry != 0) i = (i + 1) & mask;
        slots[i] = *old;
    }
    free(table->slots);
    table->slots = slots;
    table->n_slots = n_slots;
}

int64_t fc_text_table_insert(fc_text_table *table, const char *key, size_t length, uint64_t hash,
                             int *inserted) {
    if (inserted) *inserted = 0;
    if (length > UINT32_MAX) return -1;
    if ((table->n_entries + 1) * 2 > table->n_slots) grow(table);
    size_t i = probe(table, key, length, hash);
    fc_text_table_slot *slot = &table->slots[i];
    if (slot->entry != 0) return (int64_t)slot->entry - 1;
    if (table->n_entries >= UINT32_MAX - 1) return -1;
    if (table->n_entries == table->entries_capacity) {
        table->entries_capacity = table->entries_capacity ? table->entries_capacity * 2 : 1024;
        table->entries =
            fc_realloc(table->entries, table->entries_capacity * sizeof *table->entries);
    }
    table->entries[table->n_entries] = (fc_text_table_entry){
        .key = store_key(table, key, length),
        .length = (uint32_t)length,
    };
    slot->hash = hash;
    slot->entry = (uint32_t)++table->n_entries;
    if (inserted) *inserted = 1;
    return (int64_t)table->n_entries - 1;
}

int64_t fc_text_table_find(const fc_text_table *table, const char *key, size_t length,
                           uint64_t hash) {
    if (table->n_slots == 0) return -1;
    size_t i = probe(table, key, length, hash);
    return table->slots[i].entry ? (int64_t)table->slots[i].entry - 1 : -1;
}
