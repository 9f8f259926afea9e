// layernorm.c's row statistics and normalization on 16 lanes: the same 32 partials added in
// the same order, so each gives the AVX2 form's bits (layernorm_rows.h).
#include <math.h>

#include "kernels/cpu/lanes16.h"
#include "kernels/cpu/layernorm_rows.h"

// The two 16-lane partials: lane j + lane j + 16 of the 32, then the halves, then fc_sum8.
__attribute__((target("avx512f"))) static float sum32(__m512 low, __m512 high) {
    __m512 pairs = _mm512_add_ps(low, high);
    return fc_sum8(_mm256_add_ps(_mm512_castps512_ps256(pairs),
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                     _mm512_castps_pd(pairs), 1))));
}

__attribute__((target("avx512f"))) void fc_layernorm_stats_avx512(const float *x, int C,
                                                                  float eps, float *mean_out,
                                                                  float *rstd_out) {
    // Whole blocks of 32 without masks, then the tail's block masked: the same partials.
    int whole = C / 32 * 32;
    __m512 low = _mm512_setzero_ps(), high = low;
    for (int i = 0; i < whole; i += 32) {
        low = _mm512_add_ps(low, _mm512_loadu_ps(x + i));
        high = _mm512_add_ps(high, _mm512_loadu_ps(x + i + 16));
    }
    if (whole < C) {
        low = _mm512_add_ps(low, _mm512_maskz_loadu_ps(fc_lanes_below(whole, C), x + whole));
        if (whole + 16 < C)
            high = _mm512_add_ps(high, _mm512_maskz_loadu_ps(fc_lanes_below(whole + 16, C),
                                                             x + whole + 16));
    }
    float mean = sum32(low, high) / (float)C;
    __m512 mean16 = _mm512_set1_ps(mean);
    low = _mm512_setzero_ps();
    high = low;
    for (int i = 0; i < whole; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), mean16);
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), mean16);
        low = _mm512_fmadd_ps(d0, d0, low);
        high = _mm512_fmadd_ps(d1, d1, high);
    }
    if (whole < C) {
        __mmask16 m = fc_lanes_below(whole, C);
        __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + whole), mean16);
        low = _mm512_fmadd_ps(d, d, low);
        if (whole + 16 < C) {
            m = fc_lanes_below(whole + 16, C);
            d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + whole + 16), mean16);
            high = _mm512_fmadd_ps(d, d, high);
        }
    }
    *mean_out = mean;
    *rstd_out = 1.0f / sqrtf(sum32(low, high) / (float)C + eps);
}

__attribute__((target("avx512f"))) void fc_layernorm_apply_avx512(float *y, const float *x,
                                                                  const float *weight,
                                                                  const float *bias, float mean,
                                                                  float rstd, int C) {
    __m512 mean16 = _mm512_set1_ps(mean), rstd16 = _mm512_set1_ps(rstd);
    int i = 0;
    for (; i + 16 <= C; i += 16) {
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mean16), rstd16);
        __m512 w = _mm512_loadu_ps(weight + i);
        _mm512_storeu_ps(y + i, bias ? _mm512_fmadd_ps(d, w, _mm512_loadu_ps(bias + i))
                                     : _mm512_mul_ps(d, w));
    }
    if (i < C) {
        __mmask16 m = fc_lanes_below(i, C);
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mean16), rstd16);
        __m512 w = _mm512_maskz_loadu_ps(m, weight + i);
        _mm512_mask_storeu_ps(y + i, m,
                              bias ? _mm512_fmadd_ps(d, w, _mm512_maskz_loadu_ps(m, bias + i))
                                   : _mm512_mul_ps(d, w));
    }
}
