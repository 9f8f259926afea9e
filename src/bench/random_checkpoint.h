// A checkpoint folder with random weights for any ModernBERT, DeBERTa-v2/v3, BERT or RoBERTa
// config, so that real shapes (ModernBERT base and large, DeBERTa-v3-large, BERT-base...) can
// be benchmarked (and parity-checked) without their published weights.
#ifndef FC_BENCH_RANDOM_CHECKPOINT_H
#define FC_BENCH_RANDOM_CHECKPOINT_H

#include <stdint.h>

#include "finecat.h"
#include "io/dtype.h"

// Reads config_path, writes out_dir/{config.json, model.safetensors} with seeded random
// weights stored as dtype (F32, F16 or BF16), and copies the tokenizer files found beside the
// config. A config without id2label gets the three NLI labels. Weights are drawn as
// transformers initializes a fresh model (random_checkpoint.c; BERT and RoBERTa through the
// trainer's init, float32 only).
int fc_write_random_checkpoint(const char *config_path, const char *out_dir, uint64_t seed,
                               fc_dtype dtype, fc_error *err);

#endif
