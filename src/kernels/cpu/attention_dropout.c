// Full bidirectional attention with dropout on the probabilities, for training BERT-family
// models (attention_probs_dropout_prob): out_t = Σ_j p_tj · m_tj / (1 − p_drop) · v_j, with the
// mask m of fc_dropout_keep at index (query token, head, key offset). The backward regenerates
// the mask and recomputes the probabilities with the forward's arithmetic. With p_drop = 0 both
// are the reference attention (attention.c, attention_backward.c) without a window.
//
// Each (sequence, head) is one task: its Q, K and V columns are gathered from the [T, 3H] rows
// into contiguous [n, d] blocks first, so that every inner loop runs over contiguous floats
// (the strided reference spends most of its time on cache misses at BERT's head_dim 32).
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/kernels.h"

size_t fc_attention_dropout_scratch_floats(int longest, int head_dim) {
    return 6 * (size_t)longest * (size_t)head_dim + 2 * (size_t)longest;
}

// Mask index of (query t, head h, key j of the sequence starting at begin).
static uint64_t mask_index(int t, int h, int num_heads, int j, int begin) {
    return (((uint64_t)t * (uint64_t)num_heads + (uint64_t)h) << 20) + (uint64_t)(j - begin);
}

// Copies one head's Q, K, V of rows [begin, begin + n) into contiguous [n, d] blocks.
static void gather(float *q, float *k, float *v, const float *qkv, int begin, int n, int h,
                   int H, int d) {
    size_t stride = (size_t)3 * H;
    for (int i = 0; i < n; i++) {
        const float *row = qkv + (size_t)(begin + i) * stride + (size_t)h * d;
        memcpy(q + (size_t)i * d, row, sizeof(float) * d);
        memcpy(k + (size_t)i * d, row + H, sizeof(float) * d);
        memcpy(v + (size_t)i * d, row + 2 * H, sizeof(float) * d);
    }
}

// Softmax of query i's scores against the n keys into probs[0 .. n).
static void query_probs(float *probs, const float *q, const float *k, int n, int d, float scale) {
    float max = -INFINITY;
    for (int j = 0; j < n; j++) {
        const float *kj = k + (size_t)j * d;
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int c = 0; c < d; c++) dot += q[c] * kj[c];
        dot *= scale;
        probs[j] = dot;
        if (dot > max) max = dot;
    }
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        probs[j] = expf(probs[j] - max);
        sum += probs[j];
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n; j++) probs[j] *= inv;
}

// The dropout factor of each key for query t: 0 or 1 / (1 − p).
static void mask_row(float *factor, int t, int begin, int n, int h, int num_heads, float p,
                     uint64_t seed) {
    float keep = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    for (int j = 0; j < n; j++)
        factor[j] = p > 0.0f && !fc_dropout_keep(seed, mask_index(t, h, num_heads, begin + j, begin), p)
                        ? 0.0f
                        : keep;
}

void fc_attention_dropout_forward(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, float p, uint64_t seed,
                                  float *scratch, size_t scratch_per_thread) {
    int H = num_heads * head_dim, d = head_dim;
    float scale = 1.0f / sqrtf((float)head_dim);
    int tasks = n_seqs * num_heads;
#pragma omp parallel
    {
        float *base = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            int begin = offsets[s], n = offsets[s + 1] - offsets[s];
            float *q = base, *k = q + (size_t)n * d, *v = k + (size_t)n * d;
            float *probs = v + (size_t)n * d, *factor = probs + n;
            gather(q, k, v, qkv, begin, n, h, H, d);
            for (int i = 0; i < n; i++) {
                query_probs(probs, q + (size_t)i * d, k, n, d, scale);
                mask_row(factor, begin + i, begin, n, h, num_heads, p, seed);
                float *o = out + (size_t)(begin + i) * H + (size_t)h * d;
                memset(o, 0, sizeof(float) * d);
                for (int j = 0; j < n; j++) {
                    float pj = probs[j] * factor[j];
                    const float *vj = v + (size_t)j * d;
#pragma omp simd
                    for (int c = 0; c < d; c++) o[c] += pj * vj[c];
                }
            }
        }
    }
}

// With d_j = m_j / (1 − p) and the kept probabilities p̃_j = p_j d_j:
//   dv_j += p̃_j dO,  dp_j = d_j (dO · v_j),  ds_j = p_j (dp_j − Σ_k p_k dp_k),
//   dq += scale Σ_j ds_j k_j,  dk_j += scale ds_j q.
void fc_attention_dropout_backward(float *dqkv, const float *dout, const float *qkv,
                                   const int32_t *offsets, int n_seqs, int num_heads,
                                   int head_dim, float p, uint64_t seed, float *scratch,
                                   size_t scratch_per_thread) {
    int H = num_heads * head_dim, d = head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    int tasks = n_seqs * num_heads;
#pragma omp parallel
    {
        float *base = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            int begin = offsets[s], n = offsets[s + 1] - offsets[s];
            size_t block = (size_t)n * d;
            float *q = base, *k = q + block, *v = k + block;
            float *dk = v + block, *dv = dk + block, *dq = dv + block;
            float *probs = dq + (size_t)d, *dprobs = probs + n;
            gather(q, k, v, qkv, begin, n, h, H, d);
            memset(dk, 0, 2 * block * sizeof(float));
            for (int i = 0; i < n; i++) {
                const float *qi = q + (size_t)i * d;
                const float *dO = dout + (size_t)(begin + i) * H + (size_t)h * d;
                query_probs(probs, qi, k, n, d, scale);
                mask_row(dprobs, begin + i, begin, n, h, num_heads, p, seed); // factors for now
                double weighted = 0.0;
                for (int j = 0; j < n; j++) {
                    const float *vj = v + (size_t)j * d;
                    float *dvj = dv + (size_t)j * d;
                    float factor = dprobs[j], kept = probs[j] * factor, dp = 0.0f;
#pragma omp simd reduction(+ : dp)
                    for (int c = 0; c < d; c++) {
                        dvj[c] += kept * dO[c];
                        dp += dO[c] * vj[c];
                    }
                    dp *= factor;
                    dprobs[j] = dp;
                    weighted += (double)probs[j] * dp;
                }
                memset(dq, 0, sizeof(float) * d);
                for (int j = 0; j < n; j++) {
                    float ds = probs[j] * (dprobs[j] - (float)weighted) * scale;
                    const float *kj = k + (size_t)j * d;
                    float *dkj = dk + (size_t)j * d;
#pragma omp simd
                    for (int c = 0; c < d; c++) {
                        dq[c] += ds * kj[c];
                        dkj[c] += ds * qi[c];
                    }
                }
                memcpy(dqkv + (size_t)(begin + i) * stride + (size_t)h * d, dq, sizeof(float) * d);
            }
            for (int j = 0; j < n; j++) {
                float *row = dqkv + (size_t)(begin + j) * stride + (size_t)h * d;
                memcpy(row + H, dk + (size_t)j * d, sizeof(float) * d);
                memcpy(row + 2 * H, dv + (size_t)j * d, sizeof(float) * d);
            }
        }
    }
}
