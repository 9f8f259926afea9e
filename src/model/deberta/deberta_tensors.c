#include "model/deberta/deberta_tensors.h"

#include <stdio.h>


// PREFIX.weight [out, in] and PREFIX.bias [out] (every DeBERTa linear has a bias).
static void add_linear(fc_tensor_spec_list *l, const char *prefix, int64_t out, int64_t in) {
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    fc_tensor_spec_add(l, name, FC_TENSOR_MATRIX, out, in);
    snprintf(name, sizeof name, "%s.bias", prefix);
    fc_tensor_spec_add(l, name, FC_TENSOR_BIAS, out, 0);
}

static void add_norm(fc_tensor_spec_list *l, const char *prefix, int64_t H) {
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    fc_tensor_spec_add(l, name, FC_TENSOR_NORM, H, 0);
    snprintf(name, sizeof name, "%s.bias", prefix);
    fc_tensor_spec_add(l, name, FC_TENSOR_BIAS, H, 0);
}

// "deberta.encoder.layer.{i}.{part}", as deberta_weights.c names a layer's tensors.
static const char *layer_part(char *buf, size_t size, int i, const char *part) {
    snprintf(buf, size, "deberta.encoder.layer.%d.%s", i, part);
    return buf;
}

void fc_deberta_tensor_specs(const fc_deberta_config *c, int num_labels, fc_tensor_spec **specs,
                             int *count) {
    fc_tensor_spec_list l = {0};
    const int64_t H = c->hidden_size, E = c->embedding_size, I = c->intermediate_size;
    fc_tensor_spec_add(&l, "deberta.embeddings.word_embeddings.weight", FC_TENSOR_EMBEDDING,
                       c->vocab_size, E);
    if (c->position_biased_input)
        fc_tensor_spec_add(&l, "deberta.embeddings.position_embeddings.weight",
                           FC_TENSOR_EMBEDDING, c->max_position_embeddings, E);
    if (E != H) // embed_proj has no bias
        fc_tensor_spec_add(&l, "deberta.embeddings.embed_proj.weight", FC_TENSOR_MATRIX, H, E);
    add_norm(&l, "deberta.embeddings.LayerNorm", H);
    for (int i = 0; i < c->num_layers; i++) {
        char p[96];
        const size_t n = sizeof p;
        add_linear(&l, layer_part(p, n, i, "attention.self.query_proj"), H, H);
        add_linear(&l, layer_part(p, n, i, "attention.self.key_proj"), H, H);
        add_linear(&l, layer_part(p, n, i, "attention.self.value_proj"), H, H);
        // Separate position projections exist only without share_att_key.
        int separate = c->relative_attention && !c->share_att_key;
        if (separate && c->c2p)
            add_linear(&l, layer_part(p, n, i, "attention.self.pos_key_proj"), H, H);
        if (separate && c->p2c)
            add_linear(&l, layer_part(p, n, i, "attention.self.pos_query_proj"), H, H);
        add_linear(&l, layer_part(p, n, i, "attention.output.dense"), H, H);
        add_norm(&l, layer_part(p, n, i, "attention.output.LayerNorm"), H);
        add_linear(&l, layer_part(p, n, i, "intermediate.dense"), I, H);
        add_linear(&l, layer_part(p, n, i, "output.dense"), H, I);
        add_norm(&l, layer_part(p, n, i, "output.LayerNorm"), H);
    }
    if (c->relative_attention) {
        fc_tensor_spec_add(&l, "deberta.encoder.rel_embeddings.weight", FC_TENSOR_EMBEDDING,
                           2 * (int64_t)c->att_span, H);
        if (c->norm_rel_ebd) add_norm(&l, "deberta.encoder.LayerNorm", H);
    }
    add_linear(&l, "pooler.dense", H, H); // pooler_hidden_size == hidden_size (deberta_config.c)
    add_linear(&l, "classifier", num_labels, H);
    *specs = l.items;
    *count = l.count;
}
