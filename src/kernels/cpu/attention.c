// Reference attention over packed sequences: per (sequence, head, query), the scores of the
// visible keys, a softmax in float32, and the weighted sum of values. Keys outside the
// sequence or the window are skipped, which equals HF's additive finfo.min mask exactly
// (their exp underflows to 0, model-reference.md §2).
#include <math.h>
#include <omp.h>

#include "kernels/cpu/kernels.h"

void fc_attention_forward(float *out, const float *qkv, const int32_t *offsets, int n_seqs,
                          int num_heads, int head_dim, int window, float *scratch,
                          int scratch_per_thread) {
    int H = num_heads * head_dim;
    size_t stride = (size_t)3 * H;
    float scale = 1.0f / sqrtf((float)head_dim);
    int T = offsets[n_seqs];
#pragma omp parallel
    {
        float *scores = scratch + (size_t)omp_get_thread_num() * scratch_per_thread;
        int s = 0;
#pragma omp for schedule(dynamic, 8)
        for (int t = 0; t < T; t++) {
            // Sequences are visited in order within a thread's chunk, so advance s forward
            // (or restart when the scheduler handed out an earlier token).
            if (t < offsets[s]) s = 0;
            while (t >= offsets[s + 1]) s++;
            int begin = offsets[s], end = offsets[s + 1];
            int lo = begin, hi = end - 1;
            if (window >= 0) {
                if (t - window > lo) lo = t - window;
                if (t + window < hi) hi = t + window;
            }
            for (int h = 0; h < num_heads; h++) {
                const float *q = qkv + (size_t)t * stride + h * head_dim;
                float max = -INFINITY;
                for (int j = lo; j <= hi; j++) {
                    const float *k = qkv + (size_t)j * stride + H + h * head_dim;
                    float dot = 0.0f;
                    for (int i = 0; i < head_dim; i++) dot += q[i] * k[i];
                    dot *= scale;
                    scores[j - lo] = dot;
                    if (dot > max) max = dot;
                }
                float sum = 0.0f;
                for (int j = 0; j <= hi - lo; j++) {
                    scores[j] = expf(scores[j] - max);
                    sum += scores[j];
                }
                float inv = 1.0f / sum;
                float *o = out + (size_t)t * H + h * head_dim;
                for (int i = 0; i < head_dim; i++) o[i] = 0.0f;
                for (int j = lo; j <= hi; j++) {
                    const float *v = qkv + (size_t)j * stride + 2 * H + h * head_dim;
                    float p = scores[j - lo] * inv;
                    for (int i = 0; i < head_dim; i++) o[i] += p * v[i];
                }
            }
        }
    }
}
