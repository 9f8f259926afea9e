// What an endpoint answers: a status, a body and its content type. Errors have the JSON body
// {"error": MESSAGE, "error_type": TYPE} (the shape text-embeddings-inference uses).
#ifndef FC_SERVE_REPLY_H
#define FC_SERVE_REPLY_H

#include "finecat.h"
#include "tokenizer/textbuf.h"

typedef struct fc_reply {
    int status;
    const char *content_type; // a static string
    const char *error_type;   // NULL for a success; a static string
    const char *allow;        // the Allow header of a 405, else NULL
    int close_connection;     // ask the client to close the connection after this reply
    fc_textbuf body;
} fc_reply;

// Sets an error reply; returns -1 so that a parser can `return fc_reply_error(...)`.
int fc_reply_error(fc_reply *reply, int status, const char *error_type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// The reply to a failed inference: 503 when the server ran out of memory for it (the request
// was fine and may pass later or smaller; the server stays up), else 500. Returns -1.
int fc_reply_inference_error(fc_reply *reply, const fc_error *err);

// Marks the body already written into reply->body as a 200 JSON answer.
void fc_reply_json_ok(fc_reply *reply);

void fc_reply_free(fc_reply *reply);

#endif
