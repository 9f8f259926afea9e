// Named pointers to every BertForSequenceClassification / RobertaForSequenceClassification
// parameter, their gradients in a struct of the same layout, and the fp32 buffer that holds
// them all. Inference and training share this buffer: a checkpoint is copied (and widened)
// into it once at load, so one forward serves both (design.md, "One forward").
#ifndef FC_MODEL_BERT_WEIGHTS_H
#define FC_MODEL_BERT_WEIGHTS_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "kernels/cpu/linear_lowp.h"
#include "model/lowp_table.h"
#include "model/bert/bert_config.h"
#include "model/param_tensor.h"

typedef struct fc_bert_layer {
    const float *wqkv, *wqkv_b;           // [3H, H], [3H]: query | key | value, adjacent in
                                          //   the buffer so that one GEMM computes all three
    const float *attn_out_w, *attn_out_b; // attention.output.dense [H, H], [H]
    const float *attn_norm_w, *attn_norm_b; // attention.output.LayerNorm [H]
    const float *inter_w, *inter_b;       // intermediate.dense [I, H], [I]
    const float *out_w, *out_b;           // output.dense [H, I], [H]
    const float *out_norm_w, *out_norm_b; // output.LayerNorm [H]
    // With low-precision storage (--dtype) the four matrices run from these instead.
    const fc_lowp_linear *wqkv_lowp, *attn_out_lowp, *inter_lowp, *out_lowp;
} fc_bert_layer;

typedef struct fc_bert_weights {
    const float *word_embeddings;       // [V, H]; NULL with low-precision storage:
    const fc_lowp_table *word_table;    // then the rows come from here (lowp_table.h)
    const float *position_embeddings;   // [max_position_embeddings, H]
    const float *token_type_embeddings; // [type_vocab_size, H]
    const float *emb_norm_w, *emb_norm_b; // embeddings.LayerNorm [H]
    fc_bert_layer *layers;              // [num_layers]
    // BERT: pooler.dense; RoBERTa: classifier.dense. Both [H, H] then tanh.
    const float *head_dense_w, *head_dense_b;
    // BERT: classifier; RoBERTa: classifier.out_proj. [L, H], [L].
    const float *classifier_w, *classifier_b;
} fc_bert_weights;

typedef struct fc_bert_layer_grads {
    float *wqkv, *wqkv_b, *attn_out_w, *attn_out_b, *attn_norm_w, *attn_norm_b;
    float *inter_w, *inter_b, *out_w, *out_b, *out_norm_w, *out_norm_b;
} fc_bert_layer_grads;

typedef struct fc_bert_grads {
    float *word_embeddings, *position_embeddings, *token_type_embeddings;
    float *emb_norm_w, *emb_norm_b;
    fc_bert_layer_grads *layers;
    float *head_dense_w, *head_dense_b, *classifier_w, *classifier_b;
} fc_bert_grads;

// The parameters: every tensor packed in one fp32 buffer (values), gradients in a second buffer
// of the same layout (allocated by fc_bert_params_alloc_grads, for training only), and named
// views of both. The tensor list points at fields of this struct: keep it where it was made.
typedef struct fc_bert_params {
    fc_bert_config config;
    int num_labels;
    fc_param_tensor *tensors; // in checkpoint-name order of transformers' *ForSequenceClassification
    size_t n_tensors;
    size_t count;
    float *values;
    float *grads;
    fc_bert_weights weights;
    fc_bert_grads named_grads;
    fc_lowp_linear *lowp; // [4 · num_layers] with low-precision storage, else NULL
    // The storage the weights will be kept in (set before fc_bert_params_load; F32 unless an
    // inference model asks for another): with another, the load leaves the layers' matrices
    // and the word embeddings to fc_bert_params_store_lowp.
    fc_weight_dtype storage;
    fc_lowp_table word_table;
} fc_bert_params;

// Lays out the tensors of config c with num_labels outputs and allocates values (zeroed).
// Out of memory for the values is an error (p is then empty).
int fc_bert_params_init(fc_bert_params *p, const fc_bert_config *c, int num_labels,
                        fc_error *err);
void fc_bert_params_alloc_grads(fc_bert_params *p);
void fc_bert_params_free(fc_bert_params *p);
fc_param_set fc_bert_params_set(const fc_bert_params *p);

// How the classification head of a checkpoint was found.
typedef enum fc_bert_head {
    FC_BERT_HEAD_LOADED, // every tensor came from the checkpoint
    FC_BERT_HEAD_FRESH,  // a bare encoder (BertModel, *ForMaskedLM, sentence-transformers):
                         // the head tensors it lacks were drawn fresh
} fc_bert_head;

// Fills values from a checkpoint: names with the "bert." / "roberta." prefix of
// *ForSequenceClassification, or without it (a bare BertModel). Head tensors the checkpoint
// lacks (pooler, classifier) are drawn as transformers' _init_weights draws them, from seed:
// Normal(0, initializer_range) weights, zero biases. Any other missing tensor, a wrong shape or
// dtype is an error naming the file and the tensor.
int fc_bert_params_load(fc_bert_params *p, const fc_safetensors *st, const char *dir,
                        double initializer_range, uint64_t seed, fc_bert_head *head,
                        fc_error *err);

// transformers' BertPreTrainedModel._init_weights for one tensor (random init, fresh heads).
void fc_bert_init_tensor(const fc_bert_params *p, const fc_param_tensor *t,
                         double initializer_range, uint64_t seed);

// With p->storage other than F32 (an inference model, never one that trains): reads the four
// matrices of every layer from st one at a time, keeps each in that storage (bf16, f16 or int8)
// and gives its fp32 pages back, so that the fp32 copy of the whole model is never resident;
// the word embeddings stay in the file, in 16 bits (lowp_table.h). The fp32 pointers are
// cleared, so that a stray read fails loudly instead of reading zeros. dir names the files in
// errors.
int fc_bert_params_store_lowp(fc_bert_params *p, const fc_safetensors *st, const char *dir,
                              fc_error *err);

#endif
