#include "model/deberta/deberta_tensors.h"

#include <stdio.h>

#include "util/alloc.h"

typedef struct spec_list {
    fc_tensor_spec *items;
    int count, capacity;
} spec_list;

static void add(spec_list *l, const char *name, fc_tensor_role role, int64_t rows, int64_t cols) {
    if (l->count == l->capacity) {
        l->capacity = l->capacity ? 2 * l->capacity : 64;
        l->items = fc_realloc(l->items, (size_t)l->capacity * sizeof *l->items);
    }
    fc_tensor_spec *s = &l->items[l->count++];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->ndim = cols > 0 ? 2 : 1;
    s->shape[0] = rows;
    s->shape[1] = cols > 0 ? cols : 0;
    s->role = role;
}

// PREFIX.weight [out, in] and PREFIX.bias [out] (every DeBERTa linear has a bias).
static void add_linear(spec_list *l, const char *prefix, int64_t out, int64_t in) {
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    add(l, name, FC_TENSOR_MATRIX, out, in);
    snprintf(name, sizeof name, "%s.bias", prefix);
    add(l, name, FC_TENSOR_BIAS, out, 0);
}

static void add_norm(spec_list *l, const char *prefix, int64_t H) {
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    add(l, name, FC_TENSOR_NORM, H, 0);
    snprintf(name, sizeof name, "%s.bias", prefix);
    add(l, name, FC_TENSOR_BIAS, H, 0);
}

void fc_deberta_tensor_specs(const fc_deberta_config *c, int num_labels, fc_tensor_spec **specs,
                             int *count) {
    spec_list l = {0};
    const int64_t H = c->hidden_size, E = c->embedding_size, I = c->intermediate_size;
    add(&l, "deberta.embeddings.word_embeddings.weight", FC_TENSOR_EMBEDDING, c->vocab_size, E);
    if (c->position_biased_input)
        add(&l, "deberta.embeddings.position_embeddings.weight", FC_TENSOR_EMBEDDING,
            c->max_position_embeddings, E);
    if (E != H) // embed_proj has no bias
        add(&l, "deberta.embeddings.embed_proj.weight", FC_TENSOR_MATRIX, H, E);
    add_norm(&l, "deberta.embeddings.LayerNorm", H);
    for (int i = 0; i < c->num_layers; i++) {
        char p[96];
        static const char *const square[] = {"attention.self.query_proj", "attention.self.key_proj",
                                             "attention.self.value_proj"};
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "deberta.encoder.layer.%d.%s", i, square[k]);
            add_linear(&l, p, H, H);
        }
        if (c->relative_attention && !c->share_att_key) {
            if (c->c2p) {
                snprintf(p, sizeof p, "deberta.encoder.layer.%d.attention.self.pos_key_proj", i);
                add_linear(&l, p, H, H);
            }
            if (c->p2c) {
                snprintf(p, sizeof p, "deberta.encoder.layer.%d.attention.self.pos_query_proj", i);
                add_linear(&l, p, H, H);
            }
        }
        snprintf(p, sizeof p, "deberta.encoder.layer.%d.attention.output.dense", i);
        add_linear(&l, p, H, H);
        snprintf(p, sizeof p, "deberta.encoder.layer.%d.attention.output.LayerNorm", i);
        add_norm(&l, p, H);
        snprintf(p, sizeof p, "deberta.encoder.layer.%d.intermediate.dense", i);
        add_linear(&l, p, I, H);
        snprintf(p, sizeof p, "deberta.encoder.layer.%d.output.dense", i);
        add_linear(&l, p, H, I);
        snprintf(p, sizeof p, "deberta.encoder.layer.%d.output.LayerNorm", i);
        add_norm(&l, p, H);
    }
    if (c->relative_attention) {
        add(&l, "deberta.encoder.rel_embeddings.weight", FC_TENSOR_EMBEDDING, 2 * (int64_t)c->att_span,
            H);
        if (c->norm_rel_ebd) add_norm(&l, "deberta.encoder.LayerNorm", H);
    }
    add_linear(&l, "pooler.dense", H, H); // pooler_hidden_size == hidden_size (deberta_config.c)
    add_linear(&l, "classifier", num_labels, H);
    *specs = l.items;
    *count = l.count;
}
