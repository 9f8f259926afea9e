// Reading a whole file into memory: the streaming reader plus copies of each record's strings
// into large blocks, so a data set of n records costs a handful of allocations, not 5n.
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "util/alloc.h"

enum { ARENA_BLOCK = 1 << 20 };

typedef struct arena_block {
    struct arena_block *next;
    size_t used, capacity;
    char data[];
} arena_block;

struct fc_text_arena {
    arena_block *head; // the block being filled; older ones follow
};

static char *arena_copy(struct fc_text_arena *arena, const char *text) {
    size_t size = strlen(text) + 1;
    arena_block *block = arena->head;
    if (!block || block->capacity - block->used < size) {
        size_t capacity = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        block = fc_malloc(sizeof *block + capacity);
        block->used = 0;
        block->capacity = capacity;
        block->next = arena->head;
        arena->head = block;
    }
    char *copy = block->data + block->used;
    memcpy(copy, text, size);
    block->used += size;
    return copy;
}

// source and split repeat from record to record: one copy serves every run of equal values.
static const char *copy_repeated(struct fc_text_arena *arena, const char *text,
                                 const char **last) {
    if (!text) return NULL;
    if (!*last || strcmp(*last, text) != 0) *last = arena_copy(arena, text);
    return *last;
}

int fc_dataset_read(const char *path, fc_dataset_format format, const fc_reader_options *options,
                    fc_dataset *out, fc_error *err) {
    memset(out, 0, sizeof *out);
    fc_reader *reader;
    if (fc_reader_open(path, format, options, &reader, err) != 0) return -1;
    out->arena = fc_calloc(1, sizeof *out->arena);
    out->format = fc_reader_format(reader);
    size_t capacity = 0;
    const char *last_source = NULL, *last_split = NULL;
    fc_record record;
    int got;
    while ((got = fc_reader_next(reader, &record, err)) == 1) {
        if (out->count == capacity) {
            capacity = capacity ? capacity * 2 : 1024;
            out->records = fc_realloc(out->records, capacity * sizeof *out->records);
        }
        fc_record *copy = &out->records[out->count++];
        *copy = record;
        copy->id = arena_copy(out->arena, record.id);
        copy->premise = arena_copy(out->arena, record.premise);
        copy->hypothesis = arena_copy(out->arena, record.hypothesis);
        copy->source = copy_repeated(out->arena, record.source, &last_source);
        copy->split = copy_repeated(out->arena, record.split, &last_split);
        copy->flags = record.flags ? arena_copy(out->arena, record.flags) : NULL;
    }
    out->counts = *fc_reader_counts_of(reader);
    fc_reader_close(reader);
    if (got < 0) {
        fc_dataset_free(out);
        return -1;
    }
    return 0;
}

void fc_dataset_free(fc_dataset *dataset) {
    if (dataset->arena) {
        arena_block *block = dataset->arena->head;
        while (block) {
            arena_block *next = block->next;
            free(block);
            block = next;
        }
        free(dataset->arena);
    }
    free(dataset->records);
    memset(dataset, 0, sizeof *dataset);
}
