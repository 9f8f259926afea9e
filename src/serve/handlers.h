// The endpoints: each turns a request body into a reply. They run on libmicrohttpd's worker
// threads, which serve many connections each, so no handler waits for a forward: a POST
// handler parses, admits and tokenizes, then hands back an fc_inference whose pairs the server
// submits to the scheduler; the connection is suspended until the worker has run them, and
// the inference's finish writes the reply.
#ifndef FC_SERVE_HANDLERS_H
#define FC_SERVE_HANDLERS_H

#include <stddef.h>

#include "finecat.h"
#include "serve/connections.h"
#include "serve/metrics.h"
#include "serve/reply.h"
#include "serve/scheduler.h"
#include "serve/server.h"

typedef struct fc_serve_context {
    const fc_model *model; // read-only here (tokenizer, labels); forwards go through scheduler
    fc_scheduler *scheduler;
    fc_metrics *metrics;
    const fc_server_options *options;
    const char *model_id;   // /info: the model folder's name
    const char *model_arch; // /info: config.json's model_type ("bert", "modernbert", ...)
    fc_connections *connections;
} fc_serve_context;

// A request waiting for the worker. The handler that returns it has admitted the request
// (fc_scheduler_admit) and filled job.seqs, job.n and job.logits; the server fills the
// callback, submits the job, and once it is done calls finish, fc_scheduler_leave and free.
typedef struct fc_inference {
    fc_scheduler_job job;
    // Writes the reply from job.logits (or the error of a failed forward).
    void (*finish)(const fc_serve_context *ctx, struct fc_inference *inference, fc_reply *reply);
    // Frees the inference and everything it holds (the request, the pairs, the logits).
    void (*free)(struct fc_inference *inference);
} fc_inference;

// The POST endpoints: NULL with the reply written (an error, or an answer that needed no
// forward), or an admitted inference.
fc_inference *fc_handle_predict(const fc_serve_context *ctx, const char *body, size_t len,
                                fc_reply *reply);
fc_inference *fc_handle_zeroshot(const fc_serve_context *ctx, const char *body, size_t len,
                                 fc_reply *reply);
fc_inference *fc_handle_check(const fc_serve_context *ctx, const char *body, size_t len,
                              fc_reply *reply);
fc_inference *fc_handle_rerank(const fc_serve_context *ctx, const char *body, size_t len,
                               fc_reply *reply);
// POST /tokenize needs no forward: it answers at once.
void fc_handle_tokenize(const fc_serve_context *ctx, const char *body, size_t len,
                        fc_reply *reply);

void fc_handle_health(const fc_serve_context *ctx, fc_reply *reply);
void fc_handle_info(const fc_serve_context *ctx, fc_reply *reply);
void fc_handle_metrics(const fc_serve_context *ctx, fc_reply *reply);
void fc_handle_openapi(const fc_serve_context *ctx, fc_reply *reply);

// The reply of a failed forward: 503 when the model layer ran out of memory (the server stays
// up and the client may retry), else 500.
void fc_reply_inference_failed(fc_reply *reply, const fc_error *err);

// The reply of a text the tokenizer did not take: 422 when the text is at fault (invalid
// UTF-8, say), 503 when the tokenizer ran out of memory (as a forward does). where names the
// input ("inputs[2]"), or is NULL when the message already does. Returns -1.
int fc_reply_tokenizer_failed(fc_reply *reply, const char *where, const fc_error *err);

// The 429 of a request that fc_scheduler_admit refused.
void fc_reply_overloaded(const fc_serve_context *ctx, fc_reply *reply);

#endif
