// Fuzzes POST /predict bodies: the parser (src/serve/request.c) and the handler that
// tokenizes and runs the pairs (src/serve/handle_predict.c), called without a socket.
#include "fuzz.h"

#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"

int fc_fuzz_request_predict(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    fc_predict_request request;
    fc_reply reply = {0};
    int ok = 1;
    if (fc_parse_predict(body, size, 32, &request, &reply) == 0) {
        ok = request.n_pairs > 0 && request.n_pairs <= 32;
        for (size_t i = 0; ok && i < request.n_pairs; i++)
            ok = request.pairs[i].premise && request.pairs[i].hypothesis;
    } else {
        ok = fc_fuzz_reply_valid(&reply) == 0;
    }
    fc_predict_request_free(&request);
    fc_reply_free(&reply);
    ok = fc_fuzz_post(fc_handle_predict, body, size) == 0 && ok;
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_request_predict((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_request_predict(data, size) != 0) abort();
    return 0;
}
#endif
