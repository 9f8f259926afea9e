#include "model/deberta/deberta_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/pages.h"

typedef struct binder {
    fc_deberta_weights *w;
    const fc_safetensors *st;
    const char *weights_name; // for messages: the checkpoint folder or file
    fc_error *err;
    int lowp; // low-precision storage: the layers' six matrices are read later, one at a time
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

// The checkpoint names of the six matrices fc_deberta_layer_matrix reads, by FC_DEBERTA_*.
static const char *const lowp_parts[FC_DEBERTA_LOWP_PER_LAYER] = {
    "attention.self.query_proj", "attention.self.key_proj", "attention.self.value_proj",
    "attention.output.dense",    "intermediate.dense",      "output.dense"};

// A linear layer that low-precision storage keeps: with b->lowp only its bias is bound (the
// matrix is read later by fc_deberta_layer_matrix).
static int bind_lowp_linear(binder *b, const float **w, const float **bias, int i, int which,
                            int64_t out, int64_t in) {
    char p[192];
    layer_name(p, sizeof p, i, lowp_parts[which]);
    if (!b->lowp) return bind_linear(b, w, bias, p, out, in);
    *w = NULL;
    char name[256];
    snprintf(name, sizeof name, "%s.bias", p);
    return bind(b, bias, 1, name, 1, out, 0);
}

static int bind_layer(binder *b, fc_deberta_layer *L, const fc_deberta_config *c, int i) {
    const int64_t H = c->hidden_size, I = c->intermediate_size;
    char p[192];
    const size_t n = sizeof p;
    if (bind_lowp_linear(b, &L->query_w, &L->query_b, i, FC_DEBERTA_QUERY, H, H) ||
        bind_lowp_linear(b, &L->key_w, &L->key_b, i, FC_DEBERTA_KEY, H, H) ||
        bind_lowp_linear(b, &L->value_w, &L->value_b, i, FC_DEBERTA_VALUE, H, H) ||
        bind_lowp_linear(b, &L->attn_out_w, &L->attn_out_b, i, FC_DEBERTA_ATTN_OUT, H, H) ||
        bind_norm(b, &L->attn_norm_w, &L->attn_norm_b,
                  layer_name(p, n, i, "attention.output.LayerNorm"), H) ||
        bind_lowp_linear(b, &L->inter_w, &L->inter_b, i, FC_DEBERTA_INTER, I, H) ||
        bind_lowp_linear(b, &L->out_w, &L->out_b, i, FC_DEBERTA_OUT, H, I) ||
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

// §4.3's word embeddings: fp32 as bound, or 16 bits from the file (bf16 for int8, a lookup).
static int bind_word_embeddings(binder *b, fc_weight_dtype storage, int64_t V, int64_t E) {
    const char *name = "deberta.embeddings.word_embeddings.weight";
    if (!b->lowp) return bind(b, &b->w->word_embeddings, 1, name, 2, V, E);
    b->w->word_embeddings = NULL;
    if (fc_lowp_table_bind(&b->w->word_table, b->st, name, (int)V, (int)E,
                           storage == FC_WEIGHTS_F16 ? FC_HALF_F16 : FC_HALF_BF16, b->err) != 0)
        return fc_fail_prefix(b->err, "%s", b->weights_name);
    return 0;
}

int fc_deberta_weights_bind(fc_deberta_weights *w, const fc_deberta_config *c, int num_labels,
                            const fc_safetensors *st, const char *weights_name,
                            fc_weight_dtype storage, fc_error *err) {
    memset(w, 0, sizeof *w);
    binder b = {w, st, weights_name, err, storage != FC_WEIGHTS_F32};
    const int64_t H = c->hidden_size, E = c->embedding_size, V = c->vocab_size;
    w->layers = fc_calloc((size_t)c->num_layers, sizeof *w->layers);
    // §4.3: word embeddings, then the conditional tensors of the embedding block.
    if (bind_word_embeddings(&b, storage, V, E) ||
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

const float *fc_deberta_layer_matrix(const fc_safetensors *st, int layer, int which,
                                     int out_dim, int in_dim, float **copy, fc_error *err) {
    char p[192], name[256];
    layer_name(p, sizeof p, layer, lowp_parts[which]);
    snprintf(name, sizeof name, "%s.weight", p);
    int64_t shape[2] = {out_dim, in_dim};
    const float *values = fc_safetensors_f32(st, name, 2, shape, copy, err); // names a miss
    // Widened from a 16-bit file: the file's pages it read are not needed again.
    if (values && *copy) {
        const fc_tensor *t = fc_safetensors_find(st, name);
        fc_release_pages(t->data, t->nbytes);
    }
    return values;
}

void fc_deberta_weights_free(fc_deberta_weights *w) {
    fc_lowp_table_free(&w->word_table);
    for (int i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w->layers);
    memset(w, 0, sizeof *w);
}
