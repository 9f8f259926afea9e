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

typedef struct zeroshot_inference {
    fc_inference base; // first: the server hands back this pointer
    fc_zeroshot_request request;
    fc_ids *pairs;
    float *logits;
} zeroshot_inference;

static void finish_zeroshot(const fc_serve_context *ctx, fc_inference *inference,
                            fc_reply *reply) {
    zeroshot_inference *z = (zeroshot_inference *)inference;
    if (z->base.job.failed) {
        fc_reply_inference_failed(reply, &z->base.job.err);
        return;
    }
    size_t n_pairs = z->request.n_texts * z->request.n_labels;
    size_t *ranks = fc_malloc(n_pairs * sizeof *ranks);
    float *scores = fc_malloc(n_pairs * sizeof *scores);
    fc_zeroshot_scores(ctx->model, z->logits, z->request.n_texts, z->request.n_labels,
                       z->request.multi_label, ranks, scores);
    reply->body.len = 0;
    write_results(&reply->body, &z->request, ranks, scores);
    fc_reply_json_ok(reply);
    free(ranks);
    free(scores);
}

static void free_zeroshot(fc_inference *inference) {
    zeroshot_inference *z = (zeroshot_inference *)inference;
    if (z->pairs)
        for (size_t i = 0; i < z->request.n_texts * z->request.n_labels; i++)
            fc_ids_free(&z->pairs[i]);
    free(z->pairs);
    free(z->logits);
    fc_zeroshot_request_free(&z->request);
    free(z);
}

fc_inference *fc_handle_zeroshot(const fc_serve_context *ctx, const char *body, size_t len,
                                 fc_reply *reply) {
    zeroshot_inference *z = fc_calloc(1, sizeof *z);
    z->base.finish = finish_zeroshot;
    z->base.free = free_zeroshot;
    if (fc_parse_zeroshot(body, len, (size_t)ctx->options->max_client_batch_size, &z->request,
                          reply) != 0) {
        free_zeroshot(&z->base);
        return NULL;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_overloaded(ctx, reply);
        free_zeroshot(&z->base);
        return NULL;
    }
    size_t n_pairs = z->request.n_texts * z->request.n_labels;
    size_t num_labels = (size_t)fc_model_num_labels(ctx->model);
    z->pairs = fc_calloc(n_pairs, sizeof *z->pairs);
    z->logits = fc_malloc(n_pairs * num_labels * sizeof *z->logits);
    fc_error err;
    int status = fc_zeroshot_encode(ctx->model, z->request.texts, z->request.n_texts,
                                    (const char *const *)z->request.labels, z->request.n_labels,
                                    z->request.hypothesis_template, z->pairs, &err);
    if (status != 0) fc_reply_tokenizer_failed(reply, NULL, &err);
    if (status != 0 || check_lengths(ctx, &z->request, z->pairs, reply) != 0) {
        fc_scheduler_leave(ctx->scheduler);
        free_zeroshot(&z->base);
        return NULL;
    }
    z->base.job.seqs = z->pairs;
    z->base.job.n = n_pairs;
    z->base.job.logits = z->logits;
    return &z->base;
}
