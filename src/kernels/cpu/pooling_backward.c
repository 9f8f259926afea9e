// Pooling backward (model-reference.md §3.3 step 4): the mean spreads its gradient evenly
// over the sequence's tokens; [CLS] pooling sends it all to the first token.
#include "kernels/cpu/backward.h"

void fc_mean_pool_backward(float *dhidden, const float *dpooled, const int32_t *offsets,
                           int n_seqs, int H) {
    for (int s = 0; s < n_seqs; s++) {
        int n = offsets[s + 1] - offsets[s];
        const float *dv = dpooled + (size_t)s * H;
        for (int t = offsets[s]; t < offsets[s + 1]; t++) {
            float *dx = dhidden + (size_t)t * H;
            for (int i = 0; i < H; i++) dx[i] += dv[i] / (float)n;
        }
    }
}

void fc_cls_pool_backward(float *dhidden, const float *dpooled, const int32_t *offsets,
                          int n_seqs, int H) {
    for (int s = 0; s < n_seqs; s++) {
        float *dx = dhidden + (size_t)offsets[s] * H;
        const float *dv = dpooled + (size_t)s * H;
        for (int i = 0; i < H; i++) dx[i] += dv[i];
    }
}
