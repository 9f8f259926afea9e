// The ModernBERT forward pass, written as model-reference.md §3.3 reads, on packed batches:
// every per-token op runs over all tokens of all sequences at once, and only attention, RoPE
// positions and pooling look at sequence boundaries (design.md: pack, don't pad).
#include "model/modernbert.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/kernels.h"
#include "model/modernbert_weights.h"
#include "util/alloc.h"
#include "util/error.h"

// Activation buffers, sized for the largest batch seen so far and reused: nothing is
// allocated per layer or per token.
typedef struct workspace {
    int token_capacity, seq_capacity, attn_capacity;
    float *x;        // [T, H] residual stream
    float *normed;   // [T, H] norm output fed to a sublayer
    float *qkv;      // [T, 3H]
    float *context;  // [T, H] attention output before Wo
    float *mlp_in;   // [T, 2I]
    float *mlp_act;  // [T, I]
    float *pooled;   // [B, H]
    float *head;     // [B, H]
    int32_t *positions;  // [T] position of each token inside its sequence
    float *attn_scratch; // [threads, longest sequence]
    int rope_positions;  // rows of the RoPE tables below
    float *global_cos, *global_sin, *local_cos, *local_sin; // [positions, d/2]
} workspace;

struct fc_modernbert {
    fc_modernbert_config config;
    fc_modernbert_weights weights;
    int num_labels;
    workspace ws;
};

int fc_modernbert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                       const char *weights_name, int num_labels, fc_modernbert **out,
                       fc_error *err) {
    *out = NULL;
    fc_modernbert *m = fc_calloc(1, sizeof *m);
    if (fc_modernbert_config_parse(config, config_path, &m->config, err) != 0 ||
        fc_modernbert_weights_bind(&m->weights, &m->config, num_labels, st, weights_name, err) != 0) {
        free(m);
        return -1;
    }
    m->num_labels = num_labels;
    *out = m;
    return 0;
}

static void workspace_free(workspace *ws) {
    free(ws->x);
    free(ws->normed);
    free(ws->qkv);
    free(ws->context);
    free(ws->mlp_in);
    free(ws->mlp_act);
    free(ws->pooled);
    free(ws->head);
    free(ws->positions);
    free(ws->attn_scratch);
    free(ws->global_cos);
    free(ws->global_sin);
    free(ws->local_cos);
    free(ws->local_sin);
    memset(ws, 0, sizeof *ws);
}

void fc_modernbert_free(fc_modernbert *m) {
    if (!m) return;
    fc_modernbert_weights_free(&m->weights);
    workspace_free(&m->ws);
    free(m);
}

const fc_modernbert_config *fc_modernbert_get_config(const fc_modernbert *m) {
    return &m->config;
}

// Grows the buffers (never shrinks) to hold T tokens in B sequences, the longest of longest.
static void workspace_reserve(workspace *ws, const fc_modernbert_config *c, int T, int B,
                              int longest) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    if (T > ws->token_capacity) {
        ws->token_capacity = T;
        ws->x = fc_realloc(ws->x, T * H * sizeof(float));
        ws->normed = fc_realloc(ws->normed, T * H * sizeof(float));
        ws->qkv = fc_realloc(ws->qkv, T * 3 * H * sizeof(float));
        ws->context = fc_realloc(ws->context, T * H * sizeof(float));
        ws->mlp_in = fc_realloc(ws->mlp_in, T * 2 * I * sizeof(float));
        ws->mlp_act = fc_realloc(ws->mlp_act, T * I * sizeof(float));
        ws->positions = fc_realloc(ws->positions, (size_t)T * sizeof(int32_t));
    }
    if (B > ws->seq_capacity) {
        ws->seq_capacity = B;
        ws->pooled = fc_realloc(ws->pooled, (size_t)B * H * sizeof(float));
        ws->head = fc_realloc(ws->head, (size_t)B * H * sizeof(float));
    }
    if (longest > ws->attn_capacity) {
        ws->attn_capacity = longest;
        ws->attn_scratch =
            fc_realloc(ws->attn_scratch, (size_t)omp_get_max_threads() * longest * sizeof(float));
    }
    if (longest > ws->rope_positions) {
        int half = c->head_dim / 2;
        size_t bytes = (size_t)longest * half * sizeof(float);
        ws->global_cos = fc_realloc(ws->global_cos, bytes);
        ws->global_sin = fc_realloc(ws->global_sin, bytes);
        ws->local_cos = fc_realloc(ws->local_cos, bytes);
        ws->local_sin = fc_realloc(ws->local_sin, bytes);
        fc_rope_table(ws->global_cos, ws->global_sin, longest, c->head_dim, c->global_rope_theta);
        fc_rope_table(ws->local_cos, ws->local_sin, longest, c->head_dim, c->local_rope_theta);
        ws->rope_positions = longest;
    }
}

// One encoder layer (§3.3 step 2): pre-norm attention and pre-norm GeGLU MLP, both residual.
static void encoder_layer(fc_modernbert *m, int layer, const int32_t *offsets, int n_seqs, int T) {
    const fc_modernbert_config *c = &m->config;
    const fc_modernbert_layer *L = &m->weights.layers[layer];
    workspace *ws = &m->ws;
    int H = c->hidden_size, I = c->intermediate_size;

    // a. layer 0 has no attn_norm: its input is already the embedding norm's output (P1).
    const float *attn_in = ws->x;
    if (L->attn_norm_w) {
        fc_layernorm_forward(ws->normed, ws->x, L->attn_norm_w, L->attn_norm_b, T, H, c->norm_eps);
        attn_in = ws->normed;
    }
    // b-d. Q, K, V in one projection; RoPE with the layer kind's base (P2, P3).
    fc_linear_forward(ws->qkv, attn_in, L->wqkv, L->wqkv_b, T, H, 3 * H);
    int global = c->is_global[layer];
    fc_rope_apply_qk(ws->qkv, ws->positions, global ? ws->global_cos : ws->local_cos,
                     global ? ws->global_sin : ws->local_sin, T, c->num_heads, c->head_dim);
    // e. softmax(Q·Kᵀ/√d)·V per sequence; local layers see |q − k| <= local_attention / 2.
    fc_attention_forward(ws->context, ws->qkv, offsets, n_seqs, c->num_heads, c->head_dim,
                         global ? -1 : c->local_window, ws->attn_scratch, ws->attn_capacity);
    // f-g. output projection, residual on the un-normed stream.
    fc_linear_forward(ws->normed, ws->context, L->attn_wo, L->attn_wo_b, T, H, H);
    for (size_t i = 0; i < (size_t)T * H; i++) ws->x[i] += ws->normed[i];
    // h-i. GeGLU MLP: gelu(first half) ⊙ second half (P4), then Wo and the residual.
    fc_layernorm_forward(ws->normed, ws->x, L->mlp_norm_w, L->mlp_norm_b, T, H, c->norm_eps);
    fc_linear_forward(ws->mlp_in, ws->normed, L->mlp_wi, L->mlp_wi_b, T, H, 2 * I);
    fc_geglu_forward(ws->mlp_act, ws->mlp_in, T, I);
    fc_linear_forward(ws->normed, ws->mlp_act, L->mlp_wo, L->mlp_wo_b, T, I, H);
    for (size_t i = 0; i < (size_t)T * H; i++) ws->x[i] += ws->normed[i];
}

// §3.3 step 4: [CLS] vector or the mean over the sequence's real tokens.
static void pool(const fc_modernbert *m, const int32_t *offsets, int n_seqs) {
    int H = m->config.hidden_size;
    const workspace *ws = &m->ws;
    for (int s = 0; s < n_seqs; s++) {
        float *v = ws->pooled + (size_t)s * H;
        const float *first = ws->x + (size_t)offsets[s] * H;
        if (m->config.pooling == FC_POOLING_CLS) {
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

static int check_batch(const fc_modernbert *m, const int32_t *ids, const int32_t *offsets,
                       int n_seqs, int *longest, fc_error *err) {
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    if (offsets[0] != 0) return fc_fail(err, "batch offsets must start at 0");
    *longest = 0;
    for (int s = 0; s < n_seqs; s++) {
        int n = offsets[s + 1] - offsets[s];
        if (n < 1) return fc_fail(err, "sequence %d of the batch is empty", s);
        if (n > *longest) *longest = n;
    }
    for (int t = 0; t < offsets[n_seqs]; t++)
        if (ids[t] < 0 || ids[t] >= m->config.vocab_size)
            return fc_fail(err, "token id %d is outside the vocabulary (size %d)", ids[t],
                           m->config.vocab_size);
    return 0;
}

int fc_modernbert_forward(fc_modernbert *m, const int32_t *ids, const int32_t *offsets,
                          int n_seqs, float *logits, float *final_hidden, fc_error *err) {
    const fc_modernbert_config *c = &m->config;
    const fc_modernbert_weights *w = &m->weights;
    int longest = 0;
    if (check_batch(m, ids, offsets, n_seqs, &longest, err) != 0) return -1;
    int T = offsets[n_seqs], H = c->hidden_size;
    workspace_reserve(&m->ws, c, T, n_seqs, longest);
    workspace *ws = &m->ws;

    // Positions restart at 0 in every sequence (§3.5).
    for (int s = 0; s < n_seqs; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++) ws->positions[t] = t - offsets[s];

    // 1. Embedding lookup and norm; no position or token-type embeddings.
    for (int t = 0; t < T; t++)
        memcpy(ws->x + (size_t)t * H, w->tok_embeddings + (size_t)ids[t] * H, sizeof(float) * H);
    fc_layernorm_forward(ws->x, ws->x, w->emb_norm_w, w->emb_norm_b, T, H, c->norm_eps);

    // 2. The encoder layers.
    for (int layer = 0; layer < c->num_layers; layer++) encoder_layer(m, layer, offsets, n_seqs, T);

    // 3. Final norm on every token.
    fc_layernorm_forward(ws->x, ws->x, w->final_norm_w, w->final_norm_b, T, H, c->norm_eps);
    if (final_hidden) memcpy(final_hidden, ws->x, (size_t)T * H * sizeof(float));

    // 4-5. Pooling, then head: dense → GELU → LayerNorm, then the classifier (P6).
    pool(m, offsets, n_seqs);
    fc_linear_forward(ws->head, ws->pooled, w->head_dense_w, w->head_dense_b, n_seqs, H, H);
    fc_gelu_forward(ws->head, n_seqs * H);
    fc_layernorm_forward(ws->head, ws->head, w->head_norm_w, w->head_norm_b, n_seqs, H, c->norm_eps);
    fc_linear_forward(logits, ws->head, w->classifier_w, w->classifier_b, n_seqs, H, m->num_labels);
    return 0;
}
