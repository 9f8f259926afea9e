#include "model/bert/bert_backward.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/backward.h"
#include "kernels/cpu/dropout.h"
#include "kernels/cpu/kernels.h"
#include "util/alloc.h"
#include "util/error.h"

// The forward's dropout sites (bert.c).
enum { SITE_ATTN_PROBS, SITE_ATTN_OUT, SITE_FFN_OUT, SITE_HEAD_IN, SITE_HEAD_OUT };
enum { LAYER_EMBEDDINGS = -1, LAYER_HEAD = -2 };

void fc_bert_grad_acts_free(fc_bert_grad_acts *g) {
    free(g->stream);
    free(g->sum);
    free(g->normed);
    free(g->scratch);
    free(g->qkv);
    free(g->context);
    free(g->inter);
    free(g->head_out);
    free(g->head_act);
    free(g->head_in);
    free(g->positions);
    free(g->attn_scratch);
    memset(g, 0, sizeof *g);
}

static void reserve(fc_bert_grad_acts *g, const fc_bert_config *c, int T, int B, int longest) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    if (T > g->token_capacity) {
        g->token_capacity = T;
        g->stream = fc_realloc(g->stream, (size_t)T * H * sizeof(float));
        g->sum = fc_realloc(g->sum, (size_t)T * H * sizeof(float));
        g->normed = fc_realloc(g->normed, (size_t)T * H * sizeof(float));
        g->scratch = fc_realloc(g->scratch, (size_t)T * H * sizeof(float));
        g->qkv = fc_realloc(g->qkv, (size_t)T * 3 * H * sizeof(float));
        g->context = fc_realloc(g->context, (size_t)T * H * sizeof(float));
        g->inter = fc_realloc(g->inter, (size_t)T * I * sizeof(float));
        g->positions = fc_realloc(g->positions, (size_t)T * sizeof(int32_t));
    }
    if (B > g->seq_capacity) {
        g->seq_capacity = B;
        g->head_out = fc_realloc(g->head_out, (size_t)B * H * sizeof(float));
        g->head_act = fc_realloc(g->head_act, (size_t)B * H * sizeof(float));
        g->head_in = fc_realloc(g->head_in, (size_t)B * H * sizeof(float));
    }
    if (longest > g->longest_capacity) {
        g->longest_capacity = longest;
        g->attn_scratch_per_thread = fc_attention_dropout_scratch_floats(longest, c->head_dim);
        g->attn_scratch = fc_realloc(g->attn_scratch, (size_t)omp_get_max_threads() *
                                                          g->attn_scratch_per_thread * sizeof(float));
    }
}

// first: the index of dx[0] in the whole batch's tensor, as the forward's dropout (bert.c).
static void dropout_backward(const fc_bert_acts *acts, float *dx, size_t n, float p, int layer,
                             int site, uint64_t first) {
    if (acts->training)
        fc_dropout_backward(dx, n, p,
                            fc_dropout_seed_at(fc_dropout_site_seed(acts->seed, layer, site), first));
}

static void add_in_place(float *sum, const float *other, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) sum[i] += other[i];
}

// One encoder layer in reverse. On entry g->stream holds the gradient of the layer's output;
// on return, the gradient of its input.
static void layer_backward(const fc_bert_config *c, const fc_bert_layer *L,
                           const fc_bert_layer_acts *a, const fc_bert_acts *acts,
                           fc_bert_grad_acts *g, fc_bert_layer_grads *G, int layer,
                           const int32_t *offsets, int n_seqs, int T) {
    int H = c->hidden_size, I = c->intermediate_size;
    size_t n = (size_t)T * H, bytes = n * sizeof(float);
    float eps = c->layer_norm_eps;

    // BertOutput: LayerNorm(dropout(dense(inter_act)) + attn_normed).
    memset(g->sum, 0, bytes);
    fc_layernorm_backward(g->sum, G->out_norm_w, G->out_norm_b, g->stream, a->ffn_sum,
                          L->out_norm_w, T, H, eps);
    memcpy(g->normed, g->sum, bytes); // the residual branch
    memcpy(g->scratch, g->sum, bytes);
    dropout_backward(acts, g->scratch, n, c->hidden_dropout, layer, SITE_FFN_OUT,
                     acts->first_token * H);
    fc_linear_backward(g->inter, G->out_w, G->out_b, g->scratch, a->inter_act, L->out_w, T, I, H);
    // GELU, elementwise, in place; then BertIntermediate's dense.
    fc_gelu_backward(g->inter, g->inter, a->inter_pre, T * I);
    fc_linear_backward(g->scratch, G->inter_w, G->inter_b, g->inter, a->attn_normed, L->inter_w,
                       T, H, I);
    add_in_place(g->normed, g->scratch, n);

    // BertSelfOutput: LayerNorm(dropout(dense(context)) + input).
    memset(g->sum, 0, bytes);
    fc_layernorm_backward(g->sum, G->attn_norm_w, G->attn_norm_b, g->normed, a->attn_sum,
                          L->attn_norm_w, T, H, eps);
    memcpy(g->stream, g->sum, bytes); // the residual branch: part of the input's gradient
    memcpy(g->scratch, g->sum, bytes);
    dropout_backward(acts, g->scratch, n, c->hidden_dropout, layer, SITE_ATTN_OUT,
                     acts->first_token * H);
    fc_linear_backward(g->context, G->attn_out_w, G->attn_out_b, g->scratch, a->context,
                       L->attn_out_w, T, H, H);

    // BertSelfAttention: softmax attention (with its dropout when training), then the fused
    // query | key | value projection.
    // The dropout kernel's backward, with p = 0 outside training (the forward then ran the
    // blocked kernel: the same function, rounded differently).
    fc_attention_dropout_backward(g->qkv, g->context, a->qkv, offsets, n_seqs, c->num_heads,
                                  c->head_dim, acts->training ? c->attention_dropout : 0.0f,
                                  fc_dropout_seed_at(fc_dropout_site_seed(acts->seed, layer,
                                                                          SITE_ATTN_PROBS),
                                                     (acts->first_token * (uint64_t)c->num_heads)
                                                         << 20),
                                  g->attn_scratch, g->attn_scratch_per_thread);
    fc_linear_backward(g->scratch, G->wqkv, G->wqkv_b, g->qkv, a->input, L->wqkv, T, H, 3 * H);
    add_in_place(g->stream, g->scratch, n);
}

int fc_bert_backward(const fc_bert_config *c, const fc_bert_weights *w, int num_labels,
                     const fc_bert_acts *acts, fc_bert_grad_acts *g, const int32_t *ids,
                     const int32_t *offsets, int n_seqs, const float *dlogits,
                     fc_bert_grads *grads, fc_error *err) {
    if (!acts->per_layer) return fc_fail(err, "the backward needs a per-layer activation record");
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    int T = offsets[n_seqs], H = c->hidden_size, B = n_seqs;
    int longest = 0;
    for (int s = 0; s < n_seqs; s++)
        if (offsets[s + 1] - offsets[s] > longest) longest = offsets[s + 1] - offsets[s];
    reserve(g, c, T, B, longest);
    size_t bh = (size_t)B * H;

    // The head, in reverse: classifier, dropout, tanh, dense, (RoBERTa) dropout.
    fc_linear_backward(g->head_out, grads->classifier_w, grads->classifier_b, dlogits,
                       acts->head_out, w->classifier_w, B, H, num_labels);
    dropout_backward(acts, g->head_out, bh, c->classifier_dropout, LAYER_HEAD, SITE_HEAD_OUT,
                     acts->first_row * H);
    fc_tanh_backward(g->head_act, g->head_out, acts->head_act, (int)bh);
    fc_linear_backward(g->head_in, grads->head_dense_w, grads->head_dense_b, g->head_act,
                       acts->head_in, w->head_dense_w, B, H, H);
    if (c->flavor == FC_BERT_FLAVOR_ROBERTA)
        dropout_backward(acts, g->head_in, bh, c->classifier_dropout, LAYER_HEAD, SITE_HEAD_IN,
                         acts->first_row * H);
    memset(g->stream, 0, (size_t)T * H * sizeof(float));
    fc_cls_pool_backward(g->stream, g->head_in, offsets, n_seqs, H);

    for (int l = c->num_layers - 1; l >= 0; l--)
        layer_backward(c, &w->layers[l], &acts->layers[l], acts, g, &grads->layers[l], l,
                       offsets, n_seqs, T);

    // Embeddings: dropout, LayerNorm, then the three tables' rows.
    dropout_backward(acts, g->stream, (size_t)T * H, c->hidden_dropout, LAYER_EMBEDDINGS, 0,
                     acts->first_token * H);
    memset(g->sum, 0, (size_t)T * H * sizeof(float));
    fc_layernorm_backward(g->sum, grads->emb_norm_w, grads->emb_norm_b, g->stream, acts->emb_sum,
                          w->emb_norm_w, T, H, c->layer_norm_eps);
    for (int s = 0; s < n_seqs; s++)
        for (int t = offsets[s]; t < offsets[s + 1]; t++)
            g->positions[t] = t - offsets[s] + c->position_offset;
    // nn.Embedding(padding_idx=pad_token_id) for words; RoBERTa's position table has the same
    // padding_idx (never reached: positions start after it); token types have none.
    fc_embedding_backward(grads->word_embeddings, g->sum, ids, T, H, c->pad_token_id);
    fc_embedding_backward(grads->position_embeddings, g->sum, g->positions, T, H,
                          c->flavor == FC_BERT_FLAVOR_ROBERTA ? c->pad_token_id : -1);
    fc_embedding_backward(grads->token_type_embeddings, g->sum, acts->types, T, H, -1);
    return 0;
}
