// The error replies that several POST handlers share.
#include <string.h>

#include "serve/handlers.h"

void fc_reply_inference_failed(fc_reply *reply, const fc_error *err) {
    // A forward that could not get its memory fails with a message that says "out of memory":
    // that is the server's state, not the request's fault, and it may pass once other requests
    // finish, so the answer is a retryable 503 and the server keeps serving.
    if (strcasestr(err->message, "out of memory"))
        fc_reply_error(reply, 503, "out_of_memory", "inference failed: %s; retry later",
                       err->message);
    else
        fc_reply_error(reply, 500, "backend", "inference failed: %s", err->message);
}

int fc_reply_tokenizer_failed(fc_reply *reply, const char *where, const fc_error *err) {
    if (strcasestr(err->message, "out of memory"))
        return fc_reply_error(reply, 503, "out_of_memory", "%s%s%s; retry later", where ? where : "",
                              where ? ": " : "", err->message);
    return fc_reply_error(reply, 422, "tokenizer", "%s%s%s", where ? where : "", where ? ": " : "",
                          err->message);
}

void fc_reply_overloaded(const fc_serve_context *ctx, fc_reply *reply) {
    fc_reply_error(reply, 429, "overloaded", "the server is busy (%d requests in flight); retry "
                   "later", ctx->options->max_concurrent_requests);
}
