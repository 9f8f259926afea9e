// Attention backward on packed sequences. For one query row with probabilities p over its
// visible keys (the forward's window), output o = Σ p_j v_j and dO its gradient:
//   dv_j += p_j dO,   dp_j = dO·v_j,   ds_j = p_j (dp_j − Σ_k p_k dp_k),
//   dq += scale Σ_j ds_j k_j,   dk_j += scale ds_j q.
// The probabilities are recomputed with the forward kernel's arithmetic, so they are the same
// floats the forward used.
#include <math.h>
#include <omp.h>
#include <string.h>

#include "kernels/cpu/backward.h"

// All queries of one (sequence, head): the only writer of that head's dQ, dK, dV rows.
static void sequence_head_backward(float *dqkv, const float *dout, const float *qkv, int begin,
                                   int end, int h, int num_heads, int head_dim, int window,
                                   float *probs, float *dprobs) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    for (int t = begin; t < end; t++) {
        float *row = dqkv + (size_t)t * stride + h * head_dim;
        memset(row, 0, sizeof(float) * head_dim);         // dQ
        memset(row + H, 0, sizeof(float) * head_dim);     // dK
        memset(row + 2 * H, 0, sizeof(float) * head_dim); // dV
    }
    for (int t = begin; t < end; t++) {
        int lo = begin, hi = end - 1;
        if (window >= 0) {
            if (t - window > lo) lo = t - window;
            if (t + window < hi) hi = t + window;
        }
        const float *q = qkv + (size_t)t * stride + h * head_dim;
        const float *dO = dout + (size_t)t * H + h * head_dim;
        // Recompute the softmax as fc_attention_forward does.
        float max = -INFINITY;
        for (int j = lo; j <= hi; j++) {
            const float *k = qkv + (size_t)j * stride + H + h * head_dim;
            float dot = 0.0f;
            for (int i = 0; i < head_dim; i++) dot += q[i] * k[i];
            dot *= scale;
            probs[j - lo] = dot;
            if (dot > max) max = dot;
        }
        float sum = 0.0f;
        for (int j = 0; j <= hi - lo; j++) {
            probs[j] = expf(probs[j] - max);
            sum += probs[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j <= hi - lo; j++) probs[j] *= inv;

        // dV and dP, then the softmax Jacobian.
        double weighted = 0.0;
        for (int j = lo; j <= hi; j++) {
            const float *v = qkv + (size_t)j * stride + 2 * H + h * head_dim;
            float *dv = dqkv + (size_t)j * stride + 2 * H + h * head_dim;
            float p = probs[j - lo], dp = 0.0f;
            for (int i = 0; i < head_dim; i++) {
                dv[i] += p * dO[i];
                dp += dO[i] * v[i];
            }
            dprobs[j - lo] = dp;
            weighted += (double)p * dp;
        }
        float *dq = dqkv + (size_t)t * stride + h * head_dim;
        for (int j = lo; j <= hi; j++) {
            float ds = probs[j - lo] * (dprobs[j - lo] - (float)weighted) * scale;
            const float *k = qkv + (size_t)j * stride + H + h * head_dim;
            float *dk = dqkv + (size_t)j * stride + H + h * head_dim;
            for (int i = 0; i < head_dim; i++) {
                dq[i] += ds * k[i];
                dk[i] += ds * q[i];
            }
        }
    }
}

void fc_attention_backward(float *dqkv, const float *dout, const float *qkv,
                           const int32_t *offsets, int n_seqs, int num_heads, int head_dim,
                           int window, float *scratch, int scratch_per_thread) {
    int tasks = n_seqs * num_heads;
#pragma omp parallel
    {
        float *probs = scratch + (size_t)omp_get_thread_num() * 2 * scratch_per_thread;
        float *dprobs = probs + scratch_per_thread;
#pragma omp for schedule(dynamic, 1)
        for (int task = 0; task < tasks; task++) {
            int s = task / num_heads, h = task % num_heads;
            sequence_head_backward(dqkv, dout, qkv, offsets[s], offsets[s + 1], h, num_heads,
                                   head_dim, window, probs, dprobs);
        }
    }
}
