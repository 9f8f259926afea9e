// POST /rerank: text-embeddings-inference's rerank route on an NLI cross-encoder. Each text is
// scored against the query, and the answer lists {"index", "score"} (and "text" on request)
// by descending score.
//
// The pair is (premise = text, hypothesis = query) and the score is the entailment
// probability: "does this passage support the query's statement?". That is the direction of
// every NLI use of a cross-encoder in finecat (zero-shot puts the text first and the label's
// hypothesis second, /check the context first and the answer's sentence second) and of NLI
// retrieval and fact verification, where the evidence is the premise and the claim the
// hypothesis; NLI models are trained on that order and are not symmetric. A one-label model
// (a relevance cross-encoder such as ms-marco-MiniLM) is scored with the sigmoid of its
// logit, as text-embeddings-inference does.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/nli.h"
#include "tasks/result_json.h"
#include "util/alloc.h"

typedef struct rerank_inference {
    fc_inference base; // first: the server hands back this pointer
    fc_rerank_request request;
    fc_ids *encoded;
    float *logits;
} rerank_inference;

typedef struct ranked_text {
    float score;
    size_t index;
} ranked_text;

// Descending score; equal scores in input order.
static int by_score_descending(const void *a, const void *b) {
    const ranked_text *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

// The score of one text from its pair's logits.
static float text_score(const fc_model *model, const float *logits, int raw_scores) {
    int n = fc_model_num_labels(model);
    if (n == 1) return raw_scores ? logits[0] : 1.0f / (1.0f + expf(-logits[0]));
    int entailment = fc_model_entailment_id(model);
    if (raw_scores) return logits[entailment];
    float probs[64];
    fc_softmax(logits, n, probs);
    return probs[entailment];
}

static void finish_rerank(const fc_serve_context *ctx, fc_inference *inference, fc_reply *reply) {
    rerank_inference *r = (rerank_inference *)inference;
    if (r->base.job.failed) {
        fc_reply_inference_failed(reply, &r->base.job.err);
        return;
    }
    size_t n = r->request.n_texts, num_labels = (size_t)fc_model_num_labels(ctx->model);
    ranked_text *ranked = fc_malloc(n * sizeof *ranked);
    for (size_t i = 0; i < n; i++)
        ranked[i] = (ranked_text){text_score(ctx->model, r->logits + i * num_labels,
                                             r->request.raw_scores), i};
    qsort(ranked, n, sizeof *ranked, by_score_descending);
    fc_textbuf *out = &reply->body;
    out->len = 0;
    fc_textbuf_append(out, "[", 1);
    for (size_t k = 0; k < n; k++) {
        fc_jsonbuf_printf(out, "%s{\"index\":%zu,", k ? "," : "", ranked[k].index);
        if (r->request.return_text) {
            const char *text = r->request.texts[ranked[k].index];
            fc_textbuf_append(out, "\"text\":", 7);
            fc_jsonbuf_string(out, text, strlen(text));
            fc_textbuf_append(out, ",", 1);
        }
        fc_textbuf_append(out, "\"score\":", 8);
        fc_jsonbuf_float(out, ranked[k].score);
        fc_textbuf_append(out, "}", 1);
    }
    fc_textbuf_append(out, "]", 1);
    fc_reply_json_ok(reply);
    free(ranked);
}

static void free_rerank(fc_inference *inference) {
    rerank_inference *r = (rerank_inference *)inference;
    if (r->encoded)
        for (size_t i = 0; i < r->request.n_texts; i++) fc_ids_free(&r->encoded[i]);
    free(r->encoded);
    free(r->logits);
    fc_rerank_request_free(&r->request);
    free(r);
}

// Tokenizes every (text, query) pair; a refused text is a 422 naming it (a 503 when out of
// memory), an over-long pair without truncation a 413.
static int encode_pairs(const fc_serve_context *ctx, rerank_inference *r, fc_reply *reply) {
    fc_nli_options options = fc_nli_default_options();
    options.truncation = r->request.truncate ? FC_TRUNCATE_LONGEST_FIRST : FC_TRUNCATE_NONE;
    int max_length = fc_model_max_length(ctx->model);
    for (size_t i = 0; i < r->request.n_texts; i++) {
        fc_pair pair = {r->request.texts[i], r->request.query};
        fc_error err;
        if (fc_nli_encode_pair(ctx->model, &pair, &options, &r->encoded[i], &err) != 0) {
            char where[48];
            snprintf(where, sizeof where, "texts[%zu]", i);
            return fc_reply_tokenizer_failed(reply, where, &err);
        }
        if (max_length > 0 && r->encoded[i].len > (size_t)max_length)
            return fc_reply_error(reply, 413, "validation",
                                  "texts[%zu] with the query makes %zu tokens, more than the "
                                  "model's maximum of %d; send \"truncate\": true to cut it", i,
                                  r->encoded[i].len, max_length);
    }
    return 0;
}

fc_inference *fc_handle_rerank(const fc_serve_context *ctx, const char *body, size_t len,
                               fc_reply *reply) {
    rerank_inference *r = fc_calloc(1, sizeof *r);
    r->base.finish = finish_rerank;
    r->base.free = free_rerank;
    int num_labels = fc_model_num_labels(ctx->model);
    if (fc_parse_rerank(body, len, (size_t)ctx->options->max_client_batch_size, &r->request,
                        reply) != 0) {
        free_rerank(&r->base);
        return NULL;
    }
    if (num_labels > 64 || (num_labels > 1 && fc_model_entailment_id(ctx->model) < 0)) {
        fc_reply_error(reply, 500, "backend", "the model has no entailment label (id2label), so "
                       "/rerank has no score to give");
        free_rerank(&r->base);
        return NULL;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_overloaded(ctx, reply);
        free_rerank(&r->base);
        return NULL;
    }
    size_t n = r->request.n_texts;
    r->encoded = fc_calloc(n, sizeof *r->encoded);
    r->logits = fc_malloc(n * (size_t)num_labels * sizeof *r->logits);
    if (encode_pairs(ctx, r, reply) != 0) {
        fc_scheduler_leave(ctx->scheduler);
        free_rerank(&r->base);
        return NULL;
    }
    r->base.job.seqs = r->encoded;
    r->base.job.n = n;
    r->base.job.logits = r->logits;
    return &r->base;
}
