// ModernBERT backward: §3.3 read from the logits back to the embeddings. Each step names the
// forward step it reverses; residual adds pass their gradient through unchanged, so the
// stream gradient only ever gains terms (+=) from the branches.
#include "model/modernbert/modernbert_backward.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/backward.h"
#include "util/alloc.h"
#include "util/error.h"

void fc_modernbert_grad_acts_free(fc_modernbert_grad_acts *g) {
    free(g->stream);
    free(g->normed);
    free(g->qkv);
    free(g->context);
    free(g->mlp_in);
    free(g->mlp_act);
    free(g->head_out);
    free(g->head_act);
    free(g->head_dense);
    free(g->pooled);
    free(g->attn_scratch);
    memset(g, 0, sizeof *g);
}

static void grad_acts_reserve(fc_modernbert_grad_acts *g, const fc_modernbert_config *c, int T,
                              int B, int longest) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    if (T > g->token_capacity) {
        g->token_capacity = T;
        g->stream = fc_realloc(g->stream, T * H * sizeof(float));
        g->normed = fc_realloc(g->normed, T * H * sizeof(float));
        g->qkv = fc_realloc(g->qkv, T * 3 * H * sizeof(float));
        g->context = fc_realloc(g->context, T * H * sizeof(float));
        g->mlp_in = fc_realloc(g->mlp_in, T * 2 * I * sizeof(float));
        g->mlp_act = fc_realloc(g->mlp_act, T * I * sizeof(float));
    }
    if (B > g->seq_capacity) {
        g->seq_capacity = B;
        g->head_out = fc_realloc(g->head_out, B * H * sizeof(float));
        g->head_act = fc_realloc(g->head_act, B * H * sizeof(float));
        g->head_dense = fc_realloc(g->head_dense, B * H * sizeof(float));
        g->pooled = fc_realloc(g->pooled, B * H * sizeof(float));
    }
    if (longest > g->longest_capacity) {
        g->longest_capacity = longest;
        g->attn_scratch = fc_realloc(g->attn_scratch,
                                     (size_t)omp_get_max_threads() * 2 * longest * sizeof(float));
    }
}

// Step 2 of §3.3 in reverse for one layer. On entry ws->stream holds the gradient of the
// layer's output; on return, the gradient of its input.
static void encoder_layer_backward(const fc_modernbert_config *c, const fc_modernbert_layer *L,
                                   fc_modernbert_layer_grads *G, int layer,
                                   const fc_modernbert_layer_acts *a,
                                   const fc_modernbert_acts *acts, fc_modernbert_grad_acts *ws,
                                   const int32_t *offsets, int n_seqs, int T) {
    int H = c->hidden_size, I = c->intermediate_size;
    size_t n = (size_t)T * H;

    // i. out = residual + Wo(z): the stream gradient reaches residual unchanged and Wo's output.
    // h. z = gelu(input) ⊙ gate, u = Wi(mlp_norm(residual)).
    fc_linear_backward(ws->mlp_act, G->mlp_wo, G->mlp_wo_b, ws->stream, a->mlp_act, L->mlp_wo, T,
                       I, H);
    fc_geglu_backward(ws->mlp_in, ws->mlp_act, a->mlp_in, T, I);
    fc_linear_backward(ws->normed, G->mlp_wi, G->mlp_wi_b, ws->mlp_in, a->mlp_normed, L->mlp_wi,
                       T, H, 2 * I);
    fc_layernorm_backward(ws->stream, G->mlp_norm_w, G->mlp_norm_b, ws->normed, a->residual,
                          L->mlp_norm_w, T, H, c->norm_eps);
    // ws->stream now holds the gradient of residual = input + Wo(context).

    // f. output projection.
    fc_linear_backward(ws->context, G->attn_wo, G->attn_wo_b, ws->stream, a->context, L->attn_wo,
                       T, H, H);
    // e. attention, then d. RoPE (turned back), then b. the Q/K/V projection.
    int global = c->is_global[layer];
    fc_attention_backward(ws->qkv, ws->context, a->qkv, offsets, n_seqs, c->num_heads,
                          c->head_dim, global ? -1 : c->local_window, ws->attn_scratch,
                          ws->longest_capacity);
    fc_rope_backward_qk(ws->qkv, acts->positions, global ? acts->global_cos : acts->local_cos,
                        global ? acts->global_sin : acts->local_sin, T, c->num_heads,
                        c->head_dim);
    const float *attn_in = L->attn_norm_w ? a->attn_normed : a->input;
    fc_linear_backward(ws->normed, G->wqkv, G->wqkv_b, ws->qkv, attn_in, L->wqkv, T, H, 3 * H);
    // a. attn_norm, or the identity in layer 0 (P1).
    if (L->attn_norm_w) {
        fc_layernorm_backward(ws->stream, G->attn_norm_w, G->attn_norm_b, ws->normed, a->input,
                              L->attn_norm_w, T, H, c->norm_eps);
    } else {
        for (size_t i = 0; i < n; i++) ws->stream[i] += ws->normed[i];
    }
}

int fc_modernbert_backward(const fc_modernbert_config *c, const fc_modernbert_weights *w,
                           int num_labels, const fc_modernbert_acts *acts,
                           fc_modernbert_grad_acts *ws, const int32_t *ids,
                           const int32_t *offsets, int n_seqs, const float *dlogits,
                           fc_modernbert_grads *g, fc_error *err) {
    if (!acts->per_layer)
        return fc_fail(err, "backward needs the per-layer activation record of a training forward");
    int T = offsets[n_seqs], H = c->hidden_size, B = n_seqs;
    if (T > acts->token_capacity || B > acts->seq_capacity)
        return fc_fail(err, "backward: the activation record does not hold this batch");
    int longest = 0;
    for (int s = 0; s < n_seqs; s++)
        if (offsets[s + 1] - offsets[s] > longest) longest = offsets[s + 1] - offsets[s];
    grad_acts_reserve(ws, c, T, B, longest);
    size_t n = (size_t)T * H, nb = (size_t)B * H;

    // 5. classifier, head.norm, GELU, head.dense.
    fc_linear_backward(ws->head_out, g->classifier_w, g->classifier_b, dlogits, acts->head_out,
                       w->classifier_w, B, H, num_labels);
    memset(ws->head_act, 0, nb * sizeof(float));
    fc_layernorm_backward(ws->head_act, g->head_norm_w, g->head_norm_b, ws->head_out,
                          acts->head_act, w->head_norm_w, B, H, c->norm_eps);
    fc_gelu_backward(ws->head_dense, ws->head_act, acts->head_dense, B * H);
    fc_linear_backward(ws->pooled, g->head_dense_w, g->head_dense_b, ws->head_dense, acts->pooled,
                       w->head_dense_w, B, H, H);

    // 4. pooling, into the gradient of the final hidden states.
    memset(ws->normed, 0, n * sizeof(float));
    if (c->pooling == FC_POOLING_CLS)
        fc_cls_pool_backward(ws->normed, ws->pooled, offsets, n_seqs, H);
    else
        fc_mean_pool_backward(ws->normed, ws->pooled, offsets, n_seqs, H);

    // 3. final_norm.
    memset(ws->stream, 0, n * sizeof(float));
    fc_layernorm_backward(ws->stream, g->final_norm_w, g->final_norm_b, ws->normed, acts->encoded,
                          w->final_norm_w, T, H, c->norm_eps);

    // 2. the layers, last first.
    for (int l = c->num_layers - 1; l >= 0; l--)
        encoder_layer_backward(c, &w->layers[l], &g->layers[l], l, &acts->layers[l], acts, ws,
                               offsets, n_seqs, T);

    // 1. embedding norm, then the lookup (the padding row gets nothing, P23).
    memset(ws->normed, 0, n * sizeof(float));
    fc_layernorm_backward(ws->normed, g->emb_norm_w, g->emb_norm_b, ws->stream, acts->embedded,
                          w->emb_norm_w, T, H, c->norm_eps);
    fc_embedding_backward(g->tok_embeddings, ws->normed, ids, T, H, c->pad_token_id);
    return 0;
}
