#include "model/deberta/deberta_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct binder {
    fc_deberta_weights *w;
    const fc_safetensors *st;
    const char *weights_name; // for messages: the checkpoint folder or file
    fc_error *err;
} binder;

// Binds one tensor of the expected shape (ndim 1: [d0]; ndim 2: [d0, d1]): zero-copy when it
// is aligned F32, else widened into an owned copy. A required tensor that is absent is an
// error naming the tensor; an optional one gives NULL. (The same rule as the ModernBERT
// binder; both go through fc_safetensors_f32.)
static int bind(binder *b, const float **dst, int required, const char *name, int ndim,
                int64_t d0, int64_t d1) {
    *dst = NULL;
    if (!fc_safetensors_find(b->st, name)) {
        if (!required) return 0;
        return fc_fail(b->err, "%s: missing tensor \"%s\"", b->weights_name, name);
    }
    int64_t shape[2] = {d0, d1};
    float *copy;
    const float *values = fc_safetensors_f32(b->st, name, ndim, shape, &copy, b->err);
    if (!values) return -1;
    if (copy) {
        b->w->owned = fc_realloc(b->w->owned, (size_t)(b->w->n_owned + 1) * sizeof *b->w->owned);
        b->w->owned[b->w->n_owned++] = copy;
    }
    *dst = values;
    return 0;
}

// PREFIX.weight [out, in] and PREFIX.bias [out]: every DeBERTa linear has a bias (P7).
static int bind_linear(binder *b, const float **w, const float **bias, const char *prefix,
                       int64_t out, int64_t in) {
    char name[256];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if (bind(b, w, 1, name, 2, out, in)) return -1;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return bind(b, bias, 1, name, 1, out, 0);
}

// PREFIX.weight and PREFIX.bias [H] (legacy .gamma / .beta found by fc_safetensors_find).
static int bind_norm(binder *b, const float **w, const float **bias, const char *prefix,
                     int64_t H) {
    char name[256];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if (bind(b, w, 1, name, 1, H, 0)) return -1;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return bind(b, bias, 1, name, 1, H, 0);
}

// "deberta.encoder.layer.{i}.{part}"
static const char *layer_name(char *buf, size_t size, int i, const char *part) {
    snprintf(buf, size, "deberta.encoder.layer.%d.%s", i, part);
    return buf;
}

static int bind_layer(binder *b, fc_deberta_layer *L, const fc_deberta_config *c, int i) {
    const int64_t H = c->hidden_size, I = c->intermediate_size;
    char p[192];
    const size_t n = sizeof p;
    if (bind_linear(b, &L->query_w, &L->query_b,
                    layer_name(p, n, i, "attention.self.query_proj"), H, H) ||
        bind_linear(b, &L->key_w, &L->key_b,
                    layer_name(p, n, i, "attention.self.key_proj"), H, H) ||
        bind_linear(b, &L->value_w, &L->value_b,
                    layer_name(p, n, i, "attention.self.value_proj"), H, H) ||
        bind_linear(b, &L->attn_out_w, &L->attn_out_b,
                    layer_name(p, n, i, "attention.output.dense"), H, H) ||
        bind_norm(b, &L->attn_norm_w, &L->attn_norm_b,
                  layer_name(p, n, i, "attention.output.LayerNorm"), H) ||
        bind_linear(b, &L->inter_w, &L->inter_b,
                    layer_name(p, n, i, "intermediate.dense"), I, H) ||
        bind_linear(b, &L->out_w, &L->out_b, layer_name(p, n, i, "output.dense"), H, I) ||
        bind_norm(b, &L->out_norm_w, &L->out_norm_b, layer_name(p, n, i, "output.LayerNorm"), H))
        return -1;
    // Separate position projections exist only without share_att_key (§4.2).
    if (!c->relative_attention || c->share_att_key) return 0;
    if (c->c2p && bind_linear(b, &L->pos_key_w, &L->pos_key_b,
                              layer_name(p, n, i, "attention.self.pos_key_proj"), H, H))
        return -1;
    if (c->p2c && bind_linear(b, &L->pos_query_w, &L->pos_query_b,
                              layer_name(p, n, i, "attention.self.pos_query_proj"), H, H))
        return -1;
    return 0;
}

int fc_deberta_weights_bind(fc_deberta_weights *w, const fc_deberta_config *c, int num_labels,
                            const fc_safetensors *st, const char *weights_name, fc_error *err) {
    memset(w, 0, sizeof *w);
    binder b = {w, st, weights_name, err};
    const int64_t H = c->hidden_size, E = c->embedding_size, V = c->vocab_size;
    w->layers = fc_calloc((size_t)c->num_layers, sizeof *w->layers);
    // §4.3: word embeddings, then the conditional tensors of the embedding block.
    if (bind(&b, &w->word_embeddings, 1, "deberta.embeddings.word_embeddings.weight", 2, V, E) ||
        (c->position_biased_input &&
         bind(&b, &w->position_embeddings, 1, "deberta.embeddings.position_embeddings.weight", 2,
              c->max_position_embeddings, E)) ||
        (E != H && bind(&b, &w->embed_proj, 1, "deberta.embeddings.embed_proj.weight", 2, H, E)) ||
        bind_norm(&b, &w->emb_norm_w, &w->emb_norm_b, "deberta.embeddings.LayerNorm", H))
        goto fail;
    for (int i = 0; i < c->num_layers; i++)
        if (bind_layer(&b, &w->layers[i], c, i) != 0) goto fail;
    if (c->relative_attention) {
        if (bind(&b, &w->rel_embeddings, 1, "deberta.encoder.rel_embeddings.weight", 2,
                 2 * (int64_t)c->att_span, H))
            goto fail;
        if (c->norm_rel_ebd &&
            bind_norm(&b, &w->rel_norm_w, &w->rel_norm_b, "deberta.encoder.LayerNorm", H))
            goto fail;
    }
    if (bind_linear(&b, &w->pooler_w, &w->pooler_b, "pooler.dense", H, H) ||
        bind_linear(&b, &w->classifier_w, &w->classifier_b, "classifier", num_labels, H))
        goto fail;
    return 0;
fail:
    fc_deberta_weights_free(w);
    return -1;
}

void fc_deberta_weights_free(fc_deberta_weights *w) {
    for (int i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w->layers);
    memset(w, 0, sizeof *w);
}
