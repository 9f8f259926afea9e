// The DeBERTa-v2/v3 forward pass, written as model-reference.md §4.3-§4.9 read, on packed
// batches: embeddings, projections, post-LayerNorm and the MLP run over all tokens of all
// sequences at once; only attention (per sequence and head) and pooling look at sequence
// boundaries (design.md: pack, don't pad).
#include "model/deberta/deberta.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/deberta_kernels.h"
#include "kernels/cpu/kernels.h"
#include "kernels/cpu/linear_lowp.h"
#include "model/deberta/deberta_weights.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/pages.h"

// Activation buffers, sized for the largest batch seen so far and reused: nothing is
// allocated per layer or per token.
typedef struct workspace {
    int token_capacity, seq_capacity;
    float *x;        // [T, H] hidden states: embedding output, then each layer's output
    float *embed;    // [T, E] embedding sums before embed_proj (only when E != H)
    float *q, *k, *v; // [T, H] content projections
    float *context;  // [T, H] attention output before attention.output.dense
    float *attn;     // [T, H] attention block output, post-LayerNorm (§4.6 step 2)
    float *sum;      // [T, H] a sublayer's dense output plus its residual, before the norm
    float *inter;    // [T, I] intermediate activations
    float *pooled;   // [B, H] token 0 of each sequence
    float *pooler;   // [B, H] pooler output
    // Relative positions (§4.4), for sequences up to index_len tokens.
    int index_len;
    int32_t *rel_index; // [2·index_len − 1] row of the rel table by distance i − j
    float *rel;         // [2·att_span, H] normalized rel_embeddings rows in use
    float *pos_key;     // [2·att_span, H] Kr of the rows in use (c2p)
    float *pos_query;   // [2·att_span, H] Qr of the rows in use (p2c)
    // Attention scratch: per_thread floats for each of threads OpenMP threads.
    float *attn_scratch;
    size_t scratch_per_thread;
    int scratch_threads;
    fc_lowp_scratch lowp; // buffers of the low-precision layers
    int lowp_failed;      // set by a low-precision layer that ran out of memory
} workspace;

struct fc_deberta {
    fc_deberta_config config;
    fc_deberta_weights weights;
    int num_labels;
    fc_lowp_linear *lowp; // [num_layers · FC_DEBERTA_LOWP_PER_LAYER], or NULL for fp32
    workspace ws;
};

static void free_lowp(fc_deberta *m) {
    if (!m->lowp) return;
    for (int i = 0; i < m->config.num_layers * FC_DEBERTA_LOWP_PER_LAYER; i++) fc_lowp_linear_free(&m->lowp[i]);
    free(m->lowp);
    m->lowp = NULL;
}

// Reads every layer's six matrices from the file one at a time, prepares each in the storage
// and gives its fp32 pages (or widened copy) back at once, so that the fp32 copy of the whole
// model is never resident; they are read through the low-precision copies from then on (the
// shared position projections too).
static int store_lowp(fc_deberta *m, const fc_safetensors *st, fc_weight_dtype storage,
                      fc_error *err) {
    const fc_deberta_config *c = &m->config;
    int H = c->hidden_size, I = c->intermediate_size;
    fc_lowp_format format = storage == FC_WEIGHTS_INT8   ? FC_LOWP_INT8
                            : storage == FC_WEIGHTS_BF16 ? FC_LOWP_BF16
                                                         : FC_LOWP_F16;
    m->lowp = fc_calloc((size_t)c->num_layers * FC_DEBERTA_LOWP_PER_LAYER, sizeof *m->lowp);
    const int out_dims[FC_DEBERTA_LOWP_PER_LAYER] = {H, H, H, H, I, H};
    const int in_dims[FC_DEBERTA_LOWP_PER_LAYER] = {H, H, H, H, H, I};
    for (int l = 0; l < c->num_layers; l++) {
        for (int i = 0; i < FC_DEBERTA_LOWP_PER_LAYER; i++) {
            float *copy;
            const float *values =
                fc_deberta_layer_matrix(st, l, i, out_dims[i], in_dims[i], &copy, err);
            if (!values) return -1;
            int rc = fc_lowp_linear_prepare(&m->lowp[l * FC_DEBERTA_LOWP_PER_LAYER + i], format,
                                            values, out_dims[i], in_dims[i]);
            if (copy)
                free(copy);
            else
                fc_release_pages(values, (size_t)out_dims[i] * in_dims[i] * sizeof(float));
            if (rc != 0)
                return fc_fail(err, "out of memory preparing layer %d's weights for %s", l,
                               fc_weight_dtype_name(storage));
        }
    }
    return 0;
}

int fc_deberta_load_stored(const cJSON *config, const char *config_path, const fc_safetensors *st,
                           const char *weights_name, int num_labels, fc_weight_dtype storage,
                           fc_deberta **out, fc_error *err) {
    *out = NULL;
    if (num_labels < 1) return fc_fail(err, "%s: the model needs at least one label", config_path);
    fc_deberta *m = fc_calloc(1, sizeof *m);
    if (fc_deberta_config_parse(config, config_path, &m->config, err) != 0 ||
        fc_deberta_weights_bind(&m->weights, &m->config, num_labels, st, weights_name, storage,
                                err) != 0) {
        free(m);
        return -1;
    }
    m->num_labels = num_labels;
    if (storage != FC_WEIGHTS_F32 && store_lowp(m, st, storage, err) != 0) {
        fc_deberta_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

int fc_deberta_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                    const char *weights_name, int num_labels, fc_deberta **out, fc_error *err) {
    return fc_deberta_load_stored(config, config_path, st, weights_name, num_labels,
                                  FC_WEIGHTS_F32, out, err);
}

// Whether attention runs its products in bf16 (fc_lowp_attention_bf16: bf16 and int8 weights).
static int bf16_attention(const fc_deberta *m) {
    return m->lowp && fc_lowp_attention_bf16(&m->lowp[0]);
}

// The low-precision copy of a layer's matrix, or NULL when the model runs fp32.
static const fc_lowp_linear *lowp_of(const fc_deberta *m, int layer, int which) {
    return m->lowp ? &m->lowp[layer * FC_DEBERTA_LOWP_PER_LAYER + which] : NULL;
}

// A dense layer over rows rows, in whichever storage its weights are kept, then the epilogue
// (may be NULL; its residual never aliases out here). A low-precision failure (out of memory)
// is recorded and reported after the layer.
static void dense(fc_deberta *m, float *out, const float *in, const float *weight,
                  const fc_lowp_linear *lowp, const float *bias, const fc_linear_epilogue *e,
                  int rows, int in_dim, int out_dim) {
    if (lowp) {
        if (fc_lowp_linear_forward(out, in, lowp, bias, e, rows, &m->ws.lowp) != 0)
            m->ws.lowp_failed = 1;
        return;
    }
    fc_linear_forward(out, in, weight, bias, rows, in_dim, out_dim);
    if (!e) return;
    if (e->gelu) {
        // Exact GELU (P5); erff over rows·out_dim values is worth spreading over the threads.
#pragma omp parallel for schedule(static)
        for (int t = 0; t < rows; t++) fc_gelu_forward(out + (size_t)t * out_dim, out_dim);
    }
    if (e->residual)
        for (size_t i = 0; i < (size_t)rows * out_dim; i++) out[i] += e->residual[i];
}

static void workspace_free(workspace *ws) {
    free(ws->x);
    free(ws->embed);
    free(ws->q);
    free(ws->k);
    free(ws->v);
    free(ws->context);
    free(ws->attn);
    free(ws->sum);
    free(ws->inter);
    free(ws->pooled);
    free(ws->pooler);
    free(ws->rel_index);
    free(ws->rel);
    free(ws->pos_key);
    free(ws->pos_query);
    fc_lowp_scratch_free(&ws->lowp);
    free(ws->attn_scratch);
    memset(ws, 0, sizeof *ws);
}

void fc_deberta_free(fc_deberta *m) {
    if (!m) return;
    free_lowp(m);
    fc_deberta_weights_free(&m->weights);
    workspace_free(&m->ws);
    free(m);
}

const fc_deberta_config *fc_deberta_get_config(const fc_deberta *m) {
    return &m->config;
}

// The relative-position rows one forward needs: rel_index covers distances up to
// ±(longest − 1), and the rows those distances reach are first .. first + rows − 1.
static fc_deberta_rel relative_rows(const fc_deberta *m, int longest) {
    const workspace *ws = &m->ws;
    const fc_deberta_config *c = &m->config;
    fc_deberta_rel rel = {0};
    const int32_t *center = ws->rel_index + (ws->index_len - 1);
    rel.first_row = center[-(longest - 1)];
    rel.rows = center[longest - 1] - rel.first_row + 1;
    rel.pos_key = c->c2p ? ws->pos_key : NULL;
    rel.pos_query = c->p2c ? ws->pos_query : NULL;
    rel.index_by_distance = ws->rel_index;
    rel.max_len = ws->index_len;
    return rel;
}

// Grows the buffers (never shrinks) to hold T tokens in B sequences, the longest of longest.
// Out of memory is an error; the capacities then stay at what every buffer holds, so that the
// next call grows them again.
static int workspace_reserve(fc_deberta *m, int T, int B, int longest, fc_error *err) {
    const fc_deberta_config *c = &m->config;
    workspace *ws = &m->ws;
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    if (T > ws->token_capacity) {
        ws->token_capacity = 0;
        const char *what = "the activations of the batch";
        if (fc_grow_floats(&ws->x, T * H, what, err) != 0 ||
            (c->embedding_size != c->hidden_size &&
             fc_grow_floats(&ws->embed, T * (size_t)c->embedding_size, what, err) != 0) ||
            fc_grow_floats(&ws->q, T * H, what, err) != 0 || fc_grow_floats(&ws->k, T * H, what, err) != 0 ||
            fc_grow_floats(&ws->v, T * H, what, err) != 0 ||
            fc_grow_floats(&ws->context, T * H, what, err) != 0 ||
            fc_grow_floats(&ws->attn, T * H, what, err) != 0 ||
            fc_grow_floats(&ws->sum, T * H, what, err) != 0 ||
            fc_grow_floats(&ws->inter, T * I, what, err) != 0)
            return -1;
        ws->token_capacity = T;
    }
    if (B > ws->seq_capacity) {
        ws->seq_capacity = 0;
        if (fc_grow_floats(&ws->pooled, (size_t)B * H, "the pooled outputs", err) != 0 ||
            fc_grow_floats(&ws->pooler, (size_t)B * H, "the pooled outputs", err) != 0)
            return -1;
        ws->seq_capacity = B;
    }
    if (c->relative_attention && longest > ws->index_len) {
        int32_t *index = fc_try_realloc_array(ws->rel_index, (size_t)(2 * longest - 1), sizeof *index);
        if (!index)
            return fc_fail_out_of_memory(err, "the relative positions",
                                         (size_t)(2 * longest - 1) * sizeof *index);
        ws->rel_index = index;
        ws->index_len = longest;
        for (int r = -(longest - 1); r <= longest - 1; r++)
            ws->rel_index[r + longest - 1] = fc_deberta_rel_index(
                r, c->position_buckets, c->max_relative_positions, c->att_span);
    }
    if (c->relative_attention && !ws->rel) {
        size_t table = (size_t)2 * c->att_span * H;
        float *rel = fc_try_realloc_array(NULL, table, sizeof(float));
        float *pos_key = c->c2p ? fc_try_realloc_array(NULL, table, sizeof(float)) : NULL;
        float *pos_query = c->p2c ? fc_try_realloc_array(NULL, table, sizeof(float)) : NULL;
        if (!rel || (c->c2p && !pos_key) || (c->p2c && !pos_query)) {
            free(rel);
            free(pos_key);
            free(pos_query);
            return fc_fail_out_of_memory(err, "the relative position tables",
                                         3 * table * sizeof(float));
        }
        ws->rel = rel;
        ws->pos_key = pos_key;
        ws->pos_query = pos_query;
    }
    fc_deberta_rel rel = {0};
    if (c->relative_attention) rel = relative_rows(m, longest);
    size_t per_thread =
        fc_deberta_attention_scratch_floats(longest, c->relative_attention ? &rel : NULL,
                                            c->head_dim, bf16_attention(m));
    int threads = omp_get_max_threads();
    if (per_thread > ws->scratch_per_thread || threads > ws->scratch_threads) {
        size_t want_per_thread = per_thread > ws->scratch_per_thread ? per_thread : ws->scratch_per_thread;
        int want_threads = threads > ws->scratch_threads ? threads : ws->scratch_threads;
        if (fc_grow_floats(&ws->attn_scratch, (size_t)want_threads * want_per_thread,
                        "the attention scratch", err) != 0)
            return -1;
        ws->scratch_per_thread = want_per_thread;
        ws->scratch_threads = want_threads;
    }
    return 0;
}

// §4.3: word embeddings (+ absolute positions when position_biased_input), embed_proj when
// embedding_size != hidden_size, LayerNorm. No padding, so the mask multiply is a no-op.
static void embed(fc_deberta *m, const int32_t *ids, const int32_t *offsets, int n_seqs, int T) {
    const fc_deberta_config *c = &m->config;
    const fc_deberta_weights *w = &m->weights;
    workspace *ws = &m->ws;
    int E = c->embedding_size, H = c->hidden_size;
    float *e = E == H ? ws->x : ws->embed;
    for (int s = 0; s < n_seqs; s++) {
        for (int t = offsets[s]; t < offsets[s + 1]; t++) {
            float *row = e + (size_t)t * E;
            if (w->word_embeddings)
                memcpy(row, w->word_embeddings + (size_t)ids[t] * E, sizeof(float) * E);
            else // low-precision storage: the 16-bit row, widened
                fc_lowp_table_row(&w->word_table, ids[t], row);
            if (!w->position_embeddings) continue;
            // Positions restart at 0 in every sequence (HF's position_ids of a padded row).
            const float *pos = w->position_embeddings + (size_t)(t - offsets[s]) * E;
            for (int i = 0; i < E; i++) row[i] += pos[i];
        }
    }
    if (E != H) fc_linear_forward(ws->x, ws->embed, w->embed_proj, NULL, T, E, H);
    fc_layernorm_forward(ws->x, ws->x, w->emb_norm_w, w->emb_norm_b, T, H, c->layer_norm_eps);
}

// §4.5 R: encoder.LayerNorm over the rel_embeddings rows in use (once per forward, shared by
// every layer), or the raw rows when norm_rel_ebd is "none".
static const float *relative_embeddings(fc_deberta *m, const fc_deberta_rel *rel) {
    const fc_deberta_config *c = &m->config;
    const fc_deberta_weights *w = &m->weights;
    int H = c->hidden_size;
    const float *rows = w->rel_embeddings + (size_t)rel->first_row * H;
    if (!c->norm_rel_ebd) return rows;
    fc_layernorm_forward(m->ws.rel, rows, w->rel_norm_w, w->rel_norm_b, rel->rows, H,
                         c->layer_norm_eps);
    return m->ws.rel;
}

// §4.5 steps 1-5 for one layer: content Q, K, V, the position projections Kr, Qr of the rows
// in use (query_proj / key_proj with their biases under share_att_key, P9), then attention.
static void self_attention(fc_deberta *m, int layer, const float *R, const fc_deberta_rel *rel,
                           const int32_t *offsets, int n_seqs, int T) {
    const fc_deberta_config *c = &m->config;
    const fc_deberta_layer *L = &m->weights.layers[layer];
    workspace *ws = &m->ws;
    int H = c->hidden_size;
    const fc_lowp_linear *query = lowp_of(m, layer, FC_DEBERTA_QUERY), *key = lowp_of(m, layer, FC_DEBERTA_KEY);
    if (query) { // low precision: x staged once for the three
        float *const out[3] = {ws->q, ws->k, ws->v};
        const fc_lowp_linear *const lowp[3] = {query, key, lowp_of(m, layer, FC_DEBERTA_VALUE)};
        const float *const bias[3] = {L->query_b, L->key_b, L->value_b};
        if (fc_lowp_linear_forward_shared(3, out, ws->x, lowp, bias, T, &ws->lowp) != 0)
            ws->lowp_failed = 1;
    } else {
        dense(m, ws->q, ws->x, L->query_w, NULL, L->query_b, NULL, T, H, H);
        dense(m, ws->k, ws->x, L->key_w, NULL, L->key_b, NULL, T, H, H);
        dense(m, ws->v, ws->x, L->value_w, NULL, L->value_b, NULL, T, H, H);
    }
    if (rel && rel->pos_key) {
        if (c->share_att_key)
            dense(m, ws->pos_key, R, L->key_w, key, L->key_b, NULL, rel->rows, H, H);
        else
            dense(m, ws->pos_key, R, L->pos_key_w, NULL, L->pos_key_b, NULL, rel->rows, H, H);
    }
    if (rel && rel->pos_query) {
        if (c->share_att_key)
            dense(m, ws->pos_query, R, L->query_w, query, L->query_b, NULL, rel->rows, H, H);
        else
            dense(m, ws->pos_query, R, L->pos_query_w, NULL, L->pos_query_b, NULL, rel->rows, H,
                  H);
    }
    fc_deberta_attention_forward(ws->context, ws->q, ws->k, ws->v, offsets, n_seqs,
                                 c->num_heads, c->head_dim, c->attention_scale, rel,
                                 bf16_attention(m), ws->attn_scratch, ws->scratch_per_thread);
}

// out = LayerNorm(in·Wᵀ + b + residual): the post-LN sublayer ending of §4.6 steps 2 and 4.
static void dense_residual_norm(fc_deberta *m, float *out, const float *in, int in_dim,
                                const float *weight, const fc_lowp_linear *lowp,
                                const float *bias, const float *residual, const float *norm_w,
                                const float *norm_b, int T) {
    int H = m->config.hidden_size;
    fc_linear_epilogue add = {.residual = residual};
    dense(m, m->ws.sum, in, weight, lowp, bias, &add, T, in_dim, H);
    fc_layernorm_forward(out, m->ws.sum, norm_w, norm_b, T, H, m->config.layer_norm_eps);
}

// §4.6: attention, then the GELU MLP, each closed by dense + residual + LayerNorm. The
// layer's output replaces ws->x.
static void encoder_layer(fc_deberta *m, int layer, const float *R, const fc_deberta_rel *rel,
                          const int32_t *offsets, int n_seqs, int T) {
    const fc_deberta_config *c = &m->config;
    const fc_deberta_layer *L = &m->weights.layers[layer];
    workspace *ws = &m->ws;
    int H = c->hidden_size, I = c->intermediate_size;
    self_attention(m, layer, R, rel, offsets, n_seqs, T);
    dense_residual_norm(m, ws->attn, ws->context, H, L->attn_out_w,
                        lowp_of(m, layer, FC_DEBERTA_ATTN_OUT), L->attn_out_b, ws->x, L->attn_norm_w,
                        L->attn_norm_b, T);
    fc_linear_epilogue gelu = {.gelu = 1};
    dense(m, ws->inter, ws->attn, L->inter_w, lowp_of(m, layer, FC_DEBERTA_INTER), L->inter_b, &gelu, T,
          H, I);
    dense_residual_norm(m, ws->x, ws->inter, I, L->out_w, lowp_of(m, layer, FC_DEBERTA_OUT), L->out_b,
                        ws->attn, L->out_norm_w, L->out_norm_b, T);
}

static int check_batch(const fc_deberta *m, const int32_t *ids, const int32_t *offsets,
                       int n_seqs, int *longest, fc_error *err) {
    const fc_deberta_config *c = &m->config;
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    if (offsets[0] != 0) return fc_fail(err, "batch offsets must start at 0");
    *longest = 0;
    for (int s = 0; s < n_seqs; s++) {
        int n = offsets[s + 1] - offsets[s];
        if (n < 1) return fc_fail(err, "sequence %d of the batch is empty", s);
        if (n > *longest) *longest = n;
    }
    // Only absolute position embeddings bound the length; relative ones clamp (§4.4, P8).
    if (c->position_biased_input && *longest > c->max_position_embeddings)
        return fc_fail(err, "a sequence of %d tokens exceeds max_position_embeddings %d",
                       *longest, c->max_position_embeddings);
    for (int t = 0; t < offsets[n_seqs]; t++)
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return fc_fail(err, "token id %d is outside the vocabulary (size %d)", ids[t],
                           c->vocab_size);
    return 0;
}

int fc_deberta_forward(fc_deberta *m, const int32_t *ids, const int32_t *offsets, int n_seqs,
                       float *logits, float *last_hidden, fc_error *err) {
    const fc_deberta_config *c = &m->config;
    const fc_deberta_weights *w = &m->weights;
    int longest = 0;
    if (check_batch(m, ids, offsets, n_seqs, &longest, err) != 0) return -1;
    int T = offsets[n_seqs], H = c->hidden_size;
    if (workspace_reserve(m, T, n_seqs, longest, err) != 0) return -1;
    workspace *ws = &m->ws;

    // §4.3 embeddings.
    embed(m, ids, offsets, n_seqs, T);

    // §4.4-§4.5: the relative rows this batch reaches and their normalized embeddings R.
    fc_deberta_rel rel_rows = {0};
    const fc_deberta_rel *rel = NULL;
    const float *R = NULL;
    if (c->relative_attention) {
        rel_rows = relative_rows(m, longest);
        rel = &rel_rows;
        R = relative_embeddings(m, rel);
    }

    // §4.6 the layers; no final norm after the last one.
    for (int layer = 0; layer < c->num_layers; layer++) {
        encoder_layer(m, layer, R, rel, offsets, n_seqs, T);
        if (ws->lowp_failed) {
            ws->lowp_failed = 0;
            return fc_fail(err, "out of memory in layer %d's matrix multiply", layer);
        }
    }
    if (last_hidden) memcpy(last_hidden, ws->x, (size_t)T * H * sizeof(float));

    // §4.9: token 0 ([CLS]) → pooler.dense → GELU (not tanh, P10) → classifier.
    for (int s = 0; s < n_seqs; s++)
        memcpy(ws->pooled + (size_t)s * H, ws->x + (size_t)offsets[s] * H, sizeof(float) * H);
    fc_linear_forward(ws->pooler, ws->pooled, w->pooler_w, w->pooler_b, n_seqs, H, H);
    fc_gelu_forward(ws->pooler, n_seqs * H);
    fc_linear_forward(logits, ws->pooler, w->classifier_w, w->classifier_b, n_seqs, H,
                      m->num_labels);
    return 0;
}
