// Named pointers to every ModernBERT parameter (model-reference.md §3.2), with shapes; their
// gradients in a struct of the same layout; and the trainable buffer that holds them all. The
// tensors are walked in the order of the one list in modernbert_tensors.h.
#ifndef FC_MODEL_MODERNBERT_WEIGHTS_H
#define FC_MODEL_MODERNBERT_WEIGHTS_H

#include <stddef.h>

#include "io/safetensors.h"
#include "kernels/cpu/linear_lowp.h"
#include "model/lowp_table.h"
#include "model/modernbert/modernbert_config.h"
#include "model/modernbert/modernbert_tensors.h"

typedef struct fc_modernbert_layer {
    const float *attn_norm_w, *attn_norm_b; // [H]; NULL in layer 0 (identity, P1)
    const float *wqkv, *wqkv_b;             // [3H, H], [3H]: rows Q | K | V
    const float *attn_wo, *attn_wo_b;       // [H, H], [H]
    const float *mlp_norm_w, *mlp_norm_b;   // [H]
    const float *mlp_wi, *mlp_wi_b;         // [2I, H], [2I]: GeGLU input | gate
    const float *mlp_wo, *mlp_wo_b;         // [H, I], [H]
    // With low-precision storage the four matrices live here instead (their fp32 pointers
    // above are then NULL); biases and norms stay fp32.
    const fc_lowp_linear *wqkv_lowp, *attn_wo_lowp, *mlp_wi_lowp, *mlp_wo_lowp;
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
    // Low-precision storage (fc_weight_dtype other than F32): the embedding table in 16 bits
    // (lowp_table.h; tok_embeddings is then NULL), and the layers' matrices.
    fc_lowp_table tok_embeddings_lowp;
    fc_lowp_linear *lowp; // [4 · num_layers]
    int n_lowp;
} fc_modernbert_weights;

// The gradients: the same names and shapes, writable (llm.c keeps parameters and their
// gradients as two structs of one layout). A NULL pointer is a tensor the config lacks.
typedef struct fc_modernbert_layer_grads {
    float *attn_norm_w, *attn_norm_b;
    float *wqkv, *wqkv_b;
    float *attn_wo, *attn_wo_b;
    float *mlp_norm_w, *mlp_norm_b;
    float *mlp_wi, *mlp_wi_b;
    float *mlp_wo, *mlp_wo_b;
} fc_modernbert_layer_grads;

typedef struct fc_modernbert_grads {
    float *tok_embeddings;
    float *emb_norm_w, *emb_norm_b;
    fc_modernbert_layer_grads *layers; // [num_layers]
    float *final_norm_w, *final_norm_b;
    float *head_dense_w, *head_dense_b;
    float *head_norm_w, *head_norm_b;
    float *classifier_w, *classifier_b;
} fc_modernbert_grads;

// The tensors that config c has (fc_modernbert_tensor_specs), with offsets that pack them end
// to end and their slots in w and g. Allocates w->layers and g->layers (both structs must be
// zeroed). *total gets the number of floats of a packed buffer. Free the list with free().
fc_param_tensor *fc_modernbert_tensor_list(const fc_modernbert_config *c, int num_labels,
                                                fc_modernbert_weights *w, fc_modernbert_grads *g,
                                                size_t *n_tensors, size_t *total);

// Binds every tensor of §3.2 from a checkpoint, checking its shape. F32 tensors are used
// straight from the mapping; F16/BF16 ones are widened to float32 once, here.
int fc_modernbert_weights_bind(fc_modernbert_weights *w, const fc_modernbert_config *c,
                               int num_labels, const fc_safetensors *st, const char *weights_name,
                               fc_error *err);

// The same, storing the embedding table and the layers' four matrices as `storage` asks:
// BF16/F16 (used in place when the checkpoint already holds that dtype, else converted once)
// or INT8 (per-channel quantized; the embedding table then in BF16). FC_WEIGHTS_F32 is
// fc_modernbert_weights_bind.
int fc_modernbert_weights_bind_stored(fc_modernbert_weights *w, const fc_modernbert_config *c,
                                      int num_labels, const fc_safetensors *st,
                                      const char *weights_name, fc_weight_dtype storage,
                                      fc_error *err);
void fc_modernbert_weights_free(fc_modernbert_weights *w);
void fc_modernbert_grads_free(fc_modernbert_grads *g);

// Trainable parameters: every tensor in one contiguous fp32 buffer (the master weights), the
// gradients in a second buffer of the same layout, and named views of both. The tensor list
// points at fields of this struct: keep it where fc_modernbert_params_init put it (no copies).
typedef struct fc_modernbert_params {
    fc_modernbert_config config;
    int num_labels;
    fc_param_tensor *tensors;
    size_t n_tensors;
    size_t count;                  // floats in values and in grads
    float *values;                 // fp32 master weights
    float *grads;                  // accumulated gradients
    fc_modernbert_weights weights; // named read-only views into values, for the forward
    fc_modernbert_grads named_grads; // named views into grads, for the backward
} fc_modernbert_params;

// Allocates both buffers, zeroed, and points the named views into them.
void fc_modernbert_params_init(fc_modernbert_params *p, const fc_modernbert_config *c,
                               int num_labels);
void fc_modernbert_params_free(fc_modernbert_params *p);
// The tensor called name, or NULL.
const fc_param_tensor *fc_modernbert_params_find(const fc_modernbert_params *p,
                                                      const char *name);

#endif
