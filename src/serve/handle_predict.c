// POST /predict: NLI over pairs, answered the way text-embeddings-inference answers /predict
// for a classifier: per pair every label with its score, by descending score; probabilities
// (softmax) unless raw_scores asks for logits. Pairs longer than the model's max length are
// refused (413) unless truncate is true, which cuts them longest first, as CrossEncoder does.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/nli.h"
#include "tasks/result_json.h"
#include "util/alloc.h"

typedef struct scored_label {
    float score;
    int id;
} scored_label;

// Descending score; equal scores in label id order.
static int by_score_descending(const void *a, const void *b) {
    const scored_label *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->id - y->id;
}

static void write_pair_scores(fc_textbuf *out, const fc_model *model, const float *logits,
                              int raw_scores) {
    int n = fc_model_num_labels(model);
    float *probs = fc_malloc((size_t)n * sizeof *probs);
    scored_label *ranked = fc_malloc((size_t)n * sizeof *ranked);
    // As text-embeddings-inference: softmax over the labels, or a sigmoid for a one-label model.
    if (raw_scores)
        memcpy(probs, logits, (size_t)n * sizeof *probs);
    else if (n == 1)
        probs[0] = 1.0f / (1.0f + expf(-logits[0]));
    else
        fc_softmax(logits, n, probs);
    for (int k = 0; k < n; k++) ranked[k] = (scored_label){probs[k], k};
    qsort(ranked, (size_t)n, sizeof *ranked, by_score_descending);
    fc_textbuf_append(out, "[", 1);
    for (int r = 0; r < n; r++) {
        const char *name = fc_model_label_name(model, ranked[r].id);
        fc_textbuf_append(out, r ? ",{\"label\":" : "{\"label\":", r ? 10 : 9);
        fc_jsonbuf_string(out, name, strlen(name));
        fc_textbuf_append(out, ",\"score\":", 9);
        fc_jsonbuf_float(out, ranked[r].score);
        fc_textbuf_append(out, "}", 1);
    }
    fc_textbuf_append(out, "]", 1);
    free(ranked);
    free(probs);
}

// Tokenizes every pair; a refused text is a 422 naming the pair (a 503 when out of memory), an
// over-long pair without truncation a 413.
static int encode_pairs(const fc_serve_context *ctx, const fc_predict_request *request,
                        fc_ids *encoded, fc_reply *reply) {
    fc_nli_options options = fc_nli_default_options();
    options.truncation = request->truncate ? FC_TRUNCATE_LONGEST_FIRST : FC_TRUNCATE_NONE;
    int max_length = fc_model_max_length(ctx->model);
    for (size_t i = 0; i < request->n_pairs; i++) {
        fc_error err;
        if (fc_nli_encode_pair(ctx->model, &request->pairs[i], &options, &encoded[i], &err) != 0) {
            char where[48];
            snprintf(where, sizeof where, "inputs[%zu]", i);
            return fc_reply_tokenizer_failed(reply, where, &err);
        }
        if (max_length > 0 && encoded[i].len > (size_t)max_length)
            return fc_reply_error(reply, 413, "validation",
                                  "inputs[%zu] has %zu tokens, more than the model's maximum of "
                                  "%d; send \"truncate\": true to cut it", i, encoded[i].len,
                                  max_length);
    }
    return 0;
}

typedef struct predict_inference {
    fc_inference base; // first: the server hands back this pointer
    fc_predict_request request;
    fc_ids *encoded;
    float *logits;
} predict_inference;

static void finish_predict(const fc_serve_context *ctx, fc_inference *inference, fc_reply *reply) {
    predict_inference *p = (predict_inference *)inference;
    if (p->base.job.failed) {
        fc_reply_inference_failed(reply, &p->base.job.err);
        return;
    }
    size_t n = p->request.n_pairs, num_labels = (size_t)fc_model_num_labels(ctx->model);
    reply->body.len = 0;
    if (!p->request.single) fc_textbuf_append(&reply->body, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) fc_textbuf_append(&reply->body, ",", 1);
        write_pair_scores(&reply->body, ctx->model, p->logits + i * num_labels,
                          p->request.raw_scores);
    }
    if (!p->request.single) fc_textbuf_append(&reply->body, "]", 1);
    fc_reply_json_ok(reply);
}

static void free_predict(fc_inference *inference) {
    predict_inference *p = (predict_inference *)inference;
    if (p->encoded)
        for (size_t i = 0; i < p->request.n_pairs; i++) fc_ids_free(&p->encoded[i]);
    free(p->encoded);
    free(p->logits);
    fc_predict_request_free(&p->request);
    free(p);
}

fc_inference *fc_handle_predict(const fc_serve_context *ctx, const char *body, size_t len,
                                fc_reply *reply) {
    predict_inference *p = fc_calloc(1, sizeof *p);
    p->base.finish = finish_predict;
    p->base.free = free_predict;
    if (fc_parse_predict(body, len, (size_t)ctx->options->max_client_batch_size, &p->request,
                         reply) != 0) {
        free_predict(&p->base);
        return NULL;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_overloaded(ctx, reply);
        free_predict(&p->base);
        return NULL;
    }
    size_t n = p->request.n_pairs, num_labels = (size_t)fc_model_num_labels(ctx->model);
    p->encoded = fc_calloc(n, sizeof *p->encoded);
    p->logits = fc_malloc(n * num_labels * sizeof *p->logits);
    if (encode_pairs(ctx, &p->request, p->encoded, reply) != 0) {
        fc_scheduler_leave(ctx->scheduler);
        free_predict(&p->base);
        return NULL;
    }
    p->base.job.seqs = p->encoded;
    p->base.job.n = n;
    p->base.job.logits = p->logits;
    return &p->base;
}
