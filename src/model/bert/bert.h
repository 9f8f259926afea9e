// BertForSequenceClassification and RobertaForSequenceClassification (transformers'
// modeling_bert.py / modeling_roberta.py): absolute position and token-type embeddings,
// post-LayerNorm encoder layers with erf GELU, and the two heads. Packed batches, no padding.
#ifndef FC_MODEL_BERT_H
#define FC_MODEL_BERT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "finecat.h"
#include "io/safetensors.h"
#include "kernels/cpu/linear_lowp.h"
#include "model/bert/bert_config.h"
#include "model/bert/bert_weights.h"

// ---------------------------------------------------------------------------------------------
// The activation record (design.md, "One forward"), planned for T tokens in B sequences. For
// training every layer keeps its own buffers, which the backward reads; for inference all
// layers share one set. Names follow the layer: input → qkv → context → attn_sum (dense
// output after dropout, plus input) → attn_normed → inter_pre → inter_act → ffn_sum → the
// next layer's input.

typedef struct fc_bert_layer_acts {
    float *input;       // [T, H]
    float *qkv;         // [T, 3H]
    float *context;     // [T, H] attention output, heads concatenated
    float *attn_sum;    // [T, H] dropout(attention.output.dense(context)) + input
    float *attn_normed; // [T, H] attention.output.LayerNorm(attn_sum)
    float *inter_pre;   // [T, I] intermediate.dense output, GELU's input
    float *inter_act;   // [T, I] GELU output
    float *ffn_sum;     // [T, H] dropout(output.dense(inter_act)) + attn_normed
} fc_bert_layer_acts;

typedef struct fc_bert_acts {
    int per_layer; // 1: one set per layer (training); 0: one set for all (inference)
    int num_layers;
    int token_capacity, seq_capacity, longest_capacity;
    // Dropout: applied only when training is 1, with masks drawn from seed (a new seed per
    // step; the backward regenerates the masks from the same seed).
    int training;
    uint64_t seed;
    // Where this batch starts in a larger one it is a share of (data-parallel training): the
    // masks are those of the larger batch at these tokens and rows. 0 for a whole batch.
    uint64_t first_token, first_row;
    float *arena;
    float *emb_sum;             // [T, H] word + position + token-type embeddings
    fc_bert_layer_acts *layers; // [num_layers]
    float *encoded;             // [T, H] last layer's output
    float *cls;                 // [B, H] each sequence's first token
    float *head_in;             // [B, H] RoBERTa: dropout(cls), head dense's input; BERT: cls
    float *head_act;            // [B, H] tanh(dense(head_in))
    float *head_out;            // [B, H] dropout(head_act), the classifier's input
    int32_t *types;             // [T] token type ids in use
    float *attn_scratch;        // [threads, attn_scratch_per_thread]
    size_t attn_scratch_per_thread;
    fc_lowp_scratch lowp;
    int lowp_failed; // set by a low-precision dense layer that ran out of memory
} fc_bert_acts;

void fc_bert_acts_init(fc_bert_acts *a, int per_layer);
void fc_bert_acts_free(fc_bert_acts *a);

// Token type ids as the pair template gives them: 0 up to and including the first sep_id of
// each sequence, 1 after it (BERT's [CLS] A [SEP] B [SEP]); all 0 when sep_id < 0 or the
// model has one token type (RoBERTa). A literal "[SEP]" inside the first text would move the
// boundary; the tokenizer's own type ids avoid that where a caller has them.
void fc_bert_token_types(const fc_bert_config *c, const int32_t *ids, const int32_t *offsets,
                         int n_seqs, int32_t sep_id, int32_t *types);

// The forward: fills the record and writes logits [n_seqs, num_labels]. types may be NULL
// (all 0). Checks the batch: offsets from 0, no empty sequence, ids in the vocabulary, types
// in range, no sequence longer than the position table allows.
int fc_bert_forward_acts(const fc_bert_config *c, const fc_bert_weights *w, int num_labels,
                         fc_bert_acts *acts, const int32_t *ids, const int32_t *types,
                         const int32_t *offsets, int n_seqs, float *logits, fc_error *err);

// ---------------------------------------------------------------------------------------------
// A loaded checkpoint for inference.

typedef struct fc_bert fc_bert;

// Parses the config, copies the checkpoint's tensors into fp32 parameters (a bare encoder gets
// a fresh head drawn from a fixed seed), and keeps the layer matrices in `storage`. sep_id is
// the tokenizer's separator ([SEP]), used to derive token types; -1 for none.
int fc_bert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                 const char *dir, int num_labels, fc_weight_dtype storage, int32_t sep_id,
                 fc_bert **out, fc_error *err);
void fc_bert_free(fc_bert *m);
const fc_bert_config *fc_bert_get_config(const fc_bert *m);
// 1 when the classification head was drawn fresh (the folder held a bare encoder).
int fc_bert_head_is_fresh(const fc_bert *m);

// Packed batch forward: logits [n_seqs, num_labels] in the checkpoint's label order. types are
// the token type ids, or NULL to derive them from the [SEP] ids (fc_bert_token_types).
// last_hidden, when not NULL, gets the encoder output [T, H] (parity tests).
int fc_bert_forward(fc_bert *m, const int32_t *ids, const int32_t *types, const int32_t *offsets,
                    int n_seqs, float *logits, float *last_hidden, fc_error *err);

#endif
