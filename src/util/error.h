// Errors are values: library functions return 0 on success or -1 on failure and fill an
// fc_error whose message names the file, key or line at fault. Only the CLI prints.
#ifndef FC_UTIL_ERROR_H
#define FC_UTIL_ERROR_H

#include "finecat.h"

// Formats the message into err (when err is not NULL) and returns -1, so a call site can
// write `return fc_fail(err, "%s: missing key \"%s\"", path, key);`.
int fc_fail(fc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Puts `prefix: ` in front of the message already in err; used when a lower layer's message
// lacks the context (for example the file name) that the caller has. Returns -1.
int fc_fail_prefix(fc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// The error of a fallible allocation (util/alloc.h) that failed: "out of memory: N bytes
// (M MiB) for WHAT". Returns -1.
int fc_fail_out_of_memory(fc_error *err, const char *what, size_t bytes);

// 1 when err holds an out-of-memory error (also under a prefix a caller added), which the
// server answers with 503: the request was fine and may succeed later.
int fc_error_is_out_of_memory(const fc_error *err);

#endif
