// Floating-point operation counts of a ModernBERT or BERT-family forward, for "effective GFLOP/s" figures.
// A multiply-add counts as 2 FLOPs, as in perf-notes.md.
#ifndef FC_BENCH_FLOPS_H
#define FC_BENCH_FLOPS_H

#include <stdint.h>

#include "model/bert/bert_config.h"
#include "model/modernbert/modernbert_config.h"

typedef struct fc_flop_count {
    double linear;    // every Linear layer (98-99% of the work at NLI lengths)
    double attention; // Q·Kᵀ and P·V over the keys each query really sees
} fc_flop_count;

// FLOPs of one packed batch (offsets[n_seqs + 1]) with num_labels classifier outputs.
fc_flop_count fc_modernbert_flops(const fc_modernbert_config *c, const int32_t *offsets,
                                  int n_seqs, int num_labels);

// The same for BERT / RoBERTa: query|key|value (H→3H), attention output (H→H), intermediate
// (H→I) and output (I→H) per token and layer, full attention, pooler and classifier.
fc_flop_count fc_bert_flops(const fc_bert_config *c, const int32_t *offsets, int n_seqs,
                            int num_labels);

#endif
