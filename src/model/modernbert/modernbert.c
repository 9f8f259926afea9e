// The ModernBERT forward pass, written as model-reference.md §3.3 reads, on packed batches:
// every per-token op runs over all tokens of all sequences at once, and only attention, RoPE
// positions and pooling look at sequence boundaries (design.md: pack, don't pad). The same
// forward serves inference and training; what differs is the activation record it fills.
#include "model/modernbert/modernbert.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "io/dtype.h"
#include "kernels/cpu/kernels.h"
#include "model/modernbert/modernbert_weights.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"

struct fc_modernbert {
    fc_modernbert_config config;
    fc_modernbert_weights weights;
    int num_labels;
    fc_modernbert_acts acts; // one reused set: inference keeps nothing for a backward
};

int fc_modernbert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                       const char *weights_name, int num_labels, fc_weight_dtype storage,
                       fc_modernbert **out, fc_error *err) {
    *out = NULL;
    fc_modernbert *m = fc_calloc(1, sizeof *m);
    if (fc_modernbert_config_parse(config, config_path, &m->config, err) != 0 ||
        fc_modernbert_weights_bind_stored(&m->weights, &m->config, num_labels, st, weights_name,
                                          storage, err) != 0) {
        free(m);
        return -1;
    }
    m->num_labels = num_labels;
    fc_modernbert_acts_init(&m->acts, 0);
    *out = m;
    return 0;
}

void fc_modernbert_free(fc_modernbert *m) {
    if (!m) return;
    fc_modernbert_weights_free(&m->weights);
    fc_modernbert_acts_free(&m->acts);
    free(m);
}

const fc_modernbert_config *fc_modernbert_get_config(const fc_modernbert *m) {
    return &m->config;
}

// ---------------------------------------------------------------------------------------------
// The activation record

void fc_modernbert_acts_init(fc_modernbert_acts *a, int per_layer) {
    memset(a, 0, sizeof *a);
    a->per_layer = per_layer;
}

void fc_modernbert_acts_free(fc_modernbert_acts *a) {
    free(a->arena);
    free(a->layers);
    free(a->positions);
    free(a->attn_scratch);
    fc_lowp_scratch_free(&a->lowp);
    free(a->global_cos);
    free(a->global_sin);
    free(a->local_cos);
    free(a->local_sin);
    int per_layer = a->per_layer;
    memset(a, 0, sizeof *a);
    a->per_layer = per_layer;
}

// Lays the float buffers out in one arena and returns its size in floats; with base NULL it
// only counts. Inference aliases every buffer whose value is dead by the time the next one is
// written (the residual stream is updated in place and one "normed" buffer serves both norms
// and the Wo outputs), so it needs 6·H + 3·I floats a token, as a plain forward would. With
// weights on the matrix engines the per-token blocks run in chunks (chunked_blocks), each
// thread its own: normed and mlp_act hold a chunk of rows per thread, and mlp_in is not needed
// (GeGLU runs in Wi's epilogue), so 5·H floats a token and (H + I) a chunk row per thread.
static size_t plan_arena(fc_modernbert_acts *a, const fc_modernbert_config *c, size_t T,
                         size_t B, float *base) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    fc_arena_cursor cur = {base, 0};
    if (!a->per_layer) {
        size_t chunk = (size_t)fc_lowp_chunk_rows((int)T) * (size_t)a->block_threads;
        size_t rows = a->chunked_blocks ? chunk : T; // of normed and mlp_act
        float *x = fc_arena_carve(&cur, T * H), *normed = fc_arena_carve(&cur, rows * H);
        float *qkv = fc_arena_carve(&cur, T * 3 * H), *context = fc_arena_carve(&cur, T * H);
        float *mlp_in = a->chunked_blocks ? NULL : fc_arena_carve(&cur, T * 2 * I);
        float *mlp_act = fc_arena_carve(&cur, rows * I);
        a->embedded = a->encoded = a->hidden = x;
        a->projected = normed;
        for (int l = 0; l < c->num_layers; l++)
            a->layers[l] = (fc_modernbert_layer_acts){x, normed, qkv, context, x, normed, mlp_in,
                                                      mlp_act};
    } else {
        a->embedded = fc_arena_carve(&cur, T * H);
        for (int l = 0; l < c->num_layers; l++) {
            fc_modernbert_layer_acts *L = &a->layers[l];
            L->input = fc_arena_carve(&cur, T * H);
            L->attn_normed = fc_arena_carve(&cur, T * H);
            L->qkv = fc_arena_carve(&cur, T * 3 * H);
            L->context = fc_arena_carve(&cur, T * H);
            L->residual = fc_arena_carve(&cur, T * H);
            L->mlp_normed = fc_arena_carve(&cur, T * H);
            L->mlp_in = fc_arena_carve(&cur, T * 2 * I);
            L->mlp_act = fc_arena_carve(&cur, T * I);
        }
        a->encoded = fc_arena_carve(&cur, T * H);
        a->hidden = fc_arena_carve(&cur, T * H);
        a->projected = fc_arena_carve(&cur, T * H);
    }
    a->pooled = fc_arena_carve(&cur, B * H);
    a->head_dense = fc_arena_carve(&cur, B * H);
    a->head_act = fc_arena_carve(&cur, B * H);
    a->head_out = fc_arena_carve(&cur, B * H);
    return cur.used;
}

// Grows the record (never shrinks) to hold T tokens in B sequences, the longest of longest.
// Out of memory is an error; the record then stays valid and plans again on the next call.
static int acts_reserve(fc_modernbert_acts *a, const fc_modernbert_config *c, int T, int B,
                        int longest, int chunked_blocks, fc_error *err) {
    chunked_blocks = chunked_blocks && !a->per_layer; // training keeps every row for the backward
    int threads = omp_get_max_threads();
    if (chunked_blocks != a->chunked_blocks || threads != a->block_threads) {
        a->chunked_blocks = chunked_blocks;
        a->block_threads = threads;
        a->token_capacity = a->seq_capacity = 0; // re-plan: the arena's layout changes
    }
    if (a->num_layers != c->num_layers) {
        void *layers = fc_try_realloc_array(a->layers, (size_t)c->num_layers, sizeof *a->layers);
        if (!layers)
            return fc_fail_out_of_memory(err, "the per-layer activation record",
                                         (size_t)c->num_layers * sizeof *a->layers);
        a->layers = layers;
        a->num_layers = c->num_layers;
        a->token_capacity = a->seq_capacity = 0; // re-plan the arena for the new layer count
    }
    if (T > a->token_capacity || B > a->seq_capacity) {
        int tokens = T > a->token_capacity ? T : a->token_capacity;
        int seqs = B > a->seq_capacity ? B : a->seq_capacity;
        if (T > a->token_capacity) {
            int32_t *positions = fc_try_realloc_array(a->positions, (size_t)T, sizeof *positions);
            if (!positions) return fc_fail_out_of_memory(err, "the positions", (size_t)T * 4);
            a->positions = positions;
        }
        size_t floats = plan_arena(a, c, (size_t)tokens, (size_t)seqs, NULL);
        free(a->arena);
        a->arena = fc_try_realloc_array(NULL, floats, sizeof(float));
        if (!a->arena) {
            a->token_capacity = a->seq_capacity = 0;
            return fc_fail_out_of_memory(err, "the activations of the batch", floats * sizeof(float));
        }
        a->token_capacity = tokens;
        a->seq_capacity = seqs;
        plan_arena(a, c, (size_t)tokens, (size_t)seqs, a->arena);
    }
    if (longest > a->longest_capacity) {
        a->longest_capacity = 0; // until every buffer below has grown
        size_t per_thread = fc_attention_blocked_scratch_floats(longest, c->head_dim);
        size_t floats = (size_t)omp_get_max_threads() * per_thread;
        if (fc_grow_floats(&a->attn_scratch, floats, "the attention scratch", err) != 0)
            return -1;
        a->attn_scratch_per_thread = per_thread;
        size_t rope = (size_t)longest * (size_t)(c->head_dim / 2);
        float **tables[4] = {&a->global_cos, &a->global_sin, &a->local_cos, &a->local_sin};
        for (int i = 0; i < 4; i++)
            if (fc_grow_floats(tables[i], rope, "the rotary tables", err) != 0) return -1;
        fc_rope_table(a->global_cos, a->global_sin, longest, c->head_dim, c->global_rope_theta);
        fc_rope_table(a->local_cos, a->local_sin, longest, c->head_dim, c->local_rope_theta);
        a->longest_capacity = longest;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------
// The forward

// A dense layer in whichever storage the weights are kept (fp32, or low precision), then the
// residual (may be NULL, may be out itself: the stream is updated in place) added. The
// low-precision path adds it in its dequantizing pass; the fp32 one goes through the
// projected scratch. A failure of the former (out of memory) is recorded in acts and reported
// after the layer.
static void linear(float *out, const float *in, const float *weight, const fc_lowp_linear *lowp,
                   const float *bias, const float *residual, int T, int in_dim, int out_dim,
                   fc_modernbert_acts *acts) {
    if (lowp) {
        fc_linear_epilogue epilogue = {.residual = residual};
        if (fc_lowp_linear_forward(out, in, lowp, bias, &epilogue, T, &acts->lowp) != 0)
            acts->lowp_failed = 1;
        return;
    }
    if (!residual) {
        fc_linear_forward(out, in, weight, bias, T, in_dim, out_dim);
        return;
    }
    fc_linear_forward(acts->projected, in, weight, bias, T, in_dim, out_dim);
    size_t n = (size_t)T * out_dim;
    const float *projected = acts->projected;
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = residual[i] + projected[i];
}

// a-d. Pre-norm (layer 0 has none: its input is already the embedding norm's output, P1), then
// Q, K, V in one projection.
static void qkv_projection(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                           fc_modernbert_layer_acts *a, fc_modernbert_acts *acts, int T) {
    const float *in = a->input;
    if (L->attn_norm_w) {
        fc_layernorm_forward(a->attn_normed, in, L->attn_norm_w, L->attn_norm_b, T,
                             c->hidden_size, c->norm_eps);
        in = a->attn_normed;
    }
    linear(a->qkv, in, L->wqkv, L->wqkv_lowp, L->wqkv_b, NULL, T, c->hidden_size,
           3 * c->hidden_size, acts);
}

// h-i. Pre-norm GeGLU MLP: gelu(first half) ⊙ second half (P4), then Wo and the residual on
// the un-normed stream, into out.
static void mlp(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                fc_modernbert_layer_acts *a, fc_modernbert_acts *acts, float *out, int T) {
    int H = c->hidden_size, I = c->intermediate_size;
    fc_layernorm_forward(a->mlp_normed, a->residual, L->mlp_norm_w, L->mlp_norm_b, T, H,
                         c->norm_eps);
    linear(a->mlp_in, a->mlp_normed, L->mlp_wi, L->mlp_wi_lowp, L->mlp_wi_b, NULL, T, H, 2 * I,
           acts);
    fc_geglu_forward(a->mlp_act, a->mlp_in, T, I);
    linear(out, a->mlp_act, L->mlp_wo, L->mlp_wo_lowp, L->mlp_wo_b, a->residual, T, I, H, acts);
}

// With every dense layer on the matrix engines the per-token blocks run a chunk of tokens at a
// time, each thread whole chunks of its own in its own rows of normed and mlp_act, from the
// norm to the last epilogue: one parallel region per block instead of several per layer and
// chunk, and a chunk's rows stay in one core's caches.

// The RoPE tables of the layer's kind (P2, P3).
static const float *rope_cos(const fc_modernbert_config *c, const fc_modernbert_acts *acts,
                             int layer) {
    return c->is_global[layer] ? acts->global_cos : acts->local_cos;
}

static const float *rope_sin(const fc_modernbert_config *c, const fc_modernbert_acts *acts,
                             int layer) {
    return c->is_global[layer] ? acts->global_sin : acts->local_sin;
}

// a-d for rows [first, first + n), on the calling thread, RoPE included: the chunk's Q and K
// are rotated while still in this core's cache, not in a pass of their own over the batch's
// qkv (21 MB for ModernBERT-large's 1,750-token batch) behind one more barrier.
static int qkv_rows(const fc_modernbert_config *c, const fc_modernbert_layer *L, int layer,
                    fc_modernbert_layer_acts *a, fc_modernbert_acts *acts, float *normed,
                    int first, int n) {
    int H = c->hidden_size;
    const float *in = a->input + (size_t)first * H;
    if (L->attn_norm_w) {
        fc_layernorm_forward(normed, in, L->attn_norm_w, L->attn_norm_b, n, H, c->norm_eps);
        in = normed;
    }
    float *qkv = a->qkv + (size_t)first * 3 * H;
    if (fc_lowp_linear_forward_rows(qkv, in, L->wqkv_lowp, L->wqkv_b, NULL, n, &acts->lowp) != 0)
        return -1;
    fc_rope_apply_qk(qkv, acts->positions + first, rope_cos(c, acts, layer),
                     rope_sin(c, acts, layer), n, c->num_heads, c->head_dim);
    return 0;
}

// f-i for rows [first, first + n), on the calling thread: the attention output and its
// residual, then the MLP with GeGLU in Wi's epilogue and its residual, into out.
static int output_and_mlp_rows(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                               fc_modernbert_layer_acts *a, fc_modernbert_acts *acts, float *out,
                               float *normed, float *mlp_act, int first, int n) {
    int H = c->hidden_size;
    size_t at = (size_t)first * H;
    float *residual = a->residual + at;
    fc_linear_epilogue add_input = {.residual = a->input + at}, geglu = {.geglu = 1},
                       add_residual = {.residual = residual};
    if (fc_lowp_linear_forward_rows(residual, a->context + at, L->attn_wo_lowp, L->attn_wo_b,
                                    &add_input, n, &acts->lowp) != 0)
        return -1;
    fc_layernorm_forward(normed, residual, L->mlp_norm_w, L->mlp_norm_b, n, H, c->norm_eps);
    if (fc_lowp_linear_forward_rows(mlp_act, normed, L->mlp_wi_lowp, L->mlp_wi_b, &geglu, n,
                                    &acts->lowp) != 0)
        return -1;
    return fc_lowp_linear_forward_rows(out + at, mlp_act, L->mlp_wo_lowp, L->mlp_wo_b,
                                       &add_residual, n, &acts->lowp);
}

typedef enum block_kind { BLOCK_QKV, BLOCK_OUTPUT_AND_MLP } block_kind;

// Runs a block (a-d or f-i) over the batch in chunks, across the threads.
static void chunked_block(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                          int layer, fc_modernbert_layer_acts *a, fc_modernbert_acts *acts,
                          float *out, block_kind block, int T) {
    int step = fc_lowp_chunk_rows(T), chunks = (T + step - 1) / step, failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(acts->block_threads)
    for (int i = 0; i < chunks; i++) {
        int first = i * step, n = T - first < step ? T - first : step;
        size_t thread = (size_t)omp_get_thread_num();
        float *normed = a->attn_normed + thread * step * c->hidden_size;
        float *mlp_act = a->mlp_act + thread * step * c->intermediate_size;
        int rc = block == BLOCK_QKV
                     ? qkv_rows(c, L, layer, a, acts, normed, first, n)
                     : output_and_mlp_rows(c, L, a, acts, out, normed, mlp_act, first, n);
        if (rc != 0) {
#pragma omp atomic write
            failed = 1;
        }
    }
    if (failed) acts->lowp_failed = 1;
}

// One encoder layer (§3.3 step 2): pre-norm attention and pre-norm GeGLU MLP, both residual.
// Reads a->input, writes the rest of a and the layer's output into out.
static void encoder_layer(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                          int layer, fc_modernbert_layer_acts *a, fc_modernbert_acts *acts,
                          float *out, const int32_t *offsets, int n_seqs, int T) {
    int H = c->hidden_size;
    // a-d. Q, K, V from the normed input; RoPE with the layer kind's base (P2, P3).
    if (acts->chunked_blocks) {
        chunked_block(c, L, layer, a, acts, out, BLOCK_QKV, T);
    } else {
        qkv_projection(c, L, a, acts, T);
        fc_rope_apply_qk(a->qkv, acts->positions, rope_cos(c, acts, layer),
                         rope_sin(c, acts, layer), T, c->num_heads, c->head_dim);
    }
    int global = c->is_global[layer];
    // e. softmax(Q·Kᵀ/√d)·V per sequence; local layers see |q − k| <= local_attention / 2.
    fc_attention_forward_blocked(a->context, a->qkv, offsets, n_seqs, c->num_heads, c->head_dim,
                                 global ? -1 : c->local_window,
                                 fc_lowp_attention_bf16(L->wqkv_lowp),
                                 acts->attn_scratch, acts->attn_scratch_per_thread);
    // f-g. output projection, residual on the un-normed stream; h-i. the MLP.
    if (acts->chunked_blocks) {
        chunked_block(c, L, layer, a, acts, out, BLOCK_OUTPUT_AND_MLP, T);
        return;
    }
    linear(a->residual, a->context, L->attn_wo, L->attn_wo_lowp, L->attn_wo_b, a->input, T, H, H,
           acts);
    mlp(c, L, a, acts, out, T);
}

// §3.3 step 4: [CLS] vector or the mean over the sequence's real tokens.
static void pool(const fc_modernbert_config *c, const float *hidden, float *pooled,
                 const int32_t *offsets, int n_seqs) {
    int H = c->hidden_size;
    for (int s = 0; s < n_seqs; s++) {
        float *v = pooled + (size_t)s * H;
        const float *first = hidden + (size_t)offsets[s] * H;
        if (c->pooling == FC_POOLING_CLS) {
            memcpy(v, first, sizeof(float) * H);
            continue;
        }
        int n = offsets[s + 1] - offsets[s];
        for (int i = 0; i < H; i++) {
            float sum = 0.0f;
            for (int t = 0; t < n; t++) sum += first[(size_t)t * H + i];
            v[i] = sum / (float)n;
        }
    }
}

int fc_modernbert_check_batch(const fc_modernbert_config *c, const int32_t *ids,
                              const int32_t *offsets, int n_seqs, int *longest, fc_error *err) {
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    if (offsets[0] != 0) return fc_fail(err, "batch offsets must start at 0");
    *longest = 0;
    for (int s = 0; s < n_seqs; s++) {
        int n = offsets[s + 1] - offsets[s];
        if (n < 1) return fc_fail(err, "sequence %d of the batch is empty", s);
        if (n > *longest) *longest = n;
    }
    for (int t = 0; t < offsets[n_seqs]; t++)
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return fc_fail(err, "token id %d is outside the vocabulary (size %d)", ids[t],
                           c->vocab_size);
    return 0;
}

// Whether every dense layer of the encoder runs on oneDNN's matmul, whose cost per call is the
// rows': then per-token blocks run in chunks. Not on the widened path (f16, bf16 without
// AVX-512), which widens the whole weight matrix at every call.
static int runs_on_matmul(const fc_modernbert_weights *w) {
    for (int i = 0; i < w->n_lowp; i++)
        if (!w->lowp[i].engine.packed) return 0;
    return w->n_lowp > 0;
}

int fc_modernbert_forward_acts(const fc_modernbert_config *c, const fc_modernbert_weights *w,
                               int num_labels, fc_modernbert_acts *acts, const int32_t *ids,
                               const int32_t *offsets, int n_seqs, float *logits, fc_error *err) {
    int longest = 0;
    if (fc_modernbert_check_batch(c, ids, offsets, n_seqs, &longest, err) != 0) return -1;
    int T = offsets[n_seqs], H = c->hidden_size, B = n_seqs;
    if (acts_reserve(acts, c, T, B, longest, runs_on_matmul(w), err) != 0) return -1;
    for (int l = 0; l < c->num_layers; l++) {
        const fc_lowp_linear *lowp[4] = {w->layers[l].wqkv_lowp, w->layers[l].attn_wo_lowp,
                                         w->layers[l].mlp_wi_lowp, w->layers[l].mlp_wo_lowp};
        for (int i = 0; i < 4; i++)
            if (lowp[i] && fc_lowp_scratch_reserve(&acts->lowp, lowp[i], T) != 0)
                return fc_fail_out_of_memory(err, "the low-precision scratch",
                                             (size_t)T * lowp[i]->in_dim);
    }

    // Positions restart at 0 in every sequence (§3.5).
    for (int s = 0; s < n_seqs; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++) acts->positions[t] = t - offsets[s];

    // 1. Embedding lookup and norm; no position or token-type embeddings.
    for (int t = 0; t < T; t++) {
        float *row = acts->embedded + (size_t)t * H;
        if (w->tok_embeddings)
            memcpy(row, w->tok_embeddings + (size_t)ids[t] * H, sizeof(float) * H);
        else // low-precision storage: a 16-bit row, widened
            fc_lowp_table_row(&w->tok_embeddings_lowp, ids[t], row);
    }
    fc_layernorm_forward(acts->layers[0].input, acts->embedded, w->emb_norm_w, w->emb_norm_b, T,
                         H, c->norm_eps);

    // 2. The encoder layers; each one's output is the next one's input.
    for (int l = 0; l < c->num_layers; l++) {
        float *out = l + 1 < c->num_layers ? acts->layers[l + 1].input : acts->encoded;
        encoder_layer(c, &w->layers[l], l, &acts->layers[l], acts, out, offsets, n_seqs, T);
        if (acts->lowp_failed) {
            acts->lowp_failed = 0;
            return fc_fail(err, "out of memory in layer %d's matrix multiply", l);
        }
    }

    // 3. Final norm on every token.
    fc_layernorm_forward(acts->hidden, acts->encoded, w->final_norm_w, w->final_norm_b, T, H,
                         c->norm_eps);

    // 4-5. Pooling, then head: dense → GELU → LayerNorm, then the classifier (P6).
    pool(c, acts->hidden, acts->pooled, offsets, n_seqs);
    fc_linear_forward(acts->head_dense, acts->pooled, w->head_dense_w, w->head_dense_b, B, H, H);
    memcpy(acts->head_act, acts->head_dense, (size_t)B * H * sizeof(float));
    fc_gelu_forward(acts->head_act, B * H);
    fc_layernorm_forward(acts->head_out, acts->head_act, w->head_norm_w, w->head_norm_b, B, H,
                         c->norm_eps);
    fc_linear_forward(logits, acts->head_out, w->classifier_w, w->classifier_b, B, H, num_labels);
    return 0;
}

int fc_modernbert_forward(fc_modernbert *m, const int32_t *ids, const int32_t *offsets,
                          int n_seqs, float *logits, float *final_hidden, fc_error *err) {
    if (fc_modernbert_forward_acts(&m->config, &m->weights, m->num_labels, &m->acts, ids, offsets,
                                   n_seqs, logits, err) != 0)
        return -1;
    if (final_hidden)
        memcpy(final_hidden, m->acts.hidden,
               (size_t)offsets[n_seqs] * m->config.hidden_size * sizeof(float));
    return 0;
}
