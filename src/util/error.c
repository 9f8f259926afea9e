#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fc_fail(fc_error *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int fc_fail_prefix(fc_error *err, const char *fmt, ...) {
    if (err) {
        char prefix[256];
        char old[sizeof err->message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->message, sizeof old);
        // The old message is cut to what fits after the prefix.
        int room = (int)(sizeof err->message - strlen(prefix) - 3);
        snprintf(err->message, sizeof err->message, "%s: %.*s", prefix, room, old);
    }
    return -1;
}

int fc_fail_out_of_memory(fc_error *err, const char *what, size_t bytes) {
    return fc_fail(err, "out of memory: %zu bytes (%.1f MiB) for %s", bytes,
                   (double)bytes / (1024.0 * 1024.0), what);
}

int fc_error_is_out_of_memory(const fc_error *err) {
    return err && strstr(err->message, "out of memory: ") != NULL;
}
