// Fuzzes POST /rerank bodies (the text-embeddings-inference shape): the parser
// (src/serve/request.c) and the handler that pairs the query with each text and runs them
// (src/serve/handle_rerank.c), without a socket.
#include "fuzz.h"

#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"

int fc_fuzz_request_rerank(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    fc_rerank_request request;
    fc_reply reply = {0};
    int ok = 1;
    if (fc_parse_rerank(body, size, 32, &request, &reply) == 0) {
        ok = request.query && request.n_texts <= 32;
        for (size_t i = 0; ok && i < request.n_texts; i++) ok = request.texts[i] != NULL;
    } else {
        ok = fc_fuzz_reply_valid(&reply) == 0;
    }
    fc_rerank_request_free(&request);
    fc_reply_free(&reply);
    ok = fc_fuzz_post(fc_handle_rerank, body, size) == 0 && ok;
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_request_rerank((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_request_rerank(data, size) != 0) abort();
    return 0;
}
#endif
