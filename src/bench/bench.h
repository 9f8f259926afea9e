// `finecat bench`: throughput of a model on real pairs, with the yardsticks that make the
// figure comparable across machines (FLOP rate as a fraction of this machine's GEMM rate).
#ifndef FC_BENCH_BENCH_H
#define FC_BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "finecat.h"

typedef struct fc_bench_options {
    int batch_size;  // pairs per forward (FineCat table: 32)
    int max_length;  // <= 0: the model's
    int repeats;     // timed passes over all pairs; the best is reported
    int gemm_tokens; // rows of the GEMM-rate probe (0: skip the probe)
    FILE *progress;  // progress of the passes and the probe (NULL: none)
} fc_bench_options;

typedef struct fc_bench_result {
    size_t pairs;
    size_t tokens;        // real tokens, special tokens included
    size_t padded_tokens; // tokens if each batch of batch_size pairs, in data order, were padded
                          // to its longest pair, as transformers runs them
    double tokenize_seconds, forward_seconds, total_seconds; // best pass
    double samples_per_second, tokens_per_second;
    double flops;        // of one pass (0 when the architecture has no FLOP model)
    double gflops;       // flops / forward seconds
    double gemm_gflops;  // measured here through the same linear kernel (0 when skipped)
    uint64_t peak_rss_bytes;
    int threads;
} fc_bench_result;

fc_bench_options fc_bench_default_options(void);

// Runs the benchmark on n pairs. model_dir is read again for the FLOP model (config.json).
// When logits is not NULL it receives the last pass's logits [n, num_labels].
int fc_bench_run(fc_model *model, const char *model_dir, const fc_pair *pairs, size_t n,
                 const fc_bench_options *options, fc_bench_result *result, float *logits,
                 fc_error *err);

// Agreement of low-precision logits with fp32 ones over n rows of num_labels.
typedef struct fc_logit_agreement {
    double max_abs_diff;
    double argmax_agreement; // fraction of rows with the same predicted label
} fc_logit_agreement;

fc_logit_agreement fc_compare_logits(const float *reference, const float *other, size_t n,
                                     int num_labels);

#endif
