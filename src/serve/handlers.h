// The endpoints: each turns a request body into a reply. POST handlers run on the
// connection's thread and block while the inference worker runs their pairs.
#ifndef FC_SERVE_HANDLERS_H
#define FC_SERVE_HANDLERS_H

#include <stddef.h>

#include "finecat.h"
#include "serve/metrics.h"
#include "serve/reply.h"
#include "serve/scheduler.h"
#include "serve/server.h"

typedef struct fc_serve_context {
    const fc_model *model; // read-only here (tokenizer, labels); forwards go through scheduler
    fc_scheduler *scheduler;
    fc_metrics *metrics;
    const fc_server_options *options;
} fc_serve_context;

void fc_handle_predict(const fc_serve_context *ctx, const char *body, size_t len, fc_reply *reply);
void fc_handle_zeroshot(const fc_serve_context *ctx, const char *body, size_t len, fc_reply *reply);
void fc_handle_check(const fc_serve_context *ctx, const char *body, size_t len, fc_reply *reply);
void fc_handle_health(const fc_serve_context *ctx, fc_reply *reply);
void fc_handle_info(const fc_serve_context *ctx, fc_reply *reply);
void fc_handle_metrics(const fc_serve_context *ctx, fc_reply *reply);

#endif
