#include "util/arena.h"

float *fc_arena_carve(fc_arena_cursor *cursor, size_t count) {
    float *p = cursor->base ? cursor->base + cursor->used : NULL;
    cursor->used += count;
    return p;
}
