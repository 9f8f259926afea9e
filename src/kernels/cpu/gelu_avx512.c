// gelu.c's AVX2 GELU and GeGLU rows on the 16 lanes of AVX-512: the same Abramowitz & Stegun
// erf and the same exp (exp16.h), so each lane gives what the AVX2 path gives. Run where
// fc_cpu_avx512_usable (isa.h): GeGLU runs on every intermediate value of every ModernBERT
// layer (5% of an int8 ModernBERT-large forward on AVX2).
#include <immintrin.h>

#include "kernels/cpu/exp16.h"
#include "kernels/cpu/gelu_rows.h"
#include "kernels/cpu/lanes16.h"

// Φ(x) = 0.5·(1 + erf(x/√2)) on 16 lanes.
__attribute__((target("avx512f"))) static inline __m512 normal_cdf16(__m512 x) {
    const __m512 sign_mask = _mm512_set1_ps(-0.0f);
    __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752440f));
    __m512 az = _mm512_castsi512_ps(
        _mm512_andnot_si512(_mm512_castps_si512(sign_mask), _mm512_castps_si512(z)));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f),
                             _mm512_fmadd_ps(az, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1.0f)));
    __m512 poly = _mm512_set1_ps(1.061405429f);
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-1.453152027f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(1.421413741f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(-0.284496736f));
    poly = _mm512_fmadd_ps(poly, t, _mm512_set1_ps(0.254829592f));
    poly = _mm512_mul_ps(poly, t);
    __m512 e = fc_exp16_nonpositive(_mm512_mul_ps(_mm512_sub_ps(_mm512_setzero_ps(), az), az));
    __m512 erf_abs = _mm512_fnmadd_ps(poly, e, _mm512_set1_ps(1.0f));
    __m512 erf = _mm512_castsi512_ps(_mm512_or_si512( // erf is odd
        _mm512_castps_si512(erf_abs),
        _mm512_and_si512(_mm512_castps_si512(z), _mm512_castps_si512(sign_mask))));
    return _mm512_mul_ps(_mm512_set1_ps(0.5f), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}

__attribute__((target("avx512f"))) void fc_gelu_row_avx512(float *x, int n) {
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = fc_lanes_below(i, n);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(v, normal_cdf16(v)));
    }
}

__attribute__((target("avx512f"))) void fc_geglu_row_avx512(float *out, const float *in, int I) {
    const float *gate = in + I;
    for (int i = 0; i < I; i += 16) {
        __mmask16 m = fc_lanes_below(i, I);
        __m512 v = _mm512_maskz_loadu_ps(m, in + i);
        __m512 gelu = _mm512_mul_ps(v, normal_cdf16(v));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(gelu, _mm512_maskz_loadu_ps(m, gate + i)));
    }
}
