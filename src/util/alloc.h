// Checked allocation: out-of-memory is reported with the call site and ends the process,
// the way llm.c's malloc_check does; no caller handles a NULL from these by hand.
#ifndef FC_UTIL_ALLOC_H
#define FC_UTIL_ALLOC_H

#include <stddef.h>

void *fc_malloc_at(size_t size, const char *file, int line);
void *fc_calloc_at(size_t count, size_t size, const char *file, int line);
void *fc_realloc_at(void *ptr, size_t size, const char *file, int line);
char *fc_strdup_at(const char *s, const char *file, int line);
char *fc_strndup_at(const char *s, size_t n, const char *file, int line);

#define fc_malloc(size) fc_malloc_at((size), __FILE__, __LINE__)
#define fc_calloc(count, size) fc_calloc_at((count), (size), __FILE__, __LINE__)
#define fc_realloc(ptr, size) fc_realloc_at((ptr), (size), __FILE__, __LINE__)
#define fc_strdup(s) fc_strdup_at((s), __FILE__, __LINE__)
#define fc_strndup(s, n) fc_strndup_at((s), (n), __FILE__, __LINE__)

#endif
