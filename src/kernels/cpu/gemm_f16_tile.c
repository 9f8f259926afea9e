#include "kernels/cpu/gemm_f16_tile.h"

#include <immintrin.h>
#include <string.h>

#include "kernels/cpu/gemm_f16.h"

// This file alone is compiled for AVX-512 with AVX512-FP16 (Makefile): clang 14 declares the
// f16 vector types only then, not for a function's target attribute. gemm_f16.c calls in only
// where fc_gemm_f16_usable.

enum {
    ROWS = FC_GEMM_F16_ROWS,
    PANEL = FC_GEMM_F16_PANEL,
    BLOCK = 128, // inputs summed in f16 before the fp32 total (64 products a lane)
};

// A tile's sums leave as pairs: lane 2j of a column group holds column j's even inputs, lane
// 2j + 1 its odd ones, and the 16 columns of a vector of products span two fp32 vectors (lo:
// columns 0-7, hi: 8-15). Adds each column's two sums, stores the columns that exist (of 16)
// and says whether any is not finite.
static int store_columns(float *dst, __m512 lo, __m512 hi, int columns) {
    const __m512i even =
        _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd =
        _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
    __m512 sum = _mm512_add_ps(_mm512_permutex2var_ps(lo, even, hi),
                               _mm512_permutex2var_ps(lo, odd, hi));
    __mmask16 keep = columns >= 16 ? 0xFFFF : (__mmask16)((1u << columns) - 1);
    _mm512_mask_storeu_ps(dst, keep, sum);
    // fpclass 0x99: quiet NaN, +infinity, −infinity, signalling NaN.
    return _mm512_mask_fpclass_ps_mask(keep, sum, 0x99) != 0;
}

// dst[8, columns] = a[8, K] · panel, columns ≤ 32. Each input row's pair (a[r][k], a[r][k+1])
// is broadcast as one 32-bit value and multiplied into both column groups; 16 f16
// accumulators of 32 lanes, reset every BLOCK inputs after their sums go into fp32 totals.
// Not instrumented load by load under the sanitizers: AddressSanitizer's check of every
// broadcast pair and UndefinedBehaviorSanitizer's of every index kept the 16 accumulators in
// memory, and the sanitized test suite ran for over half an hour. fc_gemm_f16 checks the
// regions the tiles read and write, once per call, instead (gemm_f16.c).
__attribute__((no_sanitize("address", "undefined"))) int
fc_gemm_f16_tile(float *dst, int ldd, const uint16_t *a, int K, const uint16_t *panel,
                 int columns) {
    __m512 total[ROWS][4];
#pragma GCC unroll 8
    for (int r = 0; r < ROWS; r++)
        for (int q = 0; q < 4; q++) total[r][q] = _mm512_setzero_ps();
    for (int k0 = 0; k0 < K; k0 += BLOCK) {
        int end = K - k0 < BLOCK ? K : k0 + BLOCK;
        __m512h acc[ROWS][2];
#pragma GCC unroll 8
        for (int r = 0; r < ROWS; r++) {
            acc[r][0] = _mm512_setzero_ph();
            acc[r][1] = _mm512_setzero_ph();
        }
        for (int k = k0; k < end; k += 2) {
            const uint16_t *b = panel + (size_t)k * PANEL;
            __m512h b0 = _mm512_castsi512_ph(_mm512_load_si512(b));
            __m512h b1 = _mm512_castsi512_ph(_mm512_load_si512(b + PANEL));
#pragma GCC unroll 8
            for (int r = 0; r < ROWS; r++) {
                int32_t pair;
                memcpy(&pair, a + (size_t)r * K + k, sizeof pair);
                __m512h x = _mm512_castsi512_ph(_mm512_set1_epi32(pair));
                acc[r][0] = _mm512_fmadd_ph(x, b0, acc[r][0]);
                acc[r][1] = _mm512_fmadd_ph(x, b1, acc[r][1]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < ROWS; r++)
            for (int g = 0; g < 2; g++) {
                __m512i bits = _mm512_castph_si512(acc[r][g]);
                __m256i low = _mm512_castsi512_si256(bits);
                __m256i high = _mm512_extracti64x4_epi64(bits, 1);
                total[r][2 * g] = _mm512_add_ps(total[r][2 * g],
                                                _mm512_cvtxph_ps(_mm256_castsi256_ph(low)));
                total[r][2 * g + 1] = _mm512_add_ps(total[r][2 * g + 1],
                                                    _mm512_cvtxph_ps(_mm256_castsi256_ph(high)));
            }
    }
    int bad = 0;
    for (int r = 0; r < ROWS; r++) {
        float *row = dst + (size_t)r * ldd;
        bad |= store_columns(row, total[r][0], total[r][1], columns);
        if (columns > 16) bad |= store_columns(row + 16, total[r][2], total[r][3], columns - 16);
    }
    return bad;
}

// One row of the fp32 recomputation: the panel's weights widened, each input pair broadcast
// as one 64-bit value, fp32 multiply-adds.
void fc_gemm_f16_row_exact(float *dst, const float *x, int K, const uint16_t *panel,
                           int columns) {
    __m512 sum[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps()};
    for (int k = 0; k < K; k += 2) {
        double pair;
        memcpy(&pair, x + k, sizeof pair);
        __m512 xx = _mm512_castpd_ps(_mm512_set1_pd(pair));
        const uint16_t *b = panel + (size_t)k * PANEL;
        for (int q = 0; q < 4; q++) {
            __m512 w = _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(b + 16 * q)));
            sum[q] = _mm512_fmadd_ps(xx, w, sum[q]);
        }
    }
    store_columns(dst, sum[0], sum[1], columns);
    if (columns > 16) store_columns(dst + 16, sum[2], sum[3], columns - 16);
}

