// ModernBertForSequenceClassification (model-reference.md §3).
#ifndef FC_MODEL_MODERNBERT_H
#define FC_MODEL_MODERNBERT_H

#include <cjson/cJSON.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "model/modernbert/modernbert_config.h"
#include "model/modernbert/modernbert_weights.h"

typedef struct fc_modernbert fc_modernbert;

// Parses the config and binds every tensor of §3.2 (checking its shape). F32 tensors are used
// straight from the mapping; F16/BF16 ones are widened to float32 once, here.
int fc_modernbert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                       const char *weights_name, int num_labels, fc_weight_dtype storage,
                       fc_modernbert **out, fc_error *err);
void fc_modernbert_free(fc_modernbert *m);

const fc_modernbert_config *fc_modernbert_get_config(const fc_modernbert *m);

// Packed batch forward: logits [n_seqs, num_labels]. When final_hidden is not NULL the
// final_norm output [total_tokens, H] is copied there too (for layer-by-layer parity tests).
int fc_modernbert_forward(fc_modernbert *m, const int32_t *ids, const int32_t *offsets,
                          int n_seqs, float *logits, float *final_hidden, fc_error *err);

// ---------------------------------------------------------------------------------------------
// The activation record (design.md, "One forward"): the buffers the forward writes, planned
// for a batch of T tokens in B sequences. For training every layer keeps its own set, which is
// what the backward reads; for inference all layers share one set. T-sized buffers are
// [T, width] row-major over the packed tokens.

typedef struct fc_modernbert_layer_acts {
    float *input;       // [T, H] residual stream entering the layer
    float *attn_normed; // [T, H] attn_norm(input); unused in layer 0 (identity, P1)
    float *qkv;         // [T, 3H] Wqkv output with RoPE applied to Q and K
    float *context;     // [T, H] softmax(Q·Kᵀ/√d)·V, heads concatenated (probabilities are
                        //        recomputed by the backward rather than stored)
    float *residual;    // [T, H] input + attention output: the MLP block's input
    float *mlp_normed;  // [T, H] mlp_norm(residual)
    float *mlp_in;      // [T, 2I] Wi output: GeGLU input | gate
    float *mlp_act;     // [T, I] gelu(input) ⊙ gate
} fc_modernbert_layer_acts;

typedef struct fc_modernbert_acts {
    int per_layer;      // 1: one set per layer (training); 0: one set for all (inference)
    int num_layers;
    int token_capacity, seq_capacity, longest_capacity;
    int chunked_blocks; // inference with weights on the matrix engines: per-token blocks run in
                        // chunks of FC_LOWP_CHUNK_ROWS, GeGLU in Wi's epilogue (plan_arena)
    int block_threads;  // threads that run those chunks, each with its own rows of scratch
    float *arena;       // every float buffer below, carved from one allocation
    float *embedded;    // [T, H] tok_embeddings rows, before the embedding norm
    fc_modernbert_layer_acts *layers; // [num_layers]
    float *encoded;     // [T, H] last layer's output, final_norm's input
    float *hidden;      // [T, H] final_norm output
    float *projected;   // [T, H] scratch: Wo outputs before their residual add
    float *pooled;      // [B, H]
    float *head_dense;  // [B, H] head.dense output, before GELU
    float *head_act;    // [B, H] GELU output, head.norm's input
    float *head_out;    // [B, H] head.norm output, the classifier's input
    int32_t *positions; // [T] position of each token inside its sequence
    float *attn_scratch; // [threads, fc_attention_blocked_scratch_floats(longest, d)]
    size_t attn_scratch_per_thread;
    fc_lowp_scratch lowp; // buffers of the low-precision linear layers
    int lowp_failed;      // set by a low-precision linear layer that ran out of memory
    float *global_cos, *global_sin, *local_cos, *local_sin; // [longest, d/2] RoPE tables
} fc_modernbert_acts;

void fc_modernbert_acts_init(fc_modernbert_acts *a, int per_layer);
void fc_modernbert_acts_free(fc_modernbert_acts *a);

// Checks a packed batch (offsets start at 0, no empty sequence, ids inside the vocabulary)
// and gives the longest sequence.
int fc_modernbert_check_batch(const fc_modernbert_config *c, const int32_t *ids,
                              const int32_t *offsets, int n_seqs, int *longest, fc_error *err);

// The forward of §3.3 with any weights: a loaded checkpoint's or the trainer's fp32 master
// weights. Fills the record (grown as the batch needs) and writes logits [n_seqs, num_labels].
int fc_modernbert_forward_acts(const fc_modernbert_config *c, const fc_modernbert_weights *w,
                               int num_labels, fc_modernbert_acts *acts, const int32_t *ids,
                               const int32_t *offsets, int n_seqs, float *logits, fc_error *err);

#endif
