// Fuzzes spm.model: the protobuf reader (src/tokenizer/spm_model.c) on arbitrary bytes, then,
// for a model it accepts, the tokenizer built from it as for DeBERTa-v3 (spm_tokenizer.c)
// and an encode of a fixed pair.
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/spm_model.h"

int fc_fuzz_spm_model(const uint8_t *data, size_t size) {
    fc_spm_model model;
    fc_error err = {{0}};
    if (fc_spm_model_parse(&model, data, size, "spm.model", &err) != 0)
        return fc_fuzz_error_named(-1, &err);
    fc_spm_model_free(&model);
    char dir[1024];
    strcpy(dir, fc_fuzz_subdir("spm_model"));
    fc_fuzz_write("spm_model/spm.model", data, size);
    fc_tokenizer *tok = NULL;
    if (fc_tokenizer_load(dir, &tok, &err) != 0) return fc_fuzz_error_named(-1, &err);
    static const char pair[] = "\x05\x0c" "A cat  sat.\xff" "\xc3\x9cn\xc3\xaf" "code \xe7\x8c\xab \x01";
    int rc = fc_fuzz_encode(tok, (const uint8_t *)pair, sizeof pair - 1);
    fc_tokenizer_free(tok);
    return rc;
}

#ifdef FC_FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fc_fuzz_spm_model(data, size) != 0) abort();
    return 0;
}
#endif
