// Full bidirectional attention with dropout on the probabilities, for training BERT-family
// models (attention_probs_dropout_prob): out_t = Σ_j p_tj · m_tj / (1 − p_drop) · v_j, with the
// mask m of fc_dropout_keep at index (query token, head, key offset). The backward regenerates
// the mask and recomputes the probabilities with the forward's arithmetic. With p_drop = 0 both
// are the reference attention (attention.c, attention_backward.c) without a window.
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/dropout.h"

// Mask index of (query t, head h, key j of the sequence starting at begin).
static uint64_t mask_index(int t, int h, int num_heads, int j, int begin) {
    return (((uint64_t)t * (uint64_t)num_heads + (uint64_t)h) << 20) + (uint64_t)(j - begin);
}

// Softmax of one query's scores against its sequence's keys into probs[0 .. end-begin).
static void query_probs(float *probs, const float *qkv, int t, int begin, int end, int h,
                        int num_heads, int head_dim) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    const float *q = qkv + (size_t)t * stride + h * head_dim;
    float max = -INFINITY;
    for (int j = begin; j < end; j++) {
        const float *k = qkv + (size_t)j * stride + H + h * head_dim;
        float dot = 0.0f;
        for (int i = 0; i < head_dim; i++) dot += q[i] * k[i];
        dot *= scale;
        probs[j - begin] = dot;
        if (dot > max) max = dot;
    }
    float sum = 0.0f;
    for (int j = 0; j < end - begin; j++) {
        probs[j] = expf(probs[j] - max);
        sum += probs[j];
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < end - begin; j++) probs[j] *= inv;
}

// probs[j] *= m_j / (1 − p) for one query's row.
static void drop_probs(float *probs, int t, int begin, int end, int h, int num_heads, float p,
                       uint64_t seed) {
    if (p <= 0.0f) return;
    float scale = 1.0f / (1.0f - p);
    for (int j = begin; j < end; j++)
        probs[j - begin] = fc_dropout_keep(seed, mask_index(t, h, num_heads, j, begin), p)
                               ? probs[j - begin] * scale
                               : 0.0f;
}

void fc_attention_dropout_forward(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, float p, uint64_t seed,
                                  float *scratch, int scratch_per_thread) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    int tasks = n_seqs * num_heads;
#pragma omp parallel
    {
        float *probs = scratch + (size_t)omp_get_thread_num() * 2 * scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            int begin = offsets[s], end = offsets[s + 1];
            for (int t = begin; t < end; t++) {
                query_probs(probs, qkv, t, begin, end, h, num_heads, head_dim);
                drop_probs(probs, t, begin, end, h, num_heads, p, seed);
                float *o = out + (size_t)t * H + h * head_dim;
                memset(o, 0, sizeof(float) * head_dim);
                for (int j = begin; j < end; j++) {
                    const float *v = qkv + (size_t)j * stride + 2 * H + h * head_dim;
                    float pj = probs[j - begin];
                    for (int i = 0; i < head_dim; i++) o[i] += pj * v[i];
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
                                   int scratch_per_thread) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    float keep_scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    int tasks = n_seqs * num_heads;
#pragma omp parallel
    {
        float *probs = scratch + (size_t)omp_get_thread_num() * 2 * scratch_per_thread;
        float *dprobs = probs + scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            int begin = offsets[s], end = offsets[s + 1];
            for (int t = begin; t < end; t++) {
                float *row = dqkv + (size_t)t * stride + h * head_dim;
                memset(row, 0, sizeof(float) * head_dim);
                memset(row + H, 0, sizeof(float) * head_dim);
                memset(row + 2 * H, 0, sizeof(float) * head_dim);
            }
            for (int t = begin; t < end; t++) {
                query_probs(probs, qkv, t, begin, end, h, num_heads, head_dim);
                const float *q = qkv + (size_t)t * stride + h * head_dim;
                const float *dO = dout + (size_t)t * H + h * head_dim;
                double weighted = 0.0;
                for (int j = begin; j < end; j++) {
                    float d = p > 0.0f && !fc_dropout_keep(
                                                  seed, mask_index(t, h, num_heads, j, begin), p)
                                  ? 0.0f
                                  : keep_scale;
                    const float *v = qkv + (size_t)j * stride + 2 * H + h * head_dim;
                    float *dv = dqkv + (size_t)j * stride + 2 * H + h * head_dim;
                    float kept = probs[j - begin] * d, dp = 0.0f;
                    for (int i = 0; i < head_dim; i++) {
                        dv[i] += kept * dO[i];
                        dp += dO[i] * v[i];
                    }
                    dp *= d;
                    dprobs[j - begin] = dp;
                    weighted += (double)probs[j - begin] * dp;
                }
                float *dq = dqkv + (size_t)t * stride + h * head_dim;
                for (int j = begin; j < end; j++) {
                    float ds = probs[j - begin] * (dprobs[j - begin] - (float)weighted) * scale;
                    const float *k = qkv + (size_t)j * stride + H + h * head_dim;
                    float *dk = dqkv + (size_t)j * stride + H + h * head_dim;
                    for (int i = 0; i < head_dim; i++) {
                        dq[i] += ds * k[i];
                        dk[i] += ds * q[i];
                    }
                }
            }
        }
    }
}
