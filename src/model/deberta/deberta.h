// DebertaV2ForSequenceClassification, the DeBERTa-v3 NLI cross-encoders (model-reference.md §4).
#ifndef FC_MODEL_DEBERTA_H
#define FC_MODEL_DEBERTA_H

#include <cjson/cJSON.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "model/deberta/deberta_config.h"

typedef struct fc_deberta fc_deberta;

// Parses the config (config_path names it in errors) and binds every tensor of §4.2 from st,
// checking shapes (weights_name names the checkpoint in errors). F32 tensors are used straight
// from the mapping, so st must stay open until fc_deberta_free; F16/BF16 ones are widened to
// float32 once, here.
int fc_deberta_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                    const char *weights_name, int num_labels, fc_deberta **out, fc_error *err);
// The same with the six matrices of every layer (query, key, value, attention output,
// intermediate, output) kept in a low-precision storage (bf16, f16, int8: linear_lowp.h);
// embeddings, norms, the relative table, unshared position projections and the head stay fp32.
int fc_deberta_load_stored(const cJSON *config, const char *config_path, const fc_safetensors *st,
                           const char *weights_name, int num_labels, fc_weight_dtype storage,
                           fc_deberta **out, fc_error *err);
void fc_deberta_free(fc_deberta *m);

const fc_deberta_config *fc_deberta_get_config(const fc_deberta *m);

// Packed batch forward: sequence s has tokens ids[offsets[s] .. offsets[s+1]), no padding.
// Writes logits [n_seqs, num_labels] in the checkpoint's label order. When last_hidden is not
// NULL the encoder output [total_tokens, H] is copied there too (parity tests).
int fc_deberta_forward(fc_deberta *m, const int32_t *ids, const int32_t *offsets, int n_seqs,
                       float *logits, float *last_hidden, fc_error *err);

#endif
