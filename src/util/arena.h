// Planning an activation arena (design.md, "Memory is planned"): a model lays its float buffers
// out by carving consecutive slices, once with no base to count the floats, then again over
// one allocation of that size to point the buffers into it.
#ifndef FC_UTIL_ARENA_H
#define FC_UTIL_ARENA_H

#include <stddef.h>

typedef struct fc_arena_cursor {
    float *base; // NULL: only count
    size_t used; // floats handed out so far
} fc_arena_cursor;

// The next count floats (NULL while counting).
float *fc_arena_carve(fc_arena_cursor *cursor, size_t count);

#endif
