#include "util/alloc.h"

#include "finecat.h"

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

// The public fc_free (finecat.h): memory the library hands out, released by the same C library
// that allocated it, for callers (ctypes bindings) that have no free() of their own at hand.
void fc_free(void *ptr) {
    free(ptr);
}
