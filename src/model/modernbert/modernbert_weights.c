#include "model/modernbert/modernbert_weights.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/dtype.h"

#include "util/alloc.h"
#include "util/pages.h"
#include "util/error.h"

// The named fields that hold a tensor, by its checkpoint name. The field arrays follow the
// order of the structs in modernbert_weights.h.
static const char *const top_names[] = {
    "model.embeddings.tok_embeddings.weight",
    "model.embeddings.norm.weight", "model.embeddings.norm.bias",
    "model.final_norm.weight", "model.final_norm.bias",
    "head.dense.weight", "head.dense.bias",
    "head.norm.weight", "head.norm.bias",
    "classifier.weight", "classifier.bias",
};
static const char *const layer_names[] = {
    "attn_norm.weight", "attn_norm.bias", "attn.Wqkv.weight", "attn.Wqkv.bias",
    "attn.Wo.weight",   "attn.Wo.bias",   "mlp_norm.weight",  "mlp_norm.bias",
    "mlp.Wi.weight",    "mlp.Wi.bias",    "mlp.Wo.weight",    "mlp.Wo.bias",
};
enum { N_TOP = sizeof top_names / sizeof top_names[0],
       N_LAYER = sizeof layer_names / sizeof layer_names[0] };

static int find_slots(const char *name, int num_layers, fc_modernbert_weights *w,
                      fc_modernbert_grads *g, const float ***wslot, float ***gslot) {
    const float **wtop[N_TOP] = {&w->tok_embeddings, &w->emb_norm_w, &w->emb_norm_b,
                                 &w->final_norm_w, &w->final_norm_b, &w->head_dense_w,
                                 &w->head_dense_b, &w->head_norm_w, &w->head_norm_b,
                                 &w->classifier_w, &w->classifier_b};
    float **gtop[N_TOP] = {&g->tok_embeddings, &g->emb_norm_w, &g->emb_norm_b,
                           &g->final_norm_w, &g->final_norm_b, &g->head_dense_w,
                           &g->head_dense_b, &g->head_norm_w, &g->head_norm_b,
                           &g->classifier_w, &g->classifier_b};
    for (int i = 0; i < N_TOP; i++) {
        if (strcmp(name, top_names[i]) != 0) continue;
        *wslot = wtop[i];
        *gslot = gtop[i];
        return 0;
    }
    int layer, used = 0;
    if (sscanf(name, "model.layers.%d.%n", &layer, &used) != 1 || used == 0 || layer < 0 ||
        layer >= num_layers)
        return -1;
    fc_modernbert_layer *L = &w->layers[layer];
    fc_modernbert_layer_grads *G = &g->layers[layer];
    const float **wl[N_LAYER] = {&L->attn_norm_w, &L->attn_norm_b, &L->wqkv, &L->wqkv_b,
                                 &L->attn_wo, &L->attn_wo_b, &L->mlp_norm_w, &L->mlp_norm_b,
                                 &L->mlp_wi, &L->mlp_wi_b, &L->mlp_wo, &L->mlp_wo_b};
    float **gl[N_LAYER] = {&G->attn_norm_w, &G->attn_norm_b, &G->wqkv, &G->wqkv_b,
                           &G->attn_wo, &G->attn_wo_b, &G->mlp_norm_w, &G->mlp_norm_b,
                           &G->mlp_wi, &G->mlp_wi_b, &G->mlp_wo, &G->mlp_wo_b};
    for (int i = 0; i < N_LAYER; i++) {
        if (strcmp(name + used, layer_names[i]) != 0) continue;
        *wslot = wl[i];
        *gslot = gl[i];
        return 0;
    }
    return -1;
}

fc_param_tensor *fc_modernbert_tensor_list(const fc_modernbert_config *c, int num_labels,
                                                fc_modernbert_weights *w, fc_modernbert_grads *g,
                                                size_t *n_tensors, size_t *total) {
    fc_tensor_spec *specs = NULL;
    int count = 0;
    fc_modernbert_tensor_specs(c, num_labels, &specs, &count);
    w->layers = fc_calloc((size_t)c->num_layers, sizeof *w->layers);
    g->layers = fc_calloc((size_t)c->num_layers, sizeof *g->layers);
    fc_param_tensor *list = fc_calloc((size_t)count + 1, sizeof *list);
    size_t offset = 0;
    for (int i = 0; i < count; i++) {
        fc_param_tensor *t = &list[i];
        t->spec = specs[i];
        t->count = (size_t)t->spec.shape[0] * (size_t)(t->spec.ndim == 2 ? t->spec.shape[1] : 1);
        t->offset = offset;
        offset += t->count;
        if (find_slots(t->spec.name, c->num_layers, w, g, &t->weight, &t->grad) != 0) {
            // The two lists disagree: a programming error, not a property of any input.
            fprintf(stderr, "finecat: internal error: no field for tensor %s\n", t->spec.name);
            abort();
        }
    }
    free(specs);
    *n_tensors = (size_t)count;
    *total = offset;
    return list;
}

// Binds one tensor of the expected shape: zero-copy when it is aligned F32, else widened.
static int bind(fc_modernbert_weights *w, const fc_safetensors *st, const char *weights_name,
                const fc_param_tensor *t, fc_error *err) {
    const fc_tensor_spec *s = &t->spec;
    if (!fc_safetensors_find(st, s->name))
        return fc_fail(err, "%s: missing tensor \"%s\"", weights_name, s->name);
    float *copy;
    const float *values = fc_safetensors_f32(st, s->name, s->ndim, s->shape, &copy, err);
    if (!values) return -1;
    if (copy) {
        w->owned = fc_realloc(w->owned, (size_t)(w->n_owned + 1) * sizeof *w->owned);
        w->owned[w->n_owned++] = copy;
    }
    *t->weight = values;
    return 0;
}

int fc_modernbert_weights_bind(fc_modernbert_weights *w, const fc_modernbert_config *c,
                               int num_labels, const fc_safetensors *st, const char *weights_name,
                               fc_error *err) {
    memset(w, 0, sizeof *w);
    fc_modernbert_grads unused = {0}; // the list also names gradient slots; none are needed
    size_t n, total;
    fc_param_tensor *tensors = fc_modernbert_tensor_list(c, num_labels, w, &unused, &n, &total);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = bind(w, st, weights_name, &tensors[i], err);
    free(tensors);
    fc_modernbert_grads_free(&unused);
    if (rc != 0) fc_modernbert_weights_free(w);
    return rc;
}

// ---------------------------------------------------------------------------------------------
// Low-precision storage

// Which of a layer's four matrices a name is: 0 Wqkv, 1 attn.Wo, 2 mlp.Wi, 3 mlp.Wo; -1 none.
static int layer_matrix(const char *name, int *layer) {
    static const char *const suffixes[4] = {"attn.Wqkv.weight", "attn.Wo.weight",
                                            "mlp.Wi.weight", "mlp.Wo.weight"};
    int used = 0;
    if (sscanf(name, "model.layers.%d.%n", layer, &used) != 1 || used == 0) return -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(name + used, suffixes[i]) == 0) return i;
    return -1;
}

static int bind_lowp(fc_modernbert_weights *w, const fc_safetensors *st, const char *weights_name,
                     const fc_param_tensor *t, int layer, int which, fc_weight_dtype storage,
                     fc_error *err) {
    const fc_tensor_spec *s = &t->spec;
    const fc_tensor *found = fc_safetensors_find(st, s->name);
    if (!found) return fc_fail(err, "%s: missing tensor \"%s\"", weights_name, s->name);
    fc_lowp_linear *lp = &w->lowp[4 * layer + which];
    int out_dim = (int)s->shape[0], in_dim = (int)s->shape[1], rc;
    if (storage == FC_WEIGHTS_INT8) {
        float *temp;
        const float *values = fc_safetensors_f32(st, s->name, s->ndim, s->shape, &temp, err);
        if (!values) return -1;
        rc = fc_lowp_linear_prepare(lp, FC_LOWP_INT8, values, out_dim, in_dim);
        free(temp);
        fc_release_pages(found->data, found->nbytes); // the file's pages it read
    } else {
        fc_half_kind kind = storage == FC_WEIGHTS_BF16 ? FC_HALF_BF16 : FC_HALF_F16;
        uint16_t *owned;
        const uint16_t *half =
            fc_tensor_as_half(st, found, s->name, s->ndim, s->shape, t->count, kind, &owned, err);
        if (!half) return -1;
        rc = fc_lowp_linear_prepare_half(lp, kind == FC_HALF_BF16 ? FC_LOWP_BF16 : FC_LOWP_F16,
                                         half, out_dim, in_dim);
        if (rc == 0 && lp->half == half)
            lp->half_owned = owned; // the widened path reads it at every call
        else
            free(owned); // packed (or failed): the 16-bit copy is not needed
        if (rc == 0 && lp->engine.packed && !owned)
            fc_release_pages(half, t->count * sizeof(uint16_t)); // in the mapped file
    }
    if (rc != 0)
        return fc_fail(err, "%s: out of memory preparing \"%s\" for %s", weights_name, s->name,
                       fc_weight_dtype_name(storage));
    fc_modernbert_layer *L = &w->layers[layer];
    const fc_lowp_linear **slots[4] = {&L->wqkv_lowp, &L->attn_wo_lowp, &L->mlp_wi_lowp,
                                       &L->mlp_wo_lowp};
    *slots[which] = lp;
    *t->weight = NULL;
    return 0;
}

// The embedding table of a low-precision model is kept in 16 bits (bf16 for int8: int8 is for
// GEMMs, and this is a lookup), read in place or converted row by row as tokens need it
// (lowp_table.h). Reading an fp32 table in place as the f32 path does was tried: the kernel maps
// the neighbours of every touched page too (fault-around), which over a benchmark's pairs cost
// more than a whole 16-bit copy (ModernBERT-large, 64 pairs: +63 MB bf16, +58 MB int8), and the
// whole copy cost 103 MB that the row-by-row conversion does not.
static int bind_embeddings(fc_modernbert_weights *w, const fc_safetensors *st,
                           const char *weights_name, const fc_param_tensor *t,
                           fc_half_kind convert_to, fc_error *err) {
    *t->weight = NULL;
    if (fc_lowp_table_bind(&w->tok_embeddings_lowp, st, t->spec.name, (int)t->spec.shape[0],
                           (int)t->spec.shape[1], convert_to, err) != 0)
        return fc_fail_prefix(err, "%s", weights_name);
    return 0;
}

int fc_modernbert_weights_bind_stored(fc_modernbert_weights *w, const fc_modernbert_config *c,
                                      int num_labels, const fc_safetensors *st,
                                      const char *weights_name, fc_weight_dtype storage,
                                      fc_error *err) {
    if (storage == FC_WEIGHTS_F32)
        return fc_modernbert_weights_bind(w, c, num_labels, st, weights_name, err);
    memset(w, 0, sizeof *w);
    fc_modernbert_grads unused = {0};
    size_t n, total;
    fc_param_tensor *tensors = fc_modernbert_tensor_list(c, num_labels, w, &unused, &n, &total);
    w->n_lowp = 4 * c->num_layers;
    w->lowp = fc_calloc((size_t)w->n_lowp, sizeof *w->lowp);
    fc_half_kind table_kind = storage == FC_WEIGHTS_F16 ? FC_HALF_F16 : FC_HALF_BF16;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const fc_param_tensor *t = &tensors[i];
        int layer = 0, which = layer_matrix(t->spec.name, &layer);
        if (which >= 0)
            rc = bind_lowp(w, st, weights_name, t, layer, which, storage, err);
        else if (t->spec.role == FC_TENSOR_EMBEDDING)
            rc = bind_embeddings(w, st, weights_name, t, table_kind, err);
        else
            rc = bind(w, st, weights_name, t, err);
    }
    free(tensors);
    fc_modernbert_grads_free(&unused);
    if (rc != 0) fc_modernbert_weights_free(w);
    return rc;
}

void fc_modernbert_weights_free(fc_modernbert_weights *w) {
    for (int i = 0; i < w->n_lowp; i++) fc_lowp_linear_free(&w->lowp[i]);
    free(w->lowp);
    fc_lowp_table_free(&w->tok_embeddings_lowp);
    for (int i = 0; i < w->n_owned; i++) free(w->owned[i]);
    free(w->owned);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

void fc_modernbert_grads_free(fc_modernbert_grads *g) {
    free(g->layers);
    memset(g, 0, sizeof *g);
}

void fc_modernbert_params_init(fc_modernbert_params *p, const fc_modernbert_config *c,
                               int num_labels) {
    memset(p, 0, sizeof *p);
    p->config = *c;
    p->num_labels = num_labels;
    p->tensors = fc_modernbert_tensor_list(c, num_labels, &p->weights, &p->named_grads,
                                           &p->n_tensors, &p->count);
    p->values = fc_calloc(p->count, sizeof *p->values);
    p->grads = fc_calloc(p->count, sizeof *p->grads);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        *t->weight = p->values + t->offset;
        *t->grad = p->grads + t->offset;
    }
}

void fc_modernbert_params_free(fc_modernbert_params *p) {
    free(p->values);
    free(p->grads);
    free(p->tensors);
    fc_modernbert_weights_free(&p->weights);
    fc_modernbert_grads_free(&p->named_grads);
    memset(p, 0, sizeof *p);
}

const fc_param_tensor *fc_modernbert_params_find(const fc_modernbert_params *p,
                                                      const char *name) {
    for (size_t i = 0; i < p->n_tensors; i++)
        if (strcmp(p->tensors[i].spec.name, name) == 0) return &p->tensors[i];
    return NULL;
}
