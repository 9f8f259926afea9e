// POST /zero-shot: the Hugging Face inference API's zero-shot-classification task, with the
// pipeline's semantics (tasks/zeroshot.h). All pairs of the request (texts x labels) go to the
// worker together; the worker may batch them with other requests' pairs.
#include <stdlib.h>
#include <string.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/result_json.h"
#include "tasks/zeroshot.h"
#include "util/alloc.h"

static void write_results(fc_textbuf *out, const fc_zeroshot_request *request,
                          const size_t *ranks, const float *scores) {
    size_t n_labels = request->n_labels;
    if (!request->single) fc_textbuf_append(out, "[", 1);
    for (size_t t = 0; t < request->n_texts; t++) {
        if (t) fc_textbuf_append(out, ",", 1);
        fc_zeroshot_result_json(out, request->texts[t], (const char *const *)request->labels,
                                ranks + t * n_labels, scores + t * n_labels, n_labels);
    }
    if (!request->single) fc_textbuf_append(out, "]", 1);
}

// The pipeline leaves pairs untruncated when the tokenizer sets no model_max_length; the
// server refuses those past the model's max length rather than run them (413).
static int check_lengths(const fc_serve_context *ctx, const fc_zeroshot_request *request,
                         const fc_ids *pairs, fc_reply *reply) {
    int max_length = fc_model_max_length(ctx->model);
    for (size_t t = 0; t < request->n_texts; t++)
        for (size_t l = 0; l < request->n_labels; l++) {
            size_t len = pairs[t * request->n_labels + l].len;
            if (max_length > 0 && len > (size_t)max_length)
                return fc_reply_error(reply, 413, "validation",
                                      "inputs[%zu] with candidate label %zu makes %zu tokens, "
                                      "more than the model's maximum of %d", t, l, len,
                                      max_length);
        }
    return 0;
}

void fc_handle_zeroshot(const fc_serve_context *ctx, const char *body, size_t len, fc_reply *reply) {
    fc_zeroshot_request request;
    if (fc_parse_zeroshot(body, len, (size_t)ctx->options->max_client_batch_size, &request,
                          reply) != 0) {
        fc_zeroshot_request_free(&request);
        return;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_error(reply, 429, "overloaded", "the server is busy (%d requests in flight); "
                       "retry later", ctx->options->max_concurrent_requests);
        fc_zeroshot_request_free(&request);
        return;
    }
    size_t n_pairs = request.n_texts * request.n_labels;
    size_t num_labels = (size_t)fc_model_num_labels(ctx->model);
    fc_ids *pairs = fc_calloc(n_pairs, sizeof *pairs);
    float *logits = fc_malloc(n_pairs * num_labels * sizeof *logits);
    size_t *ranks = fc_malloc(n_pairs * sizeof *ranks);
    float *scores = fc_malloc(n_pairs * sizeof *scores);
    fc_error err;
    if (fc_zeroshot_encode(ctx->model, request.texts, request.n_texts,
                           (const char *const *)request.labels, request.n_labels,
                           request.hypothesis_template, pairs, &err) != 0) {
        fc_reply_error(reply, 422, "tokenizer", "%s", err.message);
    } else if (check_lengths(ctx, &request, pairs, reply) == 0) {
        if (fc_scheduler_run(ctx->scheduler, pairs, n_pairs, logits, &err) != 0) {
            fc_reply_inference_error(reply, &err);
        } else {
            fc_zeroshot_scores(ctx->model, logits, request.n_texts, request.n_labels,
                               request.multi_label, ranks, scores);
            reply->body.len = 0;
            write_results(&reply->body, &request, ranks, scores);
            fc_reply_json_ok(reply);
        }
    }
    fc_scheduler_leave(ctx->scheduler);
    for (size_t i = 0; i < n_pairs; i++) fc_ids_free(&pairs[i]);
    free(pairs);
    free(logits);
    free(ranks);
    free(scores);
    fc_zeroshot_request_free(&request);
}
