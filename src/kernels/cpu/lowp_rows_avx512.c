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
    float lo = _mm512_reduce_min_ps(lo16), hi = _mm512_reduce_max_ps(hi16);
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

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) void
fc_stage_row_bf16_avx512(uint16_t *y, const float *x, int K) {
    for (int k = 0; k < K; k += 16) {
        __mmask16 m = fc_lanes_below(k, K);
        __m256bh half = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, x + k));
        _mm256_mask_storeu_epi16(y + k, m, (__m256i)half);
    }
}
