#include "kernels/cpu/bf16_rate.h"

#include "util/progress.h"

// Why measure rather than look the CPU up: AVX512-BF16's dot product (vdpbf16ps) does twice
// the multiply-adds of an fp32 FMA per instruction, but CPUs issue it at different rates. On
// Zen 4 oneDNN's bf16 matmuls ran 1.9x its fp32 ones; on an Intel Xeon whose AMX the virtual
// machine did not expose (family 6 model 207, 2026-12-06) vdpbf16ps issued every other cycle
// while FMAs issued twice a cycle, so its bf16 GEMMs ran at half the fp32 rate (84 vs 170
// GFLOP/s a core). Rates 4x apart: a short loop tells them apart without doubt.

enum {
    ITERATIONS = 4096, // of 16 instructions each: ~65,000, 25-130 µs
    TRIES = 5,         // the fastest try counts: interruptions only ever slow a try down
};

// Why assembly: the rate is the point, and a compiler keeps C accumulators in memory at -O0
// and -O1 or under sanitizers, where each multiply-add waits on the last one's store: the
// AddressSanitizer build (-O1) read 1.86x on the CPU above, whose true figure is 0.5x. Each
// iteration is 16 independent multiply-adds (more chains than latency × issue rate of either
// instruction) of zeros into zmm0-15 (no denormals or NaNs that could take a slow path).
__attribute__((target("avx512f"))) static void fma_loop(long iterations) {
    __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
                     "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
                     "1:\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm0\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm1\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm2\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm3\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm4\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm5\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm6\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm7\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm8\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm9\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm10\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm11\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm12\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm13\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm14\n\t"
                     "vfmadd231ps %%zmm16, %%zmm17, %%zmm15\n\t"
                     "dec %0\n\t"
                     "jnz 1b\n\t"
                     : "+r"(iterations)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
                       "xmm17", "cc");
}

__attribute__((target("avx512f,avx512bf16"))) static void dot_loop(long iterations) {
    __asm__ volatile("vpxord %%zmm16, %%zmm16, %%zmm16\n\t"
                     "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"
                     "1:\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm0\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm1\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm2\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm3\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm4\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm5\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm6\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm7\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm8\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm9\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm10\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm11\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm12\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm13\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm14\n\t"
                     "vdpbf16ps %%zmm16, %%zmm17, %%zmm15\n\t"
                     "dec %0\n\t"
                     "jnz 1b\n\t"
                     : "+r"(iterations)
                     :
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm16",
                       "xmm17", "cc");
}

static double fastest(void (*loop)(long)) {
    double best = 0.0;
    for (int t = 0; t < TRIES; t++) {
        double start = fc_progress_now();
        loop(ITERATIONS);
        double took = fc_progress_now() - start;
        if (t == 0 || took < best) best = took;
    }
    return best;
}

double fc_bf16_dot_rate_vs_fp32(void) {
    double fma = fastest(fma_loop), dot = fastest(dot_loop);
    if (fma <= 0.0 || dot <= 0.0) return 0.0; // a clock too coarse to tell: take the safe side
    // Per instruction, vdpbf16ps does 32 multiply-adds and vfmadd231ps 16.
    return 2.0 * fma / dot;
}
