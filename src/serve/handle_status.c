// GET /health, /info, /openapi.json and /metrics: answered on the event-loop thread at once,
// never queued, so they work while the worker is busy.
#include <string.h>

#include "serve/handlers.h"
#include "serve/openapi.h"
#include "tasks/result_json.h"

void fc_handle_health(const fc_serve_context *ctx, fc_reply *reply) {
    reply->body.len = 0;
    fc_textbuf_append(&reply->body, "{\"status\":\"ok\"}", 15);
    fc_reply_json_ok(reply);
}

static void append_string(fc_textbuf *out, const char *text) {
    fc_jsonbuf_string(out, text, strlen(text));
}

// {"0": "entailment", ...} and {"entailment": 0, ...}: the model's own labels, as config.json
// has them.
static void append_label_maps(fc_textbuf *out, const fc_model *model) {
    int n = fc_model_num_labels(model);
    fc_textbuf_append(out, "\"id2label\":{", 12);
    for (int k = 0; k < n; k++) {
        fc_jsonbuf_printf(out, "%s\"%d\":", k ? "," : "", k);
        append_string(out, fc_model_label_name(model, k));
    }
    fc_textbuf_append(out, "},\"label2id\":{", 14);
    for (int k = 0; k < n; k++) {
        if (k) fc_textbuf_append(out, ",", 1);
        append_string(out, fc_model_label_name(model, k));
        fc_jsonbuf_printf(out, ":%d", k);
    }
    fc_textbuf_append(out, "}", 1);
}

// The text-embeddings-inference /info fields (model_id, model_sha, model_dtype, model_type
// with the classifier's label maps, max_input_length, the batching limits, version), then
// finecat's own: the model folder and architecture, labels and their canonical NLI names, the
// entailment id the zero-shot and rerank scores use, and the connection limits.
void fc_handle_info(const fc_serve_context *ctx, fc_reply *reply) {
    const fc_server_options *o = ctx->options;
    const fc_model *model = ctx->model;
    fc_textbuf *out = &reply->body;
    out->len = 0;
    fc_textbuf_append(out, "{\"model_id\":", 12);
    append_string(out, ctx->model_id ? ctx->model_id : "");
    fc_textbuf_append(out, ",\"model_sha\":null,\"model_dtype\":", 32);
    append_string(out, o->dtype ? o->dtype : "float32");
    fc_textbuf_append(out, ",\"model_type\":{\"classifier\":{", 29);
    append_label_maps(out, model);
    fc_textbuf_append(out, "}},", 3);
    append_label_maps(out, model);
    fc_textbuf_append(out, ",\"architecture\":", 16);
    append_string(out, ctx->model_arch ? ctx->model_arch : "");
    fc_textbuf_append(out, ",\"model_dir\":", 13);
    append_string(out, o->model_dir ? o->model_dir : "");
    fc_textbuf_append(out, ",\"labels\":[", 11);
    int n = fc_model_num_labels(model);
    for (int k = 0; k < n; k++) {
        if (k) fc_textbuf_append(out, ",", 1);
        append_string(out, fc_model_label_name(model, k));
    }
    fc_textbuf_append(out, "],\"canonical_labels\":[", 22);
    for (int k = 0; k < n; k++) {
        int canonical = fc_model_canonical_label(model, k);
        if (canonical < 0)
            fc_jsonbuf_printf(out, "%snull", k ? "," : "");
        else
            fc_jsonbuf_printf(out, "%s\"%s\"", k ? "," : "", fc_label_name((fc_label)canonical));
    }
    fc_jsonbuf_printf(out, "],\"entailment_id\":%d,\"max_input_length\":%d,\"version\":\"%s\","
                           "\"max_batch_tokens\":%d,\"max_concurrent_requests\":%d,"
                           "\"max_client_batch_size\":%d,\"max_body_bytes\":%zu,"
                           "\"max_connections\":%d,\"max_connections_per_ip\":%d,"
                           "\"request_deadline_seconds\":%g,\"http_threads\":%d}",
                      fc_model_entailment_id(model), fc_model_max_length(model),
                      FINECAT_VERSION, o->max_batch_tokens, o->max_concurrent_requests,
                      o->max_client_batch_size, o->max_body_bytes, o->max_connections,
                      o->max_connections_per_ip, o->request_deadline, o->http_threads);
    fc_reply_json_ok(reply);
}

void fc_handle_openapi(const fc_serve_context *ctx, fc_reply *reply) {
    reply->body.len = 0;
    fc_textbuf_append(&reply->body, fc_openapi_json, strlen(fc_openapi_json));
    fc_reply_json_ok(reply);
}

void fc_handle_metrics(const fc_serve_context *ctx, fc_reply *reply) {
    int in_flight, queued, open;
    long over_capacity, expired;
    fc_scheduler_counts(ctx->scheduler, &in_flight, &queued);
    fc_connections_counts(ctx->connections, &open, &over_capacity, &expired);
    reply->body.len = 0;
    fc_metrics_render(ctx->metrics, in_flight, queued, &reply->body);
    fc_jsonbuf_printf(&reply->body,
                      "# HELP finecat_connections_open Open client connections.\n"
                      "# TYPE finecat_connections_open gauge\n"
                      "finecat_connections_open %d\n"
                      "# HELP finecat_connections_over_capacity_total Connections opened past "
                      "--max-connections (answered 503).\n"
                      "# TYPE finecat_connections_over_capacity_total counter\n"
                      "finecat_connections_over_capacity_total %ld\n"
                      "# HELP finecat_connections_expired_total Connections closed for missing "
                      "the --request-deadline.\n"
                      "# TYPE finecat_connections_expired_total counter\n"
                      "finecat_connections_expired_total %ld\n",
                      open, over_capacity, expired);
    reply->status = 200;
    reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply->error_type = NULL;
}
