// Attention, the fast path beside the reference kernel (attention.c) and tested against it:
// one (sequence, head) at a time, the head's keys are first gathered transposed ([d, n]) and
// its values as contiguous rows, so that a query's scores are d vectorized multiply-adds
// across the window's keys (no horizontal sums) and the weighted sum runs over unit-stride
// rows, all in cache while every query of the window reuses them. Queries are scored four at
// a time over the union of their windows, each then masked to its own. Same visibility rule
// as the reference: keys of the query's own sequence with |q − k| <= window (all when
// window < 0). This file gathers and runs the AVX2 path; where the CPU has AVX-512 the work
// after the gather runs in attention_avx512.c.
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/attention_amx.h"
#include "kernels/cpu/attention_gathered.h"
#include "kernels/cpu/exp8.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/transpose8.h"
#include "kernels/cpu/kernels.h"

size_t fc_attention_blocked_scratch_floats(int longest, int head_dim) {
    // keys, values, the group's score rows, and the AVX-512 path's rows for repeated queries;
    // or the AMX path's bf16 tiles, whichever is larger.
    size_t fp32 = (size_t)fc_attention_padded(longest) * (2 * (size_t)head_dim + FC_QUERY_GROUP) +
                  (size_t)FC_QUERY_GROUP * head_dim;
    size_t amx = (fc_attention_amx_scratch_bytes(longest, head_dim) + 3) / 4;
    return fp32 > amx ? fp32 : amx;
}

int fc_attention_avx512_usable(int head_dim) {
    return (head_dim == 32 || head_dim == 64) && fc_cpu_avx512_usable();
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

// scores[g · n_pad + j] = scale · (query[g] · key j) for the group's queries and the keys of the
// blocks of 8 from `first` (a multiple of 8) through the one holding `last`. Sixteen keys at a
// time where the padded rows have them: 2 key vectors × 4 queries = 8 accumulators.
static void score_group(float *scores, const float *const query[FC_QUERY_GROUP],
                        const float *keys, int n_pad, int head_dim, int first, int last,
                        float scale) {
    __m256 scale8 = _mm256_set1_ps(scale);
    int b = first;
    for (; b + 8 <= last && b + 16 <= n_pad; b += 16) {
        __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
        __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int i = 0; i < head_dim; i++) {
            const float *k = keys + (size_t)i * n_pad + b;
            __m256 k0 = _mm256_loadu_ps(k), k1 = _mm256_loadu_ps(k + 8);
            __m256 q = _mm256_broadcast_ss(query[0] + i);
            a00 = _mm256_fmadd_ps(q, k0, a00);
            a01 = _mm256_fmadd_ps(q, k1, a01);
            q = _mm256_broadcast_ss(query[1] + i);
            a10 = _mm256_fmadd_ps(q, k0, a10);
            a11 = _mm256_fmadd_ps(q, k1, a11);
            q = _mm256_broadcast_ss(query[2] + i);
            a20 = _mm256_fmadd_ps(q, k0, a20);
            a21 = _mm256_fmadd_ps(q, k1, a21);
            q = _mm256_broadcast_ss(query[3] + i);
            a30 = _mm256_fmadd_ps(q, k0, a30);
            a31 = _mm256_fmadd_ps(q, k1, a31);
        }
        _mm256_storeu_ps(scores + b, _mm256_mul_ps(a00, scale8));
        _mm256_storeu_ps(scores + b + 8, _mm256_mul_ps(a01, scale8));
        _mm256_storeu_ps(scores + n_pad + b, _mm256_mul_ps(a10, scale8));
        _mm256_storeu_ps(scores + n_pad + b + 8, _mm256_mul_ps(a11, scale8));
        _mm256_storeu_ps(scores + 2 * n_pad + b, _mm256_mul_ps(a20, scale8));
        _mm256_storeu_ps(scores + 2 * n_pad + b + 8, _mm256_mul_ps(a21, scale8));
        _mm256_storeu_ps(scores + 3 * n_pad + b, _mm256_mul_ps(a30, scale8));
        _mm256_storeu_ps(scores + 3 * n_pad + b + 8, _mm256_mul_ps(a31, scale8));
    }
    for (; b <= last; b += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < head_dim; i++) {
            __m256 k = _mm256_loadu_ps(keys + (size_t)i * n_pad + b);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(query[0] + i), k, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(query[1] + i), k, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(query[2] + i), k, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(query[3] + i), k, a3);
        }
        _mm256_storeu_ps(scores + b, _mm256_mul_ps(a0, scale8));
        _mm256_storeu_ps(scores + n_pad + b, _mm256_mul_ps(a1, scale8));
        _mm256_storeu_ps(scores + 2 * n_pad + b, _mm256_mul_ps(a2, scale8));
        _mm256_storeu_ps(scores + 3 * n_pad + b, _mm256_mul_ps(a3, scale8));
    }
}

// The max and the sum are taken eight lanes at a time: a scalar running max is one long
// dependency chain.
float fc_softmax_unnormalized(float *s, int width) {
    __m256 max8 = _mm256_set1_ps(-INFINITY);
    int j = 0;
    for (; j + 8 <= width; j += 8) max8 = _mm256_max_ps(max8, _mm256_loadu_ps(s + j));
    float lanes[8];
    _mm256_storeu_ps(lanes, max8);
    float max = -INFINITY;
    for (int l = 0; l < 8; l++) max = lanes[l] > max ? lanes[l] : max;
    for (; j < width; j++) max = s[j] > max ? s[j] : max;
    // exp(s − max) eight scores at a time (fc_exp8_nonpositive: |relative error| < 2e-7).
    max8 = _mm256_set1_ps(max);
    __m256 sum8 = _mm256_setzero_ps();
    for (j = 0; j + 8 <= width; j += 8) {
        __m256 e = fc_exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(s + j), max8));
        _mm256_storeu_ps(s + j, e);
        sum8 = _mm256_add_ps(sum8, e);
    }
    _mm256_storeu_ps(lanes, sum8);
    float sum = 0.0f;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    for (; j < width; j++) {
        s[j] = expf(s[j] - max);
        sum += s[j];
    }
    return 1.0f / sum;
}

// keys[i · n_pad + j] = row j's key[i] and values[j · d + i] = its value[i], for the head's n
// rows of qkv (stride floats apart). Keys go through registers eight rows by eight dimensions
// at a time (an 8 × 8 transpose), where a scalar loop would store one float per instruction.
static void gather_head(float *keys, float *values, const float *qkv_head, size_t stride, int H,
                        int n, int n_pad, int head_dim) {
    int j = 0;
    if (head_dim % 8 == 0) {
        for (; j + 8 <= n; j += 8)
            for (int i = 0; i < head_dim; i += 8) {
                __m256 r[8];
                for (int t = 0; t < 8; t++)
                    r[t] = _mm256_loadu_ps(qkv_head + (size_t)(j + t) * stride + H + i);
                fc_transpose8(r);
                for (int t = 0; t < 8; t++)
                    _mm256_storeu_ps(keys + (size_t)(i + t) * n_pad + j, r[t]);
            }
    }
    for (; j < n; j++)
        for (int i = 0; i < head_dim; i++)
            keys[(size_t)i * n_pad + j] = qkv_head[(size_t)j * stride + H + i];
    for (int i = 0; i < head_dim; i++) // the padding lanes: finite values, results unused
        for (int p = n; p < n_pad; p++) keys[(size_t)i * n_pad + p] = 0.0f;
    for (int t = 0; t < n; t++)
        memcpy(values + (size_t)t * head_dim, qkv_head + (size_t)t * stride + 2 * H,
               sizeof(float) * head_dim);
}

static void attend_gathered(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                            int head_dim, int window, const float *keys, const float *values,
                            float *scores) {
    int H = num_heads * head_dim, n_pad = fc_attention_padded(n);
    size_t stride = (size_t)3 * H;
    for (int q0 = 0; q0 < n; q0 += FC_QUERY_GROUP) {
        // The group's keys: the union of its queries' windows. A group cut short by the end
        // of the sequence repeats its last query; those rows are scored and dropped.
        const float *query[FC_QUERY_GROUP];
        for (int g = 0; g < FC_QUERY_GROUP; g++) {
            int q = q0 + g < n ? q0 + g : n - 1;
            query[g] = qkv + (size_t)(begin + q) * stride + h * head_dim;
        }
        int q_last = q0 + FC_QUERY_GROUP - 1 < n ? q0 + FC_QUERY_GROUP - 1 : n - 1;
        int first = 0, last = n - 1;
        if (window >= 0) {
            if (q0 - window > first) first = q0 - window;
            if (q_last + window < last) last = q_last + window;
        }
        score_group(scores, query, keys, n_pad, head_dim, first / 8 * 8, last,
                    1.0f / sqrtf((float)head_dim));
        for (int q = q0; q <= q_last; q++) {
            int lo = 0, hi = n - 1;
            if (window >= 0) {
                if (q - window > lo) lo = q - window;
                if (q + window < hi) hi = q + window;
            }
            float *s = scores + (size_t)(q - q0) * n_pad + lo; // s[j − lo]: key j
            float inv = fc_softmax_unnormalized(s, hi - lo + 1);
            float *o = out + (size_t)(begin + q) * H + h * head_dim;
            // The output row stays in registers across the window's values at the head sizes
            // of the target models (32: MiniLM; 64: BERT-base, ModernBERT, DeBERTa).
            if (head_dim == 32) {
                weighted_sum(o, values, s, inv, lo, hi, 4);
                continue;
            }
            if (head_dim == 64) {
                weighted_sum(o, values, s, inv, lo, hi, 8);
                continue;
            }
            memset(o, 0, sizeof(float) * head_dim);
            for (int j = lo; j <= hi; j++) {
                const float *value = values + (size_t)j * head_dim;
                float p = s[j - lo] * inv;
#pragma omp simd
                for (int i = 0; i < head_dim; i++) o[i] += p * value[i];
            }
        }
    }
}

void fc_attention_forward_blocked(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, int window,
                                  int bf16_products, float *scratch, size_t scratch_per_thread) {
    int items = n_seqs * num_heads, H = num_heads * head_dim;
    int avx512 = fc_attention_avx512_usable(head_dim);
    int amx = bf16_products && fc_attention_amx_usable(head_dim);
#pragma omp parallel
    {
        float *keys = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
        if (amx) fc_attention_amx_enter();
#pragma omp for schedule(dynamic, 1) nowait
        for (int item = 0; item < items; item++) {
            int s = item / num_heads, h = item % num_heads;
            int begin = offsets[s], n = offsets[s + 1] - offsets[s];
            if (amx) {
                fc_attend_head_amx(out, qkv, begin, n, h, num_heads, head_dim, window, keys);
                continue;
            }
            float *values = keys + (size_t)fc_attention_padded(n) * head_dim;
            float *scores = values + (size_t)fc_attention_padded(n) * head_dim;
            size_t stride = (size_t)3 * H;
            gather_head(keys, values, qkv + (size_t)begin * stride + h * head_dim, stride, H, n,
                        fc_attention_padded(n), head_dim);
            if (avx512)
                fc_attend_gathered_avx512(out, qkv, begin, n, h, num_heads, head_dim, window,
                                          keys, values, scores);
            else
                attend_gathered(out, qkv, begin, n, h, num_heads, head_dim, window, keys, values,
                                scores);
        }
        if (amx) fc_attention_amx_leave();
    }
}
