// The ModernBERT backward: gradients of every parameter of §3.2 from the gradient of the
// logits, reading the activation record that fc_modernbert_forward_acts filled for the same
// batch. The forward in modernbert.c is the specification; this file runs it in reverse.
#ifndef FC_MODEL_MODERNBERT_BACKWARD_H
#define FC_MODEL_MODERNBERT_BACKWARD_H

#include "finecat.h"
#include "model/modernbert/modernbert.h"
#include "model/modernbert/modernbert_weights.h"

// Gradients of activations, sized for the batch like the activation record and reused.
typedef struct fc_modernbert_grad_acts {
    int token_capacity, seq_capacity, longest_capacity;
    float *stream;  // [T, H] gradient of the residual stream, flowing down the layers
    float *normed;  // [T, H] gradient of a norm's output (also final hidden, embeddings)
    float *qkv;     // [T, 3H]
    float *context; // [T, H]
    float *mlp_in;  // [T, 2I]
    float *mlp_act; // [T, I]
    float *head_out, *head_act, *head_dense, *pooled; // [B, H]
    float *attn_scratch; // [threads, 2 · longest]
} fc_modernbert_grad_acts;

void fc_modernbert_grad_acts_free(fc_modernbert_grad_acts *g);

// Accumulates (+=) into grads the gradient of the loss whose gradient with respect to the
// logits [n_seqs, num_labels] is dlogits. acts must be a per-layer record (training) just
// filled by fc_modernbert_forward_acts with the same weights, ids and offsets.
int fc_modernbert_backward(const fc_modernbert_config *c, const fc_modernbert_weights *w,
                           int num_labels, const fc_modernbert_acts *acts,
                           fc_modernbert_grad_acts *ws, const int32_t *ids,
                           const int32_t *offsets, int n_seqs, const float *dlogits,
                           fc_modernbert_grads *grads, fc_error *err);

#endif
