#include "kernels/cpu/gemm_f16.h"

#include <cpuid.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/gemm_f16_tile.h"
#include "kernels/cpu/isa.h"

// Whether this build runs under AddressSanitizer (gcc says so one way, clang another).
#if defined(__SANITIZE_ADDRESS__)
#define FC_GEMM_F16_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FC_GEMM_F16_ASAN 1
#endif
#endif
#ifdef FC_GEMM_F16_ASAN
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#endif

enum { PANEL = FC_GEMM_F16_PANEL };

static int usable;
static const char *unusable_reason; // why not, for the kernel names `finecat bench` prints
static pthread_once_t decided = PTHREAD_ONCE_INIT;

// AVX512-FP16 is CPUID leaf 7, EDX bit 23; the OS side (the zmm state) is AVX-512's, which
// fc_cpu_avx512_bf16_usable checks with oneDNN's dispatch.
static void decide(void) {
    unsigned eax, ebx, ecx, edx;
    int has_fp16 = __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx >> 23 & 1);
    const char *forced = getenv("FINECAT_F16_KERNEL");
    usable = has_fp16 && fc_cpu_avx512_bf16_usable() && !(forced && forced[0] == '0');
    unusable_reason = usable                        ? NULL
                      : !has_fp16                   ? "no AVX512-FP16 here"
                      : !fc_cpu_avx512_bf16_usable() ? "oneDNN's dispatch below AVX512_CORE_BF16"
                                                    : "FINECAT_F16_KERNEL=0";
}

const char *fc_gemm_f16_unusable_reason(void) {
    pthread_once(&decided, decide);
    return unusable_reason;
}

int fc_gemm_f16_usable(void) {
    pthread_once(&decided, decide);
    return usable;
}

int fc_gemm_f16_shape_ok(int in_dim) {
    return in_dim > 0 && in_dim % 2 == 0;
}

static int panels_of(int out_dim) {
    return (out_dim + PANEL - 1) / PANEL;
}

size_t fc_gemm_f16_packed_bytes(int out_dim, int in_dim) {
    return (size_t)panels_of(out_dim) * PANEL * (size_t)in_dim * sizeof(uint16_t);
}

// Panel p holds columns [32p, 32p + 32) as in_dim / 2 rows of 64 halves: for each pair of
// inputs (2i, 2i + 1), columns 0-15 then 16-31, each column's two weights side by side, the
// order in which a broadcast pair of inputs meets them (fc_gemm_f16_tile).
void fc_gemm_f16_pack(uint16_t *packed, const uint16_t *weight, int out_dim, int in_dim) {
    int pairs = in_dim / 2;
    for (int p = 0; p < panels_of(out_dim); p++) {
        uint16_t *panel = packed + (size_t)p * PANEL * in_dim;
        for (int c = 0; c < PANEL; c++) {
            int n = p * PANEL + c, half = c / 16, j = c % 16;
            const uint16_t *row = n < out_dim ? weight + (size_t)n * in_dim : NULL;
            for (int i = 0; i < pairs; i++) {
                uint16_t *slot = panel + (size_t)i * 2 * PANEL + half * PANEL + 2 * j;
                slot[0] = row ? row[2 * i] : 0;
                slot[1] = row ? row[2 * i + 1] : 0;
            }
        }
    }
}

// Under AddressSanitizer the tiles are not instrumented (gemm_f16_tile.c): the whole regions
// they read and write are checked here, so a buffer too small for the call still stops the run.
static void check_region(const void *start, size_t bytes, const char *what) {
#ifdef FC_GEMM_F16_ASAN
    void *bad = __asan_region_is_poisoned((void *)start, bytes);
    if (bad) {
        fprintf(stderr, "fc_gemm_f16: %s [%p, +%zu) is not addressable at %p\n", what, start,
                bytes, bad);
        abort();
    }
#else
    (void)start, (void)bytes, (void)what;
#endif
}

int fc_gemm_f16(float *dst, const uint16_t *src, const uint16_t *packed, int M, int out_dim,
                int in_dim, int threaded) {
    check_region(src, (size_t)M * in_dim * sizeof *src, "its input");
    check_region(packed, fc_gemm_f16_packed_bytes(out_dim, in_dim), "its weights");
    check_region(dst, (size_t)M * out_dim * sizeof *dst, "its output");
    int panels = panels_of(out_dim), bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (threaded)
    for (int p = 0; p < panels; p++) {
        const uint16_t *panel = packed + (size_t)p * PANEL * in_dim;
        int columns = out_dim - p * PANEL < PANEL ? out_dim - p * PANEL : PANEL;
        for (int r = 0; r < M; r += FC_GEMM_F16_ROWS)
            bad |= fc_gemm_f16_tile(dst + (size_t)r * out_dim + p * PANEL, out_dim,
                                    src + (size_t)r * in_dim, in_dim, panel, columns);
    }
    return bad;
}

void fc_gemm_f16_exact(float *dst, const float *src, int rows, const uint16_t *packed, int M,
                       int out_dim, int in_dim, int threaded) {
    int panels = panels_of(out_dim);
#pragma omp parallel for schedule(static) if (threaded)
    for (int p = 0; p < panels; p++) {
        const uint16_t *panel = packed + (size_t)p * PANEL * in_dim;
        int columns = out_dim - p * PANEL < PANEL ? out_dim - p * PANEL : PANEL;
        for (int t = 0; t < rows; t++)
            fc_gemm_f16_row_exact(dst + (size_t)t * out_dim + p * PANEL,
                                  src + (size_t)t * in_dim, in_dim, panel, columns);
    }
    for (int t = rows; t < M; t++)
        memset(dst + (size_t)t * out_dim, 0, (size_t)out_dim * sizeof(float));
}
