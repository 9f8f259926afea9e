// The model a training run starts from (--init): a *ForSequenceClassification checkpoint, a
// ModernBertForMaskedLM checkpoint or a bare BERT / RoBERTa encoder (BertModel, *ForMaskedLM,
// a sentence-transformers folder; the head is then initialized fresh, as transformers does for
// missing weights), or a config.json for a random init with transformers' _init_weights.
#ifndef FC_TRAIN_INIT_H
#define FC_TRAIN_INIT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "model/bert/bert_weights.h"
#include "model/label_map.h"
#include "model/param_tensor.h"
#include "model/modernbert/modernbert_weights.h"

typedef enum fc_init_kind {
    FC_INIT_CLASSIFIER, // every tensor from the checkpoint
    FC_INIT_MASKED_LM,  // backbone and head from the checkpoint, a fresh classifier
    FC_INIT_RANDOM,     // config.json only
} fc_init_kind;

typedef enum fc_train_arch {
    FC_TRAIN_MODERNBERT, // params
    FC_TRAIN_BERT,       // bert (model_type bert or roberta)
} fc_train_arch;

typedef struct fc_train_model {
    fc_train_arch arch;
    fc_init_kind kind;
    cJSON *config_json; // the init config, parsed
    char *config_text;  // its text, from which checkpoints write config.json back (numbers
                        // keep their spelling: transformers tells 2.0 from 2)
    fc_label_map labels; // the model's own label order
    int model_label[FC_LABEL_COUNT]; // canonical label → the model's label id
    fc_modernbert_params params;     // ModernBERT: fp32 master weights and gradients
    fc_bert_params bert;             // BERT / RoBERTa: the same
    fc_param_set set;                // the architecture's parameters, seen without it
    double initializer_range, initializer_cutoff_factor;
} fc_train_model;

// init is a checkpoint folder or a config.json. Classifier checkpoints keep their id2label,
// which must name entailment, neutral and contradiction; fresh heads use those labels when the
// config already names them, else the canonical order (entailment, neutral, contradiction).
// Random draws (fresh weights) come from the seed alone.
int fc_train_model_init(fc_train_model *m, const char *init, uint64_t seed, fc_error *err);
void fc_train_model_free(fc_train_model *m);

// Keeps only the encoder layers listed (strictly increasing, each below num_layers) of a
// BERT / RoBERTa model, renumbered 0..n-1, and says so in the config it will save. Other
// architectures are refused.
int fc_train_model_keep_layers(fc_train_model *m, const char *list, fc_error *err);

// Loads every parameter from a checkpoint folder written for this model (resume).
int fc_train_model_load_weights(fc_train_model *m, const char *dir, fc_error *err);

// transformers' ModernBertPreTrainedModel._init_weights for one tensor: truncated normals
// (cutoff initializer_cutoff_factor · std) with std initializer_range for the embedding, Wqkv
// and Wi, initializer_range / √(2·num_layers) for both Wo and head.dense, hidden_size^−½ for
// the classifier; norm weights 1, biases 0.
void fc_train_init_tensor(const fc_train_model *m, const fc_param_tensor *t,
                          uint64_t seed);

#endif
