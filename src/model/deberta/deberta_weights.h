// Named pointers to every DebertaV2ForSequenceClassification parameter (model-reference.md
// §4.2), with shapes. Optional tensors are NULL when the config says they do not exist.
#ifndef FC_MODEL_DEBERTA_WEIGHTS_H
#define FC_MODEL_DEBERTA_WEIGHTS_H

#include "finecat.h"
#include "io/safetensors.h"
#include "model/deberta/deberta_config.h"
#include "model/lowp_table.h"

typedef struct fc_deberta_layer {
    const float *query_w, *query_b; // [H, H], [H] attention.self.query_proj
    const float *key_w, *key_b;     // [H, H], [H] attention.self.key_proj
    const float *value_w, *value_b; // [H, H], [H] attention.self.value_proj
    // attention.self.pos_key_proj (c2p) / pos_query_proj (p2c), [H, H], [H]: only when
    // relative_attention and not share_att_key; with share_att_key the position projections
    // are query_proj / key_proj themselves (§4.5 step 2).
    const float *pos_key_w, *pos_key_b;
    const float *pos_query_w, *pos_query_b;
    const float *attn_out_w, *attn_out_b;   // [H, H], [H] attention.output.dense
    const float *attn_norm_w, *attn_norm_b; // [H] attention.output.LayerNorm
    const float *inter_w, *inter_b;         // [I, H], [I] intermediate.dense
    const float *out_w, *out_b;             // [H, I], [H] output.dense
    const float *out_norm_w, *out_norm_b;   // [H] output.LayerNorm
} fc_deberta_layer;

typedef struct fc_deberta_weights {
    const float *word_embeddings;          // [V, E]; NULL with low-precision storage:
    fc_lowp_table word_table;              // then the rows come from here (lowp_table.h)
    const float *position_embeddings;      // [max_position_embeddings, E] iff position_biased_input
    const float *embed_proj;               // [H, E] iff E != H (no bias)
    const float *emb_norm_w, *emb_norm_b;  // [H] embeddings.LayerNorm
    fc_deberta_layer *layers;              // [num_layers]
    const float *rel_embeddings;           // [2·att_span, H] iff relative_attention
    const float *rel_norm_w, *rel_norm_b;  // [H] encoder.LayerNorm iff norm_rel_ebd
    const float *pooler_w, *pooler_b;      // [H, H], [H] pooler.dense
    const float *classifier_w, *classifier_b; // [L, H], [L]
    float **owned;                         // widened copies of F16/BF16 tensors
    int n_owned;
} fc_deberta_weights;

// Binds every tensor the config implies, checking shapes; F32 tensors are used in place, F16
// and BF16 ones are widened to float32 once. A missing or misshapen tensor is an error naming
// weights_name (the checkpoint) and the tensor. Legacy LayerNorm.gamma / .beta names are
// accepted (fc_safetensors_find maps them). With a low-precision storage the word embeddings
// stay in the file in 16 bits (word_table) and the six matrices of every layer that run in
// low precision are left unbound (NULL) for fc_deberta_layer_matrix, which the model reads
// one at a time, so that the fp32 copy of the whole model is never resident.
int fc_deberta_weights_bind(fc_deberta_weights *w, const fc_deberta_config *c, int num_labels,
                            const fc_safetensors *st, const char *weights_name,
                            fc_weight_dtype storage, fc_error *err);

// The six matrices of a layer that low-precision storage keeps: query, key, value, attention
// output, intermediate, output.
enum { FC_DEBERTA_QUERY, FC_DEBERTA_KEY, FC_DEBERTA_VALUE, FC_DEBERTA_ATTN_OUT,
       FC_DEBERTA_INTER, FC_DEBERTA_OUT, FC_DEBERTA_LOWP_PER_LAYER };

// Matrix `which` of layer `layer` as fp32 [out_dim, in_dim]: in place in the mapping (*copy
// NULL) or widened into *copy (the caller frees it). NULL with err set (missing, misshapen).
const float *fc_deberta_layer_matrix(const fc_safetensors *st, int layer, int which,
                                     int out_dim, int in_dim, float **copy, fc_error *err);
void fc_deberta_weights_free(fc_deberta_weights *w);

#endif
