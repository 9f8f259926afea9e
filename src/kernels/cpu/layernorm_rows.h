// One row of LayerNorm in two forms, AVX2 (layernorm.c) and AVX-512 (layernorm_avx512.c, run
// where fc_cpu_avx512_usable: isa.h), that give the same bits: each statistic is summed in 32
// float partials (element i into partial i mod 32: four 8-lane or two 16-lane accumulators),
// and the partials are added in one fixed order that ends in fc_sum8 below.
#ifndef FC_KERNELS_CPU_LAYERNORM_ROWS_H
#define FC_KERNELS_CPU_LAYERNORM_ROWS_H

#include <immintrin.h>

// The 8 lanes' sum: halves, then pairs, then the last two.
static inline float fc_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

void fc_layernorm_stats_avx512(const float *x, int C, float eps, float *mean, float *rstd);
void fc_layernorm_apply_avx512(float *y, const float *x, const float *weight, const float *bias,
                               float mean, float rstd, int C);

#endif
