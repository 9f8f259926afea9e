// GET /health, /info and /metrics: answered on the connection's thread, never queued, so they
// work while the worker is busy.
#include <string.h>

#include "serve/handlers.h"
#include "tasks/result_json.h"

void fc_handle_health(const fc_serve_context *ctx, fc_reply *reply) {
    reply->body.len = 0;
    fc_textbuf_append(&reply->body, "{\"status\":\"ok\"}", 15);
    fc_reply_json_ok(reply);
}

void fc_handle_info(const fc_serve_context *ctx, fc_reply *reply) {
    const fc_server_options *o = ctx->options;
    fc_textbuf *out = &reply->body;
    out->len = 0;
    fc_textbuf_append(out, "{\"model_dir\":", 13);
    const char *dir = o->model_dir ? o->model_dir : "";
    fc_jsonbuf_string(out, dir, strlen(dir));
    fc_textbuf_append(out, ",\"labels\":[", 11);
    int n = fc_model_num_labels(ctx->model);
    for (int k = 0; k < n; k++) {
        if (k) fc_textbuf_append(out, ",", 1);
        const char *name = fc_model_label_name(ctx->model, k);
        fc_jsonbuf_string(out, name, strlen(name));
    }
    fc_textbuf_append(out, "],\"canonical_labels\":[", 22);
    for (int k = 0; k < n; k++) {
        int canonical = fc_model_canonical_label(ctx->model, k);
        if (canonical < 0)
            fc_jsonbuf_printf(out, "%snull", k ? "," : "");
        else
            fc_jsonbuf_printf(out, "%s\"%s\"", k ? "," : "", fc_label_name((fc_label)canonical));
    }
    fc_jsonbuf_printf(out, "],\"entailment_id\":%d,\"max_input_length\":%d,\"version\":\"%s\","
                           "\"max_batch_tokens\":%d,\"max_concurrent_requests\":%d,"
                           "\"max_client_batch_size\":%d,\"max_body_bytes\":%zu}",
                      fc_model_entailment_id(ctx->model), fc_model_max_length(ctx->model),
                      FINECAT_VERSION, o->max_batch_tokens, o->max_concurrent_requests,
                      o->max_client_batch_size, o->max_body_bytes);
    fc_reply_json_ok(reply);
}

void fc_handle_metrics(const fc_serve_context *ctx, fc_reply *reply) {
    int in_flight, queued;
    fc_scheduler_counts(ctx->scheduler, &in_flight, &queued);
    reply->body.len = 0;
    fc_metrics_render(ctx->metrics, in_flight, queued, &reply->body);
    reply->status = 200;
    reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply->error_type = NULL;
}
