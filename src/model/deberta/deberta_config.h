// DeBERTa-v2/v3 hyper-parameters from config.json (model-reference.md §4.1), with the defaults
// transformers uses when a key is absent.
#ifndef FC_MODEL_DEBERTA_CONFIG_H
#define FC_MODEL_DEBERTA_CONFIG_H

#include <cjson/cJSON.h>

#include "finecat.h"

typedef struct fc_deberta_config {
    int vocab_size;
    int hidden_size;    // H
    int embedding_size; // E: width of the embedding tables; E != H adds embed_proj
    int intermediate_size;
    int num_layers;
    int num_heads;
    int head_dim; // d = H / num_heads
    int max_position_embeddings;
    float layer_norm_eps;      // every LayerNorm (1e-7 in v3)
    int position_biased_input; // absolute position embeddings added to the word embeddings
    int relative_attention;    // false: plain attention, no rel_embeddings
    int max_relative_positions; // after the rule "< 1 ⇒ max_position_embeddings"
    int position_buckets;       // > 0: log buckets (§4.4); <= 0: raw distances
    int att_span;               // position_buckets if > 0 else max_relative_positions
    int c2p, p2c;               // pos_att_type entries
    int share_att_key;          // position projections reuse query_proj / key_proj
    int norm_rel_ebd;           // encoder.LayerNorm applied to rel_embeddings
    float attention_scale;      // sqrt(d · (1 + c2p + p2c)), as HF's scaled_size_sqrt
    int pad_token_id;
} fc_deberta_config;

// Fills c from config.json's object; path names the file in error messages. The sizes
// (vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads) are
// required; every other key takes transformers' default when absent. Settings this forward
// does not implement (conv_kernel_size > 0, type_vocab_size > 0, an activation other than
// "gelu") are errors naming the key.
int fc_deberta_config_parse(const cJSON *root, const char *path, fc_deberta_config *c,
                            fc_error *err);

#endif
