#include "kernels/cpu/lowp_rows.h"

#include <immintrin.h>
#include <math.h>

#include "kernels/cpu/lanes16.h"

__attribute__((target("avx512f"))) void
fc_finish_row_int8_avx512(float *y, const int32_t *acc, const int32_t *channel_sum,
                          const float *channel_scale, float row_scale, int32_t zero,
                          const float *bias, const float *residual, int N) {
    __m512 row16 = _mm512_set1_ps(row_scale);
    __m512i zero16 = _mm512_set1_epi32(zero);
    for (int n = 0; n < N; n += 16) {
        __mmask16 m = fc_lanes_below(n, N);
        __m512i sum = _mm512_maskz_loadu_epi32(m, channel_sum + n);
        __m512i centered = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, acc + n),
                                            _mm512_mullo_epi32(zero16, sum));
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(centered),
                                 _mm512_mul_ps(row16, _mm512_maskz_loadu_ps(m, channel_scale + n)));
        if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + n));
        if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual + n));
        _mm512_mask_storeu_ps(y + n, m, v);
    }
}

// Codes for x[K] once its range [lo, hi] (widened to hold 0) is known.
__attribute__((target("avx512f"))) static void quantize_row(uint8_t *q, const float *x, int K,
                                                            int top, float lo, float hi,
                                                            float *row_scale,
                                                            int32_t *row_zero) {
    float scale = hi > lo ? (hi - lo) / (float)top : 1.0f;
    float inv = 1.0f / scale;
    int zero = (int)lrintf(-lo * inv);
    __m512 inv16 = _mm512_set1_ps(inv), zero16 = _mm512_set1_ps((float)zero);
    __m512i top16 = _mm512_set1_epi32(top), floor16 = _mm512_setzero_si512();
    for (int k = 0; k < K; k += 16) {
        __mmask16 m = fc_lanes_below(k, K);
        __m512i code = _mm512_cvtps_epi32(
            _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + k), inv16, zero16));
        code = _mm512_min_epi32(_mm512_max_epi32(code, floor16), top16);
        _mm512_mask_cvtepi32_storeu_epi8(q + k, m, code);
    }
    *row_scale = scale;
    *row_zero = zero;
}

__attribute__((target("avx512f"))) void fc_stage_row_int8_avx512(uint8_t *q, const float *x,
                                                                 int K, int top,
                                                                 float *row_scale,
                                                                 int32_t *row_zero) {
    // The row's [min, max], widened to hold 0 (masked-off lanes read as 0, which it holds).
    __m512 lo16 = _mm512_setzero_ps(), hi16 = lo16;
    for (int k = 0; k < K; k += 16) {
        __m512 v = _mm512_maskz_loadu_ps(fc_lanes_below(k, K), x + k);
        lo16 = _mm512_min_ps(lo16, v);
        hi16 = _mm512_max_ps(hi16, v);
    }
    quantize_row(q, x, K, top, _mm512_reduce_min_ps(lo16), _mm512_reduce_max_ps(hi16),
                 row_scale, row_zero);
}

// One butterfly stage inside each 16-lane vector: lane i gets sign[i] · v[i] + v[partner],
// that is a + b for the lower lane of a pair and a − b for the upper, as hadamard.c computes.
__attribute__((target("avx512f"), always_inline)) static inline __m512
butterflies_in_lanes(__m512 v) {
    const __m512 odd = _mm512_setr_ps(1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1);
    const __m512 pairs = _mm512_setr_ps(1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1);
    const __m512 quads = _mm512_setr_ps(1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1);
    const __m512 halves = _mm512_setr_ps(1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1);
    v = _mm512_fmadd_ps(v, odd, _mm512_permute_ps(v, 0xB1));
    v = _mm512_fmadd_ps(v, pairs, _mm512_permute_ps(v, 0x4E));
    v = _mm512_fmadd_ps(v, quads, _mm512_shuffle_f32x4(v, v, 0xB1));
    return _mm512_fmadd_ps(v, halves, _mm512_shuffle_f32x4(v, v, 0x4E));
}

// Rotates the row's blocks of vectors · 16 values in registers (vectors a constant at each
// call, so the loops unroll and v stays in registers), widening [lo, hi] to each block.
__attribute__((target("avx512f"), always_inline)) static inline void
rotate_blocks(float *rotated, const float *x, int K, int vectors, __m512 *lo, __m512 *hi) {
    for (int start = 0; start < K; start += vectors * 16) {
        __m512 v[8];
        for (int i = 0; i < vectors; i++)
            v[i] = butterflies_in_lanes(_mm512_loadu_ps(x + start + 16 * i));
        for (int stride = 1; stride < vectors; stride *= 2)
            for (int i = 0; i < vectors; i += 2 * stride)
                for (int j = i; j < i + stride; j++) {
                    __m512 a = v[j], b = v[j + stride];
                    v[j] = _mm512_add_ps(a, b);
                    v[j + stride] = _mm512_sub_ps(a, b);
                }
        for (int i = 0; i < vectors; i++) {
            *lo = _mm512_min_ps(*lo, v[i]);
            *hi = _mm512_max_ps(*hi, v[i]);
            _mm512_storeu_ps(rotated + start + 16 * i, v[i]);
        }
    }
}

__attribute__((target("avx512f"))) void
fc_stage_row_int8_rotated_avx512(uint8_t *q, float *rotated, const float *x, int K, int block,
                                 int top, float *row_scale, int32_t *row_zero) {
    __m512 lo16 = _mm512_setzero_ps(), hi16 = lo16;
    switch (block) {
    case 16: rotate_blocks(rotated, x, K, 1, &lo16, &hi16); break;
    case 32: rotate_blocks(rotated, x, K, 2, &lo16, &hi16); break;
    case 64: rotate_blocks(rotated, x, K, 4, &lo16, &hi16); break;
    default: rotate_blocks(rotated, x, K, 8, &lo16, &hi16); break;
    }
    quantize_row(q, rotated, K, top, _mm512_reduce_min_ps(lo16), _mm512_reduce_max_ps(hi16),
                 row_scale, row_zero);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void
fc_stage_row_bf16_avx512(uint16_t *y, const float *x, int K) {
    for (int k = 0; k < K; k += 16) {
        __mmask16 m = fc_lanes_below(k, K);
        __m256bh half = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + k));
        _mm256_mask_storeu_epi16(y + k, m, (__m256i)half);
    }
}
