// BERT and RoBERTa hyper-parameters from config.json (transformers' BertConfig and
// RobertaConfig). The two share one architecture; RoBERTa differs in its position ids (they
// start at pad_token_id + 1), its single token type and its classification head.
#ifndef FC_MODEL_BERT_CONFIG_H
#define FC_MODEL_BERT_CONFIG_H

#include <cjson/cJSON.h>

#include "finecat.h"

typedef enum fc_bert_flavor {
    FC_BERT_FLAVOR_BERT,    // model_type "bert": pooler (dense + tanh on [CLS]) → classifier
    FC_BERT_FLAVOR_ROBERTA, // model_type "roberta": classifier.dense + tanh → out_proj on <s>
} fc_bert_flavor;

typedef struct fc_bert_config {
    fc_bert_flavor flavor;
    int vocab_size;
    int hidden_size;       // H
    int intermediate_size; // I
    int num_layers;
    int num_heads;
    int head_dim; // H / num_heads
    int max_position_embeddings;
    int type_vocab_size;
    int position_offset; // position id of a sequence's first token: 0, or pad_token_id + 1
    int pad_token_id;    // the word embedding's padding_idx (its row gets no gradient)
    float layer_norm_eps;
    // Training only: transformers applies these in train() mode and never at inference.
    float hidden_dropout;     // hidden_dropout_prob: embeddings, attention output, FFN output
    float attention_dropout;  // attention_probs_dropout_prob: on the softmax probabilities
    float classifier_dropout; // classifier_dropout, or hidden_dropout_prob when null
} fc_bert_config;

// model_type must be "bert" or "roberta". Missing keys take BertConfig's defaults, except the
// sizes, which are required; values that would break the forward are refused by key name.
int fc_bert_config_parse(const cJSON *root, const char *path, fc_bert_config *out,
                         fc_error *err);

// The number of tokens a sequence may have: the position table's rows after the offset.
int fc_bert_config_max_tokens(const fc_bert_config *c);

#endif
