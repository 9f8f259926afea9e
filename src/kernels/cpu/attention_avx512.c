// The blocked attention's per-head work (attention_blocked.c) on AVX-512: sixteen keys per
// vector for the scores, sixteen lanes of exp for the softmax, and the four queries of a group
// summed over the values together, so that each value vector loaded serves four accumulators.
// Called only where the CPU has AVX-512 (fc_attention_avx512_usable); the rest of the program is
// built for x86-64-v3, so every function here carries the target itself. The loops over the
// group's queries and a head's vectors are unrolled by pragma: GCC -O2 otherwise keeps the
// accumulators in memory, and the kernel ran no faster than the AVX2 one.
//
// Why: after the dense layers moved to the matrix engines, attention was the largest part of
// the rest (ModernBERT-large on real pairs: 16% of a bf16 forward, 23% of an int8 one), and its
// AVX2 loops were bound by loads (one broadcast or value load per multiply-add).
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/cpu/attention_gathered.h"
#include "kernels/cpu/exp16.h"
#include "kernels/cpu/lanes16.h"

// scores[g · n_pad + j] = scale · (query[g] · key j) for the group's queries and the keys of
// the blocks of 16 from `first` (a multiple of 16) through the one holding `last`: 32 keys at a
// time where the padded rows have them (2 key vectors × 4 queries = 8 accumulators).
__attribute__((target("avx512f"))) static void score_group(float *scores,
                                                           const float *const query[FC_QUERY_GROUP],
                                                           const float *keys, int n_pad,
                                                           int head_dim, int first, int last,
                                                           float scale) {
    __m512 scale16 = _mm512_set1_ps(scale);
    int b = first;
    for (; b + 16 <= last && b + 32 <= n_pad; b += 32) {
        __m512 acc[FC_QUERY_GROUP][2];
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) acc[g][0] = acc[g][1] = _mm512_setzero_ps();
        for (int i = 0; i < head_dim; i++) {
            const float *k = keys + (size_t)i * n_pad + b;
            __m512 k0 = _mm512_loadu_ps(k), k1 = _mm512_loadu_ps(k + 16);
            #pragma GCC unroll 4
            for (int g = 0; g < FC_QUERY_GROUP; g++) {
                __m512 q = _mm512_set1_ps(query[g][i]);
                acc[g][0] = _mm512_fmadd_ps(q, k0, acc[g][0]);
                acc[g][1] = _mm512_fmadd_ps(q, k1, acc[g][1]);
            }
        }
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) {
            _mm512_storeu_ps(scores + (size_t)g * n_pad + b, _mm512_mul_ps(acc[g][0], scale16));
            _mm512_storeu_ps(scores + (size_t)g * n_pad + b + 16,
                             _mm512_mul_ps(acc[g][1], scale16));
        }
    }
    for (; b <= last; b += 16) {
        __m512 acc[FC_QUERY_GROUP];
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) acc[g] = _mm512_setzero_ps();
        for (int i = 0; i < head_dim; i++) {
            __m512 k = _mm512_loadu_ps(keys + (size_t)i * n_pad + b);
            #pragma GCC unroll 4
            for (int g = 0; g < FC_QUERY_GROUP; g++)
                acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(query[g][i]), k, acc[g]);
        }
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++)
            _mm512_storeu_ps(scores + (size_t)g * n_pad + b, _mm512_mul_ps(acc[g], scale16));
    }
}

// In place: s[j] = exp(s[j] − max) / Σ for j < width (the tail through masks, no scalar exp).
__attribute__((target("avx512f"))) static void softmax(float *s, int width) {
    __m512 max16 = _mm512_set1_ps(-INFINITY);
    for (int j = 0; j < width; j += 16)
        max16 = _mm512_max_ps(max16, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY),
                                                          fc_lanes_below(j, width), s + j));
    __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(max16));
    __m512 sum16 = _mm512_setzero_ps();
    for (int j = 0; j < width; j += 16) {
        __mmask16 m = fc_lanes_below(j, width);
        __m512 e = fc_exp16_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), max));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(s + j, m, e);
        sum16 = _mm512_add_ps(sum16, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum16));
    for (int j = 0; j < width; j += 16) {
        __mmask16 m = fc_lanes_below(j, width);
        _mm512_mask_storeu_ps(s + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + j), inv));
    }
}

// o[g] = Σ_j p[g][j − lo] · values[j] over j in [lo, hi] for the group's four queries at once,
// a head of 16 · vectors floats. Always inlined with a constant vector count, so that the
// accumulators (4 × vectors) live in registers.
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void
weighted_sum_group(float *const o[FC_QUERY_GROUP], const float *values,
                   const float *const p[FC_QUERY_GROUP], int lo, int hi, const int vectors) {
    __m512 acc[FC_QUERY_GROUP][4];
    #pragma GCC unroll 4
    for (int g = 0; g < FC_QUERY_GROUP; g++)
        #pragma GCC unroll 4
        for (int v = 0; v < vectors; v++) acc[g][v] = _mm512_setzero_ps();
    for (int j = lo; j <= hi; j++) {
        const float *value = values + (size_t)j * 16 * vectors;
        __m512 row[4];
        #pragma GCC unroll 4
        for (int v = 0; v < vectors; v++) row[v] = _mm512_loadu_ps(value + 16 * v);
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) {
            __m512 weight = _mm512_set1_ps(p[g][j - lo]);
            #pragma GCC unroll 4
            for (int v = 0; v < vectors; v++)
                acc[g][v] = _mm512_fmadd_ps(weight, row[v], acc[g][v]);
        }
    }
    #pragma GCC unroll 4
    for (int g = 0; g < FC_QUERY_GROUP; g++)
        #pragma GCC unroll 4
        for (int v = 0; v < vectors; v++) _mm512_storeu_ps(o[g] + 16 * v, acc[g][v]);
}

__attribute__((target("avx512f"))) void
fc_attend_gathered_avx512(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                          int head_dim, int window, const float *keys, const float *values,
                          float *scores) {
    int H = num_heads * head_dim, n_pad = fc_attention_padded(n);
    size_t stride = (size_t)3 * H;
    float *unused_rows = scores + (size_t)FC_QUERY_GROUP * n_pad; // outputs of repeated queries
    for (int q0 = 0; q0 < n; q0 += FC_QUERY_GROUP) {
        // The group's keys: the union [lo, hi] of its queries' windows. A group cut short by the
        // end of the sequence repeats its last query, into a row that is dropped.
        const float *query[FC_QUERY_GROUP];
        float *o[FC_QUERY_GROUP];
        const float *p[FC_QUERY_GROUP];
        int q_last = q0 + FC_QUERY_GROUP - 1 < n ? q0 + FC_QUERY_GROUP - 1 : n - 1;
        int lo = 0, hi = n - 1;
        if (window >= 0) {
            if (q0 - window > lo) lo = q0 - window;
            if (q_last + window < hi) hi = q_last + window;
        }
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) {
            int q = q0 + g <= q_last ? q0 + g : q_last;
            query[g] = qkv + (size_t)(begin + q) * stride + h * head_dim;
        }
        score_group(scores, query, keys, n_pad, head_dim, lo / 16 * 16, hi,
                    1.0f / sqrtf((float)head_dim));
        #pragma GCC unroll 4
        for (int g = 0; g < FC_QUERY_GROUP; g++) {
            int q = q0 + g <= q_last ? q0 + g : q_last;
            // The query's own window inside the union: its softmax, zero weight elsewhere.
            int q_lo = 0, q_hi = n - 1;
            if (window >= 0) {
                if (q - window > q_lo) q_lo = q - window;
                if (q + window < q_hi) q_hi = q + window;
            }
            float *s = scores + (size_t)g * n_pad;
            softmax(s + q_lo, q_hi - q_lo + 1);
            for (int j = lo; j < q_lo; j++) s[j] = 0.0f;
            for (int j = q_hi + 1; j <= hi; j++) s[j] = 0.0f;
            p[g] = s + lo;
            o[g] = q0 + g <= q_last ? out + (size_t)(begin + q) * H + h * head_dim
                                    : unused_rows + (size_t)g * head_dim;
        }
        if (head_dim == 64)
            weighted_sum_group(o, values, p, lo, hi, 4);
        else
            weighted_sum_group(o, values, p, lo, hi, 2); // head_dim 32 (fc_attention_avx512_fits)
    }
}
