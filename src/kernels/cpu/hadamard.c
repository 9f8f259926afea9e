// Fast Walsh-Hadamard transform of a row in blocks (see hadamard.h). Strides 1, 2 and 4 run
// inside an 8-lane vector (the partner lane swapped in, the upper lane's sign flipped), the
// wider ones between vectors.
#include "kernels/cpu/hadamard.h"

#include <immintrin.h>

int fc_hadamard_block(int K) {
    int block = 128;
    while (block >= 16 && K % block != 0) block /= 2;
    return block >= 16 ? block : 0;
}

// Strides 1, 2 and 4 on eight values: lane i becomes v[i] + v[partner] for the lower lane of
// each pair and v[partner] − v[i] for the upper (±v + partner is exact in one rounding, the
// same as a + b and a − b).
static __m256 butterflies_in_lanes(__m256 v) {
    const __m256 odd = _mm256_setr_ps(1, -1, 1, -1, 1, -1, 1, -1);
    const __m256 pairs = _mm256_setr_ps(1, 1, -1, -1, 1, 1, -1, -1);
    const __m256 halves = _mm256_setr_ps(1, 1, 1, 1, -1, -1, -1, -1);
    v = _mm256_fmadd_ps(v, odd, _mm256_permute_ps(v, 0xB1));
    v = _mm256_fmadd_ps(v, pairs, _mm256_permute_ps(v, 0x4E));
    return _mm256_fmadd_ps(v, halves, _mm256_permute2f128_ps(v, v, 0x01));
}

void fc_hadamard_rotate(float *y, const float *x, int K, int block) {
    for (int start = 0; start < K; start += block) {
        float *b = y + start;
        for (int j = 0; j < block; j += 8)
            _mm256_storeu_ps(b + j, butterflies_in_lanes(_mm256_loadu_ps(x + start + j)));
        for (int stride = 8; stride < block; stride *= 2)
            for (int i = 0; i < block; i += 2 * stride)
                for (int j = i; j < i + stride; j += 8) {
                    __m256 lo = _mm256_loadu_ps(b + j), hi = _mm256_loadu_ps(b + j + stride);
                    _mm256_storeu_ps(b + j, _mm256_add_ps(lo, hi));
                    _mm256_storeu_ps(b + j + stride, _mm256_sub_ps(lo, hi));
                }
    }
}
