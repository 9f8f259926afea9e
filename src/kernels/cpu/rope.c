#include <math.h>

#include "kernels/cpu/kernels.h"

void fc_rope_table(float *cos_table, float *sin_table, int n_positions, int head_dim, float theta) {
    int half = head_dim / 2;
    for (int k = 0; k < half; k++) {
        // transformers: 1.0 / (base ** (arange(0, d, 2).float() / d)), all in float32.
        float exponent = (float)(2 * k) / (float)head_dim;
        float inv_freq = 1.0f / powf(theta, exponent);
        for (int p = 0; p < n_positions; p++) {
            float angle = (float)p * inv_freq; // float32 product, as the HF outer product
            cos_table[(size_t)p * half + k] = cosf(angle);
            sin_table[(size_t)p * half + k] = sinf(angle);
        }
    }
}

static void rotate(float *x, const float *c, const float *s, int half) {
#pragma omp simd
    for (int k = 0; k < half; k++) {
        float a = x[k], b = x[k + half];
        x[k] = a * c[k] - b * s[k];
        x[k + half] = b * c[k] + a * s[k];
    }
}

void fc_rope_apply_qk(float *qkv, const int32_t *positions, const float *cos_table,
                      const float *sin_table, int T, int num_heads, int head_dim) {
    int H = num_heads * head_dim, half = head_dim / 2;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *c = cos_table + (size_t)positions[t] * half;
        const float *s = sin_table + (size_t)positions[t] * half;
        float *row = qkv + (size_t)t * 3 * H;
        for (int h = 0; h < num_heads; h++) {
            rotate(row + h * head_dim, c, s, half);     // Q
            rotate(row + H + h * head_dim, c, s, half); // K
        }
    }
}
