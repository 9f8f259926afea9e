#include "eval/peak_memory.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int fc_peak_rss_reset(void) {
    // Documented in proc(5): writing 5 to clear_refs resets the peak RSS (VmHWM) of the
    // process's address space (Linux 4.0 and later).
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return -1;
    int ok = fputs("5", f) >= 0;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : -1;
}

// VmHWM from /proc/self/status, in bytes; 0 when unavailable.
static uint64_t vm_hwm_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0 && sscanf(line + 6, "%llu", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

uint64_t fc_peak_rss_bytes(void) {
    // VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across execve, so a program
    // started by a large process (a Python benchmark driver holding PyTorch models) would
    // report its parent's peak as its own.
    uint64_t hwm = vm_hwm_bytes();
    if (hwm > 0) return hwm;
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
    return (uint64_t)usage.ru_maxrss * 1024; // kilobytes on Linux
}
