// LayerNorm over rows. The mean and the biased variance (divide by C) are two passes of float
// sums, as PyTorch's CPU kernel keeps them in float; 32 partial sums per pass (layernorm_rows.h)
// instead of one chain of dependent double additions, which made a 1,024-wide row about 2.2x slower
// (LayerNorm was 3.4-4.4% of a bf16/int8 ModernBERT-large forward on AMX).
#include <math.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/layernorm_rows.h"

// All ones in the lanes of x[i, i + 8) below C, zeros in the rest.
static __m256i lanes8_below(int i, int C) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(C - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// x[i, i + 8) with the lanes at or past C read as 0.
static __m256 load8(const float *x, int i, int C) {
    if (i + 8 <= C) return _mm256_loadu_ps(x + i);
    return _mm256_maskload_ps(x + (i < C ? i : 0), lanes8_below(i, C));
}

// The four 8-lane partials of a pass added as the AVX-512 form adds its two 16-lane ones.
static float sum32(const __m256 p[4]) {
    return fc_sum8(_mm256_add_ps(_mm256_add_ps(p[0], p[2]), _mm256_add_ps(p[1], p[3])));
}

static void stats_avx2(const float *x, int C, float eps, float *mean_out, float *rstd_out) {
    __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    for (int i = 0; i < C; i += 32)
        for (int p = 0; p < 4; p++) sum[p] = _mm256_add_ps(sum[p], load8(x, i + 8 * p, C));
    float mean = sum32(sum) / (float)C;
    __m256 mean8 = _mm256_set1_ps(mean), squares[4];
    for (int p = 0; p < 4; p++) squares[p] = _mm256_setzero_ps();
    for (int i = 0; i < C; i += 32)
        for (int p = 0; p < 4; p++) {
            int at = i + 8 * p;
            __m256 d = _mm256_sub_ps(load8(x, at, C), mean8);
            if (at + 8 > C) // lanes past the row hold 0 − mean: leave them out
                d = _mm256_and_ps(d, _mm256_castsi256_ps(lanes8_below(at, C)));
            squares[p] = _mm256_fmadd_ps(d, d, squares[p]);
        }
    *mean_out = mean;
    *rstd_out = 1.0f / sqrtf(sum32(squares) / (float)C + eps);
}

void fc_layernorm_stats(const float *x, int C, float eps, float *mean, float *rstd) {
    if (fc_cpu_avx512_usable())
        fc_layernorm_stats_avx512(x, C, eps, mean, rstd);
    else
        stats_avx2(x, C, eps, mean, rstd);
}

// y = (x − mean)·rstd·weight (+ bias); y may be x.
static void apply_avx2(float *y, const float *x, const float *weight, const float *bias,
                       float mean, float rstd, int C) {
    __m256 mean8 = _mm256_set1_ps(mean), rstd8 = _mm256_set1_ps(rstd);
    int i = 0;
    for (; i + 8 <= C; i += 8) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mean8), rstd8);
        __m256 w = _mm256_loadu_ps(weight + i);
        _mm256_storeu_ps(y + i, bias ? _mm256_fmadd_ps(d, w, _mm256_loadu_ps(bias + i))
                                     : _mm256_mul_ps(d, w));
    }
    for (; i < C; i++) { // the AVX-512 tail's lanes, one at a time
        float d = (x[i] - mean) * rstd;
        y[i] = bias ? fmaf(d, weight[i], bias[i]) : d * weight[i];
    }
}

void fc_layernorm_forward(float *out, const float *in, const float *weight, const float *bias,
                          int T, int C, float eps) {
    int avx512 = fc_cpu_avx512_usable();
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *x = in + (size_t)t * C;
        float *y = out + (size_t)t * C;
        float mean, rstd;
        if (avx512) {
            fc_layernorm_stats_avx512(x, C, eps, &mean, &rstd);
            fc_layernorm_apply_avx512(y, x, weight, bias, mean, rstd, C);
        } else {
            stats_avx2(x, C, eps, &mean, &rstd);
            apply_avx2(y, x, weight, bias, mean, rstd, C);
        }
    }
}
