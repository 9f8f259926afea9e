#include "util/alloc.h"

#include "finecat.h"
#include "util/error.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size, const char *file, int line) {
    fprintf(stderr, "finecat: out of memory allocating %zu bytes at %s:%d\n", size, file, line);
    exit(1);
}

void *fc_malloc_at(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) out_of_memory(size, file, line);
    return p;
}

void *fc_calloc_at(size_t count, size_t size, const char *file, int line) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) out_of_memory(count * size, file, line);
    return p;
}

void *fc_realloc_at(void *ptr, size_t size, const char *file, int line) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p) out_of_memory(size, file, line);
    return p;
}

char *fc_strdup_at(const char *s, const char *file, int line) {
    return fc_strndup_at(s, strlen(s), file, line);
}

char *fc_strndup_at(const char *s, size_t n, const char *file, int line) {
    char *p = fc_malloc_at(n + 1, file, line);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int fc_grow_floats(float **buf, size_t count, const char *what, fc_error *err) {
    float *grown = fc_try_realloc_array(*buf, count, sizeof(float));
    if (!grown) return fc_fail_out_of_memory(err, what, count * sizeof(float));
    *buf = grown;
    return 0;
}

size_t fc_grown_capacity(size_t cap, size_t need, size_t first) {
    size_t grown = cap ? cap : first;
    while (grown < need) {
        if (grown > SIZE_MAX / 2) return SIZE_MAX;
        grown *= 2;
    }
    return grown;
}

// The public fc_free (finecat.h): memory the library hands out, released by the same C library
// that allocated it, for callers (ctypes bindings) that have no free() of their own at hand.
void fc_free(void *ptr) {
    free(ptr);
}

// Fallible allocations the hook still lets through; < 0: the hook is off. Atomic because the
// server's inference worker allocates on its own thread.
static atomic_long allowed_allocations = -1;

void fc_alloc_fail_after(long n) {
    atomic_store(&allowed_allocations, n < 0 ? -1 : n);
}

// 0 when the hook makes this allocation fail.
static int hook_allows(void) {
    long left = atomic_load(&allowed_allocations);
    while (left >= 0) {
        if (left == 0) return 0;
        if (atomic_compare_exchange_weak(&allowed_allocations, &left, left - 1)) return 1;
    }
    return 1;
}

void *fc_try_malloc(size_t size) {
    return hook_allows() ? malloc(size ? size : 1) : NULL;
}

void *fc_try_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return hook_allows() ? calloc(count ? count : 1, size ? size : 1) : NULL;
}

void *fc_try_realloc_array(void *ptr, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    size_t bytes = count * size;
    return hook_allows() ? realloc(ptr, bytes ? bytes : 1) : NULL;
}
