#include "kernels/cpu/bf16_rate.h"

#include <immintrin.h>
#include <time.h>

// Why measure rather than look the CPU up: AVX512-BF16's dot product (vdpbf16ps) does twice
// the multiply-adds of an fp32 FMA per instruction, but CPUs issue it at different rates. On
// Zen 4 it is issued as often as an FMA (bf16 matmuls ran 1.9x fp32 there); on an Intel Xeon
// whose AMX the hypervisor hides (family 6 model 207, 2026-12-06) one issues every other cycle
// on one port while FMAs issue twice a cycle, so a bf16 GEMM ran at half the fp32 rate (84 vs
// 170 GFLOP/s a core). Those rates differ by 4x, so a short loop tells them apart without doubt.

enum {
    CHAINS = 16,     // independent accumulators: more than latency × issue rate of either one
    ITERATIONS = 4096,
    TRIES = 5,       // the fastest try counts: interruptions only ever slow a try down
};

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// The loops read their inputs through a volatile, so that a compiler can neither fold nor
// hoist them out of the timed span, and return their accumulators' sum, so that it cannot
// leave them out. Inputs near 1 keep the sums finite.
static volatile float input = 1.0f;

__attribute__((target("avx512f"))) static float fma_loop(void) {
    __m512 acc[CHAINS];
    __m512 a = _mm512_set1_ps(input), b = _mm512_set1_ps(input);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_setzero_ps();
    for (int i = 0; i < ITERATIONS; i++)
#pragma GCC unroll 16 // whole, so that acc[] lives in registers
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(a, b, acc[c]);
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx512f,avx512bf16"))) static float dot_loop(void) {
    __m512 acc[CHAINS];
    __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(input), _mm512_set1_ps(input)), b = a;
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_setzero_ps();
    for (int i = 0; i < ITERATIONS; i++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    __m512 sum = acc[0];
    for (int c = 1; c < CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
    return _mm512_reduce_add_ps(sum);
}

static double fastest(float (*loop)(void), volatile float *sink) {
    double best = 0.0;
    for (int t = 0; t < TRIES; t++) {
        double start = seconds();
        *sink += loop();
        double took = seconds() - start;
        if (t == 0 || took < best) best = took;
    }
    return best;
}

double fc_bf16_dot_rate_vs_fp32(void) {
    volatile float sink = 0.0f;
    double fma = fastest(fma_loop, &sink), dot = fastest(dot_loop, &sink);
    if (fma <= 0.0 || dot <= 0.0) return 0.0; // a clock too coarse to tell: take the safe side
    // Per instruction, vdpbf16ps does 32 multiply-adds and vfmadd231ps 16.
    return 2.0 * fma / dot;
}
