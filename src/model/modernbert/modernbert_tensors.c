#include "model/modernbert/modernbert_tensors.h"

#include <stdio.h>


// A tensor whose name is fmt with the layer number filled in.
static void add(fc_tensor_spec_list *l, fc_tensor_role role, int64_t d0, int64_t d1,
                const char *fmt, int layer) {
    char name[sizeof l->items->name];
    snprintf(name, sizeof name, fmt, layer);
    fc_tensor_spec_add(l, name, role, d0, d1);
}

// A LayerNorm: weight, and bias iff norm_bias.
static void add_norm(fc_tensor_spec_list *l, const fc_modernbert_config *c, const char *prefix,
                     int layer) {
    char fmt[96];
    snprintf(fmt, sizeof fmt, "%s.weight", prefix);
    add(l, FC_TENSOR_NORM, c->hidden_size, 0, fmt, layer);
    if (c->norm_bias) {
        snprintf(fmt, sizeof fmt, "%s.bias", prefix);
        add(l, FC_TENSOR_BIAS, c->hidden_size, 0, fmt, layer);
    }
}

// A Linear [out, in] and its bias when has_bias.
static void add_linear(fc_tensor_spec_list *l, const char *prefix, int64_t out, int64_t in,
                       int has_bias, int layer) {
    char fmt[96];
    snprintf(fmt, sizeof fmt, "%s.weight", prefix);
    add(l, FC_TENSOR_MATRIX, out, in, fmt, layer);
    if (has_bias) {
        snprintf(fmt, sizeof fmt, "%s.bias", prefix);
        add(l, FC_TENSOR_BIAS, out, 0, fmt, layer);
    }
}

void fc_modernbert_tensor_specs(const fc_modernbert_config *c, int num_labels,
                                fc_tensor_spec **specs, int *count) {
    fc_tensor_spec_list l = {0};
    int64_t H = c->hidden_size, I = c->intermediate_size;
    add(&l, FC_TENSOR_EMBEDDING, c->vocab_size, H, "model.embeddings.tok_embeddings.weight", 0);
    add_norm(&l, c, "model.embeddings.norm", 0);
    for (int i = 0; i < c->num_layers; i++) {
        if (i > 0) add_norm(&l, c, "model.layers.%d.attn_norm", i); // none in layer 0 (P1)
        add_linear(&l, "model.layers.%d.attn.Wqkv", 3 * H, H, c->attention_bias, i);
        add_linear(&l, "model.layers.%d.attn.Wo", H, H, c->attention_bias, i);
        add_norm(&l, c, "model.layers.%d.mlp_norm", i);
        add_linear(&l, "model.layers.%d.mlp.Wi", 2 * I, H, c->mlp_bias, i);
        add_linear(&l, "model.layers.%d.mlp.Wo", H, I, c->mlp_bias, i);
    }
    add_norm(&l, c, "model.final_norm", 0);
    add_linear(&l, "head.dense", H, H, c->classifier_bias, 0);
    add_norm(&l, c, "head.norm", 0);
    add_linear(&l, "classifier", num_labels, H, 1, 0); // classifier always has a bias
    *specs = l.items;
    *count = l.count;
}
