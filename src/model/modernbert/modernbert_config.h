// ModernBERT hyper-parameters from config.json (model-reference.md §3.1), in both the
// transformers v4 layout (global/local_rope_theta, global_attn_every_n_layers) and the v5
// layout (rope_parameters, layer_types).
#ifndef FC_MODEL_MODERNBERT_CONFIG_H
#define FC_MODEL_MODERNBERT_CONFIG_H

#include <cjson/cJSON.h>

#include "finecat.h"

#define FC_MODERNBERT_MAX_LAYERS 256

typedef enum fc_pooling { FC_POOLING_CLS, FC_POOLING_MEAN } fc_pooling;

typedef struct fc_modernbert_config {
    int vocab_size;
    int hidden_size;       // H
    int intermediate_size; // I; Wi produces 2I (GeGLU input and gate)
    int num_layers;
    int num_heads;
    int head_dim; // H / num_heads
    int max_position_embeddings;
    float norm_eps;
    int norm_bias, attention_bias, mlp_bias, classifier_bias;
    int local_window;                                // local_attention / 2: keys with |q-k| <= this
    unsigned char is_global[FC_MODERNBERT_MAX_LAYERS]; // per layer: full attention or sliding
    float global_rope_theta, local_rope_theta;
    fc_pooling pooling;
    int pad_token_id;
} fc_modernbert_config;

int fc_modernbert_config_parse(const cJSON *root, const char *path, fc_modernbert_config *out,
                               fc_error *err);

#endif
