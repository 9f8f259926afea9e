#include "eval/peak_memory.h"

#include <stdio.h>
#include <sys/resource.h>

int fc_peak_rss_reset(void) {
    // Documented in proc(5): writing 5 to clear_refs resets the peak RSS (VmHWM), which is
    // what getrusage's ru_maxrss reports for the calling process (Linux 4.0 and later).
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

uint64_t fc_peak_rss_bytes(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return (uint64_t)usage.ru_maxrss * 1024; // kilobytes on Linux
}
