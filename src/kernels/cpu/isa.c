#include "kernels/cpu/isa.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int avx512_usable, avx512_bf16_usable, amx_usable;
static pthread_once_t decided = PTHREAD_ONCE_INIT;

// Decided once: neither the CPU nor ONEDNN_MAX_CPU_ISA (read by oneDNN once) changes while the
// process runs, and the per-row kernels ask at every row.
static void decide(void) {
    // libgcc's check covers the OS side too (XCR0 saves the AVX-512 state).
    avx512_usable = __builtin_cpu_supports("avx512f") &&
                    (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) ==
                        dnnl_cpu_isa_avx512_core;
    avx512_bf16_usable = avx512_usable && __builtin_cpu_supports("avx512bf16") &&
                         (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) ==
                             dnnl_cpu_isa_avx512_core_bf16;
    // AMX: oneDNN's ISA covers the CPU, the OS's tile state and ONEDNN_MAX_CPU_ISA; Linux
    // also wants each process to ask for the tile data state before its first tile
    // instruction (arch_prctl ARCH_REQ_XCOMP_PERM, feature 18), else the instruction faults.
    // oneDNN asks too, when its own AMX kernels first run; asking again is harmless.
    amx_usable = avx512_usable &&
                 (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_amx) ==
                     dnnl_cpu_isa_avx512_core_amx &&
                 syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}

int fc_cpu_avx512_usable(void) {
    pthread_once(&decided, decide);
    return avx512_usable;
}

int fc_cpu_avx512_bf16_usable(void) {
    pthread_once(&decided, decide);
    return avx512_bf16_usable;
}

int fc_cpu_amx_usable(void) {
    pthread_once(&decided, decide);
    return amx_usable;
}
