#include "bench/flops.h"

// Keys seen by all queries of one n-token sequence through a ±window (window < 0: all).
static double visible_keys(int64_t n, int window) {
    if (window < 0 || window >= n - 1) return (double)n * (double)n;
    double total = 0.0;
    for (int64_t q = 0; q < n; q++) {
        int64_t lo = q - window < 0 ? 0 : q - window;
        int64_t hi = q + window > n - 1 ? n - 1 : q + window;
        total += (double)(hi - lo + 1);
    }
    return total;
}

fc_flop_count fc_modernbert_flops(const fc_modernbert_config *c, const int32_t *offsets,
                                  int n_seqs, int num_labels) {
    double H = c->hidden_size, I = c->intermediate_size;
    double tokens = offsets[n_seqs] - offsets[0];
    fc_flop_count f = {0.0, 0.0};
    // Per token and layer: Wqkv (H→3H), Wo (H→H), Wi (H→2I), mlp Wo (I→H).
    f.linear = 2.0 * tokens * c->num_layers * (3 * H * H + H * H + 2 * I * H + I * H);
    // Per sequence: head dense (H→H) and classifier (H→L).
    f.linear += 2.0 * n_seqs * (H * H + H * num_labels);
    for (int layer = 0; layer < c->num_layers; layer++) {
        int window = c->is_global[layer] ? -1 : c->local_window;
        for (int s = 0; s < n_seqs; s++) {
            // Q·Kᵀ and P·V: 2 FLOPs × H per visible (query, key) pair, each.
            f.attention += 4.0 * H * visible_keys(offsets[s + 1] - offsets[s], window);
        }
    }
    return f;
}

fc_flop_count fc_bert_flops(const fc_bert_config *c, const int32_t *offsets, int n_seqs,
                            int num_labels) {
    double H = c->hidden_size, I = c->intermediate_size;
    double tokens = offsets[n_seqs] - offsets[0];
    fc_flop_count f = {0.0, 0.0};
    f.linear = 2.0 * tokens * c->num_layers * (3 * H * H + H * H + 2 * I * H);
    f.linear += 2.0 * n_seqs * (H * H + H * num_labels);
    for (int s = 0; s < n_seqs; s++)
        f.attention += 4.0 * H * c->num_layers * visible_keys(offsets[s + 1] - offsets[s], -1);
    return f;
}
