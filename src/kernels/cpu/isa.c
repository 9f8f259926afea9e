#include "kernels/cpu/isa.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>

static int avx512_usable;
static pthread_once_t decided = PTHREAD_ONCE_INIT;

// Decided once: neither the CPU nor ONEDNN_MAX_CPU_ISA (read by oneDNN once) changes while the
// process runs, and the per-row kernels ask at every row.
static void decide(void) {
    // libgcc's check covers the OS side too (XCR0 saves the AVX-512 state).
    avx512_usable = __builtin_cpu_supports("avx512f") &&
                    (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) ==
                        dnnl_cpu_isa_avx512_core;
}

int fc_cpu_avx512_usable(void) {
    pthread_once(&decided, decide);
    return avx512_usable;
}
