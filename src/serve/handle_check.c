// POST /check: the hallucination check (tasks/check.h) of one answer against one context; the
// answer's sentences count against max_client_batch_size.
#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"
#include "tasks/check.h"
#include "tasks/result_json.h"
#include "util/alloc.h"

// Plans, runs and writes the check; the request is admitted.
static void run_check(const fc_serve_context *ctx, const fc_check_request *request,
                      fc_reply *reply) {
    fc_error err;
    fc_check_plan plan;
    if (fc_check_options_validate(&request->options, &err) != 0) {
        fc_reply_error(reply, 422, "validation", "%s", err.message);
        return;
    }
    if (fc_check_plan_build(ctx->model, request->context, request->answer, &plan, &err) != 0) {
        fc_reply_error(reply, 422, "tokenizer", "%s", err.message);
        return;
    }
    size_t max_sentences = (size_t)ctx->options->max_client_batch_size;
    if (plan.n_sentences == 0) {
        fc_reply_error(reply, 422, "validation", "\"answer\" holds no sentence");
    } else if (plan.n_sentences > max_sentences) {
        fc_reply_error(reply, 413, "validation", "the answer has %zu sentences > maximum allowed "
                       "batch size %zu", plan.n_sentences, max_sentences);
    } else {
        float *logits = fc_malloc(plan.n_pairs * (size_t)fc_model_num_labels(ctx->model) *
                                  sizeof *logits);
        if (fc_scheduler_run(ctx->scheduler, plan.pairs, plan.n_pairs, logits, &err) != 0) {
            fc_reply_inference_error(reply, &err);
        } else {
            fc_check_result result;
            fc_check_plan_finish(ctx->model, &plan, logits, &request->options, &result);
            reply->body.len = 0;
            fc_check_result_json(&reply->body, request->answer, &result, &request->options);
            fc_reply_json_ok(reply);
            fc_check_result_free(&result);
        }
        free(logits);
    }
    fc_check_plan_free(&plan);
}

void fc_handle_check(const fc_serve_context *ctx, const char *body, size_t len, fc_reply *reply) {
    fc_check_request request;
    if (fc_parse_check(body, len, &request, reply) != 0) {
        fc_check_request_free(&request);
        return;
    }
    if (!fc_scheduler_admit(ctx->scheduler)) {
        fc_reply_error(reply, 429, "overloaded", "the server is busy (%d requests in flight); "
                       "retry later", ctx->options->max_concurrent_requests);
    } else {
        run_check(ctx, &request, reply);
        fc_scheduler_leave(ctx->scheduler);
    }
    fc_check_request_free(&request);
}
