#include "serve/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tasks/result_json.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

int fc_reply_error(fc_reply *reply, int status, const char *error_type, const char *fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    // A message cut at the buffer's end (or quoting bad input) must stay valid UTF-8 for JSON.
    size_t len = strlen(message), bad;
    if (!fc_utf8_valid(message, len, &bad)) len = bad;
    reply->status = status;
    reply->content_type = "application/json";
    reply->error_type = error_type;
    reply->body.len = 0;
    fc_textbuf_append(&reply->body, "{\"error\":", 9);
    fc_jsonbuf_string(&reply->body, message, len);
    fc_textbuf_append(&reply->body, ",\"error_type\":", 14);
    fc_jsonbuf_string(&reply->body, error_type, strlen(error_type));
    fc_textbuf_append(&reply->body, "}", 1);
    return -1;
}

int fc_reply_inference_error(fc_reply *reply, const fc_error *err) {
    if (fc_error_is_out_of_memory(err))
        return fc_reply_error(reply, 503, "out_of_memory", "%s; retry later or with fewer pairs",
                              err->message);
    return fc_reply_error(reply, 500, "backend", "inference failed: %s", err->message);
}

void fc_reply_json_ok(fc_reply *reply) {
    reply->status = 200;
    reply->content_type = "application/json";
    reply->error_type = NULL;
}

void fc_reply_free(fc_reply *reply) {
    fc_textbuf_free(&reply->body);
}
