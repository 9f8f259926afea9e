#include "model/lazy_table.h"

#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "util/pages.h"

// The kernel maps up to 64 KB of a file around a faulting page (fault_around_bytes' default),
// aligned to 64 KB: the window whose pages a row's conversion may have made resident.
enum { FAULT_AROUND_BYTES = 64 * 1024 };

int fc_lazy_table_init(fc_lazy_table *t, const void *source, int source_is_half, int rows,
                       int width, fc_half_kind kind, int release_source) {
    memset(t, 0, sizeof *t);
    size_t bytes = (size_t)rows * (size_t)width * sizeof(uint16_t);
    t->half = fc_pages_alloc(bytes);
    t->ready = calloc(rows > 0 ? (size_t)rows : 1, 1);
    if (!t->half || !t->ready) {
        fc_pages_free(t->half, bytes);
        free(t->ready);
        memset(t, 0, sizeof *t);
        return -1;
    }
    t->source = source;
    t->source_is_half = source_is_half;
    t->release_source = release_source;
    t->rows = rows;
    t->width = width;
    t->kind = kind;
    t->half_bytes = bytes;
    return 0;
}

// Drops the resident file pages of the fault-around window(s) that hold row id of the source.
static void release_row_source(const fc_lazy_table *t, int id) {
    size_t element = t->source_is_half ? sizeof(uint16_t) : sizeof(float);
    uintptr_t table = (uintptr_t)t->source;
    uintptr_t table_end = table + (size_t)t->rows * t->width * element;
    uintptr_t row = table + (size_t)id * t->width * element;
    uintptr_t row_end = row + (size_t)t->width * element;
    uintptr_t start = row & ~(uintptr_t)(FAULT_AROUND_BYTES - 1);
    uintptr_t end = (row_end + FAULT_AROUND_BYTES - 1) & ~(uintptr_t)(FAULT_AROUND_BYTES - 1);
    if (start < table) start = table; // the pages around the table hold other tensors' data
    if (end > table_end) end = table_end;
    fc_release_pages((const void *)start, end - start);
}

void fc_lazy_table_read(fc_lazy_table *t, int id, float *out) {
    uint16_t *half = t->half + (size_t)id * t->width;
    if (!t->ready[id]) {
        size_t first = (size_t)id * t->width;
        if (t->source_is_half) {
            memcpy(half, (const uint16_t *)t->source + first, (size_t)t->width * sizeof *half);
        } else {
            const float *source = (const float *)t->source + first;
            if (t->kind == FC_HALF_BF16)
                fc_f32_array_to_bf16(source, half, (size_t)t->width);
            else
                fc_f32_array_to_f16(source, half, (size_t)t->width);
        }
        t->ready[id] = 1;
        if (t->release_source) release_row_source(t, id);
    }
    if (t->kind == FC_HALF_BF16)
        fc_bf16_array_to_f32(half, out, (size_t)t->width);
    else
        fc_f16_array_to_f32(half, out, (size_t)t->width);
}

size_t fc_lazy_table_rows_ready(const fc_lazy_table *t) {
    size_t n = 0;
    for (int i = 0; i < t->rows; i++) n += t->ready[i];
    return n;
}

void fc_lazy_table_free(fc_lazy_table *t) {
    fc_pages_free(t->half, t->half_bytes);
    free(t->ready);
    memset(t, 0, sizeof *t);
}
