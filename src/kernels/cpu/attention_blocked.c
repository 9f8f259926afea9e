// Attention, the fast path beside the reference kernel (attention.c) and tested against it:
// one (sequence, head) at a time, the head's keys and values are first gathered into
// contiguous rows, so the dot products and the weighted sum run over unit-stride memory that
// stays in cache while every query of the window reuses it. Same visibility rule as the
// reference: keys of the query's own sequence with |q − k| <= window (all when window < 0).
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/kernels.h"

size_t fc_attention_blocked_scratch_floats(int longest, int head_dim) {
    return (size_t)longest * (2 * (size_t)head_dim + 1);
}

static void attend_one_head(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                            int head_dim, int window, float *keys, float *values,
                            float *scores) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int j = 0; j < n; j++) {
        const float *row = qkv + (size_t)(begin + j) * stride + h * head_dim;
        memcpy(keys + (size_t)j * head_dim, row + H, sizeof(float) * head_dim);
        memcpy(values + (size_t)j * head_dim, row + 2 * H, sizeof(float) * head_dim);
    }
    for (int q = 0; q < n; q++) {
        int lo = 0, hi = n - 1;
        if (window >= 0) {
            if (q - window > lo) lo = q - window;
            if (q + window < hi) hi = q + window;
        }
        const float *query = qkv + (size_t)(begin + q) * stride + h * head_dim;
        float max = -INFINITY;
        for (int j = lo; j <= hi; j++) {
            const float *key = keys + (size_t)j * head_dim;
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (int i = 0; i < head_dim; i++) dot += query[i] * key[i];
            dot *= scale;
            scores[j - lo] = dot;
            max = dot > max ? dot : max;
        }
        float sum = 0.0f;
        for (int j = 0; j <= hi - lo; j++) {
            scores[j] = expf(scores[j] - max);
            sum += scores[j];
        }
        float inv = 1.0f / sum;
        float *o = out + (size_t)(begin + q) * H + h * head_dim;
        memset(o, 0, sizeof(float) * head_dim);
        for (int j = lo; j <= hi; j++) {
            const float *value = values + (size_t)j * head_dim;
            float p = scores[j - lo] * inv;
#pragma omp simd
            for (int i = 0; i < head_dim; i++) o[i] += p * value[i];
        }
    }
}

void fc_attention_forward_blocked(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, int window,
                                  float *scratch, size_t scratch_per_thread) {
    int items = n_seqs * num_heads;
#pragma omp parallel
    {
        float *keys = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int item = 0; item < items; item++) {
            int s = item / num_heads, h = item % num_heads;
            int begin = offsets[s], n = offsets[s + 1] - offsets[s];
            float *values = keys + (size_t)n * head_dim;
            float *scores = values + (size_t)n * head_dim;
            attend_one_head(out, qkv, begin, n, h, num_heads, head_dim, window, keys, values,
                            scores);
        }
    }
}
