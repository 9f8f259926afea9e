// Allocation, in two kinds.
//
// Checked (fc_malloc and friends): out-of-memory is reported with the call site and ends the
// process, the way llm.c's malloc_check does; no caller handles a NULL from these by hand. They
// are for bookkeeping whose size is small and fixed by the code (a struct, a name, a table of
// a few entries).
//
// Fallible (fc_try_malloc and friends): NULL when the memory is not there, and the caller
// returns an fc_error made by fc_fail_out_of_memory (util/error.h), so that a library user, the
// CLI and the server see an error instead of an exit. They are for every allocation whose size
// comes from the input or the model: files, weights, vocabularies, the tokenizer's buffers for
// a text, activations, batches, logits (issue 14).
#ifndef FC_UTIL_ALLOC_H
#define FC_UTIL_ALLOC_H

#include <stddef.h>

#include "finecat.h"

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

// NULL on failure. A size of 0 allocates 1 byte, so NULL always means out of memory.
void *fc_try_malloc(size_t size);
// NULL on failure, also when count * size overflows.
void *fc_try_calloc(size_t count, size_t size);
// NULL on failure, with ptr left allocated and unchanged (as realloc); count * size overflowing
// fails too.
void *fc_try_realloc_array(void *ptr, size_t count, size_t size);

// Grows *buf to count floats (contents kept, as realloc); out of memory leaves *buf as it was
// and is an fc_error naming what. For buffers sized by the batch: activations, scratch, tables.
int fc_grow_floats(float **buf, size_t count, const char *what, fc_error *err);

// The capacity that holds need items when a buffer grows by doubling, from cap or, for an
// empty one, from first: appending one item at a time then copies O(log n) times. SIZE_MAX
// when doubling would overflow (the allocation then fails).
size_t fc_grown_capacity(size_t cap, size_t need, size_t first);

// Test hook: the next n fallible allocations succeed and every one after them fails, until
// the hook is set again; n < 0 (the default) turns it off. The tests sweep n over a task to
// show that each failure reaches the caller as an error without a crash or a leak. Only the
// fallible allocations count: the checked ones still end the process.
void fc_alloc_fail_after(long n);

#endif
