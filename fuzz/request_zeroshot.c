// Fuzzes POST /zero-shot bodies: the parser (src/serve/request.c, with the label split and
// the hypothesis template) and the handler (src/serve/handle_zeroshot.c), without a socket.
#include "fuzz.h"

#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"

int fc_fuzz_request_zeroshot(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    fc_zeroshot_request request;
    fc_reply reply = {0};
    int ok = 1;
    if (fc_parse_zeroshot(body, size, 32, &request, &reply) == 0) {
        ok = request.n_texts > 0 && request.n_labels > 0 && request.hypothesis_template &&
             request.n_texts * request.n_labels <= 32;
        for (size_t i = 0; ok && i < request.n_texts; i++) ok = request.texts[i] != NULL;
        for (size_t i = 0; ok && i < request.n_labels; i++) ok = request.labels[i] != NULL;
    } else {
        ok = fc_fuzz_reply_valid(&reply) == 0;
    }
    fc_zeroshot_request_free(&request);
    fc_reply_free(&reply);
    ok = fc_fuzz_post(fc_handle_zeroshot, body, size) == 0 && ok;
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_request_zeroshot((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_request_zeroshot(data, size) != 0) abort();
    return 0;
}
#endif
