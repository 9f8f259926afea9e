// Fuzzes POST /check bodies: the parser (src/serve/request.c) and the handler that splits the
// answer into sentences and checks each (src/serve/handle_check.c), without a socket.
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>

#include "serve/handlers.h"
#include "serve/request.h"

int fc_fuzz_request_check(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    fc_check_request request;
    fc_reply reply = {0};
    int ok = 1;
    if (fc_parse_check(body, size, &request, &reply) == 0)
        ok = request.context && request.answer && isfinite(request.options.support_threshold) &&
             isfinite(request.options.contradiction_threshold);
    else
        ok = fc_fuzz_reply_valid(&reply) == 0;
    fc_check_request_free(&request);
    fc_reply_free(&reply);
    ok = fc_fuzz_post(fc_handle_check, body, size) == 0 && ok;
    return ok ? 0 : -1;
}

#ifdef FC_FUZZ_MAIN
// Loads the fixture before fuzzing starts, so that its load does not count against the first
// input's time limit.
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    fc_fuzz_request_check((const uint8_t *)"", 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_request_check(data, size) != 0) abort();
    return 0;
}
#endif
