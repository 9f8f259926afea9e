// exp on 8 lanes of AVX2 for arguments <= 0 (softmax after its max is taken off, GELU's
// Gaussian): glibc's expf is scalar, and one call per attention score took a fifth of a small
// model's int8 forward. v = k·ln2 + r with |r| <= ln2/2 (ln2 split in two for exactness), a
// degree-6 Taylor polynomial for exp(r), and 2^k built in the exponent bits; relative error
// below 2e-7 on [-87, 0], and exp(v) for v < -87 comes out as about 1.6e-38 instead of 0.
#ifndef FC_KERNELS_CPU_EXP8_H
#define FC_KERNELS_CPU_EXP8_H

#include <immintrin.h>

static inline __m256 fc_exp8_nonpositive(__m256 v) {
    v = _mm256_max_ps(v, _mm256_set1_ps(-87.0f));
    __m256 k = _mm256_round_ps(_mm256_mul_ps(v, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693145751953125f), v);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(1.42860682030941723212e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

#endif
