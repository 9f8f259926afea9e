#include "model/modernbert_weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

typedef struct binder {
    fc_modernbert_weights *w;
    const fc_safetensors *st;
    const char *weights_name; // for messages: the checkpoint folder or file
    fc_error *err;
} binder;

// Binds one tensor of the expected shape: zero-copy when it is aligned F32, else widened.
// A required tensor that is absent is an error naming the tensor; an optional one gives NULL.
static int bind(binder *b, const float **dst, int required, const char *name, int ndim,
                int64_t d0, int64_t d1) {
    *dst = NULL;
    const fc_tensor *t = fc_safetensors_find(b->st, name);
    if (!t) {
        if (!required) return 0;
        return fc_fail(b->err, "%s: missing tensor \"%s\"", b->weights_name, name);
    }
    int64_t shape[2] = {d0, d1};
    const float *view = fc_safetensors_f32_view(b->st, name);
    if (view) {
        int same = t->ndim == ndim;
        for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
        if (same) {
            *dst = view;
            return 0;
        }
        // fall through: read_f32 reports the shape mismatch with its full message
    }
    size_t count = (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
    float *copy = fc_malloc(count * sizeof *copy);
    if (fc_safetensors_read_f32(b->st, name, ndim, shape, copy, b->err) != 0) {
        free(copy);
        return -1;
    }
    b->w->owned = fc_realloc(b->w->owned, (size_t)(b->w->n_owned + 1) * sizeof *b->w->owned);
    b->w->owned[b->w->n_owned++] = copy;
    *dst = copy;
    return 0;
}

// "model.layers.{i}.{suffix}"
static const char *layer_name(char *buf, size_t size, int i, const char *suffix) {
    snprintf(buf, size, "model.layers.%d.%s", i, suffix);
    return buf;
}

static int bind_norm(binder *b, const float **w, const float **bias, int has_bias,
                     const char *prefix, int64_t H) {
    char name[256];
    snprintf(name, sizeof name, "%s.weight", prefix);
    if (bind(b, w, 1, name, 1, H, 0)) return -1;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return bind(b, bias, has_bias, name, 1, H, 0);
}

int fc_modernbert_weights_bind(fc_modernbert_weights *w, const fc_modernbert_config *c,
                               int num_labels, const fc_safetensors *st, const char *weights_name,
                               fc_error *err) {
    memset(w, 0, sizeof *w);
    binder b = {w, st, weights_name, err};
    const int64_t H = c->hidden_size, I = c->intermediate_size, V = c->vocab_size;
    char name[256];
    w->layers = fc_calloc((size_t)c->num_layers, sizeof *w->layers);
    if (bind(&b, &w->tok_embeddings, 1, "model.embeddings.tok_embeddings.weight", 2, V, H) ||
        bind_norm(&b, &w->emb_norm_w, &w->emb_norm_b, c->norm_bias, "model.embeddings.norm", H))
        goto fail;
    for (int i = 0; i < c->num_layers; i++) {
        fc_modernbert_layer *L = &w->layers[i];
        if (i > 0) {
            snprintf(name, sizeof name, "model.layers.%d.attn_norm", i);
            if (bind_norm(&b, &L->attn_norm_w, &L->attn_norm_b, c->norm_bias, name, H)) goto fail;
        }
        snprintf(name, sizeof name, "model.layers.%d.mlp_norm", i);
        if (bind_norm(&b, &L->mlp_norm_w, &L->mlp_norm_b, c->norm_bias, name, H) ||
            bind(&b, &L->wqkv, 1, layer_name(name, sizeof name, i, "attn.Wqkv.weight"), 2, 3 * H, H) ||
            bind(&b, &L->wqkv_b, c->attention_bias, layer_name(name, sizeof name, i, "attn.Wqkv.bias"), 1, 3 * H, 0) ||
            bind(&b, &L->attn_wo, 1, layer_name(name, sizeof name, i, "attn.Wo.weight"), 2, H, H) ||
            bind(&b, &L->attn_wo_b, c->attention_bias, layer_name(name, sizeof name, i, "attn.Wo.bias"), 1, H, 0) ||
            bind(&b, &L->mlp_wi, 1, layer_name(name, sizeof name, i, "mlp.Wi.weight"), 2, 2 * I, H) ||
            bind(&b, &L->mlp_wi_b, c->mlp_bias, layer_name(name, sizeof name, i, "mlp.Wi.bias"), 1, 2 * I, 0) ||
            bind(&b, &L->mlp_wo, 1, layer_name(name, sizeof name, i, "mlp.Wo.weight"), 2, H, I) ||
            bind(&b, &L->mlp_wo_b, c->mlp_bias, layer_name(name, sizeof name, i, "mlp.Wo.bias"), 1, H, 0))
            goto fail;
    }
    if (bind_norm(&b, &w->final_norm_w, &w->final_norm_b, c->norm_bias, "model.final_norm", H) ||
        bind(&b, &w->head_dense_w, 1, "head.dense.weight", 2, H, H) ||
        bind(&b, &w->head_dense_b, c->classifier_bias, "head.dense.bias", 1, H, 0) ||
        bind_norm(&b, &w->head_norm_w, &w->head_norm_b, c->norm_bias, "head.norm", H) ||
        bind(&b, &w->classifier_w, 1, "classifier.weight", 2, num_labels, H) ||
        bind(&b, &w->classifier_b, 1, "classifier.bias", 1, num_labels, 0))
        goto fail;
    return 0;
fail:
    fc_modernbert_weights_free(w);
    return -1;
}

void fc_modernbert_weights_free(fc_modernbert_weights *w) {
    for (int i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w->layers);
    memset(w, 0, sizeof *w);
}
