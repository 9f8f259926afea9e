#include "model/bert/bert_weights.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "train/rng.h"
#include "util/alloc.h"
#include "util/pages.h"
#include "util/error.h"

// ---------------------------------------------------------------------------------------------
// The tensor list

typedef struct list_builder {
    fc_bert_params *p;
    size_t cap;
    const char *prefix; // "bert." or "roberta."
} list_builder;

static void add(list_builder *b, fc_tensor_role role, int64_t d0, int64_t d1, const float **wslot,
                float **gslot, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add(list_builder *b, fc_tensor_role role, int64_t d0, int64_t d1, const float **wslot,
                float **gslot, const char *fmt, ...) {
    fc_bert_params *p = b->p;
    if (p->n_tensors == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        p->tensors = fc_realloc(p->tensors, b->cap * sizeof *p->tensors);
    }
    fc_param_tensor *t = &p->tensors[p->n_tensors++];
    memset(t, 0, sizeof *t);
    va_list args;
    va_start(args, fmt);
    vsnprintf(t->spec.name, sizeof t->spec.name, fmt, args);
    va_end(args);
    t->spec.ndim = d1 > 0 ? 2 : 1;
    t->spec.shape[0] = d0;
    t->spec.shape[1] = d1;
    t->spec.role = role;
    t->count = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
    t->offset = p->count;
    t->weight = wslot;
    t->grad = gslot;
    p->count += t->count;
}

// The layer's tensors. Query, key and value weights come one after another, and so do their
// biases, so that the buffer holds the fused [3H, H] matrix and [3H] bias the forward uses;
// only the query tensors carry the slots of the fused views.
static void add_layer(list_builder *b, int l) {
    fc_bert_params *p = b->p;
    const fc_bert_config *c = &p->config;
    int64_t H = c->hidden_size, I = c->intermediate_size;
    fc_bert_layer *L = &p->weights.layers[l];
    fc_bert_layer_grads *G = &p->named_grads.layers[l];
    const char *P = b->prefix;
    static const char *const qkv[3] = {"query", "key", "value"};
    for (int i = 0; i < 3; i++)
        add(b, FC_TENSOR_MATRIX, H, H, i == 0 ? &L->wqkv : NULL, i == 0 ? &G->wqkv : NULL,
            "%sencoder.layer.%d.attention.self.%s.weight", P, l, qkv[i]);
    for (int i = 0; i < 3; i++)
        add(b, FC_TENSOR_BIAS, H, 0, i == 0 ? &L->wqkv_b : NULL, i == 0 ? &G->wqkv_b : NULL,
            "%sencoder.layer.%d.attention.self.%s.bias", P, l, qkv[i]);
    add(b, FC_TENSOR_MATRIX, H, H, &L->attn_out_w, &G->attn_out_w,
        "%sencoder.layer.%d.attention.output.dense.weight", P, l);
    add(b, FC_TENSOR_BIAS, H, 0, &L->attn_out_b, &G->attn_out_b,
        "%sencoder.layer.%d.attention.output.dense.bias", P, l);
    add(b, FC_TENSOR_NORM, H, 0, &L->attn_norm_w, &G->attn_norm_w,
        "%sencoder.layer.%d.attention.output.LayerNorm.weight", P, l);
    add(b, FC_TENSOR_BIAS, H, 0, &L->attn_norm_b, &G->attn_norm_b,
        "%sencoder.layer.%d.attention.output.LayerNorm.bias", P, l);
    add(b, FC_TENSOR_MATRIX, I, H, &L->inter_w, &G->inter_w,
        "%sencoder.layer.%d.intermediate.dense.weight", P, l);
    add(b, FC_TENSOR_BIAS, I, 0, &L->inter_b, &G->inter_b,
        "%sencoder.layer.%d.intermediate.dense.bias", P, l);
    add(b, FC_TENSOR_MATRIX, H, I, &L->out_w, &G->out_w, "%sencoder.layer.%d.output.dense.weight",
        P, l);
    add(b, FC_TENSOR_BIAS, H, 0, &L->out_b, &G->out_b, "%sencoder.layer.%d.output.dense.bias", P,
        l);
    add(b, FC_TENSOR_NORM, H, 0, &L->out_norm_w, &G->out_norm_w,
        "%sencoder.layer.%d.output.LayerNorm.weight", P, l);
    add(b, FC_TENSOR_BIAS, H, 0, &L->out_norm_b, &G->out_norm_b,
        "%sencoder.layer.%d.output.LayerNorm.bias", P, l);
}

static void point_views(fc_bert_params *p) {
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        if (t->weight) *t->weight = p->values + t->offset;
        if (t->grad) *t->grad = p->grads ? p->grads + t->offset : NULL;
    }
}

int fc_bert_params_init(fc_bert_params *p, const fc_bert_config *c, int num_labels,
                        fc_error *err) {
    memset(p, 0, sizeof *p);
    p->config = *c;
    p->num_labels = num_labels;
    p->weights.layers = fc_calloc((size_t)c->num_layers, sizeof *p->weights.layers);
    p->named_grads.layers = fc_calloc((size_t)c->num_layers, sizeof *p->named_grads.layers);
    int roberta = c->flavor == FC_BERT_FLAVOR_ROBERTA;
    list_builder b = {p, 0, roberta ? "roberta." : "bert."};
    fc_bert_weights *w = &p->weights;
    fc_bert_grads *g = &p->named_grads;
    int64_t H = c->hidden_size;
    const char *P = b.prefix;
    add(&b, FC_TENSOR_EMBEDDING, c->vocab_size, H, &w->word_embeddings, &g->word_embeddings,
        "%sembeddings.word_embeddings.weight", P);
    add(&b, FC_TENSOR_EMBEDDING, c->max_position_embeddings, H, &w->position_embeddings,
        &g->position_embeddings, "%sembeddings.position_embeddings.weight", P);
    add(&b, FC_TENSOR_EMBEDDING, c->type_vocab_size, H, &w->token_type_embeddings,
        &g->token_type_embeddings, "%sembeddings.token_type_embeddings.weight", P);
    add(&b, FC_TENSOR_NORM, H, 0, &w->emb_norm_w, &g->emb_norm_w, "%sembeddings.LayerNorm.weight",
        P);
    add(&b, FC_TENSOR_BIAS, H, 0, &w->emb_norm_b, &g->emb_norm_b, "%sembeddings.LayerNorm.bias", P);
    for (int l = 0; l < c->num_layers; l++) add_layer(&b, l);
    if (roberta) {
        add(&b, FC_TENSOR_MATRIX, H, H, &w->head_dense_w, &g->head_dense_w,
            "classifier.dense.weight");
        add(&b, FC_TENSOR_BIAS, H, 0, &w->head_dense_b, &g->head_dense_b, "classifier.dense.bias");
        add(&b, FC_TENSOR_MATRIX, num_labels, H, &w->classifier_w, &g->classifier_w,
            "classifier.out_proj.weight");
        add(&b, FC_TENSOR_BIAS, num_labels, 0, &w->classifier_b, &g->classifier_b,
            "classifier.out_proj.bias");
    } else {
        add(&b, FC_TENSOR_MATRIX, H, H, &w->head_dense_w, &g->head_dense_w,
            "bert.pooler.dense.weight");
        add(&b, FC_TENSOR_BIAS, H, 0, &w->head_dense_b, &g->head_dense_b, "bert.pooler.dense.bias");
        add(&b, FC_TENSOR_MATRIX, num_labels, H, &w->classifier_w, &g->classifier_w,
            "classifier.weight");
        add(&b, FC_TENSOR_BIAS, num_labels, 0, &w->classifier_b, &g->classifier_b,
            "classifier.bias");
    }
    p->values = fc_try_calloc(p->count, sizeof *p->values);
    if (!p->values) {
        size_t bytes = p->count * sizeof *p->values;
        fc_bert_params_free(p);
        return fc_fail_out_of_memory(err, "the weights", bytes);
    }
    point_views(p);
    return 0;
}

void fc_bert_params_alloc_grads(fc_bert_params *p) {
    if (!p->grads) p->grads = fc_calloc(p->count, sizeof *p->grads);
    point_views(p);
}

void fc_bert_params_free(fc_bert_params *p) {
    if (p->lowp)
        for (int i = 0; i < 4 * p->config.num_layers; i++) fc_lowp_linear_free(&p->lowp[i]);
    free(p->lowp);
    fc_lowp_table_free(&p->word_table);
    free(p->tensors);
    free(p->values);
    free(p->grads);
    free(p->weights.layers);
    free(p->named_grads.layers);
    memset(p, 0, sizeof *p);
}

fc_param_set fc_bert_params_set(const fc_bert_params *p) {
    return (fc_param_set){p->tensors, p->n_tensors, p->count, p->values, p->grads};
}

// ---------------------------------------------------------------------------------------------
// Initialization and loading

// A different stream per tensor, so that a tensor's draws do not depend on the others'.
static uint64_t tensor_seed(uint64_t seed, const char *name) {
    uint64_t h = 0xcbf29ce484222325ULL; // FNV-1a of the name
    for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 0x100000001b3ULL;
    return seed ^ h;
}

void fc_bert_init_tensor(const fc_bert_params *p, const fc_param_tensor *t,
                         double initializer_range, uint64_t seed) {
    float *dst = p->values + t->offset;
    if (t->spec.role == FC_TENSOR_NORM) {
        for (size_t i = 0; i < t->count; i++) dst[i] = 1.0f;
        return;
    }
    if (t->spec.role == FC_TENSOR_BIAS) {
        memset(dst, 0, t->count * sizeof *dst);
        return;
    }
    fc_rng rng;
    fc_rng_seed(&rng, tensor_seed(seed, t->spec.name));
    for (size_t i = 0; i < t->count; i++) dst[i] = (float)(initializer_range * fc_rng_normal(&rng));
    // nn.Embedding(padding_idx=pad_token_id): _init_weights zeroes the padding row.
    if (t->weight == &p->weights.word_embeddings)
        memset(dst + (size_t)p->config.pad_token_id * p->config.hidden_size, 0,
               sizeof(float) * p->config.hidden_size);
}

static int is_head_tensor(const fc_bert_params *p, const fc_param_tensor *t) {
    return t->weight == &p->weights.head_dense_w || t->weight == &p->weights.head_dense_b ||
           t->weight == &p->weights.classifier_w || t->weight == &p->weights.classifier_b;
}

// The checkpoint's name for tensor t: the full name, or the name without the base model's
// prefix as a bare BertModel saves it. NULL when neither is there.
static const char *checkpoint_name(const fc_safetensors *st, const char *name, char *buf,
                                   size_t size) {
    if (fc_safetensors_find(st, name)) return name;
    const char *dot = strchr(name, '.');
    if (strncmp(name, "bert.", 5) == 0 || strncmp(name, "roberta.", 8) == 0) {
        snprintf(buf, size, "%s", dot + 1);
        if (fc_safetensors_find(st, buf)) return buf;
    }
    return NULL;
}

// With low-precision storage the layers' matrices are read one at a time by
// fc_bert_params_store_lowp, and the word embeddings not at all (they stay in the file).
static int read_later(const fc_bert_params *p, const fc_param_tensor *t) {
    if (p->storage == FC_WEIGHTS_F32) return 0;
    if (t->weight == &p->weights.word_embeddings) return 1;
    return t->spec.role == FC_TENSOR_MATRIX && !is_head_tensor(p, t);
}

int fc_bert_params_load(fc_bert_params *p, const fc_safetensors *st, const char *dir,
                        double initializer_range, uint64_t seed, fc_bert_head *head,
                        fc_error *err) {
    *head = FC_BERT_HEAD_LOADED;
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        char buf[128];
        const char *name = checkpoint_name(st, t->spec.name, buf, sizeof buf);
        if (!name) {
            if (!is_head_tensor(p, t))
                return fc_fail(err, "%s: missing tensor \"%s\" (a BERT-family checkpoint has it "
                                    "with or without the \"%.*s\" prefix)", dir, t->spec.name,
                               (int)(strchr(t->spec.name, '.') - t->spec.name + 1), t->spec.name);
            fc_bert_init_tensor(p, t, initializer_range, seed);
            *head = FC_BERT_HEAD_FRESH;
            continue;
        }
        if (read_later(p, t)) continue;
        if (fc_safetensors_read_f32(st, name, t->spec.ndim, t->spec.shape, p->values + t->offset,
                                    err) != 0)
            return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Low-precision storage

static int store_one(fc_lowp_linear *lp, const float *values, int out_dim, int in_dim,
                     fc_weight_dtype storage) {
    fc_lowp_format format = storage == FC_WEIGHTS_INT8   ? FC_LOWP_INT8
                            : storage == FC_WEIGHTS_BF16 ? FC_LOWP_BF16
                                                         : FC_LOWP_F16;
    return fc_lowp_linear_prepare(lp, format, values, out_dim, in_dim);
}

// Reads the tensors that make up the fp32 matrix at [first, first + count) (query, key and
// value for Wqkv; one tensor for the others) into the values buffer.
static int read_matrix(fc_bert_params *p, const fc_safetensors *st, const char *dir,
                       const float *first, size_t count, fc_error *err) {
    for (size_t i = 0; i < p->n_tensors; i++) {
        const fc_param_tensor *t = &p->tensors[i];
        float *at = p->values + t->offset;
        if (at < first || at >= first + count) continue;
        char buf[128];
        const char *name = checkpoint_name(st, t->spec.name, buf, sizeof buf);
        if (!name) return fc_fail(err, "%s: missing tensor \"%s\"", dir, t->spec.name);
        if (fc_safetensors_read_f32(st, name, t->spec.ndim, t->spec.shape, at, err) != 0)
            return -1;
        const fc_tensor *found = fc_safetensors_find(st, name);
        fc_release_pages(found->data, found->nbytes); // copied: the file's pages are not needed
    }
    return 0;
}

int fc_bert_params_store_lowp(fc_bert_params *p, const fc_safetensors *st, const char *dir,
                              fc_error *err) {
    fc_weight_dtype storage = p->storage;
    if (storage == FC_WEIGHTS_F32) return 0;
    const fc_bert_config *c = &p->config;
    int H = c->hidden_size, I = c->intermediate_size;
    // The word embeddings: 16-bit rows from the file (bf16 for int8, a lookup).
    const fc_param_tensor *word = NULL;
    for (size_t i = 0; i < p->n_tensors && !word; i++)
        if (p->tensors[i].weight == &p->weights.word_embeddings) word = &p->tensors[i];
    char buf[128];
    const char *word_name = checkpoint_name(st, word->spec.name, buf, sizeof buf);
    if (!word_name) return fc_fail(err, "%s: missing tensor \"%s\"", dir, word->spec.name);
    if (fc_lowp_table_bind(&p->word_table, st, word_name, c->vocab_size, H,
                           storage == FC_WEIGHTS_F16 ? FC_HALF_F16 : FC_HALF_BF16, err) != 0)
        return fc_fail_prefix(err, "%s", dir);
    p->weights.word_embeddings = NULL;
    p->weights.word_table = &p->word_table;
    p->lowp = fc_calloc((size_t)4 * c->num_layers, sizeof *p->lowp);
    for (int l = 0; l < c->num_layers; l++) {
        fc_bert_layer *L = &p->weights.layers[l];
        fc_lowp_linear *lp = &p->lowp[4 * l];
        const float **fp32[4] = {&L->wqkv, &L->attn_out_w, &L->inter_w, &L->out_w};
        const int out_dims[4] = {3 * H, H, I, H}, in_dims[4] = {H, H, H, I};
        const fc_lowp_linear **slots[4] = {&L->wqkv_lowp, &L->attn_out_lowp, &L->inter_lowp,
                                           &L->out_lowp};
        for (int i = 0; i < 4; i++) {
            size_t count = (size_t)out_dims[i] * in_dims[i];
            if (read_matrix(p, st, dir, *fp32[i], count, err) != 0) return -1;
            if (store_one(&lp[i], *fp32[i], out_dims[i], in_dims[i], storage) != 0)
                return fc_fail(err, "out of memory preparing layer %d's weights for %s", l,
                               fc_weight_dtype_name(storage));
            // The inference model never reads the fp32 matrix again: give its pages back, and
            // forget it, so that a stray read fails loudly instead of reading zeros.
            fc_release_pages(*fp32[i], count * sizeof(float));
            *fp32[i] = NULL;
            *slots[i] = &lp[i];
        }
    }
    return 0;
}
