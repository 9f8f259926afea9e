// GELU, exact (erf) form: the reference scalar function, and an AVX2 path for the GeGLU of
// every ModernBERT layer, BERT's intermediate activation and its backward, which evaluates erf with Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7) and
// its own exp. glibc's erff is not vectorized at -O2 and took about a third of a
// ModernBERT-large forward; the AVX2 path agrees with it to 5e-7 (tests/test_kernels.c).
#include <immintrin.h>
#include <math.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/exp8.h"
#include "kernels/cpu/gelu_rows.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"

float fc_gelu(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
}


// Φ(x) = 0.5·(1 + erf(x/√2)) on 8 lanes.
static __m256 normal_cdf8(__m256 x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752440f));
    __m256 az = _mm256_andnot_ps(sign_mask, z);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f),
                             _mm256_fmadd_ps(az, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
    __m256 poly = _mm256_set1_ps(1.061405429f);
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
    poly = _mm256_mul_ps(poly, t);
    __m256 e = fc_exp8_nonpositive(_mm256_mul_ps(_mm256_sub_ps(_mm256_setzero_ps(), az), az));
    __m256 erf_abs = _mm256_fnmadd_ps(poly, e, _mm256_set1_ps(1.0f));
    __m256 erf = _mm256_or_ps(erf_abs, _mm256_and_ps(z, sign_mask)); // erf is odd
    return _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
}

// 0.5·x·(1 + erf(x/√2)) = x·Φ(x) on 8 lanes.
static __m256 gelu8(__m256 x) {
    return _mm256_mul_ps(x, normal_cdf8(x));
}

void fc_gelu_row(float *x, int n) {
    if (fc_cpu_avx512_usable()) {
        fc_gelu_row_avx512(x, n);
        return;
    }
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] = fc_gelu(x[i]);
}

// BERT's intermediate activation, in place: the same AVX2 path as GeGLU's, by rows.
void fc_gelu_forward(float *x, int n) {
    int chunks = (n + 4095) / 4096;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; c++) {
        int i = c * 4096, end = i + 4096 < n ? i + 4096 : n;
        for (; i + 8 <= end; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
        for (; i < end; i++) x[i] = fc_gelu(x[i]);
    }
}

// din = dout · (Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π), on 8 lanes per step (backward.h).
void fc_gelu_backward(float *din, const float *dout, const float *in, int n) {
    int chunks = (n + 4095) / 4096;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; c++) {
        int i = c * 4096, end = i + 4096 < n ? i + 4096 : n;
        for (; i + 8 <= end; i += 8) {
            __m256 x = _mm256_loadu_ps(in + i);
            __m256 pdf = _mm256_mul_ps(
                _mm256_set1_ps(0.39894228040143267794f),
                fc_exp8_nonpositive(_mm256_mul_ps(_mm256_set1_ps(-0.5f), _mm256_mul_ps(x, x))));
            __m256 factor = _mm256_fmadd_ps(x, pdf, normal_cdf8(x));
            _mm256_storeu_ps(din + i, _mm256_mul_ps(_mm256_loadu_ps(dout + i), factor));
        }
        for (; i < end; i++) din[i] = dout[i] * fc_gelu_derivative(in[i]);
    }
}

void fc_geglu_row(float *out, const float *in, int I) {
    if (fc_cpu_avx512_usable()) {
        fc_geglu_row_avx512(out, in, I);
        return;
    }
    const float *gate = in + I;
    int i = 0;
    for (; i + 8 <= I; i += 8)
        _mm256_storeu_ps(out + i,
                         _mm256_mul_ps(gelu8(_mm256_loadu_ps(in + i)), _mm256_loadu_ps(gate + i)));
    for (; i < I; i++) out[i] = fc_gelu(in[i]) * gate[i];
}

void fc_geglu_forward(float *out, const float *in, int T, int I) {
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) fc_geglu_row(out + (size_t)t * I, in + (size_t)t * 2 * I, I);
}
