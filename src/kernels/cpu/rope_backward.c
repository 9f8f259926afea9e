// RoPE backward. The forward turns each pair (a, b) = (x[k], x[k + d/2]) by the angle θ:
// (a·c − b·s, b·c + a·s). Its transpose turns the gradient back by −θ:
// da = dy₁·c + dy₂·s, db = dy₂·c − dy₁·s.
#include "kernels/cpu/backward.h"

static void rotate_back(float *g, const float *c, const float *s, int half) {
    for (int k = 0; k < half; k++) {
        float g1 = g[k], g2 = g[k + half];
        g[k] = g1 * c[k] + g2 * s[k];
        g[k + half] = g2 * c[k] - g1 * s[k];
    }
}

void fc_rope_backward_qk(float *dqkv, const int32_t *positions, const float *cos_table,
                         const float *sin_table, int T, int num_heads, int head_dim) {
    int H = num_heads * head_dim, half = head_dim / 2;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        const float *c = cos_table + (size_t)positions[t] * half;
        const float *s = sin_table + (size_t)positions[t] * half;
        float *row = dqkv + (size_t)t * 3 * H;
        for (int h = 0; h < num_heads; h++) {
            rotate_back(row + h * head_dim, c, s, half);     // dQ
            rotate_back(row + H + h * head_dim, c, s, half); // dK
        }
    }
}
