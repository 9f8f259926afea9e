// Attention, the fast path beside the reference kernel (attention.c) and tested against it:
// one (sequence, head) at a time, the head's keys are first gathered transposed ([d, n]) and
// its values as contiguous rows, so that a query's scores are d vectorized multiply-adds
// across the window's keys (no horizontal sums) and the weighted sum runs over unit-stride
// rows, all in cache while every query of the window reuses them. Same visibility rule as the
// reference: keys of the query's own sequence with |q − k| <= window (all when window < 0).
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/exp8.h"
#include "kernels/cpu/kernels.h"

// Keys are stored transposed with rows padded to a multiple of 8, so that the score loop can
// always read 8 keys at a time (the extra lanes are computed and dropped).
static int padded(int n) {
    return (n + 7) / 8 * 8;
}

size_t fc_attention_blocked_scratch_floats(int longest, int head_dim) {
    return (size_t)padded(longest) * (2 * (size_t)head_dim + 1);
}

// o = Σ_j scores[j − lo] · inv · values[j] for a head of 8 · vectors floats. Always inlined
// with a constant vector count, so that the loops over it unroll and acc lives in registers.
static inline __attribute__((always_inline)) void weighted_sum(float *o, const float *values,
                                                               const float *scores, float inv,
                                                               int lo, int hi, const int vectors) {
    __m256 acc[8];
    for (int v = 0; v < vectors; v++) acc[v] = _mm256_setzero_ps();
    for (int j = lo; j <= hi; j++) {
        const float *value = values + (size_t)j * 8 * vectors;
        __m256 p = _mm256_set1_ps(scores[j - lo] * inv);
        for (int v = 0; v < vectors; v++)
            acc[v] = _mm256_fmadd_ps(p, _mm256_loadu_ps(value + 8 * v), acc[v]);
    }
    for (int v = 0; v < vectors; v++) _mm256_storeu_ps(o + 8 * v, acc[v]);
}

static void attend_one_head(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                            int head_dim, int window, float *keys, float *values,
                            float *scores) {
    int H = num_heads * head_dim, n_pad = padded(n);
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int j = 0; j < n; j++) {
        const float *row = qkv + (size_t)(begin + j) * stride + h * head_dim;
        for (int i = 0; i < head_dim; i++) keys[(size_t)i * n_pad + j] = row[H + i]; // transposed
        memcpy(values + (size_t)j * head_dim, row + 2 * H, sizeof(float) * head_dim);
    }
    for (int i = 0; i < head_dim; i++) // the padding lanes: finite values, results unused
        for (int j = n; j < n_pad; j++) keys[(size_t)i * n_pad + j] = 0.0f;
    for (int q = 0; q < n; q++) {
        int lo = 0, hi = n - 1;
        if (window >= 0) {
            if (q - window > lo) lo = q - window;
            if (q + window < hi) hi = q + window;
        }
        const float *query = qkv + (size_t)(begin + q) * stride + h * head_dim;
        int width = hi - lo + 1;
        // Eight keys at a time, their sums held in one vector register across all d terms;
        // four such blocks side by side where the window has them, so that four independent
        // chains of multiply-adds hide each one's latency.
        int j0 = 0;
        for (; j0 + 32 <= width; j0 += 32) {
            const float *key_block = keys + lo + j0;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < head_dim; i++) {
                __m256 qi = _mm256_set1_ps(query[i]);
                const float *k = key_block + (size_t)i * n_pad;
                a0 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k), a0);
                a1 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 8), a1);
                a2 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 16), a2);
                a3 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k + 24), a3);
            }
            _mm256_storeu_ps(scores + j0, a0);
            _mm256_storeu_ps(scores + j0 + 8, a1);
            _mm256_storeu_ps(scores + j0 + 16, a2);
            _mm256_storeu_ps(scores + j0 + 24, a3);
        }
        for (; j0 < width; j0 += 8) {
            const float *key_block = keys + lo + j0;
            int lanes = lo + j0 + 8 <= n_pad ? 8 : n_pad - (lo + j0);
            int take = width - j0 < 8 ? width - j0 : 8;
            if (lanes == 8) {
                __m256 acc = _mm256_setzero_ps();
                for (int i = 0; i < head_dim; i++)
                    acc = _mm256_fmadd_ps(_mm256_set1_ps(query[i]),
                                          _mm256_loadu_ps(key_block + (size_t)i * n_pad), acc);
                if (take == 8) {
                    _mm256_storeu_ps(scores + j0, acc);
                } else {
                    float sums[8];
                    _mm256_storeu_ps(sums, acc);
                    for (int jj = 0; jj < take; jj++) scores[j0 + jj] = sums[jj];
                }
            } else {
                float acc[8] = {0};
                for (int i = 0; i < head_dim; i++)
                    for (int jj = 0; jj < lanes; jj++)
                        acc[jj] += query[i] * key_block[(size_t)i * n_pad + jj];
                for (int jj = 0; jj < take; jj++) scores[j0 + jj] = acc[jj];
            }
        }
        float max = -INFINITY;
        for (int j = 0; j < width; j++) {
            scores[j] *= scale;
            max = scores[j] > max ? scores[j] : max;
        }
        // exp(s − max) eight scores at a time (fc_exp8_nonpositive: |relative error| < 2e-7).
        __m256 max8 = _mm256_set1_ps(max), sum8 = _mm256_setzero_ps();
        int j = 0;
        for (; j + 8 <= width; j += 8) {
            __m256 e = fc_exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(scores + j), max8));
            _mm256_storeu_ps(scores + j, e);
            sum8 = _mm256_add_ps(sum8, e);
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, sum8);
        float sum = 0.0f;
        for (int l = 0; l < 8; l++) sum += lanes[l];
        for (; j < width; j++) {
            scores[j] = expf(scores[j] - max);
            sum += scores[j];
        }
        float inv = 1.0f / sum;
        float *o = out + (size_t)(begin + q) * H + h * head_dim;
        // The output row stays in registers across the window's values at the head sizes of
        // the target models (32: MiniLM; 64: BERT-base, ModernBERT, DeBERTa).
        if (head_dim == 32) {
            weighted_sum(o, values, scores, inv, lo, hi, 4);
            continue;
        }
        if (head_dim == 64) {
            weighted_sum(o, values, scores, inv, lo, hi, 8);
            continue;
        }
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
            float *values = keys + (size_t)padded(n) * head_dim;
            float *scores = values + (size_t)padded(n) * head_dim;
            attend_one_head(out, qkv, begin, n, h, num_heads, head_dim, window, keys, values,
                            scores);
        }
    }
}
