// Named pointers to every ModernBERT parameter (model-reference.md §3.2), with shapes.
#ifndef FC_MODEL_MODERNBERT_WEIGHTS_H
#define FC_MODEL_MODERNBERT_WEIGHTS_H

#include "io/safetensors.h"
#include "model/modernbert_config.h"

typedef struct fc_modernbert_layer {
    const float *attn_norm_w, *attn_norm_b; // [H]; NULL in layer 0 (identity, P1)
    const float *wqkv, *wqkv_b;             // [3H, H], [3H]: rows Q | K | V
    const float *attn_wo, *attn_wo_b;       // [H, H], [H]
    const float *mlp_norm_w, *mlp_norm_b;   // [H]
    const float *mlp_wi, *mlp_wi_b;         // [2I, H], [2I]: GeGLU input | gate
    const float *mlp_wo, *mlp_wo_b;         // [H, I], [H]
} fc_modernbert_layer;

typedef struct fc_modernbert_weights {
    const float *tok_embeddings;          // [V, H]
    const float *emb_norm_w, *emb_norm_b; // [H]
    fc_modernbert_layer *layers;          // [num_layers]
    const float *final_norm_w, *final_norm_b;
    const float *head_dense_w, *head_dense_b; // [H, H], [H] iff classifier_bias
    const float *head_norm_w, *head_norm_b;   // [H]
    const float *classifier_w, *classifier_b; // [L, H], [L] (always has a bias)
    float **owned;                            // widened copies of F16/BF16 tensors
    int n_owned;
} fc_modernbert_weights;

int fc_modernbert_weights_bind(fc_modernbert_weights *w, const fc_modernbert_config *c,
                               int num_labels, const fc_safetensors *st, const char *weights_name,
                               fc_error *err);
void fc_modernbert_weights_free(fc_modernbert_weights *w);

#endif
