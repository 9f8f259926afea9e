// The BERT / RoBERTa backward: gradients of every parameter from the gradient of the logits,
// reading the activation record fc_bert_forward_acts filled for the same batch (with the same
// dropout seed, whose masks are regenerated here). bert.c is the specification; this file
// runs it in reverse.
#ifndef FC_MODEL_BERT_BACKWARD_H
#define FC_MODEL_BERT_BACKWARD_H

#include "finecat.h"
#include "model/bert/bert.h"
#include "model/bert/bert_weights.h"

// Gradients of activations, sized like the record and reused across batches.
typedef struct fc_bert_grad_acts {
    int token_capacity, seq_capacity, longest_capacity;
    float *stream;  // [T, H] gradient of a layer's output, then of its input
    float *sum;     // [T, H] gradient of a LayerNorm's input
    float *normed;  // [T, H] gradient of attn_normed
    float *scratch; // [T, H] dropout and residual partials
    float *qkv;     // [T, 3H]
    float *context; // [T, H]
    float *inter;   // [T, I]
    float *head_out, *head_act, *head_in; // [B, H]
    int32_t *positions; // [T] position ids, for the position table's gradient
    float *attn_scratch;
    size_t attn_scratch_per_thread;
} fc_bert_grad_acts;

void fc_bert_grad_acts_free(fc_bert_grad_acts *g);

// Accumulates (+=) into grads the gradient of the loss whose gradient with respect to the
// logits [n_seqs, num_labels] is dlogits. acts must be a per-layer record just filled by
// fc_bert_forward_acts with the same weights, ids, types and offsets.
int fc_bert_backward(const fc_bert_config *c, const fc_bert_weights *w, int num_labels,
                     const fc_bert_acts *acts, fc_bert_grad_acts *ws, const int32_t *ids,
                     const int32_t *offsets, int n_seqs, const float *dlogits,
                     fc_bert_grads *grads, fc_error *err);

#endif
