// Fuzzes POST /tokenize bodies (the text-embeddings-inference shape): the parser
// (src/serve/request.c) and the handler that tokenizes each input and answers at once
// (src/serve/handle_tokenize.c), without a socket.
#include "fuzz.h"

#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"

// fc_fuzz_post's handler shape: /tokenize runs no forward, so it never hands back an inference.
static fc_inference *handle_tokenize(const fc_serve_context *ctx, const char *body, size_t len,
                                     fc_reply *reply) {
    fc_handle_tokenize(ctx, body, len, reply);
    return NULL;
}

int fc_fuzz_request_tokenize(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    fc_tokenize_request request;
    fc_reply reply = {0};
    int ok = 1;
    if (fc_parse_tokenize(body, size, 32, &request, &reply) == 0) {
        ok = request.n_inputs <= 32;
        for (size_t i = 0; ok && i < request.n_inputs; i++) ok = request.inputs[i] != NULL;
    } else {
        ok = fc_fuzz_reply_valid(&reply) == 0;
    }
    fc_tokenize_request_free(&request);
    fc_reply_free(&reply);
    ok = fc_fuzz_post(handle_tokenize, body, size) == 0 && ok;
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_request_tokenize((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_request_tokenize(data, size) != 0) abort();
    return 0;
}
#endif
