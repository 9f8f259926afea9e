// Embedding backward: a scatter-add in token order (a token repeated in the batch adds up in
// the same order on every run).
#include "kernels/cpu/backward.h"

void fc_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int T, int H,
                           int padding_idx) {
    for (int t = 0; t < T; t++) {
        if (ids[t] == padding_idx) continue; // nn.Embedding(padding_idx): no gradient (P23)
        float *row = dtable + (size_t)ids[t] * H;
        const float *d = dout + (size_t)t * H;
        for (int i = 0; i < H; i++) row[i] += d[i];
    }
}
