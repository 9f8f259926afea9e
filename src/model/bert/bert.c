// The BERT / RoBERTa forward on packed batches, as modeling_bert.py reads: embeddings (word +
// position + token type, LayerNorm, dropout), then per layer self-attention → dense → dropout →
// LayerNorm(x + input) and intermediate → GELU → dense → dropout → LayerNorm(x + input), then
// the head on each sequence's first token. Dropout runs only in a training record.
#include "model/bert/bert.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu/dropout.h"
#include "kernels/cpu/kernels.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/error.h"

// Dropout sites, for fc_dropout_site_seed: per layer, and the layer numbers of the two sites
// outside the encoder.
enum { SITE_ATTN_PROBS, SITE_ATTN_OUT, SITE_FFN_OUT, SITE_HEAD_IN, SITE_HEAD_OUT };
enum { LAYER_EMBEDDINGS = -1, LAYER_HEAD = -2 };

void fc_bert_acts_init(fc_bert_acts *a, int per_layer) {
    memset(a, 0, sizeof *a);
    a->per_layer = per_layer;
}

void fc_bert_acts_free(fc_bert_acts *a) {
    free(a->arena);
    free(a->layers);
    free(a->types);
    free(a->attn_scratch);
    fc_lowp_scratch_free(&a->lowp);
    int per_layer = a->per_layer;
    memset(a, 0, sizeof *a);
    a->per_layer = per_layer;
}

// Lays the buffers out in one arena (base NULL: only counts). Inference aliases every buffer
// whose value is dead when the next one is written: the stream x is normed in place, one
// scratch row serves both residual sums and GELU runs in place: 6·H + I floats a token.
static size_t plan_arena(fc_bert_acts *a, const fc_bert_config *c, size_t T, size_t B,
                         float *base) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size;
    fc_arena_cursor cur = {base, 0};
    if (!a->per_layer) {
        float *x = fc_arena_carve(&cur, T * H), *qkv = fc_arena_carve(&cur, T * 3 * H);
        float *context = fc_arena_carve(&cur, T * H), *sum = fc_arena_carve(&cur, T * H);
        float *inter = fc_arena_carve(&cur, T * I);
        a->emb_sum = sum;
        a->encoded = x;
        for (int l = 0; l < c->num_layers; l++)
            a->layers[l] = (fc_bert_layer_acts){x, qkv, context, sum, x, inter, inter, sum};
    } else {
        a->emb_sum = fc_arena_carve(&cur, T * H);
        for (int l = 0; l < c->num_layers; l++) {
            fc_bert_layer_acts *L = &a->layers[l];
            L->input = fc_arena_carve(&cur, T * H);
            L->qkv = fc_arena_carve(&cur, T * 3 * H);
            L->context = fc_arena_carve(&cur, T * H);
            L->attn_sum = fc_arena_carve(&cur, T * H);
            L->attn_normed = fc_arena_carve(&cur, T * H);
            L->inter_pre = fc_arena_carve(&cur, T * I);
            L->inter_act = fc_arena_carve(&cur, T * I);
            L->ffn_sum = fc_arena_carve(&cur, T * H);
        }
        a->encoded = fc_arena_carve(&cur, T * H);
    }
    a->cls = fc_arena_carve(&cur, B * H);
    a->head_in = fc_arena_carve(&cur, B * H);
    a->head_act = fc_arena_carve(&cur, B * H);
    a->head_out = fc_arena_carve(&cur, B * H);
    return cur.used;
}

// Grows the record (never shrinks) to hold T tokens in B sequences, the longest of longest.
// Out of memory is an error; the record then stays valid and plans again on the next call.
static int acts_reserve(fc_bert_acts *a, const fc_bert_config *c, int T, int B, int longest,
                        fc_error *err) {
    if (a->num_layers != c->num_layers) {
        void *layers = fc_try_realloc_array(a->layers, (size_t)c->num_layers, sizeof *a->layers);
        if (!layers)
            return fc_fail_out_of_memory(err, "the per-layer activation record",
                                         (size_t)c->num_layers * sizeof *a->layers);
        a->layers = layers;
        a->num_layers = c->num_layers;
        a->token_capacity = a->seq_capacity = 0;
    }
    if (T > a->token_capacity || B > a->seq_capacity) {
        int tokens = T > a->token_capacity ? T : a->token_capacity;
        int seqs = B > a->seq_capacity ? B : a->seq_capacity;
        if (T > a->token_capacity) {
            int32_t *types = fc_try_realloc_array(a->types, (size_t)T, sizeof *a->types);
            if (!types) return fc_fail_out_of_memory(err, "the token types", (size_t)T * 4);
            a->types = types;
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
        // The blocked kernel (inference) and the dropout kernel (training) share the scratch;
        // size it for either.
        size_t blocked = fc_attention_blocked_scratch_floats(longest, c->head_dim);
        size_t dropout = fc_attention_dropout_scratch_floats(longest, c->head_dim);
        size_t per_thread = blocked > dropout ? blocked : dropout;
        size_t floats = (size_t)omp_get_max_threads() * per_thread;
        if (fc_grow_floats(&a->attn_scratch, floats, "the attention scratch", err) != 0)
            return -1;
        a->attn_scratch_per_thread = per_thread;
        a->longest_capacity = longest;
    }
    return 0;
}

void fc_bert_token_types(const fc_bert_config *c, const int32_t *ids, const int32_t *offsets,
                         int n_seqs, int32_t sep_id, int32_t *types) {
    for (int s = 0; s < n_seqs; s++) {
        int type = 0;
        for (int t = offsets[s]; t < offsets[s + 1]; t++) {
            types[t] = type;
            if (ids[t] == sep_id && c->type_vocab_size > 1) type = 1;
        }
    }
}

static int check_batch(const fc_bert_config *c, const int32_t *ids, const int32_t *types,
                       const int32_t *offsets, int n_seqs, int *longest, fc_error *err) {
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    if (offsets[0] != 0) return fc_fail(err, "batch offsets must start at 0");
    int max_tokens = fc_bert_config_max_tokens(c);
    *longest = 0;
    for (int s = 0; s < n_seqs; s++) {
        int n = offsets[s + 1] - offsets[s];
        if (n < 1) return fc_fail(err, "sequence %d of the batch is empty", s);
        if (n > max_tokens)
            return fc_fail(err, "sequence %d has %d tokens; the model's position table allows %d",
                           s, n, max_tokens);
        if (n > *longest) *longest = n;
    }
    for (int t = 0; t < offsets[n_seqs]; t++) {
        if (ids[t] < 0 || ids[t] >= c->vocab_size)
            return fc_fail(err, "token id %d is outside the vocabulary (size %d)", ids[t],
                           c->vocab_size);
        if (types && (types[t] < 0 || types[t] >= c->type_vocab_size))
            return fc_fail(err, "token type %d is outside the model's %d types", types[t],
                           c->type_vocab_size);
    }
    return 0;
}

// first: the index of x[0] in the whole batch's tensor (fc_bert_acts.first_token, first_row).
static void dropout(fc_bert_acts *acts, float *x, size_t n, float p, int layer, int site,
                    uint64_t first) {
    if (acts->training)
        fc_dropout_forward(x, n, p,
                           fc_dropout_seed_at(fc_dropout_site_seed(acts->seed, layer, site), first));
}

static void add_in_place(float *sum, const float *other, size_t n) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) sum[i] += other[i];
}

// A dense layer in whichever storage the weights are kept (fp32, or low precision), then its
// epilogue (may be NULL). The low-precision path runs the epilogue in the same pass as its
// dequantization; a failure there (out of memory) is recorded in acts and reported after the
// layer.
static void linear(float *out, const float *in, const float *weight, const fc_lowp_linear *lowp,
                   const float *bias, const fc_linear_epilogue *epilogue, int T, int in_dim,
                   int out_dim, fc_bert_acts *acts) {
    if (lowp) {
        if (fc_lowp_linear_forward(out, in, lowp, bias, epilogue, T, &acts->lowp) != 0)
            acts->lowp_failed = 1;
        return;
    }
    fc_linear_forward(out, in, weight, bias, T, in_dim, out_dim);
    if (!epilogue) return;
    if (epilogue->gelu) fc_gelu_forward(out, T * out_dim);
    if (epilogue->residual) add_in_place(out, epilogue->residual, (size_t)T * out_dim);
}

// The attention kernel's mask index of query token t starts at (t · heads) << 20.
static uint64_t attention_seed(const fc_bert_acts *acts, const fc_bert_config *c, int layer) {
    return fc_dropout_seed_at(fc_dropout_site_seed(acts->seed, layer, SITE_ATTN_PROBS),
                              (acts->first_token * (uint64_t)c->num_heads) << 20);
}

// One post-LayerNorm encoder layer (BertLayer): attention block, then feed-forward block.
static void encoder_layer(const fc_bert_config *c, const fc_bert_layer *L, int layer,
                          fc_bert_layer_acts *a, fc_bert_acts *acts, float *out,
                          const int32_t *offsets, int n_seqs, int T) {
    int H = c->hidden_size, I = c->intermediate_size;
    size_t n = (size_t)T * H;
    // BertSelfAttention: one GEMM for query | key | value, softmax(QKᵀ/√d) per sequence.
    linear(a->qkv, a->input, L->wqkv, L->wqkv_lowp, L->wqkv_b, NULL, T, H, 3 * H, acts);
    // Training runs the kernel whose backward regenerates its masks (also with p = 0, where
    // it is the reference attention); inference the blocked one.
    if (acts->training)
        fc_attention_dropout_forward(a->context, a->qkv, offsets, n_seqs, c->num_heads,
                                     c->head_dim, c->attention_dropout,
                                     attention_seed(acts, c, layer),
                                     acts->attn_scratch, acts->attn_scratch_per_thread);
    else
        fc_attention_forward_blocked(a->context, a->qkv, offsets, n_seqs, c->num_heads,
                                     c->head_dim, -1, fc_lowp_attention_bf16(L->wqkv_lowp),
                                     acts->attn_scratch, acts->attn_scratch_per_thread);
    // BertSelfOutput: dense → dropout → LayerNorm(· + input). Without dropout (inference) the
    // residual joins the dense's epilogue.
    fc_linear_epilogue attn_residual = {.residual = a->input};
    linear(a->attn_sum, a->context, L->attn_out_w, L->attn_out_lowp, L->attn_out_b,
           acts->training ? NULL : &attn_residual, T, H, H, acts);
    if (acts->training) {
        dropout(acts, a->attn_sum, n, c->hidden_dropout, layer, SITE_ATTN_OUT,
                acts->first_token * H);
        add_in_place(a->attn_sum, a->input, n);
    }
    fc_layernorm_forward(a->attn_normed, a->attn_sum, L->attn_norm_w, L->attn_norm_b, T, H,
                         c->layer_norm_eps);
    // BertIntermediate: dense → GELU, in the dense's epilogue where nothing keeps its input
    // (inference aliases the two buffers; training keeps both for the backward).
    fc_linear_epilogue gelu = {.gelu = 1};
    int fused = a->inter_act == a->inter_pre;
    linear(a->inter_pre, a->attn_normed, L->inter_w, L->inter_lowp, L->inter_b,
           fused ? &gelu : NULL, T, H, I, acts);
    if (!fused) {
        memcpy(a->inter_act, a->inter_pre, (size_t)T * I * sizeof(float));
        fc_gelu_forward(a->inter_act, T * I);
    }
    // BertOutput: dense → dropout → LayerNorm(· + input).
    fc_linear_epilogue ffn_residual = {.residual = a->attn_normed};
    linear(a->ffn_sum, a->inter_act, L->out_w, L->out_lowp, L->out_b,
           acts->training ? NULL : &ffn_residual, T, I, H, acts);
    if (acts->training) {
        dropout(acts, a->ffn_sum, n, c->hidden_dropout, layer, SITE_FFN_OUT,
                acts->first_token * H);
        add_in_place(a->ffn_sum, a->attn_normed, n);
    }
    fc_layernorm_forward(out, a->ffn_sum, L->out_norm_w, L->out_norm_b, T, H, c->layer_norm_eps);
}

int fc_bert_forward_acts(const fc_bert_config *c, const fc_bert_weights *w, int num_labels,
                         fc_bert_acts *acts, const int32_t *ids, const int32_t *types,
                         const int32_t *offsets, int n_seqs, float *logits, fc_error *err) {
    int longest = 0;
    if (check_batch(c, ids, types, offsets, n_seqs, &longest, err) != 0) return -1;
    int T = offsets[n_seqs], H = c->hidden_size, B = n_seqs;
    if (acts_reserve(acts, c, T, B, longest, err) != 0) return -1;
    for (int l = 0; l < c->num_layers; l++) {
        const fc_lowp_linear *lowp[4] = {w->layers[l].wqkv_lowp, w->layers[l].attn_out_lowp,
                                         w->layers[l].inter_lowp, w->layers[l].out_lowp};
        for (int i = 0; i < 4; i++)
            if (lowp[i] && fc_lowp_scratch_reserve(&acts->lowp, lowp[i], T) != 0)
                return fc_fail_out_of_memory(err, "the low-precision scratch",
                                             (size_t)T * lowp[i]->in_dim);
    }
    if (types)
        memcpy(acts->types, types, (size_t)T * sizeof *types);
    else
        memset(acts->types, 0, (size_t)T * sizeof *acts->types);

    // BertEmbeddings: word + absolute position (restarting in every sequence, from
    // position_offset for RoBERTa) + token type, LayerNorm, dropout.
    for (int s = 0; s < n_seqs; s++) {
        for (int t = offsets[s]; t < offsets[s + 1]; t++) {
            float *row = acts->emb_sum + (size_t)t * H;
            const float *pos = w->position_embeddings +
                               (size_t)(t - offsets[s] + c->position_offset) * H;
            const float *type = w->token_type_embeddings + (size_t)acts->types[t] * H;
            const float *word = row;
            if (w->word_embeddings)
                word = w->word_embeddings + (size_t)ids[t] * H;
            else // low-precision storage: the 16-bit row, widened into row
                fc_lowp_table_row(w->word_table, ids[t], row);
            for (int i = 0; i < H; i++) row[i] = word[i] + type[i] + pos[i];
        }
    }
    float *x = acts->layers[0].input;
    fc_layernorm_forward(x, acts->emb_sum, w->emb_norm_w, w->emb_norm_b, T, H, c->layer_norm_eps);
    dropout(acts, x, (size_t)T * H, c->hidden_dropout, LAYER_EMBEDDINGS, 0,
            acts->first_token * H);

    for (int l = 0; l < c->num_layers; l++) {
        float *out = l + 1 < c->num_layers ? acts->layers[l + 1].input : acts->encoded;
        encoder_layer(c, &w->layers[l], l, &acts->layers[l], acts, out, offsets, n_seqs, T);
        if (acts->lowp_failed) {
            acts->lowp_failed = 0;
            return fc_fail(err, "out of memory in layer %d's matrix multiply", l);
        }
    }

    // The head reads each sequence's first token ([CLS] / <s>).
    for (int s = 0; s < n_seqs; s++)
        memcpy(acts->cls + (size_t)s * H, acts->encoded + (size_t)offsets[s] * H,
               sizeof(float) * H);
    size_t bh = (size_t)B * H;
    memcpy(acts->head_in, acts->cls, bh * sizeof(float));
    // RobertaClassificationHead: dropout → dense → tanh → dropout → out_proj.
    // BertPooler (dense → tanh) then BertForSequenceClassification's dropout → classifier.
    if (c->flavor == FC_BERT_FLAVOR_ROBERTA)
        dropout(acts, acts->head_in, bh, c->classifier_dropout, LAYER_HEAD, SITE_HEAD_IN,
                acts->first_row * H);
    fc_linear_forward(acts->head_act, acts->head_in, w->head_dense_w, w->head_dense_b, B, H, H);
    fc_tanh_forward(acts->head_act, (int)bh);
    memcpy(acts->head_out, acts->head_act, bh * sizeof(float));
    dropout(acts, acts->head_out, bh, c->classifier_dropout, LAYER_HEAD, SITE_HEAD_OUT,
            acts->first_row * H);
    fc_linear_forward(logits, acts->head_out, w->classifier_w, w->classifier_b, B, H, num_labels);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// A loaded checkpoint

struct fc_bert {
    fc_bert_params params;
    fc_bert_acts acts;
    fc_bert_head head;
    int32_t sep_id;
    int32_t *types; // [capacity] derived token types of the current batch
    int types_capacity;
};

// The seed of a fresh head at inference: fixed, so that a bare encoder gives the same logits in
// every run (its predictions mean nothing until it is trained; see fc_bert_head_is_fresh).
enum { FRESH_HEAD_SEED = 0 };

int fc_bert_load(const cJSON *config, const char *config_path, const fc_safetensors *st,
                 const char *dir, int num_labels, fc_weight_dtype storage, int32_t sep_id,
                 fc_bert **out, fc_error *err) {
    *out = NULL;
    fc_bert_config c;
    if (fc_bert_config_parse(config, config_path, &c, err) != 0) return -1;
    double range = 0.02;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(config, "initializer_range");
    if (cJSON_IsNumber(r) && r->valuedouble > 0.0 && r->valuedouble < 10.0) range = r->valuedouble;
    fc_bert *m = fc_calloc(1, sizeof *m);
    int ok = fc_bert_params_init(&m->params, &c, num_labels, err) == 0;
    if (ok) m->params.storage = storage;
    if (!ok ||
        fc_bert_params_load(&m->params, st, dir, range, FRESH_HEAD_SEED, &m->head, err) != 0 ||
        fc_bert_params_store_lowp(&m->params, st, dir, err) != 0) {
        fc_bert_free(m);
        return -1;
    }
    m->sep_id = sep_id;
    fc_bert_acts_init(&m->acts, 0);
    *out = m;
    return 0;
}

void fc_bert_free(fc_bert *m) {
    if (!m) return;
    fc_bert_params_free(&m->params);
    fc_bert_acts_free(&m->acts);
    free(m->types);
    free(m);
}

const fc_bert_config *fc_bert_get_config(const fc_bert *m) {
    return &m->params.config;
}

int fc_bert_head_is_fresh(const fc_bert *m) {
    return m->head == FC_BERT_HEAD_FRESH;
}

int fc_bert_forward(fc_bert *m, const int32_t *ids, const int32_t *types, const int32_t *offsets,
                    int n_seqs, float *logits, float *last_hidden, fc_error *err) {
    if (n_seqs < 1) return fc_fail(err, "empty batch");
    int T = offsets[n_seqs];
    if (T < 0) return fc_fail(err, "batch offsets must not decrease");
    if (T > m->types_capacity) {
        int32_t *grown = fc_try_realloc_array(m->types, (size_t)T, sizeof *m->types);
        if (!grown) return fc_fail_out_of_memory(err, "the token types", (size_t)T * sizeof *grown);
        m->types = grown;
        m->types_capacity = T;
    }
    const fc_bert_config *c = &m->params.config;
    // The offsets are validated by the forward; deriving types first must not read past them.
    for (int s = 0; s < n_seqs; s++)
        if (offsets[s] < 0 || offsets[s + 1] < offsets[s] || offsets[s + 1] > T)
            return fc_fail(err, "batch offsets must start at 0 and not decrease");
    if (!types) {
        fc_bert_token_types(c, ids, offsets, n_seqs, m->sep_id, m->types);
        types = m->types;
    }
    if (fc_bert_forward_acts(c, &m->params.weights, m->params.num_labels, &m->acts, ids, types,
                             offsets, n_seqs, logits, err) != 0)
        return -1;
    if (last_hidden)
        memcpy(last_hidden, m->acts.encoded, (size_t)T * c->hidden_size * sizeof(float));
    return 0;
}
