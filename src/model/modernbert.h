// ModernBertForSequenceClassification (model-reference.md §3).
#ifndef FC_MODEL_MODERNBERT_H
#define FC_MODEL_MODERNBERT_H

#include <cjson/cJSON.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "model/modernbert_config.h"

typedef struct fc_modernbert fc_modernbert;

// Parses the config and binds every tensor of §3.2 (checking its shape). F32 tensors are used
// straight from the mapping; F16/BF16 ones are widened to float32 once, here.
int fc_modernbert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                       const char *weights_name, int num_labels, fc_modernbert **out,
                       fc_error *err);
void fc_modernbert_free(fc_modernbert *m);

const fc_modernbert_config *fc_modernbert_get_config(const fc_modernbert *m);

// Packed batch forward: logits [n_seqs, num_labels]. When final_hidden is not NULL the
// final_norm output [total_tokens, H] is copied there too (for layer-by-layer parity tests).
int fc_modernbert_forward(fc_modernbert *m, const int32_t *ids, const int32_t *offsets,
                          int n_seqs, float *logits, float *final_hidden, fc_error *err);

#endif
