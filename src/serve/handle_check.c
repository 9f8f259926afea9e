// POST /check: the hallucination check (tasks/check.h) of one answer against one context; the
// answer's sentences count against max_client_batch_size.
#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/check.h"
#include "tasks/result_json.h"
#include "util/alloc.h"

typedef struct check_inference {
    fc_inference base; // first: the server hands back this pointer
    fc_check_request request;
    fc_check_plan plan;
    float *logits;
} check_inference;

static void finish_check(const fc_serve_context *ctx, fc_inference *inference, fc_reply *reply) {
    check_inference *c = (check_inference *)inference;
    if (c->base.job.failed) {
        fc_reply_inference_failed(reply, &c->base.job.err);
        return;
    }
    fc_check_result result;
    fc_check_plan_finish(ctx->model, &c->plan, c->logits, &c->request.options, &result);
    reply->body.len = 0;
    fc_check_result_json(&reply->body, c->request.answer, &result, &c->request.options);
    fc_reply_json_ok(reply);
    fc_check_result_free(&result);
}

static void free_check(fc_inference *inference) {
    check_inference *c = (check_inference *)inference;
    fc_check_plan_free(&c->plan);
    free(c->logits);
    fc_check_request_free(&c->request);
    free(c);
}

// Validates and plans the check: 0, or -1 with the reply written.
static int plan_check(const fc_serve_context *ctx, check_inference *c, fc_reply *reply) {
    fc_error err;
    if (fc_check_options_validate(&c->request.options, &err) != 0)
        return fc_reply_error(reply, 422, "validation", "%s", err.message);
    if (fc_check_plan_build(ctx->model, c->request.context, c->request.answer, &c->plan,
                            &err) != 0)
        return fc_reply_tokenizer_failed(reply, NULL, &err);
    size_t max_sentences = (size_t)ctx->options->max_client_batch_size;
    if (c->plan.n_sentences == 0)
        return fc_reply_error(reply, 422, "validation", "\"answer\" holds no sentence");
    if (c->plan.n_sentences > max_sentences)
        return fc_reply_error(reply, 413, "validation", "the answer has %zu sentences > maximum "
                              "allowed batch size %zu", c->plan.n_sentences, max_sentences);
    return 0;
}

fc_inference *fc_handle_check(const fc_serve_context *ctx, const char *body, size_t len,
                              fc_reply *reply) {
    check_inference *c = fc_calloc(1, sizeof *c);
    c->base.finish = finish_check;
    c->base.free = free_check;
    if (fc_parse_check(body, len, &c->request, reply) != 0) {
        free_check(&c->base);
        return NULL;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_overloaded(ctx, reply);
        free_check(&c->base);
        return NULL;
    }
    if (plan_check(ctx, c, reply) != 0) {
        fc_scheduler_leave(ctx->scheduler);
        free_check(&c->base);
        return NULL;
    }
    c->logits = fc_malloc((c->plan.n_pairs ? c->plan.n_pairs : 1) *
                          (size_t)fc_model_num_labels(ctx->model) * sizeof *c->logits);
    c->base.job.seqs = c->plan.pairs;
    c->base.job.n = c->plan.n_pairs;
    c->base.job.logits = c->logits;
    return &c->base;
}
